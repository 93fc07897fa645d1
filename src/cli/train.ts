/** `seqtorch train`: text file (or the embedded names) to a trained model in a checkpoint directory. */
import { mkdir } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { data, listBackends, models, nn, setBackend, text, train as tr } from "../index.js";
import { readTable } from "../data/node.js";
import { saveCheckpoint, writeFileAtomic } from "../io/node.js";
import { loadNames, type LabelledTexts } from "./datasets.js";
import { CliError, EpochBar, pct } from "./output.js";

export interface TrainArgs {
  data?: string;
  textCol: string;
  labelCol: string;
  task: "classification" | "regression";
  tokenizer: "char" | "word" | "whitespace";
  locale: string;
  lowercase: boolean;
  cell: "rnn" | "lstm" | "gru";
  embeddingDim: number;
  hiddenSize: number;
  layers: number;
  bidirectional: boolean;
  dropout: number;
  pooling: "last" | "mean";
  epochs: number;
  batchSize: number;
  optimizer: tr.OptimizerName;
  lr: number;
  weightDecay: number;
  clipNorm?: number;
  clipValue?: number;
  maxLen?: number;
  minFreq: number;
  maxVocab?: number;
  valFraction: number;
  seed: number;
  backend: string;
  checkpoint?: string;
  json: boolean;
  quiet: boolean;
}

function loadData(args: TrainArgs): LabelledTexts {
  if (!args.data) return loadNames();
  const table = readTable(args.data);
  if (table.rows.length === 0) throw new CliError(`no rows in ${args.data}`);
  const { texts, labels, skipped } = data.selectColumns(table.rows, { textCol: args.textCol, labelCol: args.labelCol });
  if (texts.length === 0) throw new CliError(`no rows with text in column "${args.textCol}" of ${args.data}`);
  const note = skipped ? `, ${skipped} rows without text skipped` : "";
  return { texts, labels, description: `${basename(args.data)} (${texts.length} rows${note})` };
}

export async function trainCommand(args: TrainArgs): Promise<void> {
  if (!listBackends().includes(args.backend)) throw new CliError(`unknown backend "${args.backend}"; available: ${listBackends().join(", ")}`, 2);
  setBackend(args.backend);
  const log = (s: string): void => {
    if (!args.json && !args.quiet) process.stdout.write(`${s}\n`);
  };
  const defaultData = !args.data;
  const raw = loadData(args);
  const task = args.task;

  // Targets: class indices over sorted label names, or numbers.
  let labelNames: string[];
  let targets: number[];
  if (task === "classification") {
    labelNames = [...new Set(raw.labels)].sort();
    if (labelNames.length < 2) {
      throw new CliError(`label column "${args.labelCol}" has only one class (${JSON.stringify(labelNames[0] ?? "")}); a classifier needs at least two`);
    }
    const index = new Map(labelNames.map((l, i) => [l, i]));
    targets = raw.labels.map((l) => index.get(l)!);
  } else {
    labelNames = [args.labelCol];
    targets = data.toNumbers(raw.labels);
  }

  const split = data.trainValSplit(raw.texts.length, { valFraction: args.valFraction, seed: args.seed, stratify: task === "classification" ? raw.labels : undefined });
  const tokenizer = args.tokenizer === "word"
    ? text.createTokenizer("word", { locale: args.locale, lowercase: args.lowercase })
    : args.tokenizer === "char"
      ? text.createTokenizer("char", { lowercase: args.lowercase })
      : text.createTokenizer("whitespace", { lowercase: args.lowercase });
  const tokens = raw.texts.map((t) => tokenizer.tokenize(t));
  const vocab = text.Vocab.build(split.train.map((i) => tokens[i]!), { minFreq: args.minFreq, maxSize: args.maxVocab ?? Infinity });
  const encode = (idx: number[]): tr.EncodedDataset => ({
    ids: idx.map((i) => {
      const ids = vocab.encode(tokens[i]!);
      return args.maxLen ? ids.slice(0, args.maxLen) : ids;
    }),
    targets: idx.map((i) => targets[i]!),
  });
  const trainSet = encode(split.train);
  const valSet = encode(split.val);

  const modelOptions = {
    vocabSize: vocab.size,
    embeddingDim: args.embeddingDim,
    hiddenSize: args.hiddenSize,
    cell: args.cell,
    numLayers: args.layers,
    bidirectional: args.bidirectional,
    dropout: args.dropout,
    pooling: args.pooling,
  };
  const model = task === "classification"
    ? new models.TextClassifier({ ...modelOptions, numClasses: labelNames.length })
    : new models.SequenceRegressor({ ...modelOptions, numOutputs: 1 });
  const bundle: models.TextModelBundle = { task, model, tokenizer, vocab, labels: labelNames, maxLen: args.maxLen ?? null };

  const ckptDir = resolve(args.checkpoint ?? join("checkpoints", defaultData ? "names" : basename(args.data!, extname(args.data!))));
  await mkdir(dirname(ckptDir), { recursive: true });

  log(`data: ${raw.description}`);
  log(`split: ${split.train.length} train / ${split.val.length} validation (seed ${args.seed}); ${args.tokenizer} tokens, vocabulary ${vocab.size}${task === "classification" ? `; classes: ${labelNames.join(", ")}` : ""}`);
  log(`model: ${model.encoder.rnn.toString()} ${args.pooling} pooling -> ${model.head.toString()}, ${nn.countParameters(model).toLocaleString("en-US")} parameters`);
  log(`training: ${args.epochs} epochs, batch ${args.batchSize}, ${args.optimizer} lr ${args.lr}${args.clipNorm ? `, clip norm ${args.clipNorm}` : ""}${args.clipValue ? `, clip value ${args.clipValue}` : ""}, backend ${args.backend}`);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
    process.stderr.write("\nstopping after this batch (Ctrl-C again to quit at once)...\n");
  };
  process.on("SIGINT", onSigint);

  const bar = new EpochBar(!args.json && !args.quiet);
  const curves: { epoch: number[]; trainLoss: number[]; valLoss: number[]; trainAcc: number[]; valAcc: number[] } = { epoch: [], trainLoss: [], valLoss: [], trainAcc: [], valAcc: [] };
  let best: tr.EpochResult | null = null;
  const t0 = performance.now();
  let lastBatch = 0;
  let result: tr.FitResult;
  try {
    result = await tr.fit(model, trainSet, valSet, {
      task,
      epochs: args.epochs,
      batchSize: args.batchSize,
      optimizer: args.optimizer,
      lr: args.lr,
      weightDecay: args.weightDecay,
      clipNorm: args.clipNorm ?? null,
      clipValue: args.clipValue ?? null,
      maxLen: args.maxLen,
      seed: args.seed,
      signal: controller.signal,
      onBatch: (p) => {
        if (p.batch === 1 || p.batch < lastBatch) bar.start(p.epoch, args.epochs, p.batches);
        lastBatch = p.batch;
        bar.update(p.batch, p.batches, p.loss, p.accuracy, p.examples, p.elapsedMs);
      },
      onEpoch: async (e) => {
        bar.stop();
        lastBatch = 0;
        curves.epoch.push(e.epoch);
        curves.trainLoss.push(e.trainLoss);
        curves.valLoss.push(e.val?.loss ?? NaN);
        curves.trainAcc.push(e.trainAccuracy ?? NaN);
        curves.valAcc.push(e.val?.accuracy ?? NaN);
        const trainPart = `train loss ${e.trainLoss.toFixed(4)}${task === "classification" ? `  acc ${pct(e.trainAccuracy)}` : ""}`;
        const valPart = e.val ? `val loss ${e.val.loss.toFixed(4)}${task === "classification" ? `  acc ${pct(e.val.accuracy)}` : ""}` : "no validation";
        log(`epoch ${String(e.epoch).padStart(String(args.epochs).length)}/${args.epochs}  ${trainPart}  |  ${valPart}  |  ${e.seconds.toFixed(1)}s${e.best ? "  * best, saved" : ""}`);
        if (e.best) {
          best = e;
          const parts = models.bundleToParts(bundle, { epoch: e.epoch, valLoss: e.val?.loss ?? null, valAccuracy: e.val?.accuracy ?? null, args: { ...args } });
          await saveCheckpoint(ckptDir, { stateDict: parts.stateDict, config: parts.config, vocab: parts.vocab });
        }
        await writeFileAtomic(join(ckptDir, "curves.svg"), curvesSvg(curves, task));
      },
    });
  } finally {
    process.off("SIGINT", onSigint);
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const bestEpoch = best as tr.EpochResult | null;
  if (!bestEpoch) {
    log(`stopped before the first epoch finished; no checkpoint written`);
    if (args.json) process.stdout.write(`${JSON.stringify({ stopped: true, epochs: 0 })}\n`);
    process.exitCode = 130;
    return;
  }
  if (result.stopped) log(`stopped by Ctrl-C; the best checkpoint (epoch ${bestEpoch.epoch}) is intact`);

  const summary: Record<string, unknown> = { backend: args.backend, checkpoint: ckptDir, curves: join(ckptDir, "curves.svg"), bestEpoch: bestEpoch.epoch, epochs: result.history.length, seconds, stopped: result.stopped, task };
  if (task === "classification" && bestEpoch.val) {
    const yTrue = valSet.targets as number[];
    const yPred = bestEpoch.val.predictions as number[];
    const matrix = tr.confusionMatrix(yTrue, yPred, labelNames.length);
    const baseline = tr.majorityBaseline(yTrue, labelNames.length);
    const acc = bestEpoch.val.accuracy!;
    Object.assign(summary, { valAccuracy: acc, valMacroF1: tr.macroF1(matrix), majorityBaseline: baseline.accuracy, confusionMatrix: matrix, labels: labelNames });
    log("");
    log(`best epoch ${bestEpoch.epoch} of ${result.history.length}, ${seconds.toFixed(1)}s; checkpoint ${ckptDir}`);
    log(`confusion matrix (validation):\n${tr.formatConfusionMatrix(matrix, labelNames)}`);
    log(`macro-F1 ${tr.macroF1(matrix).toFixed(3)}; curves ${join(ckptDir, "curves.svg")}`);
    log(`validation accuracy ${pct(acc)} (majority baseline ${pct(baseline.accuracy)})`);
  } else if (bestEpoch.val) {
    Object.assign(summary, { valLoss: bestEpoch.val.loss });
    log("");
    log(`best epoch ${bestEpoch.epoch} of ${result.history.length}, ${seconds.toFixed(1)}s; checkpoint ${ckptDir}`);
    log(`validation MSE ${bestEpoch.val.loss.toFixed(4)}`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

function curvesSvg(c: { epoch: number[]; trainLoss: number[]; valLoss: number[]; trainAcc: number[]; valAcc: number[] }, task: string): string {
  const loss = [[{ name: "train loss", x: c.epoch, y: c.trainLoss }, { name: "validation loss", x: c.epoch, y: c.valLoss }], { title: "Loss", xLabel: "epoch", yLabel: task === "classification" ? "cross-entropy" : "MSE" }] as const;
  if (task !== "classification") return tr.svgLineChart(loss[0], loss[1]);
  const acc = [[{ name: "train accuracy", x: c.epoch, y: c.trainAcc }, { name: "validation accuracy", x: c.epoch, y: c.valAcc }], { title: "Accuracy", xLabel: "epoch", yLabel: "accuracy" }] as const;
  return tr.svgSmallMultiples([[loss[0], loss[1]], [acc[0], acc[1]]], { columns: 2 });
}

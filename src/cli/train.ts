/** `seqtorch train`: text file (or the embedded names) to a trained model in a checkpoint directory. */
import { mkdir } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { type cells, listBackends, models, nn, setBackend, text, train as tr } from "../index.js";
import { saveCheckpoint, writeFileAtomic } from "../io/node.js";
import { prepareTrainingData } from "./datasets.js";
import { CliError, EpochBar, pct } from "./output.js";

export interface TrainArgs {
  data?: string;
  textCol: string;
  labelCol: string;
  task: "classification" | "regression";
  tokenizer: "char" | "word" | "whitespace";
  locale: string;
  lowercase: boolean;
  cell: cells.CellKind;
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
  scheduler: tr.SchedulerName;
  stepSize: number;
  gamma: number;
  patience: number;
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

export async function trainCommand(args: TrainArgs): Promise<void> {
  if (!listBackends().includes(args.backend)) throw new CliError(`unknown backend "${args.backend}"; available: ${listBackends().join(", ")}`, 2);
  setBackend(args.backend);
  const log = (s: string): void => {
    if (!args.json && !args.quiet) process.stdout.write(`${s}\n`);
  };
  const defaultData = !args.data;
  const task = args.task;

  const tokenizer = args.tokenizer === "word"
    ? text.createTokenizer("word", { locale: args.locale, lowercase: args.lowercase })
    : text.createTokenizer(args.tokenizer, { lowercase: args.lowercase });
  const raw = await prepareTrainingData(args, tokenizer);
  const { labelNames, split, vocab, trainSet, valSet } = raw;
  const model = tr.buildTextModel({
    task, labels: labelNames, vocabSize: vocab.size, embeddingDim: args.embeddingDim, hiddenSize: args.hiddenSize, cell: args.cell,
    numLayers: args.layers, bidirectional: args.bidirectional, dropout: args.dropout, pooling: args.pooling,
  });
  const bundle: models.TextModelBundle = { task, model, tokenizer, vocab, labels: labelNames, maxLen: args.maxLen ?? null };

  const ckptDir = resolve(args.checkpoint ?? join("checkpoints", defaultData ? "names" : basename(args.data!, extname(args.data!))));
  await mkdir(dirname(ckptDir), { recursive: true });

  log(`data: ${raw.description}`);
  log(`split: ${split.train.length} train / ${split.val.length} validation (seed ${args.seed}); ${args.tokenizer} tokens, vocabulary ${vocab.size}${task === "classification" ? `; classes: ${labelNames.join(", ")}` : ""}`);
  log(`model: ${model.encoder.rnn.toString()} ${args.pooling} pooling -> ${model.head.toString()}, ${nn.countParameters(model).toLocaleString("en-US")} parameters`);
  log(`training: ${args.epochs} epochs, batch ${args.batchSize}, ${args.optimizer} lr ${args.lr}${args.scheduler !== "none" ? ` (${args.scheduler} schedule)` : ""}${args.clipNorm ? `, clip norm ${args.clipNorm}` : ""}${args.clipValue ? `, clip value ${args.clipValue}` : ""}, backend ${args.backend}`);

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
  const curves = new tr.TrainingCurves(task);
  const keeper = new tr.BestCheckpoint(bundle, (parts) => saveCheckpoint(ckptDir, parts), { training: { args: { ...args } } });
  const curvesPath = join(ckptDir, "curves.svg");
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
      scheduler: args.scheduler,
      stepSize: args.stepSize,
      gamma: args.gamma,
      patience: args.patience,
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
        curves.record(e);
        const trainPart = `train loss ${e.trainLoss.toFixed(4)}${task === "classification" ? `  acc ${pct(e.trainAccuracy)}` : ""}`;
        const valPart = e.val ? `val loss ${e.val.loss.toFixed(4)}${task === "classification" ? `  acc ${pct(e.val.accuracy)}` : ""}` : "no validation";
        log(`epoch ${String(e.epoch).padStart(String(args.epochs).length)}/${args.epochs}  ${trainPart}  |  ${valPart}  |  ${args.scheduler !== "none" ? `lr ${e.lr!.toPrecision(3)}  |  ` : ""}${e.seconds.toFixed(1)}s${keeper.shouldSave(e) ? "  * best, saved" : ""}`);
        await keeper.update(e);
        await writeFileAtomic(curvesPath, curves.svg());
      },
    });
  } catch (e) {
    if (e instanceof tr.DivergenceError) {
      const kept = keeper.best ? `the checkpoint of epoch ${keeper.best.epoch} in ${ckptDir} is intact` : `nothing was saved; ${ckptDir} is as it was`;
      throw new CliError(`${e.message.replace(/^fit: /, "training ")}; ${kept}`);
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const bestEpoch = keeper.best;
  if (!bestEpoch) {
    log(`stopped before the first epoch finished; no checkpoint written`);
    if (args.json) process.stdout.write(`${JSON.stringify({ stopped: true, epochs: 0 })}\n`);
    process.exitCode = 130;
    return;
  }
  if (result.stopped) log(`stopped by Ctrl-C; the best checkpoint (epoch ${bestEpoch.epoch}) is intact`);

  const summary: Record<string, unknown> = { backend: args.backend, checkpoint: ckptDir, curves: curvesPath, bestEpoch: bestEpoch.epoch, epochs: result.history.length, seconds, stopped: result.stopped, task };
  if (args.scheduler !== "none") summary.lrs = result.history.map((e) => e.lr);
  if (task === "classification" && bestEpoch.val) {
    const m = tr.classificationSummary(valSet.targets as number[], bestEpoch.val.predictions as number[], labelNames.length);
    Object.assign(summary, { valAccuracy: m.accuracy, valMacroF1: m.macroF1, majorityBaseline: m.majorityBaseline, confusionMatrix: m.confusionMatrix, labels: labelNames });
    log("");
    log(`best epoch ${bestEpoch.epoch} of ${result.history.length}, ${seconds.toFixed(1)}s; checkpoint ${ckptDir}`);
    log(`confusion matrix (validation):\n${tr.formatConfusionMatrix(m.confusionMatrix, labelNames)}`);
    log(`macro-F1 ${m.macroF1.toFixed(3)}; curves ${curvesPath}`);
    log(`validation accuracy ${pct(m.accuracy)} (majority baseline ${pct(m.majorityBaseline)})`);
  } else if (bestEpoch.val) {
    Object.assign(summary, { valLoss: bestEpoch.val.loss });
    log("");
    log(`best epoch ${bestEpoch.epoch} of ${result.history.length}, ${seconds.toFixed(1)}s; checkpoint ${ckptDir}`);
    log(`validation MSE ${bestEpoch.val.loss.toFixed(4)}`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** `seqtorch train`: text file (or the embedded names) to a trained model in a checkpoint directory. */
import { randomBytes } from "node:crypto";
import { basename, extname, join, resolve } from "node:path";
import { type cells, listBackends, models, nn, setBackend, text, train as tr } from "../index.js";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { releaseFreedMemory } from "../backend/native/index.js";
import { LockError, lockDirectory, recoverCheckpoint, saveCheckpoint } from "../io/node.js";
import { prepareTrainingData } from "./datasets.js";
import { CliError, EpochBar, pct } from "./output.js";
import {
  checkOutputLocation, CURVES_FILE, describeSaved, inspectDirectory, loadIncumbent, loadTrainingState, sameData, stateFiles,
  type DataKey, type RunRecord,
} from "./run-dir.js";

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
  /** Continue the run in the checkpoint directory (true), or in the directory given. */
  resume?: boolean | string;
  /** Start a new run in a directory holding a model; the model is replaced only by a better one. */
  overwrite?: boolean;
  json: boolean;
  quiet: boolean;
  /** The options given on the command line (the rest are defaults), in camelCase. */
  explicit?: string[];
}

/** Options a resumed run may change: they do not touch the computation. */
const RESUME_MAY_CHANGE = new Set(["epochs", "json", "quiet", "resume", "overwrite", "checkpoint", "explicit"]);

/** Where `train` writes: --checkpoint, the directory given to --resume, or checkpoints/<data name>. */
function checkpointDir(args: TrainArgs): string {
  if (typeof args.resume === "string" && args.checkpoint && resolve(args.checkpoint) !== resolve(args.resume)) {
    throw new CliError(`--resume ${args.resume} and --checkpoint ${args.checkpoint} name different directories; give one`, 2);
  }
  const named = typeof args.resume === "string" ? args.resume : args.checkpoint;
  return resolve(named ?? join("checkpoints", args.data ? basename(args.data, extname(args.data)) : "names"));
}

/** The arguments of the run being resumed, with the options allowed to change taken from `given`. */
function resumedArgs(saved: RunRecord, given: TrainArgs): TrainArgs {
  const args = { ...(saved.args as unknown as TrainArgs) };
  for (const key of given.explicit ?? []) {
    const k = key as keyof TrainArgs;
    if (RESUME_MAY_CHANGE.has(key)) (args as unknown as Record<string, unknown>)[key] = given[k];
    else if (JSON.stringify(given[k]) !== JSON.stringify(args[k])) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new CliError(`--resume continues the run with its own options, but ${flag} ${String(given[k])} differs from the run's ${String(args[k])}; start a new run for other options`, 2);
    }
  }
  args.json = given.json;
  args.quiet = given.quiet;
  return args;
}

let gc: (() => void) | null = null;
/** V8's full collection, exposed on first use (the flag exposes `gc` to contexts made after it). */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

export async function trainCommand(given: TrainArgs): Promise<void> {
  if (given.resume && given.overwrite) throw new CliError("--resume and --overwrite exclude each other: continue the run, or start a new one", 2);
  const ckptDir = checkpointDir(given);
  await checkOutputLocation(ckptDir);
  const runId = randomBytes(4).toString("hex");
  const lock = await lockDirectory(ckptDir, { runId }).catch((e: unknown) => {
    if (e instanceof LockError) throw new CliError(e.message);
    throw new CliError(`cannot write the checkpoint to ${ckptDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  });
  const release = (): void => lock.release();
  process.on("exit", release);
  try {
    await train(given, ckptDir, runId);
  } finally {
    process.off("exit", release);
    release();
  }
}

async function train(given: TrainArgs, ckptDir: string, newRunId: string): Promise<void> {
  const { restored, removed } = await recoverCheckpoint(ckptDir);
  const existing = await inspectDirectory(ckptDir);
  const say = (s: string): void => {
    if (!given.json && !given.quiet) process.stdout.write(`${s}\n`);
  };
  if (restored) say(`recovered ${ckptDir} from ${basename(restored)}, left by a save that was interrupted`);
  if (removed.length) say(`removed ${removed.length} temporary folder${removed.length > 1 ? "s" : ""} left by interrupted runs`);
  if (existing.kind === "other") {
    throw new CliError(`${ckptDir} holds other files (${existing.files.slice(0, 3).join(", ")}${existing.files.length > 3 ? ", ..." : ""}), not a seqtorch checkpoint; choose another --checkpoint directory`);
  }
  if (given.resume && !(existing.kind === "checkpoint" && existing.resumable)) {
    const why = existing.kind === "none" ? "holds no checkpoint" : "holds a model but no training state to resume (use --overwrite to start a new run there)";
    throw new CliError(`cannot resume: ${ckptDir} ${why}`, 2);
  }
  if (existing.kind === "checkpoint" && !given.resume && !given.overwrite) {
    throw new CliError(`${ckptDir} already holds a model (${describeSaved(existing.training)}); continue its run with --resume${existing.resumable ? "" : " (it has no training state)"}, start a new run there with --overwrite (the model is replaced only by a better one), or choose another --checkpoint directory`, 2);
  }
  const resuming = given.resume && existing.kind === "checkpoint" ? existing.run! : null;
  const args = resuming ? resumedArgs(resuming, given) : given;
  const runId = resuming?.runId ?? newRunId;
  const state = resuming ? await loadTrainingState(ckptDir) : undefined;
  if (state && state.epoch >= args.epochs) {
    throw new CliError(`the run in ${ckptDir} has finished its ${state.epoch} epochs; give --epochs above ${state.epoch} to train it further`, 2);
  }
  if (state && args.epochs !== resuming!.args.epochs && args.scheduler === "onecycle") {
    throw new CliError(`--epochs cannot change when resuming a onecycle run: its schedule spans the run's ${String(resuming!.args.epochs)} epochs`, 2);
  }

  if (!listBackends().includes(args.backend)) throw new CliError(`unknown backend "${args.backend}"; available: ${listBackends().join(", ")}`, 2);
  setBackend(args.backend);
  const log = say;
  const task = args.task;
  const tokenizer = args.tokenizer === "word"
    ? text.createTokenizer("word", { locale: args.locale, lowercase: args.lowercase })
    : text.createTokenizer(args.tokenizer, { lowercase: args.lowercase });
  const raw = await prepareTrainingData(args, tokenizer);
  const { labelNames, split, vocab, trainSet, valSet, fingerprint } = raw;
  const dataKey: DataKey = { fingerprint, task, textCol: args.textCol, labelCol: args.labelCol, valFraction: args.valFraction, seed: args.seed };
  if (resuming && !sameData(resuming.data, dataKey)) {
    throw new CliError(`cannot resume: the data differ from the run's (${args.data ?? "the embedded names"} has changed since run ${runId} started); start a new run with --overwrite`, 2);
  }
  const model = tr.buildTextModel({
    task, labels: labelNames, vocabSize: vocab.size, embeddingDim: args.embeddingDim, hiddenSize: args.hiddenSize, cell: args.cell,
    numLayers: args.layers, bidirectional: args.bidirectional, dropout: args.dropout, pooling: args.pooling,
  });
  const bundle: models.TextModelBundle = { task, model, tokenizer, vocab, labels: labelNames, maxLen: args.maxLen ?? null };

  // The model in the directory stays unless beaten: by the resumed run's later epochs, or by a new
  // run's (--overwrite) when it was scored on the same validation data.
  let incumbent: Awaited<ReturnType<typeof loadIncumbent>> | undefined;
  if (existing.kind === "checkpoint") {
    const comparable = resuming !== null || sameData(existing.training.data, dataKey);
    const loaded = await loadIncumbent(ckptDir, existing.training).catch((e: unknown) => {
      if (resuming) throw e;
      log(`the model in ${ckptDir} cannot be loaded (${(e as Error).message}); this run replaces it`);
      return undefined;
    });
    if (loaded && comparable) incumbent = loaded;
    else if (loaded) log(`the model in ${ckptDir} (${describeSaved(existing.training)}) was scored on other data; this run replaces it`);
    if (incumbent && !resuming) log(`keeping the model in ${ckptDir} (${describeSaved(existing.training)}) unless this run beats it`);
  }
  const run: RunRecord = resuming ?? { runId, started: new Date().toISOString(), data: dataKey, args: { ...args, explicit: undefined, resume: undefined, overwrite: undefined } };

  log(`data: ${raw.description}`);
  log(`split: ${split.train.length} train / ${split.val.length} validation (seed ${args.seed}); ${args.tokenizer} tokens, vocabulary ${vocab.size}${task === "classification" ? `; classes: ${labelNames.join(", ")}` : ""}`);
  log(`model: ${model.encoder.rnn.toString()} ${args.pooling} pooling -> ${model.head.toString()}, ${nn.countParameters(model).toLocaleString("en-US")} parameters`);
  log(`training: ${args.epochs} epochs, batch ${args.batchSize}, ${args.optimizer} lr ${args.lr}${args.scheduler !== "none" ? ` (${args.scheduler} schedule)` : ""}${args.clipNorm ? `, clip norm ${args.clipNorm}` : ""}${args.clipValue ? `, clip value ${args.clipValue}` : ""}, backend ${args.backend}; run ${runId}`);
  if (state) log(`resuming run ${runId} after epoch ${state.epoch}${state.batch ? `, batch ${state.batch}` : ""}`);

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
  for (const r of state?.history ?? []) curves.record({ ...r, seconds: 0, val: r.valLoss === null ? null : { loss: r.valLoss, accuracy: r.valAccuracy, predictions: [], probabilities: null } });
  const write = (parts: tr.CheckpointParts, files: Record<string, string | Uint8Array>): Promise<void> => saveCheckpoint(ckptDir, { ...parts, files });
  const keeper = new tr.BestCheckpoint(bundle, write, { training: { runId, data: dataKey, args: run.args }, incumbent });
  const curvesPath = join(ckptDir, CURVES_FILE);
  const t0 = performance.now();
  let lastBatch = 0;
  let lastTrim = performance.now();
  // Every two seconds (training and validation alike) a full collection and the freed buffers back
  // to the system, so a long run's memory stays flat (V8 otherwise lets dead autograd graphs and
  // batch buffers pile up for 100 MB or more).
  const reclaim = (): void => {
    const now = performance.now();
    if (now - lastTrim < 2000) return;
    lastTrim = now;
    collectGarbage();
    releaseFreedMemory();
  };
  let savedEpoch = state?.epoch ?? 0;
  // Training throughput: examples over the time spent in training batches (validation and saving left out).
  const speed = { examples: 0, ms: 0, epochExamples: 0, epochMs: 0 };
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
      resumeFrom: state,
      onBatch: (p) => {
        reclaim();
        if (p.batch === 1 || p.batch < lastBatch) bar.start(p.epoch, args.epochs, p.batches);
        lastBatch = p.batch;
        speed.epochExamples = p.examples;
        speed.epochMs = p.elapsedMs;
        bar.update(p.batch, p.batches, p.loss, p.accuracy, p.examples, p.elapsedMs);
      },
      onValBatch: reclaim,
      onEpoch: async (e, snapshot) => {
        bar.stop();
        lastBatch = 0;
        speed.examples += speed.epochExamples;
        speed.ms += speed.epochMs;
        curves.record(e);
        const better = keeper.shouldSave(e);
        const files = { ...stateFiles(run, snapshot()), [CURVES_FILE]: curves.svg() };
        const summary = better && task === "classification" && e.val ? tr.classificationSummary(valSet.targets as number[], e.val.predictions as number[], labelNames.length) : null;
        await keeper.update(e, { files, training: summary ? { summary } : {} });
        savedEpoch = e.epoch;
        const trainPart = `train loss ${e.trainLoss.toFixed(4)}${task === "classification" ? `  acc ${pct(e.trainAccuracy)}` : ""}`;
        const valPart = e.val ? `val loss ${e.val.loss.toFixed(4)}${task === "classification" ? `  acc ${pct(e.val.accuracy)}` : ""}` : "no validation";
        log(`epoch ${String(e.epoch).padStart(String(args.epochs).length)}/${args.epochs}  ${trainPart}  |  ${valPart}  |  ${args.scheduler !== "none" ? `lr ${e.lr!.toPrecision(3)}  |  ` : ""}${e.seconds.toFixed(1)}s${better ? "  * best, saved" : ""}`);
      },
    });
  } catch (e) {
    if (e instanceof tr.DivergenceError) {
      const saved = savedEpoch > (state?.epoch ?? 0) ? `, with this run's state after epoch ${savedEpoch}` : "";
      const kept = keeper.kept ? `the checkpoint in ${ckptDir} is intact (${describeSaved(keeper.kept.config.training ?? {})}${saved})` : `nothing was saved; ${ckptDir} is as it was`;
      throw new CliError(`${e.message.replace(/^fit: /, "training ")}; ${kept}`);
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (result.stopped) {
    if (!keeper.kept) {
      log(`stopped before the first epoch finished; no checkpoint written`);
      if (args.json) process.stdout.write(`${JSON.stringify({ stopped: true, epochs: 0, runId })}\n`);
      process.exitCode = 130;
      return;
    }
    await write(keeper.kept, { ...stateFiles(run, result.state), [CURVES_FILE]: curves.svg() });
    log(`stopped by Ctrl-C; the best checkpoint (${describeSaved(keeper.kept.config.training ?? {})}) is intact, and the run's state is saved: continue it with seqtorch train --resume ${ckptDir}`);
  }
  const kept = keeper.kept!.config.training ?? {};
  const bestEpoch = kept.epoch as number;
  const fromThisRun = kept.runId === runId;
  const summary: Record<string, unknown> = { backend: args.backend, checkpoint: ckptDir, curves: curvesPath, runId, bestRunId: kept.runId ?? null, bestEpoch, epochs: result.history.length, seconds, stopped: result.stopped, task,
    examplesPerSecond: speed.ms > 0 ? (speed.examples / speed.ms) * 1000 : null };
  if (args.scheduler !== "none") summary.lrs = result.history.map((e) => e.lr);
  log("");
  log(fromThisRun
    ? `best epoch ${bestEpoch} of ${result.history.length}, ${seconds.toFixed(1)}s; checkpoint ${ckptDir}`
    : `this run (${seconds.toFixed(1)}s) did not beat the model in ${ckptDir}, which stays: ${describeSaved(kept)}`);
  const m = kept.summary as tr.ClassificationSummary | undefined;
  if (task === "classification" && m) {
    Object.assign(summary, { valAccuracy: m.accuracy, valMacroF1: m.macroF1, majorityBaseline: m.majorityBaseline, confusionMatrix: m.confusionMatrix, labels: labelNames });
    log(`confusion matrix (validation):\n${tr.formatConfusionMatrix(m.confusionMatrix, labelNames)}`);
    log(`macro-F1 ${m.macroF1.toFixed(3)}; curves ${curvesPath}`);
    log(`validation accuracy ${pct(m.accuracy)} (majority baseline ${pct(m.majorityBaseline)})`);
  } else if (typeof kept.valLoss === "number") {
    Object.assign(summary, { valLoss: kept.valLoss });
    log(`validation ${task === "classification" ? "loss" : "MSE"} ${kept.valLoss.toFixed(4)}`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

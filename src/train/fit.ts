/**
 * The training loop behind `seqtorch train`, usable on its own: batches bucketed by length, a
 * chosen optimizer, optional clipping, per-batch progress and per-epoch validation through
 * callbacks, and a clean stop on an AbortSignal. Browser-safe.
 */
import { noGrad } from "../autograd.js";
import { BucketLoader } from "../data/loader.js";
import * as nn from "../nn/index.js";
import * as optim from "../optim/index.js";
import { Generator, getRngState, manualSeed, setRngState } from "../random.js";
import { tensor, type Tensor } from "../tensor.js";
import { padSequences } from "../text/pad.js";
import { checkTrainingState, TRAINING_STATE_FORMAT, TRAINING_STATE_VERSION, type EpochRecord, type FitCounters, type TrainingState } from "./state.js";

/** A model that maps padded token ids `[N, L]` and lengths to outputs `[N, K]`. */
export interface SequenceModel extends nn.Module {
  forward(tokens: Tensor, lengths: readonly number[] | Int32Array): Tensor;
}

export type Task = "classification" | "regression";

/** Token id sequences by example: an array of arrays, or anything with `length` and `at(i)` such as `PackedSequences`. */
export interface IdSequences {
  readonly length: number;
  at(i: number): ArrayLike<number> | undefined;
}

/** Token ids in a typed array: `encodeTextRows` picks the narrowest that holds the vocabulary. */
export type IdArray = Uint8Array | Uint16Array | Int32Array;

/**
 * Id sequences held in one typed array, sequence `i` being `data[starts[i] .. starts[i] + lengths[i])`:
 * 1, 2 or 4 bytes a token, where an array per sequence costs about 100 bytes more. Several sets
 * (a training and a validation part) can share one `data`.
 */
export class PackedSequences implements IdSequences {
  constructor(readonly data: IdArray, readonly starts: Uint32Array, readonly lengths: Uint32Array) {
    if (lengths.length !== starts.length) throw new Error(`PackedSequences: ${starts.length} starts but ${lengths.length} lengths`);
  }
  get length(): number {
    return this.starts.length;
  }
  /** Sequence `i` (0 <= i < length), a view into `data`. */
  at(i: number): IdArray {
    return this.data.subarray(this.starts[i], this.starts[i]! + this.lengths[i]!);
  }
}

/** Encoded examples: token ids per example, and a class index (classification) or target values (regression). */
export interface EncodedDataset<Ids extends IdSequences = IdSequences> {
  ids: Ids;
  targets: number[] | number[][];
}

export type OptimizerName = "adam" | "adamw" | "sgd" | "rmsprop";

/**
 * A learning-rate schedule for `fit`: `step` multiplies the rate by `gamma` every `stepSize` epochs,
 * `cosine` anneals it to 0 over the epochs, `plateau` multiplies it by `gamma` once the validation
 * loss has not improved for `patience` epochs (all stepped after each epoch); `onecycle` runs the
 * 1cycle policy peaking at the learning rate, stepped after each batch.
 */
export type SchedulerName = "none" | "step" | "cosine" | "plateau" | "onecycle";

export interface FitOptions {
  task: Task;
  epochs: number;
  batchSize: number;
  optimizer?: OptimizerName;
  lr?: number;
  weightDecay?: number;
  /** Learning-rate schedule (see `SchedulerName`). Default "none". */
  scheduler?: SchedulerName;
  /** `step`: epochs between decays. Default 1. */
  stepSize?: number;
  /** `step` and `plateau`: the factor the rate is multiplied by. Default 0.1. */
  gamma?: number;
  /** `plateau`: epochs without improvement before a decay. Default 10. */
  patience?: number;
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number | null;
  /** Clamp every gradient element to [-clipValue, clipValue] before each step. */
  clipValue?: number | null;
  /** Truncate longer sequences to this many tokens. */
  maxLen?: number;
  seed?: number;
  /** Stops training between batches; the result says `stopped: true`. */
  signal?: AbortSignal;
  onBatch?: (p: BatchProgress) => void;
  /** Called after each validation batch (e.g. to reclaim memory or show progress while validating). */
  onValBatch?: (p: { epoch: number; batch: number; batches: number }) => void;
  /**
   * Called after each epoch's validation; may be async (e.g. to save a checkpoint). `state()` gives
   * the run as it stands after the epoch, for `resumeFrom`; call it before anything else draws
   * random numbers (it reads the default generator when called).
   */
  onEpoch?: (e: EpochResult, state: () => TrainingState) => void | Promise<void>;
  /** Continue the run this state was taken from (see `fit`). */
  resumeFrom?: TrainingState;
  /** When a run counts as diverged (see `DivergenceOptions`); `false` turns the checks off. */
  divergence?: Partial<DivergenceOptions> | false;
}

/**
 * What `fit` treats as divergence. A step whose loss or gradient is not finite is skipped (the
 * weights stay as they were); `maxBadSteps` such steps in a row stop the run. A finite blow-up stops
 * it too: the epoch's running loss above `lossFactor` times the lowest running loss seen, or times
 * the running loss after the first `warmupSteps` steps if that is higher, or a weight whose magnitude
 * passes `maxWeight`. A stopped run throws
 * `DivergenceError` before its epoch ends, so a diverged model is never handed to `onEpoch` (and so
 * never saved by a checkpoint writer there).
 */
export interface DivergenceOptions {
  maxBadSteps: number;
  lossFactor: number;
  warmupSteps: number;
  maxWeight: number;
}

export const DIVERGENCE_DEFAULTS: DivergenceOptions = { maxBadSteps: 3, lossFactor: 100, warmupSteps: 10, maxWeight: 1e6 };

/** A training run that diverged; the message says how, at which epoch and batch, and what to try. */
export class DivergenceError extends Error {
  constructor(message: string, readonly epoch: number, readonly batch: number) {
    super(message);
    this.name = "DivergenceError";
  }
}

/** The largest weight magnitude (NaN if any weight is NaN). */
function maxAbsWeight(params: readonly Tensor[]): number {
  let m = 0;
  for (const p of params) {
    const d = p.data;
    for (let i = 0; i < d.length; i++) {
      const v = Math.abs(d[i]!);
      if (!(v <= m)) m = v;
    }
  }
  return m;
}

function gradsFinite(params: readonly Tensor[]): boolean {
  for (const p of params) {
    const g = p.grad?.data;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i]!)) return false;
  }
  return true;
}

export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  /** Running mean loss over the epoch so far. */
  loss: number;
  /** Running accuracy (classification) over the epoch so far. */
  accuracy: number | null;
  examples: number;
  elapsedMs: number;
}

export interface Evaluation {
  loss: number;
  /** Classification only. */
  accuracy: number | null;
  /** Predicted class per example (classification) or predicted values (regression). */
  predictions: number[] | number[][];
  /** Class probabilities per example (classification only, unless `evaluate` was asked to leave them out). */
  probabilities: number[][] | null;
}

export interface EvaluateOptions {
  task: Task;
  batchSize?: number;
  maxLen?: number;
  /** Keep each example's class probabilities (default true); `fit`'s validation leaves them out. */
  probabilities?: boolean;
  /** Called after each batch with the batches done and their number. */
  onBatch?: (batch: number, batches: number) => void;
}

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number | null;
  val: Evaluation | null;
  seconds: number;
  /** The learning rate at the epoch's last batch. */
  lr?: number;
  /** True when this epoch is the best so far by validation accuracy (classification) or loss. */
  best: boolean;
}

export interface FitResult {
  /** Every epoch of the run, resumed ones included (those without validation predictions). */
  history: EpochResult[];
  bestEpoch: number;
  stopped: boolean;
  /** The run where it ended or stopped (mid-epoch after an abort), for `resumeFrom`. */
  state: TrainingState;
}

export function makeOptimizer(name: OptimizerName, params: Tensor[], lr?: number, weightDecay = 0): optim.Optimizer {
  switch (name) {
    case "adam": return new optim.Adam(params, { lr: lr ?? 1e-3, weightDecay });
    case "adamw": return new optim.AdamW(params, { lr: lr ?? 1e-3, weightDecay: weightDecay || 0.01 });
    case "sgd": return new optim.SGD(params, { lr: lr ?? 0.1, momentum: 0.9, weightDecay });
    case "rmsprop": return new optim.RMSprop(params, { lr: lr ?? 1e-2, weightDecay });
    default: throw new Error(`unknown optimizer "${String(name)}"; choose adam, adamw, sgd or rmsprop`);
  }
}

const firstLr = (opt: optim.Optimizer): number => (opt.paramGroups[0] as unknown as { lr: number }).lr;

/** The scheduler `name` over `opt` (null for "none"), with `fit`'s options and `batches` per epoch. */
export function makeScheduler(name: SchedulerName, opt: optim.Optimizer, o: FitOptions, batches: number): optim.LRScheduler | optim.ReduceLROnPlateau | null {
  switch (name) {
    case "none": return null;
    case "step": return new optim.StepLR(opt, o.stepSize ?? 1, o.gamma ?? 0.1);
    case "cosine": return new optim.CosineAnnealingLR(opt, o.epochs);
    case "plateau": return new optim.ReduceLROnPlateau(opt, { factor: o.gamma ?? 0.1, patience: o.patience ?? 10 });
    case "onecycle": return new optim.OneCycleLR(opt, firstLr(opt), { totalSteps: o.epochs * batches });
    default: throw new Error(`unknown scheduler "${String(name)}"; choose none, step, cosine, plateau or onecycle`);
  }
}

/** Pads the examples `idx` of `data` into one batch. */
export function makeBatch(data: EncodedDataset, idx: readonly number[], task: Task, maxLen?: number): { input: Tensor; lengths: number[]; target: Tensor } {
  const seqs = idx.map((i) => data.ids.at(i)!);
  const longest = Math.max(1, ...seqs.map((s) => s.length));
  const padded = padSequences(seqs, { maxLen: maxLen ? Math.min(maxLen, longest) : longest });
  const input = padded.input;
  // A text with no tokens reads one padding token: a packed sequence needs every length >= 1.
  const lengths = padded.lengths.map((l) => Math.max(1, l));
  const target = task === "classification"
    ? tensor(idx.map((i) => data.targets[i] as number), { dtype: "int32" })
    : tensor(idx.map((i) => {
      const t = data.targets[i]!;
      return Array.isArray(t) ? t : [t];
    }));
  return { input, lengths, target };
}

function lossOf(task: Task, out: Tensor, target: Tensor): Tensor {
  return task === "classification" ? nn.functional.crossEntropy(out, target) : nn.functional.mseLoss(out, target);
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Runs `model` over `data` without gradients: mean loss, accuracy, predictions and probabilities. */
export function evaluate(model: SequenceModel, data: EncodedDataset, options: EvaluateOptions): Evaluation {
  const { task, batchSize = 256 } = options;
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  const n = data.ids.length;
  const batches = Math.ceil(n / batchSize);
  const predictions: (number | number[])[] = new Array(n);
  const probabilities: number[][] | null = task === "classification" && options.probabilities !== false ? new Array(n) : null;
  noGrad(() => {
    for (let start = 0; start < n; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
      const { input, lengths, target } = makeBatch(data, idx, task, options.maxLen);
      const out = model.forward(input, lengths);
      lossSum += lossOf(task, out, target).item() * idx.length;
      if (task === "classification") {
        const probs = probabilities ? out.softmax(1).tolist() as number[][] : null;
        const pred = out.argmax(1).data;
        idx.forEach((i, j) => {
          predictions[i] = pred[j]!;
          if (probs) probabilities![i] = probs[j]!;
          if (pred[j] === target.data[j]) correct++;
        });
      } else {
        const rows = out.tolist() as number[][];
        idx.forEach((i, j) => (predictions[i] = rows[j]!));
      }
      options.onBatch?.(start / batchSize + 1, batches);
    }
  });
  model.train(wasTraining);
  return {
    loss: n ? lossSum / n : NaN,
    accuracy: task === "classification" ? (n ? correct / n : NaN) : null,
    predictions: predictions as number[] | number[][],
    probabilities,
  };
}

/** A finished epoch as the training state records it. */
const recordOf = (e: EpochResult): EpochRecord => ({
  epoch: e.epoch, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, valLoss: e.val?.loss ?? null, valAccuracy: e.val?.accuracy ?? null, lr: e.lr, best: e.best,
});

/** A record from a training state as an `EpochResult` (without predictions, which the state does not keep). */
const resultOf = (r: EpochRecord): EpochResult => ({
  epoch: r.epoch, trainLoss: r.trainLoss, trainAccuracy: r.trainAccuracy, seconds: 0, lr: r.lr, best: r.best,
  val: r.valLoss === null ? null : { loss: r.valLoss, accuracy: r.valAccuracy, predictions: [], probabilities: null },
});

/**
 * Trains `model` on `train` for `epochs`, validating on `val` after each epoch. Deterministic for a
 * given seed. Stops early, between batches, when `signal` aborts. With `resumeFrom` (a
 * `TrainingState` from `FitResult.state` or `onEpoch`'s second argument) it continues that run
 * where it stopped, ending with the weights an uninterrupted run would have, bit for bit.
 */
export async function fit(model: SequenceModel, train: EncodedDataset, val: EncodedDataset | null, options: FitOptions): Promise<FitResult> {
  const { task, epochs, batchSize, seed = 0 } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
  if (train.ids.length === 0) throw new Error("fit: the training set is empty");
  if (options.clipNorm != null && !(options.clipNorm > 0)) throw new Error(`fit: clipNorm must be positive, got ${options.clipNorm}`);
  if (options.clipValue != null && !(options.clipValue > 0)) throw new Error(`fit: clipValue must be positive, got ${options.clipValue}`);
  manualSeed(seed);
  const params = model.parameters();
  const opt = makeOptimizer(options.optimizer ?? "adam", params, options.lr, options.weightDecay);
  const loaderRng = new Generator(seed);
  const loader = new BucketLoader(Array.from({ length: train.ids.length }, (_, i) => i), { batchSize, lengthOf: (i) => train.ids.at(i)!.length, generator: loaderRng });
  const schedule = options.scheduler ?? "none";
  const scheduler = makeScheduler(schedule, opt, options, loader.length);
  const div = options.divergence === false ? null : { ...DIVERGENCE_DEFAULTS, ...options.divergence };
  const hint = "try a lower learning rate, or clipping (clipNorm)";
  const c: FitCounters = { lossSum: 0, correct: 0, seen: 0, lastLr: NaN, badSteps: 0, steps: 0, lowestRunning: Infinity, startLoss: 0, bestEpoch: 0, bestScore: -Infinity, bestLoss: Infinity };
  let history: EpochResult[] = [];
  let records: EpochRecord[] = [];
  let firstEpoch = 1;
  let skip = 0;
  const from = options.resumeFrom;
  if (from) {
    checkTrainingState(from);
    if (from.epoch > epochs) throw new Error(`fit: the run to resume is at epoch ${from.epoch}, past epochs = ${epochs}`);
    if (from.batch >= loader.length) throw new Error(`fit: the run to resume stopped after batch ${from.batch} of an epoch, but an epoch here has ${loader.length} batches (same data and batch size?)`);
    model.loadStateDict(from.model);
    opt.loadStateDict(from.optimizer);
    if ((scheduler === null) !== (from.scheduler === null)) throw new Error(`fit: the run to resume ${from.scheduler ? "had" : "had no"} learning-rate scheduler, but scheduler is "${schedule}"`);
    if (scheduler && from.scheduler) scheduler.loadStateDict(from.scheduler);
    setRngState(from.rng);
    loaderRng.setState(from.loaderRng);
    Object.assign(c, from.counters);
    records = from.history.map((r) => ({ ...r }));
    history = records.map(resultOf);
    firstEpoch = from.epoch + 1;
    skip = from.batch;
  }
  let epochRng = loaderRng.getState();
  let b = 0;
  /** The run as it stands, for `resumeFrom`. */
  const state = (): TrainingState => ({
    format: TRAINING_STATE_FORMAT, version: TRAINING_STATE_VERSION, epoch: history.length, batch: b,
    model: Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()])), optimizer: opt.stateDict(), scheduler: scheduler ? scheduler.stateDict() : null,
    rng: getRngState(), loaderRng: epochRng, counters: { ...c }, history: records.map((r) => ({ ...r })),
  });
  const stopped = (): FitResult => ({ history, bestEpoch: c.bestEpoch, stopped: true, state: state() });
  for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
    model.train();
    const t0 = performance.now();
    epochRng = loaderRng.getState();
    b = 0;
    for (const idx of loader) {
      if (b < skip) {
        b++;
        continue;
      }
      if (options.signal?.aborted) return stopped();
      const { input, lengths, target } = makeBatch(train, idx, task, options.maxLen);
      const out = model.forward(input, lengths);
      const loss = lossOf(task, out, target);
      const l = loss.item();
      if (!div && !Number.isFinite(l)) throw new DivergenceError(`fit: the loss became ${l} at epoch ${epoch}, batch ${b + 1}; ${hint}`, epoch, b + 1);
      // Zeros in place: every parameter of a text model gets a gradient each step, and the kept
      // buffers take it in place (the embedding's dense gradient alone is vocabulary x dim floats).
      opt.zeroGrad(false);
      if (Number.isFinite(l)) loss.backward();
      if (div && !(Number.isFinite(l) && gradsFinite(params))) {
        // Skip the step: the weights stay as they were.
        c.badSteps++;
        if (c.badSteps >= div.maxBadSteps) {
          throw new DivergenceError(`fit: diverged at epoch ${epoch}, batch ${b + 1}: ${c.badSteps} steps in a row had a non-finite loss or gradient (loss ${l}); ${hint}`, epoch, b + 1);
        }
        b++;
        continue;
      }
      c.badSteps = 0;
      if (options.clipValue != null) nn.utils.clipGradValue_(params, options.clipValue);
      if (options.clipNorm != null) nn.utils.clipGradNorm_(params, options.clipNorm);
      opt.step();
      c.steps++;
      c.lastLr = firstLr(opt);
      if (schedule === "onecycle") (scheduler as optim.OneCycleLR).step();
      c.lossSum += l * idx.length;
      c.seen += idx.length;
      if (task === "classification") {
        const pred = out.argmax(1).data;
        for (let j = 0; j < idx.length; j++) if (pred[j] === target.data[j]) c.correct++;
      }
      b++;
      if (div) {
        const running = c.lossSum / c.seen;
        const reference = Math.max(c.lowestRunning, c.startLoss);
        // The reference is the lowest running loss, but never below the loss level the run started
        // at: a model that fits its data to ~0 and then has a rough epoch has not diverged.
        if (c.steps > div.warmupSteps && running > div.lossFactor * reference) {
          throw new DivergenceError(`fit: diverged at epoch ${epoch}, batch ${b}: the running loss ${running.toPrecision(4)} is over ${div.lossFactor} times its reference, ${reference.toPrecision(4)}; ${hint}`, epoch, b);
        }
        if (c.steps === div.warmupSteps && epoch === 1) c.startLoss = running;
        if (c.steps > div.warmupSteps || epoch > 1) c.lowestRunning = Math.min(c.lowestRunning, running);
        const w = maxAbsWeight(params);
        if (!(w <= div.maxWeight)) {
          throw new DivergenceError(`fit: diverged at epoch ${epoch}, batch ${b}: a weight reached ${w.toPrecision(4)}, past maxWeight ${div.maxWeight}; ${hint}`, epoch, b);
        }
      }
      options.onBatch?.({ epoch, batch: b, batches: loader.length, loss: c.lossSum / c.seen, accuracy: task === "classification" ? c.correct / c.seen : null, examples: c.seen, elapsedMs: performance.now() - t0 });
      if (b % 8 === 0) await tick(); // lets a Ctrl-C handler run
    }
    skip = 0;
    const seen = c.seen;
    // Runs shorter than the warm-up take the first epoch's loss as the level they started at.
    if (epoch === 1 && c.startLoss === 0 && seen > 0) c.startLoss = c.lossSum / seen;
    if (seen === 0) throw new DivergenceError(`fit: diverged in epoch ${epoch}: no step had a finite loss and gradient; ${hint}`, epoch, b);
    const valResult = val && val.ids.length ? evaluate(model, val, {
      task, maxLen: options.maxLen, probabilities: false, onBatch: options.onValBatch && ((batch, batches) => options.onValBatch!({ epoch, batch, batches })),
    }) : null;
    // Best by validation accuracy, ties broken by validation loss (regression: loss alone).
    const lossNow = valResult ? valResult.loss : c.lossSum / seen;
    const score = task === "classification" && valResult ? valResult.accuracy! : -lossNow;
    const best = score > c.bestScore || (score === c.bestScore && lossNow < c.bestLoss);
    if (scheduler instanceof optim.ReduceLROnPlateau) scheduler.step(lossNow);
    else if (scheduler && schedule !== "onecycle") scheduler.step();
    if (best) {
      c.bestScore = score;
      c.bestLoss = lossNow;
      c.bestEpoch = epoch;
    }
    const result: EpochResult = {
      epoch,
      trainLoss: c.lossSum / seen,
      trainAccuracy: task === "classification" ? c.correct / seen : null,
      val: valResult,
      seconds: (performance.now() - t0) / 1000,
      lr: c.lastLr,
      best,
    };
    Object.assign(c, { lossSum: 0, correct: 0, seen: 0, lastLr: NaN });
    history.push(result);
    records.push(recordOf(result));
    epochRng = loaderRng.getState();
    b = 0;
    await options.onEpoch?.(result, state);
  }
  return { history, bestEpoch: c.bestEpoch, stopped: false, state: state() };
}

/**
 * A training run's full state, for exact resume: what `fit` needs to continue a run so that it ends
 * with the same weights, bit for bit, as a run that never stopped (same backend and thread count).
 * Plain data plus tensors; `packTrainingState` splits it into tensors (for a safetensors file) and
 * JSON. Browser-safe.
 */
import type { OptimizerStateDict } from "../optim/optimizer.js";
import type { SchedulerStateDict } from "../optim/lr-scheduler.js";
import type { GeneratorState } from "../random.js";
import { Tensor } from "../tensor.js";

export const TRAINING_STATE_FORMAT = "seqtorch.training-state";
export const TRAINING_STATE_VERSION = 1;

/** One finished epoch as the state keeps it: its scores, without per-example predictions. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  lr?: number;
  best: boolean;
}

/** The counters `fit` carries from batch to batch and epoch to epoch. */
export interface FitCounters {
  /** Sums over the batches of the epoch in progress (zero at an epoch boundary). */
  lossSum: number;
  correct: number;
  seen: number;
  lastLr: number;
  /** Divergence tracking: non-finite steps in a row, steps taken, loss references. */
  badSteps: number;
  steps: number;
  lowestRunning: number;
  startLoss: number;
  /** The best epoch so far and its scores (`fit`'s measure). */
  bestEpoch: number;
  bestScore: number;
  bestLoss: number;
}

/**
 * Where a run stands: `epoch` epochs done and `batch` batches of the next one. The loader's
 * generator is kept as it was when that next epoch drew its order, so the order is drawn again and
 * the first `batch` batches are skipped.
 */
export interface TrainingState {
  format: typeof TRAINING_STATE_FORMAT;
  version: number;
  epoch: number;
  batch: number;
  /** The weights now (not the best ones), by state-dict key. */
  model: Record<string, Tensor>;
  /** PyTorch's layout: `{ state, param_groups }`. */
  optimizer: OptimizerStateDict;
  scheduler: SchedulerStateDict | null;
  /** The default generator (dropout) and the loader's. */
  rng: GeneratorState;
  loaderRng: GeneratorState;
  counters: FitCounters;
  history: EpochRecord[];
}

const TENSOR = "$tensor";
const NUMBER = "$number";

/**
 * Splits a state into tensors keyed `model.<key>` and `optimizer.<path>` (for a safetensors file)
 * and a JSON text holding the rest, with each tensor's place marked by its key. Non-finite numbers
 * (an initial best score of -Infinity) survive the JSON as `{"$number": "-Infinity"}`.
 */
export function packTrainingState(state: TrainingState): { tensors: Record<string, Tensor>; json: string } {
  const tensors: Record<string, Tensor> = {};
  const pack = (v: unknown, path: string): unknown => {
    if (v instanceof Tensor) {
      tensors[path] = v;
      return { [TENSOR]: path };
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { [NUMBER]: String(v) };
    if (Array.isArray(v)) return v.map((x, i) => pack(x, `${path}.${i}`));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pack(x, path ? `${path}.${k}` : k)]));
    return v;
  };
  const json = JSON.stringify(pack(state, ""), null, 1);
  return { tensors, json };
}

/** The state `packTrainingState` split, from its JSON text and tensors; errors name what is wrong. */
export function unpackTrainingState(json: string, tensors: Record<string, Tensor>): TrainingState {
  const unpack = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(unpack);
    if (!v || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if (typeof o[TENSOR] === "string") {
      const t = tensors[o[TENSOR]];
      if (!t) throw new Error(`training state: the tensor "${o[TENSOR]}" is missing from the state's weights file`);
      return t;
    }
    if (typeof o[NUMBER] === "string") return Number(o[NUMBER]);
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of Object.entries(o)) out[k] = unpack(x);
    return out;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`training state: invalid JSON (${(e as Error).message})`);
  }
  const state = unpack(parsed) as TrainingState;
  checkTrainingState(state);
  return state;
}

/** Throws a one-line error unless `s` has the fields of a `TrainingState` this version reads. */
export function checkTrainingState(s: TrainingState): void {
  const fail = (what: string): never => {
    throw new Error(`training state: ${what}`);
  };
  if (!s || typeof s !== "object" || s.format !== TRAINING_STATE_FORMAT) fail(`not a training state (format ${JSON.stringify(s?.format)})`);
  if (s.version !== TRAINING_STATE_VERSION) fail(`version ${JSON.stringify(s.version)} is not supported (this is ${TRAINING_STATE_VERSION})`);
  for (const k of ["epoch", "batch"] as const) if (!Number.isInteger(s[k]) || s[k] < 0) fail(`${k} must be a non-negative integer, got ${JSON.stringify(s[k])}`);
  if (!s.model || typeof s.model !== "object" || !Object.values(s.model).every((t) => t instanceof Tensor)) fail("model must map keys to tensors");
  if (!s.optimizer || !Array.isArray(s.optimizer.param_groups) || typeof s.optimizer.state !== "object") fail("optimizer must be { state, param_groups }");
  if (!s.counters || typeof s.counters !== "object") fail("counters are missing");
  for (const [k, v] of Object.entries(s.counters)) if (typeof v !== "number") fail(`counters.${k} must be a number, got ${JSON.stringify(v)}`);
  if (!Array.isArray(s.history)) fail("history must be a list");
  if (s.history.length !== s.epoch) fail(`history holds ${s.history.length} epochs, but the state is at epoch ${s.epoch}`);
}

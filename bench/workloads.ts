/**
 * The benchmark workloads: plain data shared by the orchestrator (bench/run.ts), the seqtorch child
 * (bench/child.ts) and, passed as JSON, the PyTorch side (bench/torch_workloads.py), so both sides
 * build the same models from one definition. Nothing here imports src/, so the orchestrator keeps
 * running (and reports failed children) even when the library does not load.
 */

/** What one measured step does. */
export type Phase =
  /** the model's forward pass under noGrad / torch.no_grad() */
  | "forward"
  /** zero grads, forward, loss = (output * fixed randn).sum(), backward (the input requires grad too) */
  | "forwardBackward"
  /** Adam training step: zeroGrad, forward, CrossEntropyLoss (cellLoop: MSELoss), backward, step */
  | "trainStep";

export const PHASE_LABEL: Record<Phase, string> = { forward: "fwd", forwardBackward: "fwd+bwd", trainStep: "train" };

/** A recurrent layer, as `nn.LSTM` / `nn.GRU` (and `torch.nn.LSTM` / `torch.nn.GRU`) take it. */
export interface RecurrentSpec {
  mode: "LSTM" | "GRU";
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
}

export type ModelSpec =
  /**
   * The recurrent layer alone on a randn input of shape [T, N, I] ([N, T, I] when batchFirst);
   * with `packedShort`, packed (pack_padded_sequence): the first sequence T long, the others that long.
   */
  | { kind: "rnn"; rnn: RecurrentSpec; packedShort?: number }
  /**
   * PyTorch's time_sequence_prediction example: LSTMCell(1, H) -> LSTMCell(H, H) -> Linear(H, 1),
   * stepped in a loop over a [N, T] signal (rnn describes the cells: mode LSTM, inputSize 1, hiddenSize H).
   */
  | { kind: "cellLoop"; rnn: RecurrentSpec }
  /**
   * Embedding(vocab, rnn.inputSize) -> rnn -> Linear(hidden * dirs, classes) on the last time step
   * (`output.select(1, -1)`, so rnn.batchFirst must be true), on int32 token ids [N, T].
   */
  | { kind: "classifier"; vocab: number; rnn: RecurrentSpec; classes: number };

export interface Workload {
  id: string;
  title: string;
  model: ModelSpec;
  /** Sequence length T and batch size N. */
  seqLen: number;
  batch: number;
  phases: Phase[];
}

const rnn = (mode: RecurrentSpec["mode"], inputSize: number, hiddenSize: number, o: Partial<RecurrentSpec> = {}): RecurrentSpec =>
  ({ mode, inputSize, hiddenSize, numLayers: 1, bidirectional: false, batchFirst: false, ...o });

export const WORKLOADS: readonly Workload[] = [
  {
    id: "W1", title: "LSTM(10, 20, 2), input [5, 3, 10]",
    model: { kind: "rnn", rnn: rnn("LSTM", 10, 20, { numLayers: 2 }) }, seqLen: 5, batch: 3, phases: ["forward"],
  },
  {
    id: "W2", title: "Embedding(20000, 128) -> LSTM(128, 256, batchFirst) -> Linear(256, 2), ids [32, 64]",
    model: { kind: "classifier", vocab: 20000, rnn: rnn("LSTM", 128, 256, { batchFirst: true }), classes: 2 },
    seqLen: 64, batch: 32, phases: ["forward", "trainStep"],
  },
  {
    id: "W3", title: "Embedding(20000, 128) -> GRU(128, 256, batchFirst) -> Linear(256, 2), ids [32, 64]",
    model: { kind: "classifier", vocab: 20000, rnn: rnn("GRU", 128, 256, { batchFirst: true }), classes: 2 },
    seqLen: 64, batch: 32, phases: ["forward", "trainStep"],
  },
  {
    id: "W4", title: "LSTM(512, 1024), input [50, 64, 512]",
    model: { kind: "rnn", rnn: rnn("LSTM", 512, 1024) }, seqLen: 50, batch: 64, phases: ["forward", "forwardBackward"],
  },
  {
    id: "W5", title: "LSTM(128, 256, numLayers 2, bidirectional), input [64, 32, 128]",
    model: { kind: "rnn", rnn: rnn("LSTM", 128, 256, { numLayers: 2, bidirectional: true }) }, seqLen: 64, batch: 32, phases: ["forward", "forwardBackward"],
  },
  {
    id: "W6", title: "GRU(128, 256), input [50, 256, 128] padded (W6p: packed, one sequence of 50 steps and 255 of 5)",
    model: { kind: "rnn", rnn: rnn("GRU", 128, 256) }, seqLen: 50, batch: 256, phases: ["forward", "forwardBackward"],
  },
  {
    id: "W6p", title: "GRU(128, 256) on a packed batch: one sequence of 50 steps and 255 of 5",
    model: { kind: "rnn", rnn: rnn("GRU", 128, 256), packedShort: 5 }, seqLen: 50, batch: 256, phases: ["forward", "forwardBackward"],
  },
  {
    id: "W7", title: "time_sequence_prediction: LSTMCell(1, 51) -> LSTMCell(51, 51) -> Linear(51, 1) stepped over [97, 999]",
    model: { kind: "cellLoop", rnn: rnn("LSTM", 1, 51, { numLayers: 2 }) }, seqLen: 999, batch: 97, phases: ["trainStep"],
  },
  {
    id: "L0", title: "LSTM(128, 256), input [64, 32, 128] (the former `npm run bench`)",
    model: { kind: "rnn", rnn: rnn("LSTM", 128, 256) }, seqLen: 64, batch: 32, phases: ["forward", "forwardBackward"],
  },
];

/** One measurement: a workload in one phase. */
export interface Case {
  /** e.g. "W2/trainStep" */
  key: string;
  workload: Workload;
  phase: Phase;
}

export function allCases(): Case[] {
  return WORKLOADS.flatMap((w) => w.phases.map((phase) => ({ key: `${w.id}/${phase}`, workload: w, phase })));
}

export function findCase(key: string): Case {
  const c = allCases().find((x) => x.key === key);
  if (!c) throw new Error(`unknown case "${key}"; known: ${allCases().map((x) => x.key).join(", ")}`);
  return c;
}

/** Gate blocks per cell: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n). */
export function gateCount(mode: RecurrentSpec["mode"]): number {
  return mode === "LSTM" ? 4 : 3;
}

/**
 * Recurrent FLOPs of one forward pass: for each layer and direction, 2·T·N·G·H·(I_l + H), the
 * multiply-adds of the input projection (I_l·GH) and the recurrent product (H·GH) over T steps and
 * N sequences, where I_l is the input size for layer 0 and H·dirs above it. Gate nonlinearities, the
 * embedding, the head, the loss and the optimizer are not counted.
 */
export function recurrentForwardFlops(w: Workload): number {
  const r = w.model.rnn;
  const dirs = r.bidirectional ? 2 : 1;
  const g = gateCount(r.mode);
  // A packed batch computes only its real steps: T for the first sequence, packedShort for the rest.
  const steps = w.model.kind === "rnn" && w.model.packedShort !== undefined ? w.seqLen + (w.batch - 1) * w.model.packedShort : w.seqLen * w.batch;
  let total = 0;
  for (let l = 0; l < r.numLayers; l++) {
    const inputSize = l === 0 ? r.inputSize : r.hiddenSize * dirs;
    total += dirs * 2 * steps * g * r.hiddenSize * (inputSize + r.hiddenSize);
  }
  return total;
}

/** Forward FLOPs, times 3 when the step also runs backward (two products of the forward's size: dX and dW). */
export function caseFlops(c: Case): number {
  return recurrentForwardFlops(c.workload) * (c.phase === "forward" ? 1 : 3);
}

/**
 * Whether ONNX Runtime measures the case: forward steps of a bare recurrent layer on a padded input
 * or of the classifier: the models bench/torch_workloads.py exports (export_onnx). Packed batches
 * (W6p) are left out, as export_onnx covers unpacked models only.
 */
export function onnxCase(c: Case): boolean {
  const m = c.workload.model;
  return c.phase === "forward" && (m.kind === "classifier" || (m.kind === "rnn" && m.packedShort === undefined));
}

/** Backends that are single-threaded whatever setNumThreads says: measured once, at 1 thread. */
export const SINGLE_THREADED_BACKENDS: ReadonlySet<string> = new Set(["cpu"]);

/** The measurement protocol, the same for the seqtorch child and torch_workloads.py. */
export interface Protocol {
  /** Warmup steps; warmups stop early after one that alone took longer than targetSec (at least one runs). */
  warmup: number;
  /** Timed repetitions continue until together they took targetSec and at least minReps ran (at most maxReps). */
  targetSec: number;
  minReps: number;
  maxReps: number;
  /**
   * Seconds from the child's start after which no new repetition starts (a little under the
   * orchestrator's kill timeout); a measurement cut short reports `truncated` and fewer than minReps reps.
   */
  budgetSec: number;
}

export const FULL_PROTOCOL: Omit<Protocol, "budgetSec"> = { warmup: 2, targetSec: 2, minReps: 3, maxReps: 5000 };
export const QUICK_PROTOCOL: Omit<Protocol, "budgetSec"> = { warmup: 1, targetSec: 0.3, minReps: 3, maxReps: 500 };

/**
 * Arguments of one child process (bench/child.ts, bench/ort_child.ts or bench/torch_workloads.py),
 * passed as one JSON argv. "export" is for torch_workloads.py only: it writes the workload's forward
 * model as ONNX into `dir`; ort_child.ts measures the model in `modelDir`.
 */
export type ChildArgs =
  | { mode: "probe" }
  | { mode: "measure"; case: string; workload: Workload; phase: Phase; backend: string; threads: number; protocol: Protocol; modelDir?: string }
  | { mode: "export"; workload: Workload; dir: string };

export type MeasureArgs = Extract<ChildArgs, { mode: "measure" }>;

/** What a child prints as its last stdout line after a measurement. */
export interface MeasureResult {
  case: string;
  backend: string;
  threads: number;
  /** Median and fastest step time in milliseconds. */
  medianMs: number;
  minMs: number;
  reps: number;
  warmups: number;
  truncated: boolean;
  /** Resident set size right after imports and setup (model, inputs, optimizer), and the process's peak, in bytes. */
  baselineRssBytes: number;
  peakRssBytes: number;
  /** Where the peak came from: "VmHWM", "maxRSS" or "ru_maxrss". */
  peakSource: string;
}

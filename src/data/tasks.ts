/**
 * Synthetic long-range tasks for studying how far back a recurrent network can carry information
 * (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016). Seeded, browser-safe.
 */
import { defaultGenerator, type Generator } from "../random.js";
import { Tensor } from "../tensor.js";

export interface AddingBatch {
  /** `[N, T, 2]` batch-first: channel 0 uniform in [0, 1), channel 1 the two markers. */
  input: Tensor;
  /** `[N, 1]`: the sum of the two marked values. */
  target: Tensor;
}

/** Mean squared error of always predicting 1, the mean of the target: Var(U1 + U2) = 1/6. */
export const ADDING_BASELINE_MSE = 1 / 6;

/**
 * The adding problem: two channels of length T; the first holds values uniform in [0, 1), the
 * second marks one position in the first half and one in the second half. The target is the sum
 * of the two marked values. A model that ignores the input can do no better than MSE 1/6.
 */
export function addingProblem(n: number, T: number, generator: Generator = defaultGenerator): AddingBatch {
  if (!Number.isInteger(T) || T < 2) throw new Error(`addingProblem: the length must be an integer of at least 2, got ${T}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`addingProblem: the batch size must be a positive integer, got ${n}`);
  const x = new Float32Array(n * T * 2);
  const y = new Float32Array(n);
  const half = Math.floor(T / 2);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < T; t++) x[(b * T + t) * 2] = generator.random();
    const i = generator.randint(half);
    const j = half + generator.randint(T - half);
    x[(b * T + i) * 2 + 1] = 1;
    x[(b * T + j) * 2 + 1] = 1;
    y[b] = x[(b * T + i) * 2]! + x[(b * T + j) * 2]!;
  }
  return { input: new Tensor(x, [n, T, 2]), target: new Tensor(y, [n, 1]) };
}

export interface CopyBatch {
  /** int32 `[N, T + 20]`: 10 symbols, T - 1 blanks, the delimiter, 10 blanks. */
  input: Tensor;
  /** int32 `[N, T + 20]`: blanks, then the 10 symbols in the last 10 positions. */
  target: Tensor;
}

/** Token ids of the copy task: 0 blank, 1..8 symbols, 9 the delimiter. */
export const COPY_BLANK = 0;
export const COPY_DELIMITER = 9;
export const COPY_VOCAB = 10;

/**
 * Cross-entropy per step of the best memoryless strategy: blanks everywhere, a uniform guess over
 * the 8 symbols in the last 10 steps: 10·ln 8 / (T + 20).
 */
export function copyBaseline(T: number): number {
  return (10 * Math.log(8)) / (T + 20);
}

/**
 * The copy-memory task: remember 10 symbols drawn from 8 across T - 1 blank steps, then, after
 * the delimiter, emit them in order.
 */
export function copyMemory(n: number, T: number, generator: Generator = defaultGenerator): CopyBatch {
  if (!Number.isInteger(T) || T < 1) throw new Error(`copyMemory: the delay must be a positive integer, got ${T}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`copyMemory: the batch size must be a positive integer, got ${n}`);
  const L = T + 20;
  const x = new Int32Array(n * L);
  const y = new Int32Array(n * L);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < 10; k++) {
      const s = 1 + generator.randint(8);
      x[b * L + k] = s;
      y[b * L + L - 10 + k] = s;
    }
    x[b * L + 10 + T - 1] = COPY_DELIMITER;
  }
  return { input: new Tensor(x, [n, L]), target: new Tensor(y, [n, L]) };
}

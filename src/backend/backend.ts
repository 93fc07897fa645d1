/**
 * The seam between ops and kernels. Ops check shapes, allocate outputs and call these methods
 * with dimensions already validated; a backend only computes. A backend lists every primitive
 * itself (the type checker rejects one that misses any), and may add fused recurrent kernels:
 * without them, recurrent layers run composed from the primitives.
 */
import type { FusedCellKind } from "../cells/spec.js";
import type { Buf, DType, FloatBuf } from "../dtype.js";

export type { Buf, DType, FloatBuf } from "../dtype.js";
export { allocBuf, allocLike, dtypeOf } from "../dtype.js";
export type { CellKind, FusedCellKind } from "../cells/spec.js";

export type UnaryOp =
  | "neg" | "exp" | "log" | "tanh" | "sigmoid" | "relu" | "abs" | "sqrt"
  | "sign" | "sin" | "cos" | "reciprocal" | "square";

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge";

export type ReduceOp = "sum" | "max" | "min";

/**
 * One recurrent layer in one direction over a whole sequence, time-major.
 * Sizes: T steps, N batch, I input features, H hidden, P projection (0: none), Hr = P || H, G gates.
 */
export interface RecurrentForwardArgs {
  kind: FusedCellKind;
  T: number;
  N: number;
  I: number;
  H: number;
  P: number;
  x: FloatBuf; // [T, N, I] ([N, T, I] with batchFirst)
  h0: FloatBuf; // [N, Hr]
  c0: FloatBuf | null; // [N, H], LSTM only
  wIh: FloatBuf; // [G*H, I]
  wHh: FloatBuf; // [G*H, Hr]
  bIh: FloatBuf | null; // [G*H]
  bHh: FloatBuf | null; // [G*H]
  wHr: FloatBuf | null; // [P, H], LSTM with projection only
  reverse: boolean;
  /** Per batch element, the number of valid steps (packed sequences); null means all T. */
  lengths: Int32Array | null;
  /** Keep what backward needs. */
  save: boolean;
  /** x, y, dx and dy are [N, T, *] rather than [T, N, *] (false when absent). */
  batchFirst?: boolean;
  /** rnn-relu and rnn-leaky: the slope for negative inputs (0: ReLU; otherwise leaky ReLU). */
  slope?: number;
  /**
   * One step of a cell (T = 1, no lengths, the op records its inputs and outputs as saved): only hN
   * and cN are read, so y may share hN's storage, and what backward reads may be the inputs' and
   * outputs' own storage rather than copies.
   */
  cell?: boolean;
  /**
   * Buffers to write y, hN and cN into (sized as the result's), rather than fresh ones: a stack of
   * layers hands each layer its slice of one allocation. A backend may ignore this and return its
   * own buffers; the caller then copies.
   */
  out?: {
    y: FloatBuf;
    hN: FloatBuf;
    cN: FloatBuf | null;
    /**
     * y's rows are this many floats apart (y then holds at least (T·N − 1)·yStride + Hr): each
     * direction of a bidirectional stack writes its half of every output row. A backend that does
     * not write there returns its own y, contiguous.
     */
    yStride?: number;
  };
}

/** What the forward kernel keeps for backward through time. Opaque to ops. */
export interface RecurrentSaved {
  readonly kind: FusedCellKind;
  readonly [key: string]: unknown;
}

export interface RecurrentForwardResult {
  y: FloatBuf; // [T, N, Hr]; zero at steps past a sequence's length
  hN: FloatBuf; // [N, Hr]
  cN: FloatBuf | null; // [N, H]
  saved: RecurrentSaved | null;
}

export interface RecurrentBackwardArgs {
  forward: RecurrentForwardArgs;
  saved: RecurrentSaved;
  dy: FloatBuf | null; // [T, N, Hr]
  dhN: FloatBuf | null; // [N, Hr]
  dcN: FloatBuf | null; // [N, H]
  /** Keep `saved` usable for another backward (autograd's `retainGraph`); otherwise it may be freed. */
  retain?: boolean;
  /**
   * Weight gradients to add into these buffers in place rather than return (autograd's `into`: the
   * weights' `.grad`). A backend that does returns null for each one added; one that ignores this
   * returns them all.
   */
  into?: Partial<Record<"dwIh" | "dwHh" | "dbIh" | "dbHh" | "dwHr", FloatBuf>>;
}

/** The gradients; a weight's is null where the backend added it into `into` instead. */
export interface RecurrentBackwardResult {
  dx: FloatBuf;
  dh0: FloatBuf;
  dc0: FloatBuf | null;
  dwIh: FloatBuf | null;
  dwHh: FloatBuf | null;
  dbIh: FloatBuf | null;
  dbHh: FloatBuf | null;
  dwHr: FloatBuf | null;
}

/** Fused recurrent kernels: one layer and direction over a whole sequence per call, forward and backward. */
export interface RecurrentKernels {
  forward(args: RecurrentForwardArgs): RecurrentForwardResult;
  backward(args: RecurrentBackwardArgs): RecurrentBackwardResult;
}

/** One Adam or AdamW step's scalars (`stepSize` = lr / (1 - beta1^t), `bc2Sqrt` = sqrt(1 - beta2^t)). */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  stepSize: number;
  bc2Sqrt: number;
  decoupled: boolean;
  maximize: boolean;
}

export interface Backend {
  readonly name: string;
  /** The most threads this backend can use; `setNumThreads` sets the budget, a backend uses up to this many. */
  readonly maxThreads: number;
  unary(op: UnaryOp, x: Buf, out: Buf): void;
  leakyRelu(x: FloatBuf, slope: number, out: FloatBuf): void;
  /** `out = a op b`, broadcasting; `aShape`, `bShape` and `outShape` have the same rank. */
  binary(op: BinaryOp, a: Buf, aShape: readonly number[], b: Buf, bShape: readonly number[], out: Buf, outShape: readonly number[]): void;
  /**
   * `batch` products `out[i] = op(A[i]) @ op(B[i])`, each `[m, k] @ [k, n]`. A stored `[k, m]` when
   * `transA`, B stored `[n, k]` when `transB`. A batch stride of 0 reuses one matrix for every product.
   */
  matmul(a: FloatBuf, b: FloatBuf, out: FloatBuf, m: number, k: number, n: number, transA: boolean, transB: boolean, batch: number, aStride: number, bStride: number): void;
  /** Reduces `x` viewed as `[outer, size, inner]` over the middle axis into `out` `[outer, inner]`. */
  reduce(op: ReduceOp, x: Buf, outer: number, size: number, inner: number, out: Buf): void;
  /** Index of the max (or min) over the middle axis of `[outer, size, inner]`, first one on ties. */
  argReduce(op: "argmax" | "argmin", x: Buf, outer: number, size: number, inner: number, out: Int32Array): void;
  /** `out` = `x` with its axes permuted: `out.shape[i] = shape[perm[i]]`. */
  permute(x: Buf, shape: readonly number[], perm: readonly number[], out: Buf): void;
  /**
   * Copies between `src` `[outer, srcSize, inner]` and `dst` `[outer, dstSize, inner]`: the middle-axis
   * block `[srcStart, srcStart+len)` of src goes to `[dstStart, dstStart+len)` of dst (added when `accumulate`).
   */
  copyAxis(src: Buf, srcSize: number, srcStart: number, dst: Buf, dstSize: number, dstStart: number, outer: number, len: number, inner: number, accumulate: boolean): void;
  /** Rows `width` long: row i of `out` is row `index[i]` of `x` (an embedding's lookup, index_select over rows). */
  takeRows(x: Buf, width: number, index: Int32Array, out: Buf): void;
  /** The adjoint of takeRows: row i of `src` is added into row `index[i]` of `out`, except where index[i] is `skip`. */
  addRows(src: FloatBuf, width: number, index: Int32Array, out: FloatBuf, skip: number): void;
  /** For `x` `[outer, size, inner]` and `index` `[outer, k, inner]`: `out[o, j, i] = x[o, index[o, j, i], i]`. */
  gather(x: Buf, outer: number, size: number, inner: number, index: Int32Array, k: number, out: Buf): void;
  /** The adjoint of gather: `out[o, index[o, j, i], i] += src[o, j, i]`. */
  scatterAdd(src: FloatBuf, outer: number, size: number, inner: number, index: Int32Array, k: number, out: FloatBuf): void;
  /** Converts between dtypes (float to int truncates toward zero, like PyTorch). */
  cast(x: Buf, out: Buf): void;
  /**
   * Optional: one Adam/AdamW step over a parameter `x` with gradient `g`, moments `m`, `v` (and
   * `vMax` with amsgrad), updated in place. Returns false to leave the update to the optimizer's
   * own loop (e.g. for float64 parameters).
   */
  adam?(x: FloatBuf, g: FloatBuf, m: FloatBuf, v: FloatBuf, vMax: FloatBuf | null, step: AdamStep): boolean;
  /**
   * Optional fused recurrent layers for the kinds with a kernel id in the cell table. A backend
   * without them runs every recurrent layer composed from the primitives above (`cells/layer.ts`).
   */
  readonly recurrent?: RecurrentKernels;
}

/** What a fast backend says when a backward reaches saved activations that an earlier backward freed. */
export const SAVED_FREED = "Trying to backward through the graph a second time: a recurrent layer's saved activations were freed after the first backward (pass retainGraph: true to the first backward, or run the forward pass again)";

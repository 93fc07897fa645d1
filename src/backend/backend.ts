/**
 * The seam between ops and kernels. Ops check shapes, allocate outputs and call these methods
 * with dimensions already validated; a backend only computes. A faster backend implements the
 * same interface and the type checker rejects it if anything is missing.
 */

export type DType = "float32" | "float64" | "int32";
export type FloatBuf = Float32Array | Float64Array;
export type Buf = FloatBuf | Int32Array;

export type UnaryOp =
  | "neg" | "exp" | "log" | "tanh" | "sigmoid" | "relu" | "abs" | "sqrt"
  | "sign" | "sin" | "cos" | "reciprocal" | "square";

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge";

export type ReduceOp = "sum" | "max" | "min";

/** Which recurrence a fused layer kernel runs. */
export type CellKind = "lstm" | "gru" | "rnn_tanh" | "rnn_relu";

/** Number of gate blocks stacked in the weight matrices: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), RNN 1. */
export function gateCount(kind: CellKind): number {
  return kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
}

/**
 * One recurrent layer in one direction over a whole sequence, time-major.
 * Sizes: T steps, N batch, I input features, H hidden, P projection (0: none), Hr = P || H, G gates.
 */
export interface RecurrentForwardArgs {
  kind: CellKind;
  T: number;
  N: number;
  I: number;
  H: number;
  P: number;
  x: FloatBuf; // [T, N, I]
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
  /** rnn_relu only: the slope for negative inputs (0: ReLU; otherwise leaky ReLU). */
  slope?: number;
}

/** What the forward kernel keeps for backward through time. Opaque to ops. */
export interface RecurrentSaved {
  readonly kind: CellKind;
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
  /** Also return the gradient with respect to each step's output state (diagnostics). */
  wantHiddenGrad?: boolean;
}

export interface RecurrentBackwardResult {
  dx: FloatBuf;
  dh0: FloatBuf;
  dc0: FloatBuf | null;
  dwIh: FloatBuf;
  dwHh: FloatBuf;
  dbIh: FloatBuf | null;
  dbHh: FloatBuf | null;
  dwHr: FloatBuf | null;
  /** With `wantHiddenGrad`: d loss / d h_t for every step, [T, N, Hr] (zero past a sequence's length). */
  dHidden?: FloatBuf;
}

export interface Backend {
  readonly name: string;
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
  /** For `x` `[outer, size, inner]` and `index` `[outer, k, inner]`: `out[o, j, i] = x[o, index[o, j, i], i]`. */
  gather(x: Buf, outer: number, size: number, inner: number, index: Int32Array, k: number, out: Buf): void;
  /** The adjoint of gather: `out[o, index[o, j, i], i] += src[o, j, i]`. */
  scatterAdd(src: FloatBuf, outer: number, size: number, inner: number, index: Int32Array, k: number, out: FloatBuf): void;
  /** Converts between dtypes (float to int truncates toward zero, like PyTorch). */
  cast(x: Buf, out: Buf): void;
  recurrentForward(args: RecurrentForwardArgs): RecurrentForwardResult;
  recurrentBackward(args: RecurrentBackwardArgs): RecurrentBackwardResult;
}

let active: Backend | null = null;
const registry = new Map<string, Backend>();

/** Makes a backend available to `setBackend` under its name. */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
  if (active === null) active = backend;
}

/** Chooses the backend every op runs on from now on. */
export function setBackend(name: string): Backend {
  const be = registry.get(name);
  if (!be) throw new Error(`setBackend: unknown backend "${name}". Registered: ${[...registry.keys()].join(", ")}`);
  active = be;
  return be;
}

export function getBackend(): Backend {
  if (active === null) throw new Error("getBackend: no backend registered");
  return active;
}

export function listBackends(): string[] {
  return [...registry.keys()];
}

export function allocBuf(dtype: DType, size: number): Buf {
  switch (dtype) {
    case "float32": return new Float32Array(size);
    case "float64": return new Float64Array(size);
    case "int32": return new Int32Array(size);
  }
}

/** A fresh zeroed buffer of the same kind as `like`. */
export function allocLike<B extends Buf>(like: B, size: number): B {
  return new (like.constructor as new (n: number) => B)(size);
}

export function dtypeOf(buf: Buf): DType {
  return buf instanceof Float32Array ? "float32" : buf instanceof Float64Array ? "float64" : "int32";
}

let numThreads = 1;

/**
 * How many threads a backend may use for large work (default 1). The reference backend is always
 * single-threaded; a backend that cannot start threads here falls back to one.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  numThreads = n;
}

export function getNumThreads(): number {
  return numThreads;
}

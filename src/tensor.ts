/**
 * The Tensor: a contiguous, row-major typed array with a shape, a dtype and an autograd record.
 * Storage is an ordinary JavaScript object, reclaimed by the garbage collector: there is nothing to
 * dispose. Every method forwards to an op in `ops/`.
 */
import { isGradEnabled, runBackward, type Node, type VersionCounter } from "./autograd.js";
import { getBackend } from "./backend/index.js";
import { allocBuf, checkIndexRange, dtypeOf, resolveDType, type Buf, type DType, type DTypeName } from "./dtype.js";
import { defaultGenerator, type Generator } from "./random.js";
import { fmtShape, numel, shapesEqual, ShapeError, type Shape } from "./shape.js";
import * as E from "./ops/elementwise.js";
import * as R from "./ops/reduce.js";
import * as M from "./ops/movement.js";
import { matmul } from "./ops/matmul.js";
import { gather, indexSelect } from "./ops/indexing.js";
import { logSoftmax, softmax } from "./ops/composite.js";
import * as I from "./ops/inplace.js";
import * as S from "./ops/sort.js";
import { formatTensor } from "./format.js";
import { at, type IndexEntry } from "./ops/index-helper.js";
import { checkOptions, describeValue, type OptionKeys } from "./options.js";

export type { DType, DTypeName } from "./dtype.js";
export type NestedArray = number | boolean | NestedArray[];
export type TensorLike = Tensor | number;

export interface TensorOptions {
  /** A dtype or one of PyTorch's names for it (`"long"`, `"int64"`, `"double"`, ...; see `DTypeName`). */
  dtype?: DTypeName;
  requiresGrad?: boolean;
}

export class Tensor {
  /** Row-major storage; shared with tensors made by `reshape`/`view`. */
  readonly data: Buf;
  readonly shape: Shape;
  readonly dtype: DType;
  requiresGrad: boolean;
  /** The gradient accumulated by `backward()` (leaves only), or null. */
  grad: Tensor | null = null;
  /** @internal the node that produced this tensor, null for leaves */
  _node: Node | null = null;
  /** @internal which output of `_node` this is */
  _outputIndex = 0;
  /** @internal bumped by every in-place op; one box per storage, shared by `reshape`/`view`/`detach` results */
  _version: VersionCounter = { value: 0 };
  /** @internal the version of the storage that `_node` describes */
  _historyVersion = 0;
  /** @internal for a `reshape`/`view` result, the tensor whose storage it views */
  _base: Tensor | null = null;

  constructor(data: Buf, shape: Shape, requiresGrad = false) {
    if (data.length !== numel(shape)) {
      throw new ShapeError("Tensor", `storage of ${data.length} elements does not fit shape ${fmtShape(shape)}`, [shape]);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    if (requiresGrad && this.dtype === "int32") throw new Error("Tensor: only floating point tensors can require gradients (got int32)");
    this.requiresGrad = requiresGrad;
  }

  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  numel(): number {
    return this.data.length;
  }
  /** `size()` is the shape; `size(d)` one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    return this.shape[dim < 0 ? dim + this.ndim : dim]!;
  }
  /** True when this tensor was not produced by a recorded op. */
  get isLeaf(): boolean {
    return this._node === null;
  }
  get gradFn(): string | null {
    return this._node ? this._node.name : null;
  }

  /** Marks a leaf as requiring a gradient, in place; returns this. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) throw new Error("requiresGrad_: only leaf tensors can stop requiring grad; use detach()");
    if (flag && this.dtype === "int32") throw new Error("requiresGrad_: only floating point tensors can require gradients (got int32)");
    this.requiresGrad = flag;
    return this;
  }

  /**
   * Back-propagates from this tensor. A scalar needs no argument; anything else needs the
   * upstream gradient of its own shape, as in PyTorch. The graph is freed on the way unless
   * `retainGraph` is true (PyTorch's `retain_graph=True`), so a second call through it throws.
   */
  backward(gradient?: Tensor | null, options: { retainGraph?: boolean } = {}): void {
    if (!gradient) {
      if (this.numel() !== 1) {
        throw new ShapeError("backward", `grad can be implicitly created only for scalar outputs; got shape ${fmtShape(this.shape)}. Pass a gradient of that shape.`, [this.shape]);
      }
      gradient = full(this.shape, 1, { dtype: this.dtype });
    } else if (!shapesEqual(gradient.shape, this.shape)) {
      throw new ShapeError("backward", `gradient shape ${fmtShape(gradient.shape)} does not match tensor shape ${fmtShape(this.shape)}`, [gradient.shape, this.shape]);
    }
    runBackward(this, gradient, options.retainGraph ?? false);
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    const t = new Tensor(this.data, this.shape, false);
    t._version = this._version;
    return t;
  }
  /** A copy of the data (recorded by autograd, like `torch.clone`). */
  clone(): Tensor {
    return E.clone(this);
  }
  /** This tensor: storage here is always contiguous (kept for code ported from PyTorch). */
  contiguous(): Tensor {
    return this;
  }
  /** Zeros of `shape` with this tensor's dtype, like `new_zeros` (options override it). */
  newZeros(shape: Shape, options: TensorOptions = {}): Tensor {
    return full(shape, 0, { dtype: this.dtype, ...options });
  }
  newOnes(shape: Shape, options: TensorOptions = {}): Tensor {
    return full(shape, 1, { dtype: this.dtype, ...options });
  }
  newFull(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
    return full(shape, value, { dtype: this.dtype, ...options });
  }
  /** A new leaf from `data` with this tensor's dtype, like `new_tensor`. */
  newTensor(data: NestedArray | ArrayLike<number>, options: TensorOptions = {}): Tensor {
    return tensor(data, { dtype: this.dtype, ...options });
  }

  /** @internal a fresh copy of the storage with no graph. */
  contiguousCopy(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false);
  }

  /**
   * Converts to another dtype (PyTorch's names accepted); float to float conversions are
   * differentiable. Returns this tensor itself when the dtype already matches, as PyTorch does.
   */
  to(dtype: DTypeName): Tensor {
    const d = resolveDType("to", dtype);
    if (d === "int32" && this.dtype !== "int32") checkIndexRange("to", dtype, this.data);
    return d === this.dtype ? this : E.cast(this, d);
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }
  int(): Tensor {
    return this.to("int32");
  }
  /** PyTorch's `.long()`: int32 here (the index dtype), with a range check instead of a silent wrap. */
  long(): Tensor {
    return this.to("long");
  }
  /** PyTorch's `.type(dtype)`: the same as `to(dtype)`. */
  type(dtype: DTypeName): Tensor {
    return this.to(dtype);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) throw new ShapeError("item", `a Tensor with ${this.numel()} elements cannot be converted to a number (shape ${fmtShape(this.shape)})`, [this.shape]);
    return this.data[0]!;
  }
  /** Nested arrays, like PyTorch's `tolist()`; a 0-d tensor gives a number. */
  tolist(): NestedArray {
    const rec = (d: number, off: number): NestedArray => {
      if (d === this.ndim) return this.data[off]!;
      const stride = numel(this.shape.slice(d + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[d]!; i++) out.push(rec(d + 1, off + i * stride));
      return out;
    };
    return rec(0, 0);
  }

  // Elementwise
  add(other: TensorLike, alpha?: number): Tensor { return E.add(this, alpha === undefined ? other : E.mul(asTensor(other, this), alpha)); }
  sub(other: TensorLike): Tensor { return E.sub(this, other); }
  mul(other: TensorLike): Tensor { return E.mul(this, other); }
  div(other: TensorLike): Tensor { return E.div(this, other); }
  pow(other: TensorLike): Tensor { return E.pow(this, other); }
  maximum(other: TensorLike): Tensor { return E.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return E.minimum(this, other); }
  eq(other: TensorLike): Tensor { return E.compare("eq", this, other); }
  ne(other: TensorLike): Tensor { return E.compare("ne", this, other); }
  lt(other: TensorLike): Tensor { return E.compare("lt", this, other); }
  le(other: TensorLike): Tensor { return E.compare("le", this, other); }
  gt(other: TensorLike): Tensor { return E.compare("gt", this, other); }
  ge(other: TensorLike): Tensor { return E.compare("ge", this, other); }
  neg(): Tensor { return E.neg(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  tanh(): Tensor { return E.tanh(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  relu(): Tensor { return E.relu(this); }
  leakyRelu(negativeSlope = 0.01): Tensor { return E.leakyRelu(this, negativeSlope); }
  abs(): Tensor { return E.abs(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  square(): Tensor { return E.square(this); }
  reciprocal(): Tensor { return E.reciprocal(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  sign(): Tensor { return E.sign(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min ?? null, max ?? null); }

  // Reductions
  sum(dim?: number | number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  /** 1 where any element along `dim` (or in the whole tensor) is nonzero, else 0: PyTorch's bool as 0/1, as the comparisons give. */
  any(dim?: number, keepdim = false): Tensor { return this.ne(0).sum(dim, keepdim).gt(0); }
  /** 1 where every element along `dim` (or in the whole tensor) is nonzero, else 0. */
  all(dim?: number, keepdim = false): Tensor { return this.eq(0).sum(dim, keepdim).eq(0); }
  mean(dim?: number | number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  /** Maximum over all elements, or over `dim` (values only; use `argmax` for indices). */
  max(dim?: number, keepdim = false): Tensor { return R.maxReduce(this, "max", dim, keepdim); }
  min(dim?: number, keepdim = false): Tensor { return R.maxReduce(this, "min", dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return R.argReduce(this, "argmax", dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return R.argReduce(this, "argmin", dim, keepdim); }
  logsumexp(dim: number, keepdim = false): Tensor { return R.logsumexp(this, dim, keepdim); }
  norm(p: number = 2): Tensor { return R.norm(this, p); }
  softmax(dim: number): Tensor { return softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return logSoftmax(this, dim); }

  // Movement
  reshape(...shape: (number | readonly number[])[]): Tensor { return M.reshape(this, flatShape(shape)); }
  view(...shape: (number | readonly number[])[]): Tensor { return M.reshape(this, flatShape(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return M.flatten(this, startDim, endDim); }
  transpose(dim0: number, dim1: number): Tensor { return M.transpose(this, dim0, dim1); }
  /** Transpose of a matrix (a 0-d or 1-d tensor is returned as is). */
  t(): Tensor { return this.ndim < 2 ? this : M.transpose(this, 0, 1); }
  permute(...dims: (number | readonly number[])[]): Tensor { return M.permute(this, flatShape(dims)); }
  unsqueeze(dim: number): Tensor { return M.unsqueeze(this, dim); }
  squeeze(dim?: number): Tensor { return M.squeeze(this, dim); }
  expand(...shape: (number | readonly number[])[]): Tensor { return M.expand(this, flatShape(shape)); }
  /** `length` entries of `dim` from `start`. */
  narrow(dim: number, start: number, length: number): Tensor { return M.narrow(this, dim, start, length); }
  /** Entries `[start, end)` of `dim`, with Python's negative indices and clamping. */
  slice(dim: number, start?: number, end?: number): Tensor { return M.slice(this, dim, start, end); }
  /** Index `index` along `dim`, removing that dimension (`x[:, i]` is `x.select(1, i)`). */
  select(dim: number, index: number): Tensor { return M.select(this, dim, index); }
  /**
   * Python's indexing, one argument per subscript entry: `t.at("1:3", ":", -1)` is `t[1:3, :, -1]`,
   * `t.at("...", 0)` is `t[..., 0]`, `t.at(null)` is `t[None]`, `t.at(":", "::2")` is `t[:, ::2]`
   * (`slice(start, stop, step)` and `ellipsis` work too). Differentiable.
   */
  at(...index: IndexEntry[]): Tensor { return at(this, index); }
  chunk(chunks: number, dim = 0): Tensor[] { return M.chunk(this, chunks, dim); }
  /** Pieces of `size` along `dim`, or of the listed sizes (`split([2, 3], 1)`), like `torch.split`. */
  split(size: number | readonly number[], dim = 0): Tensor[] { return M.split(this, size, dim); }
  gather(dim: number, index: Tensor): Tensor { return gather(this, dim, index); }
  /** The entries at `index` (int32 tensor or numbers) along `dim`, like `torch.index_select`. */
  indexSelect(dim: number, index: Tensor | Int32Array | readonly number[]): Tensor { return indexSelect(this, dim, index); }
  matmul(other: Tensor): Tensor { return matmul(this, other); }

  // In place (ops/inplace.ts): each returns this and bumps the version counter
  /** The version counter: how many in-place ops have modified this storage. */
  get version(): number { return this._version.value; }
  add_(other: TensorLike, alpha?: number): this { return I.binary_("add", this, other, alpha); }
  sub_(other: TensorLike, alpha?: number): this { return I.binary_("sub", this, other, alpha); }
  mul_(other: TensorLike): this { return I.binary_("mul", this, other); }
  div_(other: TensorLike): this { return I.binary_("div", this, other); }
  clamp_(min?: number | null, max?: number | null): this { return I.clamp_(this, min ?? null, max ?? null); }
  fill_(value: number): this { return I.fill_(this, value); }
  zero_(): this { return I.fill_(this, 0); }
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: Tensor): this { return I.copy_(this, src); }
  uniform_(a = 0, b = 1, generator?: Generator): this { return I.random_(this, "uniform_", a, b, generator); }
  normal_(mean = 0, std = 1, generator?: Generator): this { return I.random_(this, "normal_", mean, std, generator); }
  /** Sets `value` where `mask` (broadcast to this shape) is nonzero. */
  maskedFill_(mask: Tensor, value: number): this { return I.maskedFill_(this, mask, value); }
  /** `t[i0, i1, ...] = values`: index tensors (or numbers) for the leading dims, as `index_put_`. */
  indexPut_(indices: readonly I.Index[], values: TensorLike, accumulate = false): this { return I.indexPut_(this, indices, values, accumulate); }
  /** `t[i][j] = value` is `t.set([i, j], value)`; `t[i] = row` is `t.set(i, row)`. */
  set(index: number | readonly number[], value: TensorLike): this { return I.indexPut_(this, typeof index === "number" ? [index] : index, value, false); }
  // Sorting (stable; NaN is the largest value)
  /** `[values, indices]` sorted along `dim`; `stable` is accepted for PyTorch's signature (always stable). */
  sort(dim = -1, descending = false, _stable = true): [Tensor, Tensor] { return S.sort(this, dim, descending); }
  argsort(dim = -1, descending = false): Tensor { return S.argsort(this, dim, descending); }
  /** The `k` largest (or smallest) entries along `dim` as `[values, indices]`. */
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] { return S.topk(this, k, dim, largest, sorted); }

  /** @internal sums a broadcast gradient back down to `shape`. */
  sumToShape(shape: Shape): Tensor {
    return R.sumToShape(this, shape);
  }

  /** PyTorch's repr: `tensor([[ 0.1235, -1.0000]], requires_grad=True)` (see format.ts). */
  toString(): string {
    return formatTensor(this);
  }
  /** `console.log(t)` on Node prints the same repr (the key is a registered symbol, not a Node import). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return formatTensor(this);
  }
}

function flatShape(args: (number | readonly number[])[]): number[] {
  const a0 = args[0];
  return args.length === 1 && typeof a0 === "object" ? [...a0] : (args as number[]);
}

/** The dtype of `a op b` (PyTorch's promotion among the three dtypes seqtorch has). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === "float64" || b === "float64") return "float64";
  if (a === "float32" || b === "float32") return "float32";
  return "int32";
}

/** Turns a number into a 0-d tensor matching `like` (an int tensor with a fractional number becomes float). */
export function asTensor(x: TensorLike, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  const dtype = like.dtype === "int32" && !Number.isInteger(x) ? "float32" : like.dtype;
  const buf = allocBuf(dtype, 1);
  buf[0] = x;
  return new Tensor(buf, []);
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  return shape;
}

/**
 * Creates a tensor from a number, nested arrays or a typed array (with `shape`).
 * `dtype` defaults to float32 for numbers and arrays (like `torch.tensor` of Python floats); a typed
 * array keeps its own dtype (Float64Array gives float64, Int32Array int32, like `torch.from_numpy`),
 * and any other typed array (Float32Array, Uint8Array, ...) gives float32.
 * @example tensor([[1, 2], [3, 4]]) // shape [2, 2]
 */
export function tensor(values: NestedArray | ArrayLike<number>, shapeOrOptions?: Shape | TensorOptions, options: TensorOptions = {}): Tensor {
  let shape: Shape | undefined;
  if (Array.isArray(shapeOrOptions)) shape = shapeOrOptions;
  else if (shapeOrOptions) options = shapeOrOptions as TensorOptions;
  checkOptions("tensor", options, TENSOR_OPTION_KEYS);
  const name = options.dtype ?? (values instanceof Int32Array ? "int32" : values instanceof Float64Array ? "float64" : "float32");
  const dtype = resolveDType("tensor", name);
  let flat: ArrayLike<number>;
  if (typeof values === "number" || typeof values === "boolean") {
    flat = [Number(values)];
    shape ??= [];
  } else if (Array.isArray(values)) {
    const inferred = inferShape(values);
    const out: number[] = [];
    const path: number[] = [];
    const walk = (v: NestedArray, d: number): void => {
      if (d === inferred.length) {
        if (Array.isArray(v)) throw new ShapeError("tensor", `ragged nested array: expected a number at depth ${d} (shape ${fmtShape(inferred)})`);
        if (typeof v !== "number" && typeof v !== "boolean") throw new TypeError(`tensor: expected numbers, got ${describeValue(v)} at index [${path.join(", ")}]`);
        out.push(Number(v));
        return;
      }
      if (!Array.isArray(v) || v.length !== inferred[d]) {
        throw new ShapeError("tensor", `ragged nested array: expected length ${inferred[d]} at depth ${d} (shape ${fmtShape(inferred)})`);
      }
      v.forEach((e, i) => {
        path.push(i);
        walk(e, d + 1);
        path.pop();
      });
    };
    walk(values, 0);
    flat = out;
    shape ??= inferred;
  } else {
    flat = values as ArrayLike<number>;
    shape ??= [flat.length];
  }
  if (flat.length !== numel(shape)) {
    throw new ShapeError("tensor", `${flat.length} values do not fit shape ${fmtShape(shape)}`, [shape]);
  }
  checkIndexRange("tensor", name, flat);
  const buf = allocBuf(dtype, flat.length);
  if (dtype === "int32") for (let i = 0; i < flat.length; i++) buf[i] = Math.trunc(flat[i]!);
  else buf.set(flat as ArrayLike<number>);
  return new Tensor(buf, shape, options.requiresGrad ?? false);
}

/**
 * The most bytes one tensor may hold: 2^31 - 1 (2 GiB), the largest ArrayBuffer every JavaScript
 * engine allocates. A bigger shape is refused before allocation, with the bytes it would need.
 */
export const MAX_TENSOR_BYTES = 2 ** 31 - 1;

const fmtBytes = (b: number): string => (b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${b} bytes`);

/** @internal Throws `<op>: <what> [80000, 20000] (float32) would need 6.4 GB; a tensor may hold at most 2 GiB` for a shape too big. */
export function checkAlloc(op: string, shape: Shape, dtype: DTypeName = "float32", what = "shape"): void {
  const bytes = numel(shape) * (resolveDType(op, dtype) === "float64" ? 8 : 4);
  if (bytes > MAX_TENSOR_BYTES) throw new ShapeError(op, `${what} ${fmtShape(shape)} (${dtype}) would need ${fmtBytes(bytes)}; a tensor may hold at most 2 GiB (${MAX_TENSOR_BYTES} bytes)`, [shape]);
}

function checkShape(op: string, shape: Shape, dtype: DTypeName = "float32"): void {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of sizes, got ${describeValue(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(op, `invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`, [shape]);
  }
  checkAlloc(op, shape, dtype);
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  checkOptions("full", options, TENSOR_OPTION_KEYS);
  checkShape("full", shape, options.dtype);
  if (typeof value !== "number") throw new TypeError(`full: fill value must be a number, got ${describeValue(value)}`);
  checkIndexRange("full", options.dtype ?? "float32", [value]);
  const buf = allocBuf(resolveDType("full", options.dtype ?? "float32"), numel(shape));
  if (value !== 0) buf.fill(value);
  return new Tensor(buf, shape, options.requiresGrad ?? false);
}
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...options });
}
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...options });
}

export function fullLike(t: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...options });
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

const TENSOR_OPTION_KEYS: OptionKeys<TensorOptions> = { dtype: true, requiresGrad: true };
const RANDOM_OPTION_KEYS: OptionKeys<RandomOptions> = { ...TENSOR_OPTION_KEYS, generator: true };

/** Uniform on [0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  checkOptions("rand", options, RANDOM_OPTION_KEYS);
  checkShape("rand", shape);
  const g = options.generator ?? defaultGenerator;
  const buf = allocBuf(resolveDType("rand", options.dtype ?? "float32"), numel(shape));
  for (let i = 0; i < buf.length; i++) buf[i] = g.random();
  return new Tensor(buf, shape, options.requiresGrad ?? false);
}
/** Standard normal. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  checkOptions("randn", options, RANDOM_OPTION_KEYS);
  checkShape("randn", shape);
  const g = options.generator ?? defaultGenerator;
  const buf = allocBuf(resolveDType("randn", options.dtype ?? "float32"), numel(shape));
  for (let i = 0; i < buf.length; i++) buf[i] = g.normal();
  return new Tensor(buf, shape, options.requiresGrad ?? false);
}
/** `rand` of `t`'s shape and dtype (float32 for an int32 `t`), like `torch.rand_like`. */
export function randLike(t: Tensor, options: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype === "int32" ? "float32" : t.dtype, ...options });
}
/** `randn` of `t`'s shape and dtype (float32 for an int32 `t`), like `torch.randn_like`. */
export function randnLike(t: Tensor, options: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype === "int32" ? "float32" : t.dtype, ...options });
}
/** Integers uniform in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  checkOptions("randint", options, RANDOM_OPTION_KEYS);
  checkShape("randint", shape);
  if (!(high > low)) throw new Error(`randint: expected low < high, got low=${low}, high=${high}`);
  const g = options.generator ?? defaultGenerator;
  const buf = allocBuf(resolveDType("randint", options.dtype ?? "int32"), numel(shape));
  for (let i = 0; i < buf.length; i++) buf[i] = low + g.randint(high - low);
  return new Tensor(buf, shape);
}
/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  checkOptions("randperm", options, RANDOM_OPTION_KEYS);
  const g = options.generator ?? defaultGenerator;
  const buf = new Int32Array(n);
  for (let i = 0; i < n; i++) buf[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(i + 1);
    const t = buf[i]!;
    buf[i] = buf[j]!;
    buf[j] = t;
  }
  return new Tensor(buf, [n]);
}

/** `arange(end)` or `arange(start, end, step)`; int32 when every argument is an integer. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  checkOptions("arange", options, TENSOR_OPTION_KEYS);
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new Error("arange: step must be nonzero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = [start, end, step].every(Number.isInteger);
  const name = options.dtype ?? (ints ? "int32" : "float32");
  checkIndexRange("arange", name, [start, end - step]);
  const buf = allocBuf(resolveDType("arange", name), n);
  for (let i = 0; i < n; i++) buf[i] = start + i * step;
  return new Tensor(buf, [n], options.requiresGrad ?? false);
}

/** @internal wraps a kernel's output buffer. */
export function fromBuf(buf: Buf, shape: Shape): Tensor {
  return new Tensor(buf, shape);
}

export { isGradEnabled, getBackend };

/**
 * In-place ops (`add_`, `mul_`, `fill_`, `copy_`, `indexPut_`, ...) with PyTorch's autograd rules:
 * - with grad mode on, a leaf that requires grad may not be modified (inside `noGrad` it may: that
 *   is how optimizers and initialisers write parameters);
 * - every in-place op bumps the tensor's version counter (shared with its reshape views), and
 *   backward refuses a node whose saved tensors changed since it was recorded;
 * - on a tensor in the graph (or with an operand that requires grad) the op is recorded: the
 *   tensor keeps its identity but moves onto the op's node, whose input is its previous value.
 * Outside the graph the result is written by the backend straight into the tensor's own buffer.
 */
import { isGradEnabled, record } from "../autograd.js";
import { getBackend, type BinaryOp } from "../backend/index.js";
import { allocBuf } from "../dtype.js";
import { defaultGenerator, type Generator } from "../random.js";
import { broadcastShapes, fmtShape, numel, ShapeError, shapesEqual } from "../shape.js";
import { asTensor, promoteTypes, Tensor, type TensorLike } from "../tensor.js";
import * as E from "./elementwise.js";

/** One index of `indexPut_`: a number, a list of numbers or an int32 tensor. */
export type Index = number | readonly number[] | Tensor;

const TORCH_NAME = { float32: "Float", float64: "Double", int32: "Int" } as const;

/**
 * Runs an in-place op on `t`. `outOfPlace` computes the new value from `self` (the previous value)
 * as fresh recorded ops; `direct` writes it into `t.data` when nothing needs recording. `readsSelf`
 * says whether the recorded backward reads the previous value (then it is copied first).
 */
function inplace(op: string, t: Tensor, operands: readonly Tensor[], readsSelf: boolean, outOfPlace: (self: Tensor) => Tensor, direct: () => void): Tensor {
  if (isGradEnabled() && t.requiresGrad && t.isLeaf) throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation.`);
  const base = t._base;
  if (isGradEnabled() && base && base.requiresGrad && base.isLeaf) throw new Error(`${op}: a view of a leaf Variable that requires grad is being used in an in-place operation.`);
  if (isGradEnabled() && (t.requiresGrad || operands.some((o) => o.requiresGrad))) {
    const self = new Tensor(readsSelf ? t.data.slice() : t.data, t.shape);
    self.requiresGrad = t.requiresGrad;
    self._node = t._node;
    self._outputIndex = t._outputIndex;
    let y = outOfPlace(self);
    if (y.dtype !== t.dtype) y = y.to(t.dtype);
    t.data.set(y.data);
    t._node = y._node;
    t._outputIndex = y._outputIndex;
    t.requiresGrad = y.requiresGrad;
    (t._version.graphWrites ??= []).push([t._version.value + 1, t]);
    t._historyVersion = t._version.value + 1;
  } else {
    direct();
  }
  t._version.value++;
  return t;
}

function checkResult(op: string, t: Tensor, shape: readonly number[], dtype: string): void {
  if (!shapesEqual(shape, t.shape)) throw new ShapeError(op, `output with shape ${fmtShape(t.shape)} doesn't match the broadcast shape ${fmtShape(shape)}`, [t.shape, shape]);
  if (t.dtype === "int32" && dtype !== "int32") throw new Error(`${op}: result type ${TORCH_NAME[dtype as "float32"]} can't be cast to the desired output type Int`);
}

/** The backend's binary kernel with this tensor's own buffer as output. */
function binaryInto(op: BinaryOp, t: Tensor, o: Tensor): void {
  const oc = o.dtype === t.dtype ? o : E.cast(o.detach(), t.dtype);
  getBackend().binary(op, t.data, t.shape, oc.data, [...new Array<number>(t.ndim - o.ndim).fill(1), ...o.shape], t.data, t.shape);
}

/** `add_`, `sub_` (with `alpha` scaling `other`), `mul_` and `div_`. */
export function binary_<T extends Tensor>(op: "add" | "sub" | "mul" | "div", t: T, other: TensorLike, alpha?: number): T {
  const name = `${op}_`;
  let o = asTensor(other, t);
  if (alpha !== undefined) o = o.mul(alpha);
  const dt = promoteTypes(t.dtype, o.dtype);
  checkResult(name, t, broadcastShapes(name, t.shape, o.shape), op === "div" && dt === "int32" ? "float32" : dt);
  const fn = { add: E.add, sub: E.sub, mul: E.mul, div: E.div }[op];
  // mul's backward reads self for the other operand's gradient; div's reads only the result.
  return inplace(name, t, [o], op === "mul" && o.requiresGrad, (self) => fn(self, o), () => binaryInto(op, t, o)) as T;
}

export function clamp_<T extends Tensor>(t: T, min: number | null, max: number | null): T {
  if (min !== null && max !== null && min > max) throw new Error(`clamp_: min (${min}) must not exceed max (${max})`);
  return inplace("clamp_", t, [], true, (self) => E.clamp(self, min, max), () => {
    if (min !== null) binaryInto("maximum", t, asTensor(min, t));
    if (max !== null) binaryInto("minimum", t, asTensor(max, t));
  }) as T;
}

/** Records `y` as the new value of `self` with `grads` mapping dy to [d self, ...d operands]. */
function replaced(name: string, self: Tensor, operands: Tensor[], y: Tensor, grads: (dy: Tensor) => (Tensor | null)[]): Tensor {
  return record(name, [self, ...operands], [y], ([dy]) => grads(dy!), [])[0];
}

const zeroGrad = (dy: Tensor): Tensor[] => [E.mul(dy, 0)];

export function fill_<T extends Tensor>(t: T, value: number): T {
  return inplace("fill_", t, [], false, (self) => {
    const buf = allocBuf(t.dtype, t.numel());
    buf.fill(value);
    return replaced("fill_", self, [], new Tensor(buf, t.shape), zeroGrad);
  }, () => t.data.fill(value)) as T;
}

export function random_<T extends Tensor>(t: T, op: "uniform_" | "normal_", p: number, q: number, generator: Generator = defaultGenerator): T {
  const fillBuf = (buf: Tensor["data"]): void => {
    if (op === "uniform_") for (let i = 0; i < buf.length; i++) buf[i] = p + (q - p) * generator.random();
    else for (let i = 0; i < buf.length; i++) buf[i] = p + q * generator.normal();
  };
  return inplace(op, t, [], false, (self) => {
    const buf = allocBuf(t.dtype, t.numel());
    fillBuf(buf);
    return replaced(op, self, [], new Tensor(buf, t.shape), zeroGrad);
  }, () => fillBuf(t.data)) as T;
}

/** `src` broadcast to `like`'s shape and cast to its dtype, outside the graph. */
function broadcastTo(op: string, src: Tensor, like: { shape: readonly number[]; dtype: Tensor["dtype"] }): Tensor {
  const shape = broadcastShapes(op, like.shape, src.shape);
  if (!shapesEqual(shape, like.shape)) throw new ShapeError(op, `${fmtShape(src.shape)} cannot be broadcast to ${fmtShape(like.shape)}`, [src.shape, like.shape]);
  let e = src.detach();
  if (e.dtype !== like.dtype) e = E.cast(e, like.dtype);
  return e.expand([...like.shape]);
}

export function copy_<T extends Tensor>(t: T, src: Tensor): T {
  const e = broadcastTo("copy_", src, t);
  return inplace("copy_", t, [src], false, (self) => {
    const y = new Tensor(e.data === src.data ? e.data.slice() : e.data, t.shape);
    return replaced("copy_", self, [src], y, (dy) => [E.mul(dy, 0), dy]);
  }, () => t.data.set(e.data)) as T;
}

export function maskedFill_<T extends Tensor>(t: T, mask: Tensor, value: number): T {
  const m = broadcastTo("maskedFill_", mask, t).data;
  return inplace("maskedFill_", t, [], false, (self) => {
    const buf = self.data.slice();
    const keep = allocBuf(t.dtype, t.numel());
    for (let i = 0; i < buf.length; i++) if (m[i]) buf[i] = value;
    else keep[i] = 1;
    return replaced("maskedFill_", self, [], new Tensor(buf, t.shape), (dy) => [E.mul(dy, new Tensor(keep, t.shape))]);
  }, () => {
    for (let i = 0; i < m.length; i++) if (m[i]) t.data[i] = value;
  }) as T;
}

/**
 * `t[i0, i1, ..., ik] = values` (`index_put_`): the index tensors address the first k dims and
 * broadcast together to a shape B; position b gets `values` (broadcast to `[...B, ...rest]`) at
 * `[i0[b], ..., ik[b], :]`. Negative indices count from the end. With `accumulate` values are added.
 */
export function indexPut_<T extends Tensor>(t: T, indices: readonly Index[], values: TensorLike, accumulate: boolean): T {
  const op = "indexPut_";
  if (indices.length > t.ndim) throw new ShapeError(op, `too many indices (${indices.length}) for tensor of dimension ${t.ndim}`, [t.shape]);
  const idx = indices.map((i) => (i instanceof Tensor ? i : typeof i === "number" ? new Tensor(Int32Array.of(i), []) : new Tensor(Int32Array.from(i), [i.length])));
  for (const i of idx) if (i.dtype !== "int32") throw new ShapeError(op, `indices must be int32 tensors, got ${i.dtype}`, [i.shape]);
  const B = idx.reduce<readonly number[]>((s, i) => broadcastShapes(op, s, i.shape), []);
  const rest = t.shape.slice(idx.length);
  const inner = numel(rest);
  const stride = (k: number): number => numel(t.shape.slice(k + 1));
  const nb = numel(B);
  const offsets = new Int32Array(nb);
  idx.forEach((i, k) => {
    const e = i.expand([...B]).data;
    const size = t.shape[k]!;
    for (let b = 0; b < nb; b++) {
      const v = e[b]! < 0 ? e[b]! + size : e[b]!;
      if (v < 0 || v >= size) throw new ShapeError(op, `index ${e[b]} is out of bounds for dimension ${k} with size ${size}`, [t.shape]);
      offsets[b] += v * stride(k);
    }
  });
  const vt = asTensor(values, t);
  const target = [...B, ...rest];
  checkResult(op, t, t.shape, promoteTypes(t.dtype, vt.dtype));
  const v = broadcastTo(op, vt, { shape: target, dtype: t.dtype }).data;
  const write = (buf: Tensor["data"]): void => {
    for (let b = 0; b < nb; b++) {
      const o = offsets[b]!;
      if (accumulate) for (let j = 0; j < inner; j++) buf[o + j] += v[b * inner + j]!;
      else for (let j = 0; j < inner; j++) buf[o + j] = v[b * inner + j]!;
    }
  };
  return inplace(op, t, [vt], false, (self) => {
    const buf = self.data.slice();
    write(buf);
    return replaced(op, self, [vt], new Tensor(buf, t.shape), (dy) => {
      const dself = dy.contiguousCopy();
      const dv = allocBuf(dy.dtype, numel(target));
      for (let b = 0; b < nb; b++) {
        for (let j = 0; j < inner; j++) dv[b * inner + j] = dy.data[offsets[b]! + j]!;
        if (!accumulate) dself.data.fill(0, offsets[b]!, offsets[b]! + inner);
      }
      return [dself, new Tensor(dv, target)];
    });
  }, () => write(t.data)) as T;
}

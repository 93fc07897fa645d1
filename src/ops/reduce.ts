/** Reductions: sum is the primitive; mean, max, norm and logsumexp are built on it. */
import { record } from "../autograd.js";
import { getBackend, type ReduceOp } from "../backend/index.js";
import { allocBuf } from "../dtype.js";
import { fmtShape, normalizeDim, numel, ShapeError, shapesEqual, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";

function normDims(op: string, x: Tensor, dim: number | number[] | undefined): number[] {
  if (dim === undefined) return x.shape.map((_, i) => i);
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim(op, d, x.ndim));
  if (new Set(dims).size !== dims.length) throw new ShapeError(op, `dim ${JSON.stringify(dim)} appears multiple times`);
  return dims.sort((a, b) => a - b);
}

function keptShape(shape: Shape, dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

/** Reduces one axis with a kernel, keeping it as size 1. */
function reduceAxis(op: ReduceOp, x: Tensor, axis: number): Tensor {
  const shape = x.shape;
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const size = shape[axis]!;
  const outShape = shape.map((d, i) => (i === axis ? 1 : d));
  const out = allocBuf(x.dtype, outer * inner);
  if (size === 0 && op !== "sum") throw new ShapeError(op, `cannot reduce over a zero-size dimension ${axis} of ${fmtShape(shape)}`, [shape]);
  getBackend().reduce(op, x.data, outer, size, inner, out);
  return new Tensor(out, outShape);
}

/** Sum over `dim` (all dimensions when omitted). */
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normDims("sum", x, dim);
  let y = dims.length ? x.detach() : x.contiguousCopy();
  for (const d of dims) y = reduceAxis("sum", y, d);
  const kept = keptShape(x.shape, dims);
  const outShape = keepdim ? kept : x.shape.filter((_, i) => !dims.includes(i));
  y = new Tensor(y.data, outShape);
  return record("sum", [x], [y], ([dy]) => [dy!.reshape(kept).expand(x.shape)], [])[0];
}

export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normDims("mean", x, dim);
  const count = dims.reduce((p, d) => p * x.shape[d]!, 1);
  const xf = x.dtype === "int32" ? x.float() : x;
  return sum(xf, dims, keepdim).div(count);
}

/**
 * Max (or min) over all elements, or over `dim`. Over `dim` the gradient goes to the selected
 * index; over everything it is shared evenly among ties, as PyTorch does.
 */
export function maxReduce(x: Tensor, op: "max" | "min", dim?: number, keepdim = false): Tensor {
  if (dim === undefined) {
    if (x.numel() === 0) throw new ShapeError(op, `cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
    let y = x.detach().reshape([x.numel()]);
    y = reduceAxis(op, y, 0);
    const out = new Tensor(y.data, []);
    return record(op, [x], [out], ([dy]) => {
      const mask = x.eq(out);
      return [mask.mul(dy!.div(mask.sum()))];
    }, [x, out])[0];
  }
  const d = normalizeDim(op, dim, x.ndim);
  const idx = argReduce(x, op === "max" ? "argmax" : "argmin", d, true);
  const y = x.gather(d, idx);
  return keepdim ? y : y.squeeze(d);
}

export function argReduce(x: Tensor, op: "argmax" | "argmin", dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return argReduce(x.detach().reshape([x.numel()]), op, 0, false);
  const d = normalizeDim(op, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const out = new Int32Array(outer * inner);
  getBackend().argReduce(op, x.data, outer, x.shape[d]!, inner, out);
  const kept = x.shape.map((s, i) => (i === d ? 1 : s));
  return new Tensor(out, keepdim ? kept : x.shape.filter((_, i) => i !== d));
}

/** `log(sum(exp(x)))` over `dim`, computed stably by subtracting the (detached) maximum. */
export function logsumexp(x: Tensor, dim: number, keepdim = false): Tensor {
  const d = normalizeDim("logsumexp", dim, x.ndim);
  const safe = x.detach().max(d, true);
  // An infinite maximum is replaced by 0, as PyTorch does, so an all -inf row gives -inf, not NaN
  // (multiplying by a finiteness mask would give inf * 0 = NaN).
  for (let i = 0; i < safe.numel(); i++) if (Math.abs(safe.data[i]!) === Infinity) safe.data[i] = 0;
  const y = x.sub(safe).exp().sum(d, true).log().add(safe);
  return keepdim ? y : y.squeeze(d);
}

/** The p-norm of all elements (p = Infinity for the largest magnitude). */
export function norm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().max();
  if (p === 2) return x.square().sum().sqrt();
  if (p === 1) return x.abs().sum();
  return x.abs().pow(p).sum().pow(1 / p);
}

/** Sums a broadcast tensor back down to `shape`; autograd's single place for this. */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const lead = x.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) dims.push(i);
  }
  const y = dims.length ? sum(x, dims, true) : x;
  return y.reshape([...shape]);
}

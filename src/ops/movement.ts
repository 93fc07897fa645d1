/** Shape and layout ops. Reshape shares storage; everything else copies into a fresh contiguous buffer. */
import { record } from "../autograd.js";
import { getBackend } from "../backend/index.js";
import { allocBuf } from "../dtype.js";
import { broadcastShapes, fmtShape, normalizeDim, numel, ShapeError, shapesEqual, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";

/** Reshape with at most one inferred `-1`; the result shares storage with `x`. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const infer = shape.length - known.length;
  if (infer > 1) throw new ShapeError("reshape", `only one dimension can be inferred (-1), got ${fmtShape(shape)}`, [x.shape, shape]);
  const prod = numel(known);
  let out = [...shape];
  if (infer === 1) {
    if (prod === 0 || x.numel() % prod !== 0) throw new ShapeError("reshape", `shape ${fmtShape(shape)} is invalid for input of size ${x.numel()} (shape ${fmtShape(x.shape)})`, [x.shape, shape]);
    out = shape.map((d) => (d === -1 ? x.numel() / prod : d));
  }
  if (numel(out) !== x.numel() || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError("reshape", `shape ${fmtShape(shape)} is invalid for input of size ${x.numel()} (shape ${fmtShape(x.shape)})`, [x.shape, shape]);
  }
  if (shapesEqual(out, x.shape)) return x;
  const y = new Tensor(x.data, out);
  y._version = x._version;
  y._base = x._base ?? x;
  return record("reshape", [x], [y], ([dy]) => [dy!.reshape(x.shape)], [])[0];
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return x.reshape([1]);
  const s = normalizeDim("flatten", startDim, x.ndim);
  const e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new ShapeError("flatten", `startDim (${startDim}) cannot come after endDim (${endDim})`);
  return x.reshape([...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new ShapeError("permute", `number of dims don't match: tensor ${fmtShape(x.shape)} has ${x.ndim}, got ${dims.length} (${fmtShape(dims)})`, [x.shape]);
  const perm = dims.map((d) => normalizeDim("permute", d, x.ndim));
  if (new Set(perm).size !== perm.length) throw new ShapeError("permute", `repeated dim in ${fmtShape(dims)}`);
  if (perm.every((p, i) => p === i)) return x;
  const outShape = perm.map((p) => x.shape[p]!);
  const out = allocBuf(x.dtype, x.numel());
  getBackend().permute(x.data, x.shape, perm, out);
  const y = new Tensor(out, outShape);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record("permute", [x], [y], ([dy]) => [dy!.permute(inverse)], [])[0];
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim("transpose", dim0, x.ndim);
  const b = normalizeDim("transpose", dim1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  return x.reshape([...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Removes `dim` if it has size 1, or every size-1 dimension when `dim` is omitted. */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return x.reshape(x.shape.filter((s) => s !== 1));
  const d = normalizeDim("squeeze", dim, x.ndim);
  if (x.ndim === 0 || x.shape[d] !== 1) return x;
  return x.reshape(x.shape.filter((_, i) => i !== d));
}

/** Broadcasts to `shape` (copying); `-1` keeps a dimension. The gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) throw new ShapeError("expand", `the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`, [x.shape, shape]);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - lead]! : d));
  const b = broadcastShapes("expand", x.shape, target);
  if (!shapesEqual(b, target)) throw new ShapeError("expand", `cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}`, [x.shape, shape]);
  if (shapesEqual(target, x.shape)) return x;
  const out = allocBuf(x.dtype, numel(target));
  const zero = allocBuf(x.dtype, 1);
  getBackend().binary("add", x.data, [...new Array<number>(lead).fill(1), ...x.shape], zero, target.map(() => 1), out, target);
  const y = new Tensor(out, target);
  return record("expand", [x], [y], ([dy]) => [dy!], [])[0];
}

/** Copies `length` entries of `dim` starting at `start`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim("narrow", dim, x.ndim);
  const size = x.shape[d]!;
  if (start < 0 && start >= -size) start += size;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > size) {
    throw new ShapeError("narrow", `start (${start}) + length (${length}) exceeds dimension size (${size}) of dim ${dim} in ${fmtShape(x.shape)}`, [x.shape]);
  }
  if (start === 0 && length === size) return x;
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const outShape = x.shape.map((s, i) => (i === d ? length : s));
  const out = allocBuf(x.dtype, numel(outShape));
  getBackend().copyAxis(x.data, size, start, out, length, 0, outer, length, inner, false);
  const y = new Tensor(out, outShape);
  return record("narrow", [x], [y], ([dy]) => {
    const dx = allocBuf(dy!.dtype, x.numel());
    getBackend().copyAxis(dy!.data, length, 0, dx, size, start, outer, length, inner, false);
    return [new Tensor(dx, x.shape)];
  }, [])[0];
}

/** Python-style slice `[start:end]` along `dim` (negative indices count from the end; out of range clamps). */
export function slice(x: Tensor, dim: number, start = 0, end?: number): Tensor {
  const d = normalizeDim("slice", dim, x.ndim);
  const size = x.shape[d]!;
  const norm = (i: number): number => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = norm(start);
  const e = end === undefined ? size : norm(end);
  return narrow(x, d, s, Math.max(0, e - s));
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim("select", dim, x.ndim);
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new ShapeError("select", `index ${index} is out of bounds for dimension ${d} with size ${size} (shape ${fmtShape(x.shape)})`, [x.shape]);
  }
  return narrow(x, d, index < 0 ? index + size : index, 1).squeeze(d);
}

/**
 * `torch.split`: pieces of `size` entries along `dim` (the last may be shorter), or, given a list,
 * pieces of exactly those sizes, which must add up to the dimension.
 */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim("split", dim, x.ndim);
  if (typeof size !== "number") {
    const total = size.reduce((p, s) => p + s, 0);
    if (size.some((s) => !Number.isInteger(s) || s < 0) || total !== x.shape[d]) {
      throw new ShapeError("split", `split sizes [${size.join(", ")}] must be non-negative integers that sum exactly to ${x.shape[d]} (dim ${d} of ${fmtShape(x.shape)})`, [x.shape]);
    }
    let start = 0;
    return size.map((s) => narrow(x, d, (start += s) - s, s));
  }
  // A size of 0 or less would never advance the loop below.
  if (!Number.isInteger(size) || size <= 0) throw new ShapeError("split", `split size must be a positive integer, got ${size} (shape ${fmtShape(x.shape)})`, [x.shape]);
  const out: Tensor[] = [];
  for (let s = 0; s < x.shape[d]!; s += size) out.push(narrow(x, d, s, Math.min(size, x.shape[d]! - s)));
  return out;
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normalizeDim("chunk", dim, x.ndim);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ShapeError("chunk", `chunks must be a positive integer, got ${chunks} (shape ${fmtShape(x.shape)})`, [x.shape]);
  return split(x, Math.ceil(x.shape[d]! / chunks), d);
}

/** Concatenates along an existing dimension. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("cat", "expected a non-empty list of tensors");
  const first = tensors[0]!;
  const d = normalizeDim("cat", dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new ShapeError("cat", `sizes of tensors must match except in dimension ${d}: ${tensors.map((u) => fmtShape(u.shape)).join(", ")}`, tensors.map((u) => u.shape));
    }
    if (t.dtype !== first.dtype) throw new Error(`cat: expected all tensors to have dtype ${first.dtype}, got ${t.dtype}`);
  }
  if (tensors.length === 1) return first;
  const total = tensors.reduce((p, t) => p + t.shape[d]!, 0);
  const outer = numel(first.shape.slice(0, d));
  const inner = numel(first.shape.slice(d + 1));
  const outShape = first.shape.map((s, i) => (i === d ? total : s));
  const out = allocBuf(first.dtype, numel(outShape));
  const starts: number[] = [];
  let off = 0;
  for (const t of tensors) {
    starts.push(off);
    getBackend().copyAxis(t.data, t.shape[d]!, 0, out, total, off, outer, t.shape[d]!, inner, false);
    off += t.shape[d]!;
  }
  const y = new Tensor(out, outShape);
  return record("cat", tensors, [y], ([dy]) => tensors.map((t, i) => (t.requiresGrad ? narrow(dy!, d, starts[i]!, t.shape[d]!) : null)), [])[0];
}

/** Joins along a new dimension. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("stack", "expected a non-empty list of tensors");
  const first = tensors[0]!;
  for (const t of tensors) {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new ShapeError("stack", `expects each tensor to be equal size, got ${tensors.map((u) => fmtShape(u.shape)).join(", ")}`, tensors.map((u) => u.shape));
    }
  }
  const d = normalizeDim("stack", dim, first.ndim + 1);
  return cat(tensors.map((t) => t.unsqueeze(d)), d);
}

export function checkSameShape(op: string, a: Shape, b: Shape, what: string): void {
  if (!shapesEqual(a, b)) throw new ShapeError(op, `${what}. Expected ${fmtShape(a)}, got ${fmtShape(b)}`, [a, b]);
}

/** Index ops: `gather` along a dimension and `embedding` row lookup. */
import { record } from "../autograd.js";
import { getBackend } from "../backend/index.js";
import { allocBuf, type FloatBuf } from "../dtype.js";
import { fmtShape, normalizeDim, numel, ShapeError } from "../shape.js";
import { Tensor } from "../tensor.js";

function checkIndex(op: string, index: Tensor, size: number, what: string): Int32Array {
  if (index.dtype !== "int32") throw new ShapeError(op, `${what} must be an int32 tensor, got ${index.dtype} (int32 is PyTorch's long here: convert with .long())`, [index.shape]);
  const idx = index.data as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= size) throw new ShapeError(op, `${what} ${v} is out of range [0, ${size}) (index shape ${fmtShape(index.shape)})`, [index.shape]);
  }
  return idx;
}

/** `out[..., j, ...] = x[..., index[..., j, ...], ...]` along `dim`, as `torch.gather`. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim("gather", dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s !== x.shape[i])) {
    throw new ShapeError("gather", `index ${fmtShape(index.shape)} must match input ${fmtShape(x.shape)} in every dimension but ${d}`, [x.shape, index.shape]);
  }
  const size = x.shape[d]!;
  const idx = checkIndex("gather", index, size, "index");
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const k = index.shape[d]!;
  const out = allocBuf(x.dtype, index.numel());
  getBackend().gather(x.data, outer, size, inner, idx, k, out);
  const y = new Tensor(out, index.shape);
  return record("gather", [x], [y], ([dy]) => {
    const dx = allocBuf(dy!.dtype, x.numel()) as FloatBuf;
    getBackend().scatterAdd(dy!.data as FloatBuf, outer, size, inner, idx, k, dx);
    return [new Tensor(dx, x.shape)];
  }, [index])[0];
}

/**
 * Looks up rows of `weight` `[V, E]` for int32 `indices` of any shape, giving `[...indices.shape, E]`.
 * Rows equal to `paddingIdx` get no gradient, as in PyTorch.
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  if (weight.ndim !== 2) throw new ShapeError("embedding", `weight must be 2-D [numEmbeddings, embeddingDim], got ${fmtShape(weight.shape)}`, [weight.shape]);
  const [V, E] = weight.shape as [number, number];
  const idx = checkIndex("embedding", indices, V, "index");
  const n = idx.length;
  // Row i of the output is row idx[i] of the weight.
  const out = allocBuf(weight.dtype, n * E);
  getBackend().takeRows(weight.data, E, idx, out);
  const y = new Tensor(out, [...indices.shape, E]);
  return record("embedding", [weight], [y], ([dy], _retain, into) => {
    const b = getBackend();
    // Rows add straight into the weight's existing `.grad` where it has one: a dense [V, E]
    // gradient is the largest buffer of a text model's step.
    const grad = into(0);
    if (grad) {
      b.addRows(dy!.data as FloatBuf, E, idx, grad.data as FloatBuf, paddingIdx ?? -1);
      grad._version.value++;
      return [null];
    }
    const dw = allocBuf(dy!.dtype, V * E) as FloatBuf;
    b.addRows(dy!.data as FloatBuf, E, idx, dw, paddingIdx ?? -1);
    return [new Tensor(dw, weight.shape)];
  }, [])[0];
}

function axisIndex(op: string, x: Tensor, dim: number, index: Tensor | Int32Array | readonly number[], size: number): [number, Int32Array] {
  const d = normalizeDim(op, dim, x.ndim);
  const idx = index instanceof Tensor ? checkIndex(op, index, size, "index") : Int32Array.from(index);
  if (!(index instanceof Tensor)) {
    for (const v of idx) if (v < 0 || v >= size) throw new ShapeError(op, `index ${v} is out of range [0, ${size}) for dim ${d} of ${fmtShape(x.shape)}`, [x.shape]);
  }
  return [d, idx];
}

/** Index tensor for the gather kernel: `idx` repeated over `outer` and `inner`. */
function expandIndex(idx: Int32Array, outer: number, inner: number): Int32Array {
  const k = idx.length;
  const full = allocBuf("int32", outer * k * inner) as Int32Array;
  for (let o = 0; o < outer; o++) for (let j = 0; j < k; j++) full.fill(idx[j]!, (o * k + j) * inner, (o * k + j + 1) * inner);
  return full;
}

/** The entries of `x` at positions `index` along `dim`, as `torch.index_select`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor | Int32Array | readonly number[]): Tensor {
  const size = x.shape[normalizeDim("indexSelect", dim, x.ndim)]!;
  const [d, idx] = axisIndex("indexSelect", x, dim, index, size);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const k = idx.length;
  const full = expandIndex(idx, outer, inner);
  const out = allocBuf(x.dtype, outer * k * inner);
  getBackend().gather(x.data, outer, size, inner, full, k, out);
  const y = new Tensor(out, x.shape.map((s, i) => (i === d ? k : s)));
  return record("indexSelect", [x], [y], ([dy]) => [indexAdd(dy!, d, idx, size)], [index instanceof Tensor ? index : null])[0];
}

/**
 * The adjoint of `indexSelect`: a tensor with `size` entries along `dim`, zero except that entry
 * `index[j]` accumulates `src`'s entry `j` (like `zeros(...).index_add_(dim, index, src)`).
 */
export function indexAdd(src: Tensor, dim: number, index: Tensor | Int32Array | readonly number[], size: number): Tensor {
  const d = normalizeDim("indexAdd", dim, src.ndim);
  const [, idx] = axisIndex("indexAdd", src, d, index, size);
  if (idx.length !== src.shape[d]) throw new ShapeError("indexAdd", `index has ${idx.length} entries but src has ${src.shape[d]} along dim ${d} (${fmtShape(src.shape)})`, [src.shape]);
  if (src.dtype === "int32") throw new ShapeError("indexAdd", "src must be floating point");
  const outer = numel(src.shape.slice(0, d));
  const inner = numel(src.shape.slice(d + 1));
  const k = idx.length;
  const out = allocBuf(src.dtype, outer * size * inner) as FloatBuf;
  getBackend().scatterAdd(src.data as FloatBuf, outer, size, inner, expandIndex(idx, outer, inner), k, out);
  const y = new Tensor(out, src.shape.map((s, i) => (i === d ? size : s)));
  return record("indexAdd", [src], [y], ([dy]) => [indexSelect(dy!, d, idx)], [index instanceof Tensor ? index : null])[0];
}

/** Index ops: `gather` along a dimension and `embedding` row lookup. */
import { record } from "../autograd.js";
import { allocBuf, getBackend, type FloatBuf } from "../backend/index.js";
import { fmtShape, normalizeDim, numel, ShapeError } from "../shape.js";
import { Tensor } from "../tensor.js";

function checkIndex(op: string, index: Tensor, size: number, what: string): Int32Array {
  if (index.dtype !== "int32") throw new ShapeError(op, `${what} must be an int32 tensor, got ${index.dtype}`, [index.shape]);
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
  })[0];
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
  // A row gather is a gather along dim 0 of [1, V, E] with every column index equal.
  const rows = new Int32Array(n * E);
  for (let i = 0; i < n; i++) rows.fill(idx[i]!, i * E, (i + 1) * E);
  const out = allocBuf(weight.dtype, n * E);
  getBackend().gather(weight.data, 1, V, E, rows, n, out);
  const y = new Tensor(out, [...indices.shape, E]);
  return record("embedding", [weight], [y], ([dy]) => {
    const dw = allocBuf(dy!.dtype, V * E) as FloatBuf;
    getBackend().scatterAdd(dy!.data as FloatBuf, 1, V, E, rows, n, dw);
    if (paddingIdx !== null) dw.fill(0, paddingIdx * E, (paddingIdx + 1) * E);
    return [new Tensor(dw, weight.shape)];
  })[0];
}

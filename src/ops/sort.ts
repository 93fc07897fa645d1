/**
 * Sorting along a dimension: `sort`, `argsort` and `topk`, as in PyTorch. NaN counts as the largest
 * value, and equal values keep their order (the lower index first), ascending or descending.
 * Values are differentiable: the gradient goes back to the positions the indices name.
 */
import { record } from "../autograd.js";
import { getBackend } from "../backend/index.js";
import { allocBuf, type FloatBuf } from "../dtype.js";
import { fmtShape, normalizeDim, numel, ShapeError } from "../shape.js";
import { Tensor } from "../tensor.js";

/** `a` before `b` in ascending order, NaN last. */
function ascending(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first `k` positions of every lane along `d`, in sorted order (int32, `k` along `d`). */
function order(x: Tensor, d: number, descending: boolean, k: number): Int32Array {
  const size = x.shape[d]!;
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const out = new Int32Array(outer * k * inner);
  const lane = new Array<number>(size);
  const vals = new Float64Array(size);
  const sign = descending ? -1 : 1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      for (let j = 0; j < size; j++) {
        vals[j] = x.data[base + j * inner]!;
        lane[j] = j;
      }
      // Array.prototype.sort is stable; ties fall back to the lower index.
      lane.sort((a, b) => sign * ascending(vals[a]!, vals[b]!));
      for (let j = 0; j < k; j++) out[o * k * inner + j * inner + i] = lane[j]!;
    }
  }
  return out;
}

/** The entries of `x` at `idx` along `d` (a gather recorded under `name`). */
function take(name: string, x: Tensor, d: number, idx: Int32Array, k: number): Tensor {
  const size = x.shape[d]!;
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const out = allocBuf(x.dtype, idx.length);
  getBackend().gather(x.data, outer, size, inner, idx, k, out);
  const y = new Tensor(out, x.shape.map((s, i) => (i === d ? k : s)));
  return record(name, [x], [y], ([dy]) => {
    const dx = allocBuf(dy!.dtype, x.numel()) as FloatBuf;
    getBackend().scatterAdd(dy!.data as FloatBuf, outer, size, inner, idx, k, dx);
    return [new Tensor(dx, x.shape)];
  })[0];
}

function sortedK(name: string, x: Tensor, dim: number, descending: boolean, k: number | null): [Tensor, Tensor] {
  if (x.ndim === 0) {
    if (k !== null && k !== 0 && k !== 1) throw new ShapeError(name, `k (${k}) is out of range for a 0-d tensor`);
    const [v, i] = sortedK(name, x.reshape([1]), dim === -1 ? 0 : dim, descending, k);
    return k === 0 ? [v, i] : [v.reshape([]), i.reshape([])];
  }
  const d = normalizeDim(name, dim, x.ndim);
  const size = x.shape[d]!;
  const kk = k ?? size;
  if (!Number.isInteger(kk) || kk < 0 || kk > size) {
    throw new ShapeError(name, `k (${k}) is out of range for dimension ${d} of size ${size} (shape ${fmtShape(x.shape)})`, [x.shape]);
  }
  const idx = order(x, d, descending, kk);
  const shape = x.shape.map((s, i) => (i === d ? kk : s));
  return [take(name, x, d, idx, kk), new Tensor(idx, shape)];
}

/** `torch.sort`: `[values, indices]` along `dim` (int32 indices); stable, NaN largest. */
export function sort(x: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  return sortedK("sort", x, dim, descending, null);
}

/** `torch.argsort`: the indices `sort` gives. */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  if (x.ndim === 0) return new Tensor(new Int32Array(1), []);
  return new Tensor(order(x, normalizeDim("argsort", dim, x.ndim), descending, x.shape[normalizeDim("argsort", dim, x.ndim)]!), x.shape);
}

/**
 * `torch.topk`: the `k` largest (or smallest) entries along `dim` as `[values, indices]`, largest
 * first. `sorted = false` is accepted and returns them sorted too (PyTorch leaves that order unspecified).
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, _sorted = true): [Tensor, Tensor] {
  return sortedK("topk", x, dim, largest, k);
}

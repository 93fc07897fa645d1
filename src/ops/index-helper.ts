/**
 * Python's basic indexing, `t[1:3, :, -1]`, `t[..., 0]`, `t[None]`, `t[:, ::2]`, as `t.at(...)`:
 * each argument is one entry of the Python subscript. Composed from `select`, `narrow`,
 * `unsqueeze` and (for a step other than 1) `indexSelect`, so the result is differentiable.
 *
 * | Python          | seqtorch                                   |
 * |-----------------|--------------------------------------------|
 * | `t[0]`          | `t.at(0)`                                  |
 * | `t[1:3, :, -1]` | `t.at("1:3", ":", -1)` or `t.at(slice(1, 3), slice(), -1)` |
 * | `t[..., 0]`     | `t.at("...", 0)` or `t.at(ellipsis, 0)`    |
 * | `t[None]`       | `t.at(null)`                               |
 * | `t[:, ::2]`     | `t.at(":", "::2")` or `t.at(slice(), slice(null, null, 2))` |
 * | `t[idx]`, `t[:, [0, 2]]` | `t.at(idx)` (an int32 tensor), `t.at(":", [0, 2])` (one index array or tensor) |
 */
import { fmtShape, ShapeError } from "../shape.js";
import { Tensor } from "../tensor.js";
import { indexSelect } from "./indexing.js";
import { narrow, select, unsqueeze } from "./movement.js";

/** Python's `start:stop:step`; `null` leaves a bound out. */
export interface Slice {
  readonly kind: "slice";
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
}
/** Python's `...`: as many `:` as the dimensions the other entries leave. */
export const ellipsis = Object.freeze({ kind: "ellipsis" as const });
export type Ellipsis = typeof ellipsis;
/**
 * One subscript entry: an integer (selects, removing the dimension), a slice (or its Python text,
 * `"1:3"`, `":"`, `"::2"`, `"-1:"`), `null` for `None` (a new dimension of size 1), or the ellipsis
 * (`ellipsis` or `"..."`); or one integer index array or int32 tensor (Python's advanced indexing
 * with a single index: the indexed dimension is replaced by the index's shape).
 */
export type IndexEntry = number | string | Slice | Ellipsis | null | readonly number[] | Tensor;

/** `slice(stop)`, `slice(start, stop)` or `slice(start, stop, step)` as Python's; `slice()` is `:`. */
export function slice(start: number | null = null, stop?: number | null, step: number | null = null): Slice {
  return stop === undefined ? { kind: "slice", start: null, stop: start, step } : { kind: "slice", start, stop, step };
}

type Parsed = number | Slice | Ellipsis | null | Tensor;

function parse(entry: IndexEntry): Parsed {
  if (Array.isArray(entry)) return new Tensor(Int32Array.from(entry as readonly number[]), [entry.length]);
  if (typeof entry !== "string") return entry as Exclude<IndexEntry, string | readonly number[]>;
  const text = entry.trim();
  if (text === "...") return ellipsis;
  const parts = text.split(":");
  const bound = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === "") return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new ShapeError("at", `cannot parse index "${entry}": "${p}" is not an integer`);
    return v;
  };
  if (parts.length === 1) return bound(parts[0]);
  if (parts.length > 3) throw new ShapeError("at", `cannot parse index "${entry}": a slice has at most two colons`);
  return { kind: "slice", start: bound(parts[0]), stop: bound(parts[1]), step: bound(parts[2]) };
}

/** Python's `slice.indices`-style bounds for a positive step: clamped start and the count. */
function sliceRange(s: Slice, size: number): [number, number, number] {
  const step = s.step ?? 1;
  if (!Number.isInteger(step) || step <= 0) throw new ShapeError("at", `slice step must be a positive integer, got ${step}`);
  const norm = (i: number | null, dflt: number): number => (i === null ? dflt : Math.min(size, Math.max(0, i < 0 ? i + size : i)));
  const start = norm(s.start, 0);
  const stop = norm(s.stop, size);
  return [start, step, Math.max(0, Math.ceil((stop - start) / step))];
}

/** `x[entries]` with Python's basic-indexing rules. */
export function at(x: Tensor, entries: readonly IndexEntry[]): Tensor {
  const parsed = entries.map(parse);
  const isEllipsis = (e: Parsed): boolean => e !== null && !(e instanceof Tensor) && typeof e === "object" && e.kind === "ellipsis";
  if (parsed.filter((e) => e instanceof Tensor).length > 1) {
    throw new ShapeError("at", "only one index array or tensor per subscript is supported; index one dimension at a time, or use gather");
  }
  const ellipses = parsed.filter(isEllipsis).length;
  if (ellipses > 1) throw new ShapeError("at", "an index can only have a single ellipsis ('...')");
  const consumed = parsed.filter((e) => e !== null && !isEllipsis(e)).length;
  if (consumed > x.ndim) throw new ShapeError("at", `too many indices for tensor of dimension ${x.ndim} (shape ${fmtShape(x.shape)}, ${consumed} indexed)`, [x.shape]);
  let y = x;
  let d = 0; // the dimension of y the next entry applies to
  for (const e of parsed) {
    if (e === null) y = unsqueeze(y, d++);
    else if (typeof e === "number") y = select(y, d, e);
    else if (e instanceof Tensor) {
      if (e.dtype !== "int32") throw new ShapeError("at", `an index tensor must hold integers (int32), got ${e.dtype}`);
      // Negative indices count from the end, as in Python.
      const size = y.shape[d]!;
      const flat = Int32Array.from(e.data as Int32Array, (i) => (i < 0 ? i + size : i));
      const picked = indexSelect(y, d, flat);
      y = picked.reshape([...picked.shape.slice(0, d), ...e.shape, ...picked.shape.slice(d + 1)]);
      d += e.ndim;
    }
    else if (e.kind === "ellipsis") d += x.ndim - consumed;
    else {
      const [start, step, n] = sliceRange(e, y.shape[d]!);
      if (step === 1) y = narrow(y, d, start, n);
      else y = indexSelect(y, d, Array.from({ length: n }, (_, i) => start + i * step));
      d++;
    }
  }
  return y;
}

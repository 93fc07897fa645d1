/**
 * Element types and the typed arrays that hold them. Core: tensors, ops and every backend use these,
 * so they live below all of them.
 */

export type DType = "float32" | "float64" | "int32";
/**
 * The dtype names a tensor factory or `.to()` accepts: the three dtypes, plus PyTorch's aliases
 * `"float"` (float32), `"double"` (float64), `"int"` (int32) and the index dtypes PyTorch users write,
 * `"int64"` and `"long"`. Those two are stored as int32: a value outside the int32 range
 * (-2^31 .. 2^31 - 1) is an error naming it, never a silent wrap.
 */
export type DTypeName = DType | "int64" | "long" | "float" | "double" | "int";

const ALIASES: Readonly<Record<DTypeName, DType>> = {
  float32: "float32", float64: "float64", int32: "int32",
  float: "float32", double: "float64", int: "int32", int64: "int32", long: "int32",
};
export const DTYPE_NAMES = Object.freeze(Object.keys(ALIASES)) as readonly DTypeName[];

/** The dtype behind a name; an unknown name is rejected with the list of supported ones. */
export function resolveDType(op: string, name: string): DType {
  const d = Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name as DTypeName] : undefined;
  if (d === undefined) throw new TypeError(`${op}: unsupported dtype ${JSON.stringify(name)}; supported dtypes are ${DTYPE_NAMES.join(", ")}`);
  return d;
}

/** Throws when `name` is int64/long and some value does not fit the int32 storage behind it. */
export function checkIndexRange(op: string, name: string, values: ArrayLike<number>): void {
  if (name !== "int64" && name !== "long") return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > 2147483647 || v < -2147483648) {
      throw new RangeError(`${op}: value ${v} does not fit dtype ${name}, stored as int32 (range -2147483648 .. 2147483647)`);
    }
  }
}
export type FloatBuf = Float32Array | Float64Array;
export type Buf = FloatBuf | Int32Array;

/*
 * Small buffers in browsers. Chromium allocates each ArrayBuffer slowly (a 16 KB one took 134 µs
 * here, 13 times Node's 10 µs, and made training in a page 3 times slower than in Node), so where
 * the engine is not Node, buffers up to 64 KB are cut from 1 MB slabs: a view costs well under a
 * microsecond. A slab is cut once, front to back, and never reused: its memory is zero when cut and
 * goes back when the last view into it is collected. So such a buffer's `.buffer` is shared; copy
 * (`t.data.slice()`) before transferring it to a worker.
 */
const SLAB_BYTES = 1 << 20;
const SLAB_MAX_BYTES = 64 << 10;
let slabs = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node !== "string";
let slab: ArrayBuffer | null = null;
let slabAt = 0;

/** Turns slab allocation on or off (on by default outside Node); returns the previous setting. For tests and measurements. */
export function setSlabAllocation(on: boolean): boolean {
  const was = slabs;
  slabs = on;
  slab = null;
  return was;
}

function fresh<B extends Buf>(Ctor: { new (n: number): B; new (b: ArrayBuffer, offset: number, n: number): B; BYTES_PER_ELEMENT: number }, size: number): B {
  const bytes = size * Ctor.BYTES_PER_ELEMENT;
  if (!slabs || bytes > SLAB_MAX_BYTES || bytes === 0) return new Ctor(size);
  const at = (slabAt + 15) & ~15;
  if (!slab || at + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabAt = bytes;
    return new Ctor(slab, 0, size);
  }
  slabAt = at + bytes;
  return new Ctor(slab, at, size);
}

/*
 * Gradients a backward pass is done with. Autograd hands back the buffers of upstream gradients
 * that only it held (`releaseBuf`), and the next float32 buffer of the same length is that one,
 * zeroed: a cell loop's backward makes several state-sized gradients per step, and left to the
 * garbage collector they piled up faster than it ran (W7's peak grew by more than its graph).
 * Only lengths from 1K to 64K floats are kept, at most 8 MB in all.
 */
const SPARE_MIN = 1 << 10;
const SPARE_MAX = 64 << 10;
const SPARE_MAX_FLOATS = 2 << 20;
const spare = new Map<number, Float32Array[]>();
let spareFloats = 0;

/** Takes back `buf`, which nothing else refers to any more, for the next allocation of its length. */
export function releaseBuf(buf: Buf): void {
  const n = buf.length;
  if (!(buf instanceof Float32Array) || n < SPARE_MIN || n > SPARE_MAX || spareFloats + n > SPARE_MAX_FLOATS) return;
  const list = spare.get(n);
  if (list) list.push(buf);
  else spare.set(n, [buf]);
  spareFloats += n;
}

/*
 * Large outputs that a kernel writes whole need not be zeroed first: zeroing a fresh 4 MB buffer
 * (and the page faults of its first touch) took 2% of a 2-layer bidirectional LSTM's forward. Where
 * the host can hand out memory without clearing it (Node's Buffer.allocUnsafeSlow; the native
 * backend sets this when it registers), `float32ForOverwrite` takes buffers from there.
 */
const OVERWRITE_MIN = 64 << 10;
let uncleared: ((size: number) => Float32Array) | null = null;

/** Sets (or with null, clears) the source of uncleared float32 buffers; returns the previous one. Node-only hosts set it; core never does. */
export function setUnclearedFloat32(source: ((size: number) => Float32Array) | null): ((size: number) => Float32Array) | null {
  const was = uncleared;
  uncleared = source;
  return was;
}

/**
 * A float32 buffer of `size` for a caller that writes every element before anything reads it: from
 * 64K floats on, where an uncleared source is set, its contents are whatever the memory held.
 */
export function float32ForOverwrite(size: number): Float32Array {
  return uncleared && size >= OVERWRITE_MIN ? uncleared(size) : float32(size);
}

function float32(size: number): Float32Array {
  const kept = size >= SPARE_MIN && size <= SPARE_MAX ? spare.get(size)?.pop() : undefined;
  if (!kept) return fresh(Float32Array, size);
  spareFloats -= size;
  return kept.fill(0);
}

export function allocBuf(dtype: DType, size: number): Buf {
  switch (dtype) {
    case "float32": return float32(size);
    case "float64": return fresh(Float64Array, size);
    case "int32": return fresh(Int32Array, size);
    default: return allocBuf(resolveDType("allocBuf", dtype), size);
  }
}

/** A fresh zeroed buffer of the same kind as `like`. */
export function allocLike<B extends Buf>(like: B, size: number): B {
  return allocBuf(dtypeOf(like), size) as B;
}

export function dtypeOf(buf: Buf): DType {
  return buf instanceof Float32Array ? "float32" : buf instanceof Float64Array ? "float64" : "int32";
}

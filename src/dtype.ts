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

export function allocBuf(dtype: DType, size: number): Buf {
  switch (dtype) {
    case "float32": return new Float32Array(size);
    case "float64": return new Float64Array(size);
    case "int32": return new Int32Array(size);
    default: return allocBuf(resolveDType("allocBuf", dtype), size);
  }
}

/** A fresh zeroed buffer of the same kind as `like`. */
export function allocLike<B extends Buf>(like: B, size: number): B {
  return new (like.constructor as new (n: number) => B)(size);
}

export function dtypeOf(buf: Buf): DType {
  return buf instanceof Float32Array ? "float32" : buf instanceof Float64Array ? "float64" : "int32";
}

/**
 * Element types and the typed arrays that hold them. Core: tensors, ops and every backend use these,
 * so they live below all of them.
 */

export type DType = "float32" | "float64" | "int32";
export type FloatBuf = Float32Array | Float64Array;
export type Buf = FloatBuf | Int32Array;

export function allocBuf(dtype: DType, size: number): Buf {
  switch (dtype) {
    case "float32": return new Float32Array(size);
    case "float64": return new Float64Array(size);
    case "int32": return new Int32Array(size);
  }
}

/** A fresh zeroed buffer of the same kind as `like`. */
export function allocLike<B extends Buf>(like: B, size: number): B {
  return new (like.constructor as new (n: number) => B)(size);
}

export function dtypeOf(buf: Buf): DType {
  return buf instanceof Float32Array ? "float32" : buf instanceof Float64Array ? "float64" : "int32";
}

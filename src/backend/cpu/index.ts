/**
 * The reference backend: plain TypeScript loops over contiguous typed arrays. It is the oracle
 * every faster backend is tested against, so clarity wins over cleverness everywhere but gemm.
 */
import type { Backend, BinaryOp, Buf, FloatBuf, ReduceOp, UnaryOp } from "../backend.js";
import { gemm } from "./gemm.js";
import { recurrentBackward, recurrentForward } from "./recurrent.js";

const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 ? x : 0),
  abs: Math.abs,
  sqrt: Math.sqrt,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  sin: Math.sin,
  cos: Math.cos,
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
};

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};

function unary(op: UnaryOp, x: Buf, out: Buf): void {
  const n = x.length;
  switch (op) {
    case "neg": for (let i = 0; i < n; i++) out[i] = -x[i]!; return;
    case "exp": for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!); return;
    case "tanh": for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!); return;
    default: {
      const f = unaryFns[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
    }
  }
}

/** Strides of `shape` with 0 where a broadcast dimension has size 1. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = new Array<number>(out.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = shape[i] === 1 && out[i] !== 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return s;
}

function binary(op: BinaryOp, a: Buf, aShape: readonly number[], b: Buf, bShape: readonly number[], out: Buf, outShape: readonly number[]): void {
  const n = out.length;
  const f = binaryFns[op];
  if (a.length === n && b.length === n) {
    switch (op) {
      case "add": for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!; return;
      case "sub": for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!; return;
      case "mul": for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!; return;
      default: for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!); return;
    }
  }
  if (b.length === 1 && a.length === n) {
    const bv = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, bv);
    return;
  }
  if (a.length === 1 && b.length === n) {
    const av = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]!);
    return;
  }
  // General case: walk the output with an odometer over all but the last axis.
  const nd = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const last = outShape[nd - 1]!;
  const la = sa[nd - 1]!, lb = sb[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let ia = 0, ib = 0;
  for (let o = 0; o < n; o += last) {
    for (let j = 0; j < last; j++) out[o + j] = f(a[ia + j * la]!, b[ib + j * lb]!);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * idx[d]!;
      ib -= sb[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
}

function reduce(op: ReduceOp, x: Buf, outer: number, size: number, inner: number, out: Buf): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      let acc = op === "sum" ? 0 : x[base + i]!;
      if (op === "sum") {
        for (let s = 0; s < size; s++) acc += x[base + s * inner + i]!;
      } else if (op === "max") {
        for (let s = 1; s < size; s++) {
          const v = x[base + s * inner + i]!;
          if (v > acc || v !== v) acc = v;
        }
      } else {
        for (let s = 1; s < size; s++) {
          const v = x[base + s * inner + i]!;
          if (v < acc || v !== v) acc = v;
        }
      }
      out[o * inner + i] = acc;
    }
  }
}

function argReduce(op: "argmax" | "argmin", x: Buf, outer: number, size: number, inner: number, out: Int32Array): void {
  const sign = op === "argmax" ? 1 : -1;
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bv = x[base + i]! * sign;
      for (let s = 1; s < size; s++) {
        const v = x[base + s * inner + i]! * sign;
        if (v > bv) { bv = v; best = s; }
      }
      out[o * inner + i] = best;
    }
  }
}

// Copies (and sums) of contiguous runs, one function per array type: an element loop that sees
// every dtype turns megamorphic and runs several times slower than one that sees a single type.
// From 64 elements a view's set (a memcpy) beats the loop: an embedding's 2048 rows of 128 took 330 us by loop, 130 by set.
function runF32(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  if (n >= 64) dst.set(src.subarray(s, s + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
function runF64(dst: Float64Array, d: number, src: Float64Array, s: number, n: number): void {
  if (n >= 64) dst.set(src.subarray(s, s + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
function runI32(dst: Int32Array, d: number, src: Int32Array, s: number, n: number): void {
  if (n >= 64) dst.set(src.subarray(s, s + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
function runAny(dst: Buf, d: number, src: Buf, s: number, n: number): void { for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!; }
function addF32(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void { for (let i = 0; i < n; i++) dst[d + i] += src[s + i]!; }
function addAny(dst: Buf, d: number, src: Buf, s: number, n: number): void { for (let i = 0; i < n; i++) dst[d + i] += src[s + i]!; }

/** `dst[d .. d+n) = src[s .. s+n)`, or `+=` when `add`. */
function copyRun(dst: Buf, d: number, src: Buf, s: number, n: number, add = false): void {
  const f32 = dst instanceof Float32Array && src instanceof Float32Array;
  if (add) (f32 ? addF32 : addAny)(dst as Float32Array, d, src as Float32Array, s, n);
  else if (f32) runF32(dst, d, src, s, n);
  else if (dst instanceof Float64Array && src instanceof Float64Array) runF64(dst, d, src, s, n);
  else if (dst instanceof Int32Array && src instanceof Int32Array) runI32(dst, d, src, s, n);
  else runAny(dst, d, src, s, n);
}

function permute(x: Buf, shape: readonly number[], perm: readonly number[], out: Buf): void {
  const nd = shape.length;
  const inStrides = new Array<number>(nd);
  let acc = 1;
  for (let i = nd - 1; i >= 0; i--) { inStrides[i] = acc; acc *= shape[i]!; }
  const outShape = perm.map((p) => shape[p]!);
  const st = perm.map((p) => inStrides[p]!);
  const n = out.length;
  if (nd === 0 || n === 0) { if (n) out[0] = x[0]!; return; }
  const last = outShape[nd - 1]!;
  const ls = st[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  for (let o = 0; o < n; o += last) {
    if (ls === 1) copyRun(out, o, x, src, last);
    else for (let j = 0; j < last; j++) out[o + j] = x[src + j * ls]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      src += st[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= st[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
}

function copyAxis(src: Buf, srcSize: number, srcStart: number, dst: Buf, dstSize: number, dstStart: number, outer: number, len: number, inner: number, accumulate: boolean): void {
  const block = len * inner;
  for (let o = 0; o < outer; o++) {
    const s = (o * srcSize + srcStart) * inner;
    const d = (o * dstSize + dstStart) * inner;
    copyRun(dst, d, src, s, block, accumulate);
  }
}

function takeRows(x: Buf, width: number, index: Int32Array, out: Buf): void {
  for (let i = 0; i < index.length; i++) copyRun(out, i * width, x, index[i]! * width, width);
}

function addRows(src: FloatBuf, width: number, index: Int32Array, out: FloatBuf, skip: number): void {
  const add = src instanceof Float32Array && out instanceof Float32Array ? addF32 : addAny;
  for (let i = 0; i < index.length; i++) if (index[i] !== skip) add(out as Float32Array, index[i]! * width, src as Float32Array, i * width, width);
}

function gather(x: Buf, outer: number, size: number, inner: number, index: Int32Array, k: number, out: Buf): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const ob = (o * k + j) * inner;
      for (let i = 0; i < inner; i++) out[ob + i] = x[(o * size + index[ob + i]!) * inner + i]!;
    }
  }
}

function scatterAdd(src: FloatBuf, outer: number, size: number, inner: number, index: Int32Array, k: number, out: FloatBuf): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const ob = (o * k + j) * inner;
      for (let i = 0; i < inner; i++) out[(o * size + index[ob + i]!) * inner + i] += src[ob + i]!;
    }
  }
}

function cast(x: Buf, out: Buf): void {
  if (out instanceof Int32Array && !(x instanceof Int32Array)) {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]!);
  } else {
    for (let i = 0; i < x.length; i++) out[i] = x[i]!;
  }
}

export const cpuBackend: Backend = {
  name: "cpu",
  maxThreads: 1,
  unary,
  leakyRelu(x, slope, out) {
    for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v > 0 ? v : v * slope; }
  },
  binary,
  matmul(a, b, out, m, k, n, transA, transB, batch, aStride, bStride) {
    for (let i = 0; i < batch; i++) gemm(a, i * aStride, b, i * bStride, out, i * m * n, m, k, n, transA, transB, false);
  },
  reduce,
  argReduce,
  permute,
  copyAxis,
  takeRows,
  addRows,
  gather,
  scatterAdd,
  cast,
  recurrent: { forward: recurrentForward, backward: recurrentBackward },
};

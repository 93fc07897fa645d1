/**
 * The reference matrix product. Every product is brought to one canonical form, C[m, n] += A[m, k] ·
 * Bt[n, k]ᵀ, so that both operands are read along contiguous rows; a 4x4 tile of C is kept in
 * sixteen local accumulators while k is swept in cache-sized blocks.
 */
import type { FloatBuf } from "../backend.js";

const KC = 256;

/** `dst[c, r] = src[off + r * cols + c]` for an `[rows, cols]` block. */
export function transpose2d(src: FloatBuf, off: number, rows: number, cols: number, dst: FloatBuf): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const s = off + r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c]!;
      }
    }
  }
}

/**
 * `C[cOff..] (+)= op(A) @ op(B)` for one `[m, k] @ [k, n]` product. A is stored `[k, m]` when
 * `transA`, B is stored `[n, k]` when `transB`; C is `[m, n]`, overwritten unless `accumulate`.
 */
export function gemm(
  A: FloatBuf, aOff: number, B: FloatBuf, bOff: number, C: FloatBuf, cOff: number,
  m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
): void {
  if (!accumulate) C.fill(0, cOff, cOff + m * n);
  if (m === 0 || n === 0 || k === 0) return;
  let a = A;
  let ao = aOff;
  if (transA) {
    a = new (A.constructor as new (n: number) => FloatBuf)(m * k);
    transpose2d(A, aOff, k, m, a);
    ao = 0;
  }
  let bt = B;
  let bo = bOff;
  if (!transB) {
    if (m === 1) {
      // A single row: a[k] @ B[k, n] streams B's rows, no packing needed.
      for (let p = 0; p < k; p++) {
        const ap = a[ao + p]!;
        if (ap === 0) continue;
        const br = bOff + p * n;
        for (let j = 0; j < n; j++) C[cOff + j] += ap * B[br + j]!;
      }
      return;
    }
    bt = new (B.constructor as new (n: number) => FloatBuf)(n * k);
    transpose2d(B, bOff, k, n, bt);
    bo = 0;
  }
  gemmNT(a, ao, bt, bo, C, cOff, m, k, n);
}

/** C[m, n] += A[m, k] · Bt[n, k]ᵀ with both operands row-major. */
function gemmNT(A: FloatBuf, ao: number, Bt: FloatBuf, bo: number, C: FloatBuf, co: number, m: number, k: number, n: number): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = Math.min(k, p0 + KC);
    for (let i = 0; i < m4; i += 4) {
      const a0 = ao + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      for (let j = 0; j < n4; j += 4) {
        const b0 = bo + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = p0; p < p1; p++) {
          const x0 = A[a0 + p]!, x1 = A[a1 + p]!, x2 = A[a2 + p]!, x3 = A[a3 + p]!;
          const y0 = Bt[b0 + p]!, y1 = Bt[b1 + p]!, y2 = Bt[b2 + p]!, y3 = Bt[b3 + p]!;
          c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
          c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
          c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
          c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        }
        let c = co + i * n + j;
        C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03; c += n;
        C[c] += c10; C[c + 1] += c11; C[c + 2] += c12; C[c + 3] += c13; c += n;
        C[c] += c20; C[c + 1] += c21; C[c + 2] += c22; C[c + 3] += c23; c += n;
        C[c] += c30; C[c + 1] += c31; C[c + 2] += c32; C[c + 3] += c33;
      }
      for (let j = n4; j < n; j++) {
        const b0 = bo + j * k;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = p0; p < p1; p++) {
          const y = Bt[b0 + p]!;
          s0 += A[a0 + p]! * y; s1 += A[a1 + p]! * y; s2 += A[a2 + p]! * y; s3 += A[a3 + p]! * y;
        }
        const c = co + i * n + j;
        C[c] += s0; C[c + n] += s1; C[c + 2 * n] += s2; C[c + 3 * n] += s3;
      }
    }
    for (let i = m4; i < m; i++) {
      const a0 = ao + i * k;
      for (let j = 0; j < n; j++) {
        const b0 = bo + j * k;
        let s = 0;
        for (let p = p0; p < p1; p++) s += A[a0 + p]! * Bt[b0 + p]!;
        C[co + i * n + j] += s;
      }
    }
  }
}

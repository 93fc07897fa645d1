import { describe, expect, test } from "vitest";
import { Generator } from "../../random.js";
import type { FloatBuf } from "../backend.js";
import { gemm, transpose2d } from "./gemm.js";
import { cpuBackend } from "./index.js";
import { absTol, expectAllClose } from "../../../test/helpers.js";

const gen = new Generator(77);
type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
function randBuf(C: Ctor, n: number): FloatBuf {
  const b = new C(n);
  for (let i = 0; i < n; i++) b[i] = gen.normal();
  return b;
}

/** The triple loop, in float64, with the stored layouts gemm documents. */
function naive(A: FloatBuf, aOff: number, B: FloatBuf, bOff: number, m: number, k: number, n: number, tA: boolean, tB: boolean): { c: Float64Array; mag: Float64Array } {
  const c = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let a = 0;
      for (let p = 0; p < k; p++) {
        const x = A[aOff + (tA ? p * m + i : i * k + p)]!;
        const y = B[bOff + (tB ? j * k + p : p * n + j)]!;
        s += x * y;
        a += Math.abs(x * y);
      }
      c[i * n + j] = s;
      mag[i * n + j] = a;
    }
  }
  return { c, mag };
}

function run(C: Ctor, m: number, k: number, n: number, tA: boolean, tB: boolean, accumulate: boolean): void {
  const rel = C === Float64Array ? 1e-12 : 1e-5;
  const aOff = 3, bOff = 5, cOff = 2;
  const A = randBuf(C, aOff + m * k + 1);
  const B = randBuf(C, bOff + k * n + 1);
  const out = randBuf(C, cOff + m * n + 4);
  const before = out.slice();
  gemm(A, aOff, B, bOff, out, cOff, m, k, n, tA, tB, accumulate);
  const { c, mag } = naive(A, aOff, B, bOff, m, k, n, tA, tB);
  for (let i = 0; i < m * n; i++) {
    const expected = c[i]! + (accumulate ? before[cOff + i]! : 0);
    const tol = rel * (mag[i]! + Math.abs(before[cOff + i]!) + 1);
    if (!(Math.abs(out[cOff + i]! - expected) <= tol)) {
      expect.fail(`${C.name} m=${m} k=${k} n=${n} transA=${tA} transB=${tB} acc=${accumulate}: C[${i}] = ${out[cOff + i]}, expected ${expected}`);
    }
  }
  // Nothing outside C[cOff, cOff + m*n) is written.
  for (let i = 0; i < cOff; i++) expect(out[i]).toBe(before[i]);
  for (let i = cOff + m * n; i < out.length; i++) expect(out[i]).toBe(before[i]);
}

const dims = [1, 3, 5, 17, 33, 65];
const ks = [1, 3, 17, 300];
const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

describe("gemm against a triple loop", () => {
  for (const C of [Float64Array, Float32Array] as Ctor[]) {
    for (const [tA, tB] of combos) {
      test(`${C.name} transA=${tA} transB=${tB}`, () => {
        for (const m of dims) for (const n of dims) for (const k of ks) run(C, m, k, n, tA, tB, false);
      });
    }
    test(`${C.name} accumulate, every transpose combination`, () => {
      for (const [tA, tB] of combos) {
        for (const [m, k, n] of [[1, 5, 3], [5, 300, 17], [17, 3, 65], [33, 257, 5], [4, 513, 4]] as const) {
          run(C, m, k, n, tA, tB, true);
        }
      }
    });
  }

  test("k crossing the 256 block boundary exactly", () => {
    for (const k of [255, 256, 257, 512, 513]) {
      for (const [tA, tB] of combos) run(Float64Array, 5, k, 6, tA, tB, false);
    }
  });

  test("empty products", () => {
    const C = new Float64Array([1, 2, 3, 4]);
    gemm(new Float64Array(0), 0, new Float64Array(0), 0, C, 0, 2, 0, 2, false, false, false);
    expect([...C]).toEqual([0, 0, 0, 0]);
    const D = new Float64Array([1, 2]);
    gemm(new Float64Array(0), 0, new Float64Array(0), 0, D, 0, 1, 0, 2, false, false, true);
    expect([...D]).toEqual([1, 2]);
  });

  test("2x2 by hand", () => {
    const C = new Float64Array(4);
    gemm(new Float64Array([1, 2, 3, 4]), 0, new Float64Array([5, 6, 7, 8]), 0, C, 0, 2, 2, 2, false, false, false);
    expect([...C]).toEqual([19, 22, 43, 50]);
    gemm(new Float64Array([1, 2, 3, 4]), 0, new Float64Array([5, 6, 7, 8]), 0, C, 0, 2, 2, 2, true, true, false);
    expect([...C]).toEqual([23, 31, 34, 46]);
  });

  test("transpose2d", () => {
    const dst = new Float64Array(6);
    transpose2d(new Float64Array([9, 1, 2, 3, 4, 5, 6]), 1, 2, 3, dst);
    expect([...dst]).toEqual([1, 4, 2, 5, 3, 6]);
  });

  test("cpu backend matmul: batches with a shared (stride 0) operand", () => {
    const m = 3, k = 4, n = 5, batch = 3;
    const A = randBuf(Float64Array, batch * m * k);
    const B = randBuf(Float64Array, k * n);
    const out = new Float64Array(batch * m * n);
    cpuBackend.matmul(A, B, out, m, k, n, false, false, batch, m * k, 0);
    for (let i = 0; i < batch; i++) {
      const { c } = naive(A, i * m * k, B, 0, m, k, n, false, false);
      // toBeCloseTo(v, 12) tolerance: |a - e| < 5e-13.
      expectAllClose(out.subarray(i * m * n, (i + 1) * m * n), c, `batch ${i}`, absTol(5e-13));
    }
  });
});

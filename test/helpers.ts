/**
 * Shared test helpers: closeness checks, float64 random inputs, gradcheck assertions and error
 * capture. Imported by the tests under src/ (as `../../test/helpers.js`) and test/.
 */
import { expect } from "vitest";
import { gradcheck, type GradcheckOptions } from "../src/gradcheck.js";
import { Generator } from "../src/random.js";
import type { Shape } from "../src/shape.js";
import { randn, Tensor } from "../src/tensor.js";

// ---------------------------------------------------------------------------------------------
// Closeness

/** Values to compare: a tensor, a typed array or plain numbers. */
export type Numbers = Tensor | ArrayLike<number>;

/** Elementwise tolerance: |actual - expected| <= atol + rtol·|expected|. */
export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** Defaults when the less precise side is float32 (a few ulps of accumulated rounding). */
export const FLOAT32_TOLERANCE: Readonly<Required<Tolerance>> = Object.freeze({ atol: 1e-5, rtol: 1e-4 });
/** Defaults when both sides are float64 (or plain numbers). */
export const FLOAT64_TOLERANCE: Readonly<Required<Tolerance>> = Object.freeze({ atol: 1e-10, rtol: 1e-8 });
/** Defaults when both sides are int32: exact. */
export const EXACT: Readonly<Required<Tolerance>> = Object.freeze({ atol: 0, rtol: 0 });

/** Absolute tolerance only: |actual - expected| <= atol. */
export const absTol = (atol: number): Required<Tolerance> => ({ atol, rtol: 0 });
/** |actual - expected| <= tol·(1 + |expected|), i.e. atol = rtol = tol. */
export const relTol = (tol: number): Required<Tolerance> => ({ atol: tol, rtol: tol });

type Precision = "float32" | "float64" | "int32" | null;

function precisionOf(x: Numbers): Precision {
  if (x instanceof Tensor) return x.dtype;
  if (x instanceof Float32Array) return "float32";
  if (x instanceof Float64Array) return "float64";
  if (x instanceof Int32Array) return "int32";
  return null; // plain numbers: as precise as float64
}

/**
 * The default tolerance for comparing `xs`, decided by the least precise of them: float32 if any
 * is float32 (a Tensor of that dtype or a Float32Array), exact if all are int32, else float64.
 */
export function defaultTolerance(...xs: Numbers[]): Required<Tolerance> {
  const ps = xs.map(precisionOf);
  if (ps.includes("float32")) return { ...FLOAT32_TOLERANCE };
  if (ps.length > 0 && ps.every((p) => p === "int32")) return { ...EXACT };
  return { ...FLOAT64_TOLERANCE };
}

/** One element that is not close, as found by {@link firstMismatch}. */
export interface Mismatch {
  index: number;
  actual: number;
  expected: number;
}

/**
 * The core of every closeness check here: the first index where `|a - e| <= atol + rtol·|e|`
 * does not hold (so a NaN on either side is a mismatch), or null when all elements are close.
 * Equal infinities are close. The arrays must have the same length.
 */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): Mismatch | null {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e) continue; // also the same infinity; NaN is never equal
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return { index: i, actual: a, expected: e };
  }
  return null;
}

/** Asserts that `actual` and `expected`, already known to be present and of equal length, are close. */
export function assertValuesClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, atol: number, rtol: number): void {
  const m = firstMismatch(actual, expected, atol, rtol);
  if (m) expect.fail(`${label}: element ${m.index} is ${m.actual}, expected ${m.expected} (atol ${atol}, rtol ${rtol})`);
}

export interface CloseOptions extends Tolerance {
  /** Passes when both sides are null or undefined (fails when only one is). Off by default. */
  allowNull?: boolean;
}

/**
 * Asserts `actual` is elementwise close to `expected`: |a - e| <= atol + rtol·|e|, failing on NaN.
 * Tensors on both sides must have equal shapes; otherwise the lengths must match. Tolerances not
 * given default by precision ({@link defaultTolerance}): float32 1e-5/1e-4, float64 1e-10/1e-8,
 * int32 exact. A missing side (null or undefined) fails unless `allowNull` and both are missing.
 */
export function expectAllClose(actual: Numbers | null | undefined, expected: Numbers | null | undefined, label: string, options: CloseOptions = {}): void {
  const missing = (x: unknown): boolean => x === null || x === undefined;
  if (options.allowNull && missing(actual) && missing(expected)) return;
  if (missing(actual)) expect.fail(`${label}: actual is missing`);
  if (missing(expected)) expect.fail(`${label}: expected is missing`);
  const a = actual!;
  const e = expected!;
  if (a instanceof Tensor && e instanceof Tensor) {
    expect([...a.shape], `${label}: shape`).toEqual([...e.shape]);
  }
  const av = a instanceof Tensor ? a.data : a;
  const ev = e instanceof Tensor ? e.data : e;
  expect(av.length, `${label}: length`).toBe(ev.length);
  const d = defaultTolerance(a, e);
  assertValuesClose(av, ev, label, options.atol ?? d.atol, options.rtol ?? d.rtol);
}

// ---------------------------------------------------------------------------------------------
// float64 inputs

export interface Randn64Options {
  /** Whether the result requires a gradient (default true). It is always a leaf. */
  requiresGrad?: boolean;
  /** Multiplies the standard normal samples (default: none). */
  scale?: number;
  /** Default: the global generator. */
  generator?: Generator;
}

/** A float64 leaf of standard normal samples (times `scale`), requiring grad unless told not to. */
export function randn64(shape: Shape, options: Randn64Options = {}): Tensor {
  const { requiresGrad = true, scale, generator } = options;
  const t = randn(shape, { dtype: "float64", generator });
  const scaled = scale === undefined ? t : t.mul(scale);
  return scaled.requiresGrad_(requiresGrad);
}

/** {@link randn64} drawing from `generator`: `const r64 = randn64From(new Generator(11)); r64([3, 4])`. */
export function randn64From(generator: Generator): (shape: Shape, options?: Omit<Randn64Options, "generator">) => Tensor {
  return (shape, options = {}) => randn64(shape, { ...options, generator });
}

// ---------------------------------------------------------------------------------------------
// gradcheck

type GradcheckFn = Parameters<typeof gradcheck>[0];

/**
 * Asserts `gradcheck(fn, inputs, options)` passes (see src/gradcheck.ts for the defaults). On
 * failure the message names the first mismatch and the element with the largest
 * |analytical - numerical| over all inputs (found by checking again, only then).
 */
export function expectGradcheck(fn: GradcheckFn, inputs: Tensor[], options: GradcheckOptions = {}, label = "gradcheck"): void {
  const res = gradcheck(fn, inputs, options);
  if (res.ok) return;
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3 } = options;
  expect.fail(`${label}: ${res.message} (eps ${eps}, atol ${atol}, rtol ${rtol}); ${worstGradcheckElement(fn, inputs, options)}`);
}

function worstGradcheckElement(fn: GradcheckFn, inputs: Tensor[], options: GradcheckOptions): string {
  // With no tolerance left only a NaN fails; with the largest error as the tolerance (rtol 0),
  // the first element to fail is the worst one.
  const all = gradcheck(fn, inputs, { ...options, atol: Infinity, rtol: 0 });
  if (!all.ok) return `worst: ${all.message} (NaN)`;
  const worst = gradcheck(fn, inputs, { ...options, atol: all.maxError * (1 - 1e-12), rtol: 0 });
  return worst.ok ? `largest |analytical - numerical| ${all.maxError}` : `worst: ${worst.message}, |difference| ${worst.maxError}`;
}

// ---------------------------------------------------------------------------------------------
// Errors

type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

function checkError<E extends Error>(e: unknown, type: ErrorClass<E> | undefined): E {
  expect(e).toBeInstanceOf(type ?? Error);
  return e as E;
}

/**
 * The error `fn` throws; fails the test when it throws nothing, or something that is not an
 * Error (or not a `type`, when given).
 */
export function thrown<E extends Error = Error>(fn: () => unknown, type?: ErrorClass<E>): E {
  try {
    fn();
  } catch (e) {
    return checkError(e, type);
  }
  return expect.fail(`expected ${type ? `a ${type.name}` : "an error"} to be thrown`);
}

/** The error `promise` (or the promise `fn` returns) rejects with; fails when it resolves. */
export async function rejected<E extends Error = Error>(promise: Promise<unknown> | (() => Promise<unknown>), type?: ErrorClass<E>): Promise<E> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (e) {
    return checkError(e, type);
  }
  return expect.fail(`expected ${type ? `a ${type.name}` : "an error"} to be rejected with`);
}

/** The shared test helpers fail when they should, with useful messages. */
import { describe, expect, test } from "vitest";
import { gradcheck } from "../src/gradcheck.js";
import { Generator } from "../src/random.js";
import { ShapeError } from "../src/shape.js";
import { tensor } from "../src/tensor.js";
import {
  absTol, defaultTolerance, expectAllClose, expectGradcheck, firstMismatch, FLOAT32_TOLERANCE, FLOAT64_TOLERANCE,
  randn64, randn64From, rejected, relTol, thrown,
} from "./helpers.js";

describe("expectAllClose", () => {
  test("|a - e| <= atol + rtol·|e|, with a message naming label, element, values and tolerances", () => {
    expectAllClose([1, 2.5], [1, 2.5 + 1e-3], "near", { atol: 0, rtol: 1e-3 });
    expect(() => expectAllClose([1, 2.5, 3], [1, 2.5, 3.01], "far", { atol: 1e-3, rtol: 1e-3 })).toThrow(
      "far: element 2 is 3, expected 3.01 (atol 0.001, rtol 0.001)",
    );
    expectAllClose([Infinity, -Infinity], [Infinity, -Infinity], "same infinities", absTol(0));
    expect(() => expectAllClose([Infinity], [-Infinity], "opposite infinities", absTol(1))).toThrow(/element 0/);
  });

  test("NaN fails on either side, whatever the tolerance", () => {
    expect(() => expectAllClose([NaN], [1], "a", absTol(Infinity))).toThrow(/a: element 0 is NaN/);
    expect(() => expectAllClose([1], [NaN], "e", absTol(Infinity))).toThrow(/e: element 0 is 1, expected NaN/);
    expect(() => expectAllClose(tensor([NaN]), tensor([NaN]), "both")).toThrow(/both: element 0/);
    expect(firstMismatch([0, NaN], [0, NaN], 1, 1)).toEqual({ index: 1, actual: NaN, expected: NaN });
  });

  test("default tolerances follow the least precise side", () => {
    expect(defaultTolerance(tensor([1]))).toEqual(FLOAT32_TOLERANCE);
    expect(defaultTolerance(tensor([1], { dtype: "float64" }), [1])).toEqual(FLOAT64_TOLERANCE);
    expect(defaultTolerance(new Float64Array(1), new Float32Array(1))).toEqual(FLOAT32_TOLERANCE);
    expect(defaultTolerance([1], [2])).toEqual(FLOAT64_TOLERANCE);
    expect(defaultTolerance(tensor([1], { dtype: "int32" }), new Int32Array(1))).toEqual({ atol: 0, rtol: 0 });
    const off = 1 + 1e-6;
    expectAllClose(tensor([1]), [off], "float32 tensor");
    expectAllClose(new Float32Array([1]), [off], "Float32Array");
    expect(() => expectAllClose(tensor([1], { dtype: "float64" }), [off], "float64 tensor")).toThrow(/atol 1e-10, rtol 1e-8/);
    expect(() => expectAllClose([1], [off], "numbers")).toThrow(/numbers: element 0/);
    expect(() => expectAllClose(tensor([1], { dtype: "int32" }), tensor([2], { dtype: "int32" }), "int32")).toThrow(/atol 0, rtol 0/);
  });

  test("shapes, lengths and missing values", () => {
    expect(() => expectAllClose(tensor([[1, 2]]), tensor([1, 2]), "shape")).toThrow(/shape/);
    expect(() => expectAllClose([1, 2], [1, 2, 3], "length")).toThrow(/length/);
    expectAllClose(tensor([[1, 2]]), [1, 2], "a tensor against its flat values");
    expect(() => expectAllClose(null, [1], "missing")).toThrow(/missing: actual is missing/);
    expect(() => expectAllClose([1], undefined, "missing")).toThrow(/missing: expected is missing/);
    expect(() => expectAllClose(null, null, "both missing")).toThrow(/both missing: actual is missing/);
    expectAllClose(null, undefined, "both missing, allowed", { allowNull: true });
    expect(() => expectAllClose(null, [1], "one missing", { allowNull: true })).toThrow(/actual is missing/);
  });

  test("tolerance shorthands", () => {
    expect(absTol(0.5)).toEqual({ atol: 0.5, rtol: 0 });
    expect(relTol(0.5)).toEqual({ atol: 0.5, rtol: 0.5 });
  });
});

describe("randn64", () => {
  test("a float64 leaf requiring grad unless told not to, drawn from the generator, scaled", () => {
    const a = randn64([2, 3], { generator: new Generator(5) });
    expect(a.dtype).toBe("float64");
    expect(a.shape).toEqual([2, 3]);
    expect(a.requiresGrad).toBe(true);
    expect(a.isLeaf).toBe(true);
    const r64 = randn64From(new Generator(5));
    const b = r64([2, 3], { scale: 0.5, requiresGrad: false });
    expect(b.requiresGrad).toBe(false);
    expect(b.isLeaf).toBe(true);
    expect(Array.from(b.data)).toEqual(Array.from(a.data, (v) => v * 0.5));
    const c = r64([2], { scale: 2 });
    expect(c.requiresGrad).toBe(true);
    expect(c.isLeaf).toBe(true);
  });
});

describe("expectGradcheck", () => {
  test("passes a correct backward and reports the first and the worst element of a wrong one", () => {
    const r64 = randn64From(new Generator(3));
    expectGradcheck((x) => x.mul(x).sin(), [r64([3, 4])]);
    // detach() hides one of the two paths, so the analytical gradient is half the true one.
    const x = r64([2, 3]);
    const err = thrown(() => expectGradcheck((t) => t.detach().mul(t), [x], {}, "half"));
    const m = /^half: input 0 element \d+: analytical \S+, numerical \S+ \(eps 0.000001, atol 0.00001, rtol 0.001\); worst: input 0 element \d+: .*\|difference\| (\S+)$/.exec(err.message);
    expect(m, err.message).not.toBeNull();
    // The worst element's error is the largest over all elements.
    expect(Number(m![1])).toBe(gradcheck((t) => t.detach().mul(t), [x], { atol: Infinity }).maxError);
  });
});

describe("thrown and rejected", () => {
  test("thrown returns the error, checks its class, and fails when nothing is thrown", () => {
    const e = thrown(() => tensor([1, 2]).item(), ShapeError);
    expect(e.op).toBe("item");
    expect(thrown(() => JSON.parse("{")).name).toBe("SyntaxError");
    expect(() => thrown(() => 1)).toThrow("expected an error to be thrown");
    expect(() => thrown(() => 1, ShapeError)).toThrow("expected a ShapeError to be thrown");
    expect(() => thrown(() => JSON.parse("{"), ShapeError)).toThrow(/ShapeError/);
    expect(() =>
      thrown(() => {
        throw "a string";
      }),
    ).toThrow(/Error/);
  });

  test("rejected is the same for promises", async () => {
    const e = await rejected(Promise.reject(new ShapeError("op", "bad", [])), ShapeError);
    expect(e.op).toBe("op");
    expect((await rejected(async () => JSON.parse("{"))).name).toBe("SyntaxError");
    await expect(rejected(Promise.resolve(1))).rejects.toThrow("expected an error to be rejected with");
    await expect(rejected(Promise.reject(new Error("plain")), ShapeError)).rejects.toThrow(/ShapeError/);
  });
});

import { describe, expect, test } from "vitest";
import { noGrad } from "../autograd.js";
import { Generator } from "../random.js";
import { ShapeError } from "../shape.js";
import { ones, tensor } from "../tensor.js";
import { dropout, linear, logSoftmax, softmax } from "./composite.js";
import { absTol, expectAllClose, expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

const gen = new Generator(66);
const r64 = randn64From(gen);

describe("softmax and logSoftmax", () => {
  test("gradcheck over last, first and a size-1 dim", () => {
    expectGradcheck((x) => softmax(x, -1), [r64([3, 4])]);
    expectGradcheck((x) => softmax(x, 0), [r64([3, 2, 2])]);
    expectGradcheck((x) => softmax(x, 1), [r64([2, 1, 3])]);
    expectGradcheck((x) => logSoftmax(x, -1), [r64([3, 4])]);
    expectGradcheck((x) => x.logSoftmax(1), [r64([2, 3, 2])]);
    expectGradcheck((x) => logSoftmax(x, 0), [r64([1, 3])]);
  });

  test("forward values", () => {
    const x = tensor([[1, 2, 3], [1000, 1000, 1000]], { dtype: "float64" });
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0]! + e[1]! + e[2]!;
    const s = softmax(x, 1).tolist() as number[][];
    // toBeCloseTo(v, 12) and (v, 6) tolerances: |a - e| < 5e-13 and 5e-7.
    const tight = absTol(5e-13);
    expectAllClose(s[0]!, e.map((v) => v / z), "softmax row 0", tight);
    expectAllClose(s[1]!, [1 / 3, 1 / 3, 1 / 3], "softmax row 1", tight);
    const l = logSoftmax(x, 1).tolist() as number[][];
    expectAllClose(l[0]!, [1, 2, 3].map((v) => v - Math.log(z)), "logSoftmax row 0", tight);
    expectAllClose(l[1]!, [-Math.log(3), -Math.log(3), -Math.log(3)], "logSoftmax row 1", tight);
    expectAllClose(softmax(tensor([[1, 2], [3, 4]]), 0).sum(0).tolist() as number[], [1, 1], "float32 softmax sums", absTol(5e-7));
    expect(softmax(tensor([-1000, 0]), 0).tolist()).toEqual([0, 1]);
  });

  test("bad dim", () => {
    expect(() => softmax(ones([2, 3]), 2)).toThrow(ShapeError);
  });
});

describe("linear", () => {
  test("gradcheck with and without bias, 1-D to 3-D input", () => {
    expectGradcheck((x, w, b) => linear(x, w, b), [r64([4, 3]), r64([2, 3]), r64([2])]);
    expectGradcheck((x, w) => linear(x, w), [r64([2, 1, 3]), r64([2, 3])]);
    expectGradcheck((x, w, b) => linear(x, w, b), [r64([3]), r64([2, 3]), r64([2])]);
    expectGradcheck((x, w, b) => linear(x, w, b), [r64([2, 2, 3]), r64([1, 3]), r64([1])]);
  });

  test("forward values", () => {
    const x = tensor([[1, 2], [3, 4]]);
    const w = tensor([[1, 0], [1, 1], [0, -1]]);
    expect(linear(x, w).tolist()).toEqual([[1, 3, -2], [3, 7, -4]]);
    expect(linear(x, w, tensor([10, 20, 30])).tolist()).toEqual([[11, 23, 28], [13, 27, 26]]);
  });

  test("shape error", () => {
    const err = thrown(() => linear(ones([4, 5]), ones([2, 3])), ShapeError);
    expect(err.op).toBe("linear");
    expect(err.shapes).toEqual([[4, 5], [2, 3]]);
    expect(() => linear(ones([4, 5]), ones([2, 3]))).toThrow(/Expected 3, got 5/);
  });
});

describe("dropout", () => {
  test("eval mode is the identity (gradcheck too)", () => {
    const x = r64([3, 4]);
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0, true)).toBe(x);
    expectGradcheck((v) => dropout(v, 0.5, false).mul(v), [x]);
  });

  test("training mode: a fixed mask, scaled by 1 / (1 - p)", () => {
    const x = ones([1000], { dtype: "float64" });
    const y = dropout(x, 0.25, true, new Generator(3));
    const vals = new Set(y.tolist() as number[]);
    expect([...vals].sort()).toEqual([0, 4 / 3]);
    const kept = (y.tolist() as number[]).filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(680);
    expect(kept).toBeLessThan(820);
    expect(dropout(x, 1, true).sum().item()).toBe(0);
    // With the same generator state the mask is the same, so finite differences see one function.
    expectGradcheck((v) => dropout(v, 0.4, true, new Generator(9)), [r64([4, 5])]);
    expect(() => dropout(x, 1.5)).toThrow(/between 0 and 1/);
  });

  test("does not record a graph under noGrad", () => {
    const x = r64([2, 2]);
    expect(noGrad(() => dropout(x, 0.5, true, new Generator(1))).requiresGrad).toBe(false);
  });
});

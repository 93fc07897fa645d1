import { describe, expect, test } from "vitest";
import { expectGradcheck, randn64, thrown } from "../../test/helpers.js";
import { ShapeError } from "../shape.js";
import { arange, Tensor, tensor, zeros, zerosLike, fullLike, randLike, randnLike, randn } from "../tensor.js";
import { ellipsis, slice } from "./index-helper.js";

// Expected values printed by PyTorch 1.13 for t = torch.arange(60).reshape(3, 4, 5).
const t = arange(60).reshape(3, 4, 5);
const cases: [string, Tensor, number[], unknown][] = [
  ["t[1:3, :, -1]", t.at("1:3", ":", -1), [2, 4], [[24, 29, 34, 39], [44, 49, 54, 59]]],
  ["t[..., 0]", t.at("...", 0), [3, 4], [[0, 5, 10, 15], [20, 25, 30, 35], [40, 45, 50, 55]]],
  ["t[:, ::2]", t.at(":", "::2"), [3, 2, 5], [[[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]], [[20, 21, 22, 23, 24], [30, 31, 32, 33, 34]], [[40, 41, 42, 43, 44], [50, 51, 52, 53, 54]]]],
  ["t[0, 1:, ::3]", t.at(0, "1:", "::3"), [3, 2], [[5, 8], [10, 13], [15, 18]]],
  ["t[-1, ..., None, 2:4]", t.at(-1, ellipsis, null, slice(2, 4)), [4, 1, 2], [[[42, 43]], [[47, 48]], [[52, 53]], [[57, 58]]]],
  ["t[:, -3:-1:2, 1]", t.at(slice(), slice(-3, -1, 2), 1), [3, 1], [[6], [26], [46]]],
  ["t[5:]", t.at("5:"), [0, 4, 5], []],
  ["t[:, 1::2, 4:1]", t.at(":", "1::2", "4:1"), [3, 2, 0], [[[], []], [[], []], [[], []]]],
];

describe("Tensor.at: Python's basic indexing", () => {
  test.each(cases)("%s", (_py, y, shape, values) => {
    expect(y.shape).toEqual(shape);
    expect(y.tolist()).toEqual(values);
  });

  test("None adds dimensions; no entries or only '...' return the tensor", () => {
    expect(t.at(null).shape).toEqual([1, 3, 4, 5]);
    expect(t.at(":", null, ":", null).shape).toEqual([3, 1, 4, 1, 5]);
    expect(t.at()).toBe(t);
    expect(t.at("...")).toBe(t);
    expect(tensor(3).at(null).shape).toEqual([1]);
    expect(slice(3)).toEqual({ kind: "slice", start: null, stop: 3, step: null });
  });

  test("errors name the problem", () => {
    expect(thrown(() => t.at(0, 0, 0, 0), ShapeError).message).toMatch(/too many indices for tensor of dimension 3/);
    expect(thrown(() => t.at(3), ShapeError).message).toMatch(/index 3 is out of bounds for dimension 0 with size 3/);
    expect(thrown(() => t.at("...", "..."), ShapeError).message).toMatch(/single ellipsis/);
    expect(thrown(() => t.at("::-1"), ShapeError).message).toMatch(/step must be a positive integer, got -1/);
    expect(thrown(() => t.at("a:2"), ShapeError).message).toMatch(/cannot parse index "a:2"/);
  });

  test("differentiable, steps included", () => {
    expectGradcheck((x) => x.at("1:3", ":", -1), [randn64([3, 4, 5])]);
    expectGradcheck((x) => x.at(":", "::2", null, "...", 1), [randn64([3, 5, 2])]);
    const x = zeros([4], { requiresGrad: true });
    x.at("::2").sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 0, 1, 0]);
  });
});

describe("small PyTorch conveniences", () => {
  test("contiguous returns the tensor", () => {
    expect(t.contiguous()).toBe(t);
  });

  test("newZeros / newOnes / newFull / newTensor take this tensor's dtype", () => {
    const d = randn([2], { dtype: "float64" });
    expect(d.newZeros([2, 3]).dtype).toBe("float64");
    expect(d.newZeros([2, 3]).shape).toEqual([2, 3]);
    expect(d.newOnes([2]).tolist()).toEqual([1, 1]);
    expect(t.newFull([2], 7).tolist()).toEqual([7, 7]);
    expect(t.newFull([2], 7).dtype).toBe("int32");
    expect(d.newTensor([[1, 2]]).dtype).toBe("float64");
    expect(d.newTensor([1.5], { dtype: "float32" }).dtype).toBe("float32");
    expect(d.newZeros([1], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  test("fullLike / randLike / randnLike follow the shape and dtype", () => {
    const d = randn([2, 3], { dtype: "float64" });
    expect(fullLike(d, 2.5).tolist()).toEqual([[2.5, 2.5, 2.5], [2.5, 2.5, 2.5]]);
    expect(fullLike(d, 1, { dtype: "int32" }).dtype).toBe("int32");
    expect(randLike(d).dtype).toBe("float64");
    expect(randLike(d).shape).toEqual([2, 3]);
    expect((randLike(d).data as Float64Array).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(randnLike(t).dtype).toBe("float32");
    expect(randnLike(d, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(zerosLike(t).dtype).toBe("int32");
  });

  test("split takes a list of sizes, as torch.split", () => {
    const x = arange(10).reshape(2, 5);
    const parts = x.split([2, 3], 1);
    expect(parts.map((p) => p.tolist())).toEqual([[[0, 1], [5, 6]], [[2, 3, 4], [7, 8, 9]]]);
    expect(x.split([0, 5], 1)[0]!.shape).toEqual([2, 0]);
    expect(x.split(2, 1).map((p) => p.shape)).toEqual([[2, 2], [2, 2], [2, 1]]);
    expect(thrown(() => x.split([2, 2], 1), ShapeError).message).toMatch(/split sizes \[2, 2\] must .* sum exactly to 5/);
    expectGradcheck((a) => a.split([1, 3], 0)[1]!, [randn64([4, 2])]);
  });
});

describe("at() with one index array or tensor (advanced indexing)", () => {
  test("picks rows, negative indices from the end, and keeps the index's shape", () => {
    const x = arange(12).reshape([4, 3]);
    expect(x.at(tensor([3, -1, 0], { dtype: "int32" })).tolist()).toEqual([[9, 10, 11], [9, 10, 11], [0, 1, 2]]);
    expect(x.at(":", [0, 2]).tolist()).toEqual([[0, 2], [3, 5], [6, 8], [9, 11]]);
    expect(x.at(tensor([[0, 1], [2, 3]], { dtype: "int32" })).shape).toEqual([2, 2, 3]);
    expect(thrown(() => x.at([0], [1])).message).toMatch(/only one index array or tensor/);
  });
  test("gradients flow back to the picked rows", () => {
    const w = randn64([4, 2]);
    expectGradcheck((t) => t!.at(tensor([1, 1, 3], { dtype: "int32" })), [w]);
  });
});

describe("any and all", () => {
  test("over a dimension and over everything", () => {
    const t = tensor([[0, 1, 0], [0, 0, 0], [2, 3, 4]]);
    expect(t.any(1).tolist()).toEqual([1, 0, 1]);
    expect(t.all(1).tolist()).toEqual([0, 0, 1]);
    expect(t.any().item()).toBe(1);
    expect(t.all().item()).toBe(0);
  });
});

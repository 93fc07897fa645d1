import { describe, expect, test } from "vitest";
import { Generator } from "../random.js";
import { ShapeError, type Shape } from "../shape.js";
import { arange, ones, randn, tensor } from "../tensor.js";
import { bmm, matmul } from "./matmul.js";
import { absTol, expectAllClose, expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

const gen = new Generator(44);
const r64 = randn64From(gen);

describe("bmm", () => {
  // Stored shapes for op(a) [B, 2, 3] @ op(b) [B, 3, 4].
  const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
  const stored = (tA: boolean, tB: boolean, ba: number, bb: number): [Shape, Shape] => [
    tA ? [ba, 3, 2] : [ba, 2, 3],
    tB ? [bb, 4, 3] : [bb, 3, 4],
  ];
  for (const [tA, tB] of combos) {
    test(`gradcheck transA=${tA} transB=${tB}`, () => {
      const [sa, sb] = stored(tA, tB, 2, 2);
      expectGradcheck((a, b) => bmm(a, b, tA, tB), [r64(sa), r64(sb)]);
    });
    test(`gradcheck transA=${tA} transB=${tB}, batch of 1 broadcast on either side`, () => {
      const [sa, sb] = stored(tA, tB, 1, 3);
      expectGradcheck((a, b) => bmm(a, b, tA, tB), [r64(sa), r64(sb)]);
      const [sa2, sb2] = stored(tA, tB, 3, 1);
      expectGradcheck((a, b) => bmm(a, b, tA, tB), [r64(sa2), r64(sb2)]);
    });
    test(`forward transA=${tA} transB=${tB} equals matmul of the transposes`, () => {
      const [sa, sb] = stored(tA, tB, 2, 1);
      const a = randn(sa, { dtype: "float64", generator: gen });
      const b = randn(sb, { dtype: "float64", generator: gen });
      const ref = matmul(tA ? a.transpose(1, 2) : a, tB ? b.transpose(1, 2) : b);
      expectAllClose(bmm(a, b, tA, tB), ref, "bmm", absTol(1e-12));
    });
  }

  test("errors", () => {
    const a = ones([2, 2, 3]);
    expect(() => bmm(a, ones([2, 4, 5]))).toThrow(/\[2, 2, 3\] @ \[2, 4, 5\]/);
    expect(() => bmm(a, ones([3, 3, 5]))).toThrow(/bmm: batch sizes differ/);
    expect(() => bmm(a, ones([3, 5]))).toThrow(/bmm: expected 3-D tensors/);
    expect(() => bmm(a, ones([2, 3, 5], { dtype: "float64" }))).toThrow(/same dtype/);
  });
});

describe("matmul", () => {
  const cases: [string, Shape, Shape][] = [
    ["1-D @ 1-D", [3], [3]],
    ["1-D @ 2-D", [3], [3, 2]],
    ["2-D @ 1-D", [2, 3], [3]],
    ["2-D @ 2-D", [2, 3], [3, 4]],
    ["3-D @ 2-D", [2, 3, 4], [4, 2]],
    ["2-D @ 3-D", [3, 4], [2, 4, 2]],
    ["3-D @ 1-D", [2, 3, 4], [4]],
    ["1-D @ 3-D", [3], [2, 3, 2]],
    ["batched, same batch", [2, 2, 3], [2, 3, 2]],
    ["batched, broadcast batch dims", [2, 1, 2, 3], [3, 3, 2]],
    ["batched, size-1 batch on the left", [1, 2, 3], [3, 3, 2]],
    ["size-1 matrix dims", [2, 1, 3], [3, 1]],
  ];
  for (const [name, sa, sb] of cases) {
    test(`gradcheck ${name}`, () => expectGradcheck((a, b) => matmul(a, b), [r64(sa), r64(sb)]));
  }

  test("forward values", () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(a.matmul(tensor([[5, 6], [7, 8]])).tolist()).toEqual([[19, 22], [43, 50]]);
    const dot = tensor([1, 2, 3]).matmul(tensor([4, 5, 6]));
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBe(32);
    expect(tensor([1, 2]).matmul(a).tolist()).toEqual([7, 10]);
    expect(a.matmul(tensor([1, 2])).tolist()).toEqual([5, 11]);
    const b = arange(12).float().reshape(2, 2, 3);
    const w = tensor([[1, 0], [0, 1], [1, 1]]);
    expect(b.matmul(w).tolist()).toEqual([[[2, 3], [8, 9]], [[14, 15], [20, 21]]]);
    expect(ones([2, 1, 2, 3]).matmul(ones([3, 3, 4])).shape).toEqual([2, 3, 2, 4]);
    expect(tensor([[1, 2]], { dtype: "float64" }).matmul(tensor([[3], [4]], { dtype: "float64" })).dtype).toBe("float64");
  });

  test("batched broadcast matches a loop of 2-D products", () => {
    const a = randn([2, 1, 2, 3], { dtype: "float64", generator: gen });
    const b = randn([3, 3, 4], { dtype: "float64", generator: gen });
    const y = a.matmul(b);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) expectAllClose(y.select(0, i).select(0, j), a.select(0, i).select(0, 0).matmul(b.select(0, j)), `batch [${i}, ${j}]`, absTol(1e-12));
    }
  });

  test("shape errors name both shapes", () => {
    const a = ones([2, 3]);
    const b = ones([4, 5]);
    expect(() => a.matmul(b)).toThrow(/\[2, 3\] @ \[4, 5\]/);
    const err = thrown(() => a.matmul(b), ShapeError);
    expect(err.op).toBe("matmul");
    expect(err.shapes).toEqual([[2, 3], [4, 5]]);
    expect(() => ones([3]).matmul(ones([4]))).toThrow(/\[3\] @ \[4\]/);
    expect(() => ones([2, 2, 3]).matmul(ones([3, 3, 4]))).toThrow(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => tensor(1).matmul(ones([1]))).toThrow(ShapeError);
  });
});

import { describe, expect, test } from "vitest";
import { Generator } from "../random.js";
import { ShapeError } from "../shape.js";
import { randn, tensor, Tensor, type NestedArray } from "../tensor.js";
import { embedding, gather, indexAdd, indexSelect } from "./indexing.js";
import { expectGradcheck, randn64, randn64From, thrown } from "../../test/helpers.js";

const gen = new Generator(55);
const r64 = randn64From(gen);
const idx = (values: NestedArray): Tensor => tensor(values, { dtype: "int32" });

describe("gather", () => {
  test("gradcheck along dim 0, 1 and -1, with repeated indices", () => {
    expectGradcheck((x) => gather(x, 0, idx([[0, 2, 1], [2, 2, 0]])), [r64([3, 3])]);
    expectGradcheck((x) => gather(x, 1, idx([[3, 0, 3, 3, 1], [1, 1, 2, 0, 0]])), [r64([2, 4])]);
    expectGradcheck((x) => x.gather(-1, idx([[[1], [0]], [[1], [1]]])), [r64([2, 2, 2])]);
    expectGradcheck((x) => x.gather(1, idx([[[0, 1]], [[1, 0]]])), [r64([2, 3, 2])]);
  });

  test("forward values", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.gather(1, idx([[2, 0], [1, 1]])).tolist()).toEqual([[3, 1], [5, 5]]);
    expect(x.gather(0, idx([[1, 0, 1]])).tolist()).toEqual([[4, 2, 6]]);
    expect(x.gather(-1, idx([[0], [2]])).tolist()).toEqual([[1], [6]]);
  });

  test("repeated indices add their gradients", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.gather(0, idx([2, 2, 0, 2])).sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 0, 3]);
  });

  test("errors", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(thrown(() => x.gather(1, idx([[3], [0]])), ShapeError).op).toBe("gather");
    expect(() => x.gather(1, idx([[-1], [0]]))).toThrow(/out of range \[0, 3\)/);
    expect(() => x.gather(1, tensor([[0], [0]]))).toThrow(/int32/);
    expect(() => x.gather(1, idx([[0], [0], [0]]))).toThrow(/index \[3, 1\] must match input \[2, 3\]/);
  });
});

describe("embedding", () => {
  test("gradcheck, indices of any shape, repeated rows", () => {
    expectGradcheck((w) => embedding(idx([[0, 3, 3], [1, 0, 4]]), w), [r64([5, 3])]);
    expectGradcheck((w) => embedding(idx([2, 2]), w), [r64([3, 1])]);
    expectGradcheck((w) => embedding(idx(1), w), [r64([3, 2])]);
    // paddingIdx that does not occur changes nothing.
    expectGradcheck((w) => embedding(idx([0, 1, 1]), w, 2), [r64([3, 2])]);
  });

  test("forward values", () => {
    const w = tensor([[0, 1], [10, 11], [20, 21]]);
    const y = embedding(idx([[2, 0], [1, 1]]), w);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.tolist()).toEqual([[[20, 21], [0, 1]], [[10, 11], [10, 11]]]);
    expect(embedding(idx(1), w).tolist()).toEqual([10, 11]);
  });

  test("the paddingIdx row gets zero gradient; the others are unchanged", () => {
    const indices = idx([[0, 2, 1], [2, 2, 3]]);
    const w = r64([4, 3]);
    const up = randn([2, 3, 3], { dtype: "float64", generator: gen });
    embedding(indices, w).mul(up).sum().backward();
    const full = w.grad!.tolist() as number[][];
    w.grad = null;
    const y = embedding(indices, w, 2);
    // The padding row is still looked up in the forward pass, as in PyTorch.
    expect(y.select(0, 0).select(0, 1).tolist()).toEqual(w.select(0, 2).tolist());
    y.mul(up).sum().backward();
    const padded = w.grad!.tolist() as number[][];
    expect(padded[2]).toEqual([0, 0, 0]);
    expect(full[2]!.some((v) => v !== 0)).toBe(true);
    for (const r of [0, 1, 3]) expect(padded[r]).toEqual(full[r]);
  });

  test("a weight that has a .grad gets the rows added into it in place; its padding row keeps what it held", () => {
    const indices = idx([[0, 2, 1], [2, 2, 3]]);
    const w = r64([4, 3]);
    const up = randn([2, 3, 3], { dtype: "float64", generator: gen });
    embedding(indices, w, 2).mul(up).sum().backward();
    const once = w.grad!.tolist() as number[][];
    const buffer = w.grad!;
    const version = buffer._version.value;
    buffer.data.set([7, 8, 9], 2 * 3); // what an earlier step left in the padding row
    embedding(indices, w, 2).mul(up).sum().backward();
    expect(w.grad).toBe(buffer);
    expect(buffer._version.value).toBe(version + 1);
    const twice = w.grad!.tolist() as number[][];
    expect(twice[2]).toEqual([7, 8, 9]);
    for (const r of [0, 1, 3]) twice[r]!.forEach((v, j) => expect(v).toBeCloseTo(2 * once[r]![j]!, 12));
    // The op's own backward returns no buffer for the weight when it has one to add into.
    const y = embedding(indices, w, 2);
    const node = y._node!;
    const before = Array.from(buffer.data);
    expect(node.backward!([up], false, () => buffer)).toEqual([null]);
    expect(Array.from(buffer.data)).not.toEqual(before);
    const fresh = embedding(indices, w, 2)._node!.backward!([up], false, () => null)[0]!;
    expect(fresh.shape).toEqual([4, 3]);
  });

  test("errors", () => {
    const w = tensor([[0, 1], [10, 11]]);
    expect(() => embedding(idx([2]), w)).toThrow(/embedding: index 2 is out of range \[0, 2\)/);
    expect(() => embedding(idx([0]), tensor([1, 2]))).toThrow(/weight must be 2-D/);
    expect(() => embedding(tensor([0]), w)).toThrow(ShapeError);
  });
});

describe("indexSelect and indexAdd", () => {
  const g = new Generator(77);
  test("forward values", () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(indexSelect(x, 0, [2, 0, 2]).tolist()).toEqual([[5, 6], [1, 2], [5, 6]]);
    expect(indexSelect(x, 1, [1]).tolist()).toEqual([[2], [4], [6]]);
    expect(indexAdd(tensor([[1, 1], [2, 2]]), 0, [2, 2], 3).tolist()).toEqual([[0, 0], [0, 0], [3, 3]]);
  });
  test("gradcheck, each the other's adjoint", () => {
    for (const dim of [0, 1, -1]) {
      const x = randn64([3, 4, 2], { generator: g });
      expectGradcheck((t) => indexSelect(t, dim, [1, 0, 1]), [x]);
    }
    const src = randn64([3, 2], { generator: g });
    expectGradcheck((t) => indexAdd(t, 0, [4, 0, 4], 5), [src]);
  });
  test("errors name the index and the shape", () => {
    expect(() => indexSelect(tensor([1, 2]), 0, [2])).toThrow(/index 2 is out of range \[0, 2\)/);
    expect(() => indexAdd(tensor([1, 2]), 0, [0], 3)).toThrow(/index has 1 entries but src has 2/);
  });
});

import { describe, expect, test } from "vitest";
import { Generator } from "../random.js";
import { ShapeError, type Shape } from "../shape.js";
import { arange, ones, randn, tensor, Tensor } from "../tensor.js";
import { cat, stack } from "./movement.js";
import { expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

const gen = new Generator(33);
const r64 = randn64From(gen);

describe("movement backward (gradcheck, float64)", () => {
  const cases: [string, (x: Tensor) => Tensor | Tensor[], Shape][] = [
    ["reshape", (x) => x.reshape(4, 3).mul(arange(3).double()), [2, 3, 2]],
    ["reshape with -1", (x) => x.reshape([-1, 2]).exp(), [3, 4]],
    ["view", (x) => x.view(12).sin(), [3, 4]],
    ["flatten", (x) => x.flatten(1).square(), [2, 3, 2]],
    ["flatten all", (x) => x.flatten().square(), [2, 1, 2]],
    ["permute", (x) => x.permute(2, 0, 1).mul(arange(3).double().add(1)), [2, 3, 4]],
    ["permute negative dims", (x) => x.permute([-1, 0, 1]).square(), [2, 1, 3]],
    ["transpose", (x) => x.transpose(0, 2).square(), [2, 3, 4]],
    ["t", (x) => x.t().matmul(x), [3, 2]],
    ["unsqueeze", (x) => x.unsqueeze(1).mul(x.unsqueeze(0)), [3]],
    ["squeeze all", (x) => x.squeeze().square(), [2, 1, 3, 1]],
    ["squeeze one dim", (x) => x.squeeze(1).square(), [2, 1, 3]],
    ["expand", (x) => x.expand(2, 3, 4).mul(arange(24).double().reshape(2, 3, 4)), [3, 1]],
    ["expand with -1", (x) => x.expand(4, -1).square(), [1, 3]],
    ["narrow", (x) => x.narrow(1, 1, 2).square(), [2, 4]],
    ["slice", (x) => x.slice(0, 1, 3).square(), [4, 2]],
    ["slice negative", (x) => x.slice(-1, -3, -1).square(), [2, 5]],
    ["select", (x) => x.select(1, -1).square(), [2, 3, 2]],
    ["split", (x) => x.split(2, 1).map((t) => t.square()), [2, 5]],
    ["chunk", (x) => x.chunk(3, 0).map((t) => t.exp()), [5, 2]],
    ["chunk into size-1 pieces", (x) => x.chunk(2, -1), [3, 2]],
  ];
  for (const [name, fn, shape] of cases) test(name, () => expectGradcheck(fn, [r64(shape)]));

  test("cat", () => {
    expectGradcheck((a, b, c) => cat([a, b, c], 1).square(), [r64([2, 1, 3]), r64([2, 2, 3]), r64([2, 1, 3])]);
    expectGradcheck((a, b) => cat([a, b], -1).exp(), [r64([2, 2]), r64([2, 3])]);
    expectGradcheck((a, b) => cat([a, b]).square(), [r64([1, 3]), r64([2, 3])]);
  });

  test("cat with an input that needs no grad", () => {
    const fixed = randn([2, 2], { dtype: "float64", generator: gen });
    expectGradcheck((a) => cat([fixed, a], 0).square(), [r64([3, 2])]);
  });

  test("stack", () => {
    expectGradcheck((a, b) => stack([a, b], 0).square(), [r64([2, 3]), r64([2, 3])]);
    expectGradcheck((a, b, c) => stack([a, b, c], -1).exp(), [r64([2, 1]), r64([2, 1]), r64([2, 1])]);
    expectGradcheck((a, b) => stack([a, b], 1).sin(), [r64([3]), r64([3])]);
  });
});

describe("forward values", () => {
  const x = arange(6).reshape(2, 3); // [[0, 1, 2], [3, 4, 5]]

  test("reshape, view, flatten, -1", () => {
    expect(x.reshape(3, 2).tolist()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(x.reshape(-1).tolist()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(x.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(arange(24).reshape(2, -1, 4).shape).toEqual([2, 3, 4]);
    expect(arange(24).reshape(2, 3, 4).flatten(0, 1).shape).toEqual([6, 4]);
    expect(tensor(3).flatten().shape).toEqual([1]);
    expect(tensor(3).reshape([]).item()).toBe(3);
    const e = thrown(() => x.reshape(4, -1), ShapeError);
    expect(e.op).toBe("reshape");
    expect(e.shapes).toEqual([[2, 3], [4, -1]]);
    expect(() => x.reshape(-1, -1)).toThrow(/only one dimension can be inferred/);
    expect(() => x.reshape(4)).toThrow(/reshape: shape \[4\] is invalid for input of size 6/);
  });

  test("reshape shares storage", () => {
    const a = tensor([1, 2, 3, 4]);
    const b = a.reshape(2, 2);
    a.data[0] = 9;
    expect(b.tolist()).toEqual([[9, 2], [3, 4]]);
  });

  test("permute and transpose", () => {
    expect(x.permute(1, 0).tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.t().tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    const y = arange(24).reshape(2, 3, 4);
    const p = y.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.tolist()).toEqual([
      [[0, 4, 8], [12, 16, 20]],
      [[1, 5, 9], [13, 17, 21]],
      [[2, 6, 10], [14, 18, 22]],
      [[3, 7, 11], [15, 19, 23]],
    ]);
    expect(y.transpose(-1, 0).shape).toEqual([4, 3, 2]);
    expect(y.transpose(-1, 0).tolist()).toEqual(y.permute(2, 1, 0).tolist());
    expect(() => y.permute(0, 1)).toThrow(ShapeError);
    expect(() => y.permute(0, 1, 1)).toThrow(/repeated dim/);
  });

  test("unsqueeze, squeeze, expand", () => {
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(ones([1, 2, 1]).squeeze().shape).toEqual([2]);
    expect(ones([1, 2, 1]).squeeze(-1).shape).toEqual([1, 2]);
    expect(ones([1, 2, 1]).squeeze(1).shape).toEqual([1, 2, 1]);
    expect(tensor([[1], [2]]).expand(2, 3).tolist()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(tensor([1, 2]).expand(2, -1).tolist()).toEqual([[1, 2], [1, 2]]);
    const e = thrown(() => tensor([1, 2]).expand(3), ShapeError);
    expect(e.op).toBe("expand");
    expect(() => tensor([1, 2]).expand(3)).toThrow(/\[2\]/);
  });

  test("narrow, slice with negative indices, select", () => {
    const r = arange(10).reshape(2, 5);
    expect(r.narrow(1, 1, 3).tolist()).toEqual([[1, 2, 3], [6, 7, 8]]);
    expect(r.slice(1, -3).tolist()).toEqual([[2, 3, 4], [7, 8, 9]]);
    expect(r.slice(1, 1, -1).tolist()).toEqual([[1, 2, 3], [6, 7, 8]]);
    expect(r.slice(-1, -100, 2).tolist()).toEqual([[0, 1], [5, 6]]);
    expect(r.slice(1, 4, 2).shape).toEqual([2, 0]);
    expect(r.slice(0, 1).tolist()).toEqual([[5, 6, 7, 8, 9]]);
    expect(r.select(1, -1).tolist()).toEqual([4, 9]);
    expect(r.select(0, 0).tolist()).toEqual([0, 1, 2, 3, 4]);
    expect(thrown(() => r.narrow(1, 3, 3), ShapeError).op).toBe("narrow");
    expect(() => r.select(0, 2)).toThrow(/index 2 is out of bounds for dimension 0 with size 2/);
    expect(() => r.slice(2, 0)).toThrow(ShapeError);
  });

  test("split and chunk", () => {
    const s = arange(5).split(2);
    expect(s.map((t) => t.tolist())).toEqual([[0, 1], [2, 3], [4]]);
    const c = arange(6).reshape(2, 3).chunk(3, 1);
    expect(c.map((t) => t.tolist())).toEqual([[[0], [3]], [[1], [4]], [[2], [5]]]);
    expect(arange(5).chunk(2).map((t) => t.shape[0])).toEqual([3, 2]);
    expect(arange(6).chunk(4).map((t) => t.shape[0])).toEqual([2, 2, 2]);
    expect(() => arange(5).split(0)).toThrow(/split: split size must be a positive integer, got 0/);
    expect(() => arange(5).split(-1)).toThrow(ShapeError);
    expect(() => arange(5).chunk(0)).toThrow(/chunk: chunks must be a positive integer/);
  });

  test("cat and stack", () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    expect(cat([a, b]).tolist()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(cat([a, b.t()], 1).tolist()).toEqual([[1, 2, 5], [3, 4, 6]]);
    expect(stack([a, a.neg()]).shape).toEqual([2, 2, 2]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).tolist()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], -1).tolist()).toEqual([[1, 3], [2, 4]]);
    const e = thrown(() => cat([a, tensor([[1, 2, 3]])]), ShapeError);
    expect(e.op).toBe("cat");
    expect(e.shapes).toEqual([[2, 2], [1, 3]]);
    expect(() => cat([a, tensor([[1, 2, 3]])])).toThrow(/\[2, 2\], \[1, 3\]/);
    expect(() => stack([a, b])).toThrow(/stack: expects each tensor to be equal size/);
    expect(() => cat([])).toThrow(ShapeError);
  });

  test("the gradient of a slice lands in the right place", () => {
    const v = tensor([1, 2, 3, 4, 5], { requiresGrad: true });
    v.slice(0, -3, -1).mul(tensor([10, 20])).sum().backward();
    expect(v.grad!.tolist()).toEqual([0, 0, 10, 20, 0]);
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const [p, q] = w.split(1, 1) as [Tensor, Tensor];
    p.mul(2).add(q.mul(3)).sum().backward();
    expect(w.grad!.tolist()).toEqual([[2, 3], [2, 3]]);
  });
});

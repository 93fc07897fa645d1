import { describe, expect, test } from "vitest";
import { Generator } from "../random.js";
import { ShapeError, type Shape } from "../shape.js";
import { tensor, Tensor } from "../tensor.js";
import { expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

const gen = new Generator(22);
const r64 = randn64From(gen);

describe("reduction backward (gradcheck, float64)", () => {
  const cases: [string, (x: Tensor) => Tensor, Shape][] = [
    ["sum all", (x) => x.sum(), [3, 4]],
    ["sum one dim", (x) => x.sum(1), [2, 3, 4]],
    ["sum negative dim", (x) => x.sum(-1), [2, 3, 4]],
    ["sum several dims", (x) => x.sum([0, 2]), [2, 3, 4]],
    ["sum keepdim", (x) => x.sum([0, 2], true), [2, 3, 4]],
    ["sum over a size-1 dim", (x) => x.sum(1), [3, 1, 2]],
    ["sum of a 0-d tensor", (x) => x.sum(), []],
    ["mean all", (x) => x.mean(), [3, 4]],
    ["mean dims keepdim", (x) => x.mean([1, 2], true), [2, 3, 4]],
    ["mean one dim", (x) => x.mean(0), [3, 1, 4]],
    ["max all", (x) => x.max(), [3, 4]],
    ["min all", (x) => x.min(), [3, 4]],
    ["max over dim", (x) => x.max(1), [2, 3, 4]],
    ["max over dim keepdim", (x) => x.max(-1, true), [2, 3, 4]],
    ["min over dim", (x) => x.min(0), [3, 4]],
    ["max over a size-1 dim", (x) => x.max(1), [3, 1]],
    ["logsumexp", (x) => x.logsumexp(1), [2, 3, 4]],
    ["logsumexp keepdim", (x) => x.logsumexp(-1, true), [3, 4]],
    ["logsumexp over a size-1 dim", (x) => x.logsumexp(0), [1, 4]],
    ["norm 1", (x) => x.norm(1), [3, 4]],
    ["norm 2", (x) => x.norm(), [3, 4]],
    ["norm 3", (x) => x.norm(3), [2, 1, 3]],
    ["norm inf", (x) => x.norm(Infinity), [3, 4]],
  ];
  for (const [name, fn, shape] of cases) test(name, () => expectGradcheck(fn, [r64(shape)]));

  test("logsumexp with large values", () => {
    const x = r64([2, 3]);
    expectGradcheck((v) => v.add(1000).logsumexp(1), [x]);
  });
});

describe("forward values", () => {
  const x = tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]); // [2, 3, 2]

  test("sum and mean", () => {
    expect(x.sum().item()).toBe(78);
    expect(x.sum().shape).toEqual([]);
    expect(x.sum(0).tolist()).toEqual([[8, 10], [12, 14], [16, 18]]);
    expect(x.sum(1).tolist()).toEqual([[9, 12], [27, 30]]);
    expect(x.sum(-1).tolist()).toEqual([[3, 7, 11], [15, 19, 23]]);
    expect(x.sum([0, 2]).tolist()).toEqual([18, 26, 34]);
    expect(x.sum([2, 0], true).tolist()).toEqual([[[18], [26], [34]]]);
    expect(x.sum(1, true).shape).toEqual([2, 1, 2]);
    expect(x.mean(1).tolist()).toEqual([[3, 4], [9, 10]]);
    expect(x.mean().item()).toBe(6.5);
    const i = tensor([1, 2, 4], { dtype: "int32" });
    expect(i.sum().dtype).toBe("int32");
    expect(i.mean().dtype).toBe("float32");
    expect(i.mean().item()).toBeCloseTo(7 / 3, 6);
  });

  test("max, min, argmax, argmin", () => {
    const m = tensor([[1, 5, 2], [7, 0, 7]]);
    expect(m.max().item()).toBe(7);
    expect(m.min().item()).toBe(0);
    expect(m.max(1).tolist()).toEqual([5, 7]);
    expect(m.min(0).tolist()).toEqual([1, 0, 2]);
    expect(m.max(0, true).tolist()).toEqual([[7, 5, 7]]);
    expect(m.argmax(1).tolist()).toEqual([1, 0]);
    expect(m.argmin().item()).toBe(4);
    expect(m.argmax(1).dtype).toBe("int32");
  });

  test("max over everything shares the gradient among ties; over a dim it picks the first", () => {
    const a = tensor([1, 3, 3], { requiresGrad: true });
    a.max().backward();
    expect(a.grad!.tolist()).toEqual([0, 0.5, 0.5]);
    const b = tensor([[1, 3, 3]], { requiresGrad: true });
    b.max(1).sum().backward();
    expect(b.grad!.tolist()).toEqual([[0, 1, 0]]);
  });

  test("logsumexp and norm", () => {
    const v = tensor([[0, 0], [1000, 1000]], { dtype: "float64" });
    const l = v.logsumexp(1).tolist() as number[];
    expect(l[0]).toBeCloseTo(Math.log(2), 12);
    expect(l[1]).toBeCloseTo(1000 + Math.log(2), 10);
    expect(tensor([[-Infinity, -Infinity], [1, -Infinity]]).logsumexp(1).tolist()).toEqual([-Infinity, 1]);
    expect(tensor([Infinity, 1]).logsumexp(0).item()).toBe(Infinity);
    const n = tensor([3, -4], { dtype: "float64" });
    expect(n.norm().item()).toBe(5);
    expect(n.norm(1).item()).toBe(7);
    expect(n.norm(Infinity).item()).toBe(4);
    expect(n.norm(3).item()).toBeCloseTo(Math.cbrt(91), 12);
  });

  test("bad dims are ShapeErrors", () => {
    expect(() => x.sum(3)).toThrow(ShapeError);
    expect(() => x.sum(3)).toThrow(/sum: dimension out of range/);
    expect(() => x.sum([1, -2])).toThrow(/appears multiple times/);
    expect(() => x.max(-4)).toThrow(ShapeError);
    expect(thrown(() => tensor([]).max(), ShapeError).op).toBe("max");
  });
});

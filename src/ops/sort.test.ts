import { describe, expect, test } from "vitest";
import { expectAllClose, expectGradcheck, randn64, thrown } from "../../test/helpers.js";
import { ShapeError } from "../shape.js";
import { randn, tensor } from "../tensor.js";

describe("sort / argsort / topk", () => {
  test("sorts along the last dim by default, stable, NaN largest (as torch.sort(stable=True) in PyTorch 1.13)", () => {
    const x = tensor([[3, 1, NaN, 1, 2], [0, -1, 5, 5, NaN]]);
    const [v, i] = x.sort();
    expect(v.tolist()).toEqual([[1, 1, 2, 3, NaN], [-1, 0, 5, 5, NaN]]);
    expect(i.tolist()).toEqual([[1, 3, 4, 0, 2], [1, 0, 2, 3, 4]]);
    expect(i.dtype).toBe("int32");
    const [vd, id] = x.sort(-1, true);
    expect(vd.tolist()).toEqual([[NaN, 3, 2, 1, 1], [NaN, 5, 5, 0, -1]]);
    expect(id.tolist()).toEqual([[2, 0, 4, 1, 3], [4, 2, 3, 0, 1]]);
    expect(x.argsort(-1, true).tolist()).toEqual(id.tolist());
  });

  test("along dim 0 of a 3-D tensor, and a 0-d tensor", () => {
    const x = tensor([[[2, 0]], [[1, 5]], [[3, 4]]]);
    const [v, i] = x.sort(0);
    expect(v.tolist()).toEqual([[[1, 0]], [[2, 4]], [[3, 5]]]);
    expect(i.tolist()).toEqual([[[1, 0]], [[0, 2]], [[2, 1]]]);
    const [s, si] = tensor(7).sort();
    expect([s.shape, s.item(), si.item()]).toEqual([[], 7, 0]);
    expect(tensor([3, 1, 2], { dtype: "int32" }).sort()[0].tolist()).toEqual([1, 2, 3]);
  });

  // PyTorch leaves the order of tied topk entries unspecified (1.13 gives [0, 3, 2] for the second
  // row); here ties keep the lower index first, as in a stable sort.
  test("topk: largest first, ties to the lower index, smallest with largest=false", () => {
    const x = tensor([[1, 4, 4, 0, 3], [NaN, 2, 7, 7, 1]]);
    const [v, i] = x.topk(3);
    expect(v.tolist()).toEqual([[4, 4, 3], [NaN, 7, 7]]);
    expect(i.tolist()).toEqual([[1, 2, 4], [0, 2, 3]]);
    const [vs, is] = x.topk(2, 1, false);
    expect(vs.tolist()).toEqual([[0, 1], [1, 2]]);
    expect(is.tolist()).toEqual([[3, 0], [4, 1]]);
    const [v0] = x.topk(1, 0);
    expect(v0.shape).toEqual([1, 5]);
    expect(x.topk(0)[0].shape).toEqual([2, 0]);
    const err = thrown(() => x.topk(6), ShapeError);
    expect(err.message).toMatch(/topk: k \(6\) is out of range for dimension 1 of size 5/);
  });

  test("values are differentiable: the gradient goes back through the indices", () => {
    const x = tensor([3, 1, 2], { requiresGrad: true });
    const [v] = x.sort();
    expect(v.gradFn).toBe("sort");
    v.mul(tensor([10, 20, 30])).sum().backward();
    expect(x.grad!.tolist()).toEqual([30, 10, 20]);
    expectGradcheck((a) => a.sort(1)[0], [randn64([3, 4])]);
    expectGradcheck((a) => a.sort(0, true)[0], [randn64([4, 2, 3])]);
    expectGradcheck((a) => a.topk(2, -1)[0], [randn64([3, 5])]);
    expectGradcheck((a) => a.topk(2, 0, false)[0], [randn64([4, 3])]);
  });

  test("sort agrees with a plain comparison sort on random data", () => {
    const x = randn([6, 50]);
    const [v, i] = x.sort(1, true);
    for (let r = 0; r < 6; r++) {
      const row = x.select(0, r).tolist() as number[];
      const want = [...row].sort((a, b) => b - a);
      expectAllClose(v.select(0, r), want, `row ${r}`);
      expect((i.select(0, r).tolist() as number[]).map((j) => row[j])).toEqual(want);
    }
  });
});

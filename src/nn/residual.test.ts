import { beforeEach, describe, expect, test } from "vitest";
import { manualSeed } from "../random.js";
import { ShapeError } from "../shape.js";
import { randn, tensor } from "../tensor.js";
import { absTol, expectAllClose, expectGradcheck, randn64, thrown } from "../../test/helpers.js";
import * as nn from "./index.js";

beforeEach(() => {
  manualSeed(11);
});

describe("Residual", () => {
  test("forward is x + module(x)", () => {
    const lin = new nn.Linear(2, 2);
    lin.loadStateDict({ weight: tensor([[1, 2], [3, 4]]), bias: tensor([0.5, -0.5]) });
    const r = new nn.Residual(lin);
    expect(r.forward(tensor([[1, -1]])).tolist()).toEqual([[1 + -0.5, -1 + -1.5]]);
    expect(r.forward(randn([3, 4, 2])).shape).toEqual([3, 4, 2]);
  });

  test("the child is registered as 'module': state-dict keys and repr", () => {
    const r = new nn.Residual(new nn.Linear(3, 3));
    expect(Object.keys(r.stateDict())).toEqual(["module.weight", "module.bias"]);
    expect(r.parameters()).toEqual([r.module.getParameter("weight"), r.module.getParameter("bias")]);
    expect(r.toString()).toBe("Residual(\n  (module): Linear(inFeatures=3, outFeatures=3, bias=true)\n)");
    const seq = new nn.Sequential(new nn.Residual(new nn.BatchNorm1d(3)), new nn.ReLU());
    expect(Object.keys(seq.stateDict())).toEqual(["0.module.weight", "0.module.bias", "0.module.running_mean", "0.module.running_var", "0.module.num_batches_tracked"]);
    seq.eval();
    expect(seq.modules().every((m) => !m.training)).toBe(true);
  });

  test("a module that changes the shape is an error naming both shapes", () => {
    const e = thrown(() => new nn.Residual(new nn.Linear(4, 3)).forward(randn([2, 4])));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as ShapeError).op).toBe("Residual");
    expect((e as ShapeError).shapes).toEqual([[2, 4], [2, 3]]);
    expect(e.message).toBe("Residual: the module must keep the input shape. Expected [2, 4], got [2, 3] from Linear");
    // broadcastable is not enough: [2, 1] + [2, 4] would silently broadcast
    expect(thrown(() => new nn.Residual(new nn.Linear(1, 4)).forward(randn([2, 1]))).message).toMatch(/Expected \[2, 1\], got \[2, 4\]/);
  });

  test("gradients: the identity path adds the upstream gradient", () => {
    const x64 = randn64([3, 4]);
    const tanh = new nn.Residual(new nn.Tanh());
    expectGradcheck((x) => tanh.forward(x), [x64], {}, "tanh");
    const bn = new nn.Residual(new nn.BatchNorm1d(4, { affine: false, trackRunningStats: false }));
    expectGradcheck((x) => bn.forward(x), [randn64([5, 4, 2])], {}, "batch norm");

    const lin = new nn.Linear(3, 3);
    const r = new nn.Residual(lin);
    const x = randn([2, 3], { requiresGrad: true });
    const up = randn([2, 3]);
    r.forward(x).mul(up).sum().backward();
    const expected = up.add(up.matmul(lin.weight.detach()));
    // toBeCloseTo(v, 5) tolerance: |a - e| < 5e-6.
    expectAllClose(x.grad, expected, "grad input", absTol(5e-6));
    const wg = up.t().matmul(x.detach());
    expectAllClose(lin.weight.grad, wg, "grad weight", absTol(5e-6));
  });
});

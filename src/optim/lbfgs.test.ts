import { describe, expect, test } from "vitest";
import { isGradEnabled, noGrad } from "../autograd.js";
import { tensor, type Tensor } from "../tensor.js";
import { expectAllClose, thrown } from "../../test/helpers.js";
import { Adam, AdamW, LBFGS, RMSprop, SGD, type Optimizer } from "./index.js";
import { cubicInterpolate } from "./lbfgs.js";

/** A quadratic bowl 0.5 * sum(a_i (x_i - c_i)^2) with its gradient, in float64. */
function bowl(x: Tensor): () => Tensor {
  const [a, c] = [tensor([1, 10, 3], { dtype: "float64" }), tensor([1, -2, 0.5], { dtype: "float64" })];
  return () => {
    x.grad = null;
    const loss = x.sub(c).square().mul(a).sum().mul(0.5);
    loss.backward();
    return loss;
  };
}

describe("step(closure)", () => {
  const makers: [string, (p: Tensor[]) => Optimizer][] = [
    ["SGD", (p) => new SGD(p, { lr: 0.1 })], ["Adam", (p) => new Adam(p)], ["AdamW", (p) => new AdamW(p)], ["RMSprop", (p) => new RMSprop(p)],
  ];
  test.each(makers)("%s calls the closure with grad enabled, then updates, and returns its loss", (_, make) => {
    const x = tensor([0, 0, 0], { dtype: "float64", requiresGrad: true });
    const opt = make([x]);
    const closure = bowl(x);
    let enabled: boolean | null = null;
    const loss = noGrad(() => opt.step(() => ((enabled = isGradEnabled()), closure())));
    expect(enabled).toBe(true);
    expect(loss!.item()).toBeCloseTo(0.5 * (1 + 40 + 0.75), 12);
    expect([...x.data].some((v) => v !== 0)).toBe(true);
    expect(opt.step(() => 3.5)).toBe(3.5);
    expect(opt.step()).toBeUndefined();
  });
});

describe("LBFGS", () => {
  test("defaults are PyTorch's, maxEval follows maxIter", () => {
    const x = tensor([0], { requiresGrad: true });
    expect(new LBFGS([x]).defaults).toEqual({ lr: 1, maxIter: 20, maxEval: 25, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null });
    expect(new LBFGS([x], { maxIter: 7 }).defaults.maxEval).toBe(8);
  });

  test("minimises a quadratic, with and without the line search", () => {
    for (const lineSearchFn of [null, "strong_wolfe"] as const) {
      const x = tensor([0, 0, 0], { dtype: "float64", requiresGrad: true });
      const opt = new LBFGS([x], { lineSearchFn });
      for (let i = 0; i < 5; i++) opt.step(bowl(x));
      expectAllClose(x, [1, -2, 0.5], `x (${String(lineSearchFn)})`, { atol: 1e-4, rtol: 0 });
    }
  });

  test("returns the first loss; stops at once when the gradient is below toleranceGrad", () => {
    const x = tensor([1, -2, 0.5], { dtype: "float64", requiresGrad: true });
    const opt = new LBFGS([x]);
    let calls = 0;
    const closure = bowl(x);
    const loss = opt.step(() => (calls++, closure()));
    expect([loss.item(), calls, opt.state.get(x)!.n_iter]).toEqual([0, 1, 0]);
  });

  test("a parameter that gets no gradient counts as zeros and stays put", () => {
    const x = tensor([0, 0, 0], { dtype: "float64", requiresGrad: true });
    const unused = tensor([5, 6], { dtype: "float64", requiresGrad: true });
    const opt = new LBFGS([unused, x], { lineSearchFn: "strong_wolfe" });
    opt.step(bowl(x));
    expect([...unused.data]).toEqual([5, 6]);
    expect((opt.state.get(unused)!.d as Tensor).shape).toEqual([5]);
  });

  test("argument errors", () => {
    const [x, y] = [tensor([0], { requiresGrad: true }), tensor([0], { requiresGrad: true })];
    expect(thrown(() => new LBFGS([{ params: [x] }, { params: [y] }])).message).toBe("LBFGS: LBFGS doesn't support per-parameter options (parameter groups)");
    expect(thrown(() => new LBFGS([x], { lineSearchFn: "armijo" as never })).message).toBe("LBFGS: only 'strong_wolfe' is supported");
    expect(thrown(() => new LBFGS([x], { lr: -1 })).message).toMatch(/^LBFGS: invalid learning rate: -1/);
    expect(thrown(() => (new LBFGS([x]) as Optimizer).step(), TypeError).message).toMatch(/^LBFGS: step\(\) requires a closure/);
  });

  test("stateDict round trip continues exactly as the original", () => {
    const run = (opt: LBFGS, x: Tensor, n: number): void => {
      for (let i = 0; i < n; i++) opt.step(bowl(x));
    };
    const opts = { lineSearchFn: "strong_wolfe" as const, maxIter: 2, historySize: 3 };
    const a = tensor([0, 0, 0], { dtype: "float64", requiresGrad: true });
    const optA = new LBFGS([a], opts);
    run(optA, a, 2);
    const sd = optA.stateDict();
    expect(Object.keys(sd.state[0]!).sort()).toEqual(["H_diag", "al", "d", "func_evals", "n_iter", "old_dirs", "old_stps", "prev_flat_grad", "prev_loss", "ro", "t"]);
    expect(sd.param_groups[0]).toMatchObject({ max_iter: 2, history_size: 3, line_search_fn: "strong_wolfe", params: [0] });
    const b = tensor([...a.data], { dtype: "float64", requiresGrad: true });
    const optB = new LBFGS([b], opts);
    optB.loadStateDict(sd);
    run(optA, a, 2);
    run(optB, b, 2);
    expectAllClose(b, a, "continued", { atol: 0, rtol: 0 });
  });

  test("cubicInterpolate: the cubic's minimiser, clamped; the middle without one", () => {
    // f = (x - 1)^2 at 0 and 3: slopes -2 and 4, minimum at 1.
    expect(cubicInterpolate(0, 1, -2, 3, 4, 4)).toBeCloseTo(1, 12);
    expect(cubicInterpolate(3, 4, 4, 0, 1, -2)).toBeCloseTo(1, 12);
    expect(cubicInterpolate(0, 1, -2, 3, 4, 4, [1.5, 2])).toBe(1.5);
    expect(cubicInterpolate(0, 0, 1, 3, 2, 1, [0, 4])).toBe(2);
  });
});

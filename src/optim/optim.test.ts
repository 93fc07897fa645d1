import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { tensor, zeros, type Tensor } from "../tensor.js";
import { Adam, AdamW, Optimizer, RMSprop, SGD, type OptimizerStateDict } from "./index.js";
import { expectClose } from "../../test/golden-helpers.js";

// Golden data: tools/golden/optim.py (PyTorch 1.13). Per case, in short:
//   torch.manual_seed(seed); params = [Parameter(randn(3, 4)), Parameter(randn(4))]
//   opt = torch.optim.<Optimizer>(params, **options)
//   for scale in (1.0, 0.1, 5.0, 0.01, 2.0):
//       for p in params: p.grad = randn(p.shape) * scale
//       opt.step()   # record the params
interface T {
  shape: number[];
  data: number[];
}
interface OptimCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop";
  options: Record<string, unknown>; // camelCase; only the options passed explicitly
  params: T[];
  steps: { grads: T[]; params: T[] }[];
}
const golden = JSON.parse(readFileSync(new URL("../../test/golden/optim.json", import.meta.url), "utf8")) as { cases: OptimCase[] };

const make = (name: OptimCase["optimizer"], params: Tensor[], options: Record<string, unknown> = {}): Optimizer => {
  switch (name) {
    case "SGD": return new SGD(params, options);
    case "Adam": return new Adam(params, options);
    case "AdamW": return new AdamW(params, options);
    case "RMSprop": return new RMSprop(params, options);
  }
};

const param = (t: T): Tensor => tensor(t.data, t.shape, { requiresGrad: true });

// PyTorch steps in float32 tensor ops; we compute in float64 and round on store, so the last bits
// differ. Tolerance: |a - b| <= 1e-5 + 1e-4 * |b| (the golden expectClose's default).

describe("optimizers match PyTorch (test/golden/optim.json)", () => {
  test("the golden file has cases for every optimizer", () => {
    expect(new Set(golden.cases.map((c) => c.optimizer))).toEqual(new Set(["SGD", "Adam", "AdamW", "RMSprop"]));
  });
  for (const c of golden.cases) {
    test(c.name, () => {
      const params = c.params.map(param);
      const opt = make(c.optimizer, params, c.options);
      c.steps.forEach((s, k) => {
        params.forEach((p, i) => (p.grad = tensor(s.grads[i]!.data, s.grads[i]!.shape)));
        opt.step();
        params.forEach((p, i) => expectClose(p, s.params[i]!, `${c.name} step ${k + 1} param ${i}`));
      });
    });
  }
});

describe("hyperparameter validation", () => {
  const ps = (): Tensor[] => [zeros([2], { requiresGrad: true })];
  test.each([
    ["SGD", { lr: -1 }, "SGD: invalid learning rate: -1"],
    ["SGD", { momentum: -0.5 }, "SGD: invalid momentum value: -0.5"],
    ["SGD", { weightDecay: -0.1 }, "SGD: invalid weight_decay value: -0.1"],
    ["Adam", { betas: [1.2, 0.999] }, "Adam: invalid beta parameter at index 0: 1.2"],
    ["Adam", { betas: [0.9, 1] }, "Adam: invalid beta parameter at index 1: 1"],
    ["Adam", { eps: -1e-8 }, "Adam: invalid epsilon value: -1e-8"],
    ["Adam", { lr: Number.NaN }, "Adam: invalid learning rate: NaN"],
    ["AdamW", { weightDecay: -0.01 }, "AdamW: invalid weight_decay value: -0.01"],
    ["RMSprop", { alpha: -0.9 }, "RMSprop: invalid alpha value: -0.9"],
    ["RMSprop", { momentum: -1 }, "RMSprop: invalid momentum value: -1"],
  ] as const)("%s %o", (name, options, message) => {
    expect(() => make(name, ps(), options)).toThrow(message);
  });

  test("nesterov needs momentum and zero dampening", () => {
    expect(() => new SGD(ps(), { nesterov: true })).toThrow(/SGD: Nesterov momentum requires a momentum and zero dampening \(got momentum=0, dampening=0\)/);
    expect(() => new SGD(ps(), { nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/dampening=0.1/);
    expect(() => new SGD(ps(), { nesterov: true, momentum: 0.9 })).not.toThrow();
  });

  test("a group's own hyperparameters are checked too", () => {
    expect(() => new Adam([{ params: ps() }, { params: ps(), lr: -3 }])).toThrow("Adam: invalid learning rate: -3");
  });

  test("parameter lists", () => {
    const [p] = ps();
    expect(() => new SGD([])).toThrow("SGD: optimizer got an empty parameter list");
    expect(() => new SGD(p as never)).toThrow(/got a Tensor; wrap it in an array/);
    expect(() => new SGD([p!, p!])).toThrow(/same parameter twice/);
    expect(() => new SGD([{ params: [p!] }, { params: [p!] }])).toThrow(/more than one parameter group/);
    expect(() => new SGD([p!.mul(2)])).toThrow(/can't optimize a non-leaf Tensor/);
  });
});

describe("Optimizer", () => {
  const setup = (): { a: Tensor; b: Tensor } => ({
    a: tensor([1, 2, 3], { requiresGrad: true }),
    b: tensor([[1, -1], [0.5, 2]], { requiresGrad: true }),
  });

  test("zeroGrad sets grads to null by default, or zeroes them in place", () => {
    const { a, b } = setup();
    const opt = new SGD([a, b]);
    a.grad = tensor([1, 1, 1]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    const g = tensor([4, 5, 6]);
    a.grad = g;
    opt.zeroGrad(false);
    expect(a.grad).toBe(g);
    expect([...g.data]).toEqual([0, 0, 0]);
    expect(b.grad).toBeNull();
  });

  test("parameters whose grad is null are skipped", () => {
    for (const name of ["SGD", "Adam", "AdamW", "RMSprop"] as const) {
      const { a, b } = setup();
      // Adam and AdamW take no momentum option (an unknown option is an error).
      const opt = make(name, [a, b], name.startsWith("Adam") ? { lr: 0.1, weightDecay: 0.1 } : { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
      a.grad = tensor([1, 1, 1]);
      opt.step();
      expect([...b.data], name).toEqual([1, -1, 0.5, 2]);
      expect(opt.state.has(b), name).toBe(false);
      expect([...a.data], name).not.toEqual([1, 2, 3]);
    }
  });

  test("each parameter group uses its own hyperparameters", () => {
    const { a, b } = setup();
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.5 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 1]);
    a.grad = tensor([2, 2, 2]);
    b.grad = tensor([[1, 1], [1, 1]]);
    opt.step();
    expect([...a.data]).toEqual([0, 1, 2]);
    expect([...b.data]).toEqual([0, -2, -0.5, 1]);
  });

  test("a changed group.lr takes effect on the next step", () => {
    const { a } = setup();
    const opt = new SGD([a], { lr: 0.5 });
    opt.paramGroups[0]!.lr = 1;
    a.grad = tensor([1, 1, 1]);
    opt.step();
    expect([...a.data]).toEqual([0, 1, 2]);
  });

  test("a gradient of the wrong size is an error naming both shapes", () => {
    const { a } = setup();
    const opt = new Adam([a]);
    a.grad = tensor([1, 2]);
    expect(() => opt.step()).toThrow("Adam: gradient shape [2] does not match parameter shape [3]");
  });

  test("stateDict uses PyTorch's layout and keys", () => {
    const { a, b } = setup();
    const opt = new Adam([a, b], { lr: 3e-3, amsgrad: true });
    a.grad = tensor([1, 1, 1]);
    b.grad = tensor([[1, 1], [1, 1]]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([{ lr: 3e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: true, maximize: false, params: [0, 1] }]);
    expect(Object.keys(sd.state)).toEqual(["0", "1"]);
    expect(Object.keys(sd.state[1]!)).toEqual(["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
    expect(sd.state[0]!.step).toBe(1);
    const expAvg = sd.state[1]!.exp_avg as Tensor;
    expect(expAvg.shape).toEqual([2, 2]);
    expect(expAvg.data).toBeInstanceOf(Float32Array);
    expect(expAvg.data[0]).toBeCloseTo(0.1, 7);
    // a snapshot: later steps do not change it
    opt.step();
    expect(sd.state[0]!.step).toBe(1);
    expect(expAvg.data[0]).toBeCloseTo(0.1, 7);
  });

  // A fresh optimizer (created with other hyperparameters) that loads the state dict must continue
  // exactly like the original: PyTorch takes the hyperparameters from the saved groups.
  const roundTrips: [string, Record<string, unknown>][] = [
    ["SGD", { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
    ["Adam", { lr: 0.01, betas: [0.8, 0.9], amsgrad: true, weightDecay: 0.1 }],
    ["AdamW", { lr: 0.02, weightDecay: 0.2 }],
    ["RMSprop", { lr: 0.01, momentum: 0.5, centered: true, alpha: 0.9 }],
  ];
  test.each(roundTrips)("stateDict / loadStateDict round trip: %s", (name, options) => {
    const grads = [0, 1, 2, 3, 4].map((k) => [tensor([Math.sin(k), Math.cos(k), k / 3]), tensor([[k, -1], [0.5, 1 / (k + 1)]])]);
    const orig = setup();
    const optA = make(name as OptimCase["optimizer"], [orig.a, orig.b], options);
    const apply = (ps: Tensor[], k: number): void => ps.forEach((p, i) => (p.grad = grads[k]![i]!.clone()));
    for (const k of [0, 1]) {
      apply([orig.a, orig.b], k);
      optA.step();
    }
    const copy = { a: orig.a.detach().clone().requiresGrad_(), b: orig.b.detach().clone().requiresGrad_() };
    const optB = make(name as OptimCase["optimizer"], [copy.a, copy.b], {});
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups).toEqual(optA.paramGroups.map((g) => ({ ...g, params: [copy.a, copy.b] })));
    for (const k of [2, 3, 4]) {
      apply([orig.a, orig.b], k);
      apply([copy.a, copy.b], k);
      optA.step();
      optB.step();
    }
    expect([...copy.a.data]).toEqual([...orig.a.data]);
    expect([...copy.b.data]).toEqual([...orig.b.data]);
  });

  test("loadStateDict accepts PyTorch's tensor `step` and `momentum_buffer: None`, and checks sizes", () => {
    const { a, b } = setup();
    const opt = new Adam([a, b]);
    const sd: OptimizerStateDict = {
      state: { 0: { step: tensor(3), exp_avg: tensor([1, 1, 1], { dtype: "float64" }), exp_avg_sq: tensor([1, 1, 1]) } },
      param_groups: [{ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, foreach: null, params: [0, 1] }],
    };
    opt.loadStateDict(sd);
    const s = opt.state.get(a)!;
    expect(s.step).toBe(3);
    expect((s.exp_avg as Tensor).data).toBeInstanceOf(Float32Array);
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(opt.state.has(b)).toBe(false);

    const sgd = new SGD([a, b], { momentum: 0 });
    sgd.loadStateDict({ state: { 0: { momentum_buffer: null as never } }, param_groups: [{ lr: 0.1, momentum: 0, params: [0, 1] }] });
    expect(sgd.state.get(a)).toEqual({});

    expect(() => opt.loadStateDict({ ...sd, param_groups: [...sd.param_groups, ...sd.param_groups] })).toThrow(/2 parameter groups, but the optimizer has 1/);
    expect(() => opt.loadStateDict({ ...sd, param_groups: [{ ...sd.param_groups[0]!, params: [0] }] })).toThrow(/doesn't match the size/);
    expect(() => opt.loadStateDict({ ...sd, state: { 1: { step: 1, exp_avg: tensor([1, 2]) } } })).toThrow('Adam: state "exp_avg" of parameter 1 has shape [2], but the parameter has shape [2, 2]');
    expect(() => opt.loadStateDict({ ...sd, param_groups: [{ ...sd.param_groups[0]!, betas: [2, 0.9] }] })).toThrow("Adam: invalid beta parameter at index 0: 2");
  });
});

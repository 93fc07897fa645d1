import { describe, expect, test } from "vitest";
import { zeros } from "../tensor.js";
import { thrown } from "../../test/helpers.js";
import { Adam, SGD, lrScheduler, OneCycleLR, ReduceLROnPlateau, StepLR, CosineAnnealingLR, LambdaLR, MultiStepLR } from "./index.js";

const sgd = (lr = 0.1): SGD => new SGD([zeros([2])], { lr, momentum: 0.9 });

describe("learning-rate schedulers", () => {
  test("construction takes the first step: initialLr, lastEpoch 0, getLastLr", () => {
    const opt = sgd();
    const s = new StepLR(opt, 2, 0.5);
    expect([s.lastEpoch, s.getLastLr(), s.baseLrs, (opt.paramGroups[0] as unknown as { initialLr: number }).initialLr]).toEqual([0, [0.1], [0.1], 0.1]);
    s.step();
    s.step();
    expect([s.lastEpoch, s.getLastLr()]).toEqual([2, [0.05]]);
    expect(lrScheduler.StepLR).toBe(StepLR);
  });

  test("resuming needs initialLr in the groups", () => {
    expect(thrown(() => new StepLR(sgd(), 2, 0.5, { lastEpoch: 3 })).message).toBe("StepLR: param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer");
  });

  test("argument errors carry PyTorch's wording", () => {
    const msg = (f: () => unknown): string => thrown(f).message;
    expect(msg(() => new OneCycleLR(sgd(), 0.1))).toBe("OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)");
    expect(msg(() => new OneCycleLR(sgd(), 0.1, { totalSteps: 0 }))).toBe("OneCycleLR: Expected positive integer total_steps, but got 0");
    expect(msg(() => new OneCycleLR(sgd(), 0.1, { epochs: 2.5, stepsPerEpoch: 3 }))).toBe("OneCycleLR: Expected positive integer epochs, but got 2.5");
    expect(msg(() => new OneCycleLR(sgd(), 0.1, { totalSteps: 10, pctStart: 1.5 }))).toBe("OneCycleLR: Expected float between 0 and 1 pct_start, but got 1.5");
    expect(msg(() => new OneCycleLR(sgd(), 0.1, { totalSteps: 10, annealStrategy: "exp" as never }))).toBe("OneCycleLR: anneal_strategy must by one of 'cos' or 'linear', instead got exp");
    expect(msg(() => new OneCycleLR(sgd(), [0.1, 0.2], { totalSteps: 10 }))).toBe("OneCycleLR: expected 1 values for max_lr, got 2");
    expect(msg(() => new ReduceLROnPlateau(sgd(), { factor: 1 }))).toBe("ReduceLROnPlateau: Factor should be < 1.0.");
    expect(msg(() => new ReduceLROnPlateau(sgd(), { mode: "up" as never }))).toBe("ReduceLROnPlateau: mode up is unknown!");
    expect(msg(() => new ReduceLROnPlateau(sgd(), { thresholdMode: "x" as never }))).toBe("ReduceLROnPlateau: threshold mode x is unknown!");
    expect(msg(() => new ReduceLROnPlateau(sgd(), { minLr: [0, 0] }))).toBe("ReduceLROnPlateau: expected 1 min_lrs, got 2");
    expect(msg(() => new LambdaLR(sgd(), [(e) => e, (e) => e]))).toBe("LambdaLR: Expected 1 lr_lambdas, but got 2");
    expect(msg(() => new StepLR({} as never, 1))).toBe("StepLR: object is not an Optimizer");
  });

  test("OneCycleLR cycles Adam's beta1 and refuses to step past totalSteps", () => {
    const opt = new Adam([zeros([2])], { lr: 1 });
    const s = new OneCycleLR(opt, 0.01, { totalSteps: 4 });
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.01 / 25, 15);
    expect(opt.paramGroups[0]!.betas).toEqual([0.95, 0.999]);
    for (let i = 0; i < 4; i++) s.step();
    expect(thrown(() => s.step()).message).toBe("OneCycleLR: Tried to step 6 times. The specified number of total steps is 4");
  });

  test("stateDict is PyTorch's __dict__ layout; a loaded scheduler continues the same sequence", () => {
    const [optA, optB] = [sgd(), sgd()];
    const a = new CosineAnnealingLR(optA, 6, 0.001);
    for (let i = 0; i < 4; i++) a.step();
    const sd = a.stateDict();
    expect(sd).toMatchObject({ T_max: 6, eta_min: 0.001, last_epoch: 4, base_lrs: [0.1], _step_count: 5 });
    expect(sd._last_lr).toEqual(a.getLastLr());
    const b = new CosineAnnealingLR(optB, 6);
    b.loadStateDict(sd);
    optB.paramGroups[0]!.lr = optA.paramGroups[0]!.lr;
    for (let i = 0; i < 5; i++) {
      a.step();
      b.step();
      expect(b.getLastLr()).toEqual(a.getLastLr());
    }
  });

  test("ReduceLROnPlateau and MultiStepLR state dicts round trip", () => {
    const [optA, optB] = [sgd(), sgd()];
    const a = new ReduceLROnPlateau(optA, { patience: 1 });
    [1, 1, 1].forEach((m) => a.step(m));
    const b = new ReduceLROnPlateau(optB);
    b.loadStateDict(a.stateDict());
    expect([b.patience, b.best, b.numBadEpochs, b.lastEpoch]).toEqual([1, 1, a.numBadEpochs, 3]);
    const m = new MultiStepLR(sgd(), [3, 1]);
    expect(m.stateDict()).toMatchObject({ milestones: [1, 3], gamma: 0.1, last_epoch: 0 });
    const lambda = (e: number): number => 1 / (e + 1);
    const l = new LambdaLR(sgd(), lambda);
    l.step();
    expect(l.stateDict()).toMatchObject({ lr_lambdas: [null], last_epoch: 1 });
    const l2 = new LambdaLR(sgd(), lambda);
    l2.loadStateDict(l.stateDict());
    l2.step();
    expect(l2.getLastLr()).toEqual([0.1 / 3]);
  });
});

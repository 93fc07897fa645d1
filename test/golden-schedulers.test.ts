/**
 * The learning-rate schedulers against PyTorch 1.13 (tools/golden/schedulers.py): the lr of every
 * parameter group (and the momentum or Adam's beta1 OneCycleLR cycles) after construction and after
 * each step, to 1e-12 relative.
 */
import { describe, expect, test } from "vitest";
import { optim, zeros, type Tensor } from "../src/index.js";
import { loadGolden } from "./golden-helpers.js";
import { expectAllClose, relTol } from "./helpers.js";

interface Snapshot { lr: number[]; momentum?: number[]; beta1?: number[] }
interface Case {
  name: string;
  scheduler: "StepLR" | "MultiStepLR" | "ExponentialLR" | "CosineAnnealingLR" | "LambdaLR" | "OneCycleLR" | "ReduceLROnPlateau";
  optimizer: "SGD" | "Adam";
  groups: number;
  options: Record<string, unknown>;
  metrics: number[] | null;
  sequence: Snapshot[];
  lastEpoch: number;
}

const LAMBDAS: Record<string, (e: number) => number> = {
  linear_warmup: (e) => Math.min(1, (e + 1) / 5),
  inverse: (e) => 1 / (1 + e),
  power: (e) => 0.95 ** e,
};

const golden = loadGolden<Case>("schedulers");

type AnyOptim = optim.Optimizer;

function makeScheduler(c: Case, opt: AnyOptim): { step(metric?: number): void; getLastLr(): number[]; lastEpoch: number } {
  const o = c.options as Record<string, never>;
  switch (c.scheduler) {
    case "StepLR": return new optim.StepLR(opt, o.stepSize, o.gamma);
    case "MultiStepLR": return new optim.MultiStepLR(opt, o.milestones, o.gamma);
    case "ExponentialLR": return new optim.ExponentialLR(opt, o.gamma);
    case "CosineAnnealingLR": return new optim.CosineAnnealingLR(opt, o.tMax, o.etaMin);
    case "LambdaLR": return new optim.LambdaLR(opt, LAMBDAS[o.lrLambda]!);
    case "OneCycleLR": {
      const { maxLr, ...rest } = c.options;
      return new optim.OneCycleLR(opt, maxLr as number, rest);
    }
    case "ReduceLROnPlateau": {
      const s = new optim.ReduceLROnPlateau(opt, c.options);
      return { step: (m?: number) => s.step(m!), getLastLr: () => s.getLastLr(), get lastEpoch() { return s.lastEpoch; } };
    }
  }
}

function snapshot(opt: AnyOptim, c: Case): Snapshot {
  const groups = opt.paramGroups as unknown as Record<string, unknown>[];
  const out: Snapshot = { lr: groups.map((g) => g.lr as number) };
  if (c.optimizer === "SGD") out.momentum = groups.map((g) => g.momentum as number);
  else out.beta1 = groups.map((g) => (g.betas as number[])[0]!);
  return out;
}

describe("learning-rate schedulers match PyTorch 1.13", () => {
  for (const c of golden.cases) {
    test(c.name, () => {
      const lrs = [0.1, 0.02].slice(0, c.groups);
      const params: Tensor[] = lrs.map(() => zeros([2]));
      const groups = params.map((p, i) => ({ params: [p], lr: lrs[i]! }));
      const opt: AnyOptim = c.optimizer === "SGD" ? new optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new optim.Adam(groups, { lr: 0.1 });
      const sched = makeScheduler(c, opt);
      c.sequence.forEach((expected, i) => {
        if (i > 0) {
          opt.step();
          sched.step(c.metrics?.[i - 1]);
        }
        const got = snapshot(opt, c);
        for (const k of ["lr", "momentum", "beta1"] as const) {
          if (expected[k]) expectAllClose(got[k]!, expected[k], `${c.name} step ${i} ${k}`, relTol(1e-12));
        }
        expectAllClose(sched.getLastLr(), expected.lr, `${c.name} step ${i} getLastLr`, relTol(1e-12));
      });
      expect(sched.lastEpoch).toBe(c.lastEpoch);
    });
  }
});

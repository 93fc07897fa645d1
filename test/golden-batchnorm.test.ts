/**
 * BatchNorm1d against PyTorch 1.13 (tools/golden/batchnorm.py): three training batches, then one
 * eval batch, checking outputs, input/weight/bias gradients and the buffers after every step.
 * The initial state goes in through `loadStateDict`. A case was made like:
 *   m = nn.BatchNorm1d(3, momentum=None); m.load_state_dict(state)
 *   for x in batches: m.zero_grad(); y = m(x); (y*up).sum().backward()   # then m.eval(); one more
 */
import { describe, expect, test } from "vitest";
import { nn } from "../src/index.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

interface Step {
  input: GoldenTensor;
  output: GoldenTensor;
  upstream: GoldenTensor;
  grads: Record<string, GoldenTensor>;
  buffers: Record<string, GoldenTensor>;
}

interface BatchNormCase {
  name: string;
  module: "BatchNorm1d";
  options: { numFeatures: number; eps: number; momentum: number | null; affine: boolean; trackRunningStats: boolean };
  stateDict: Record<string, GoldenTensor>;
  train: Step[];
  eval: Step;
}

const golden = loadGolden<BatchNormCase>("batchnorm");

describe("batchnorm golden file", () => {
  test("covers shapes, affine, tracking and every momentum", () => {
    expect(golden.meta.script).toBe("tools/golden/batchnorm.py");
    const o = golden.cases.map((c) => c.options);
    expect(new Set(golden.cases.map((c) => c.train[0]!.input.shape.length))).toEqual(new Set([2, 3]));
    expect(new Set(o.map((x) => x.affine))).toEqual(new Set([true, false]));
    expect(new Set(o.map((x) => x.trackRunningStats))).toEqual(new Set([true, false]));
    expect(new Set(o.filter((x) => x.trackRunningStats).map((x) => x.momentum))).toEqual(new Set([0.1, 0.3, null]));
  });
});

describe("BatchNorm1d matches PyTorch", () => {
  test.each(golden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { numFeatures, ...options } = c.options;
    const m = new nn.BatchNorm1d(numFeatures, options);
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
    const expectedKeys = [...(options.affine ? ["weight", "bias"] : []), ...(options.trackRunningStats ? ["running_mean", "running_var", "num_batches_tracked"] : [])];
    expect(Object.keys(c.stateDict)).toEqual(expectedKeys);
    m.loadStateDict(c.stateDict);

    const steps = [...c.train.map((s) => [s, true] as const), [c.eval, false] as const];
    steps.forEach(([s, training], i) => {
      const label = `${c.name} ${training ? `train ${i}` : "eval"}`;
      m.train(training);
      m.zeroGrad();
      const x = toTensor(s.input, true);
      const y = m.forward(x);
      expectClose(y, s.output, `${label} output`);
      y.mul(toTensor(s.upstream)).sum().backward();
      expectClose(x.grad, s.grads.input!, `${label} grad input`);
      for (const [k, p] of m.namedParameters()) expectClose(p.grad, s.grads[k]!, `${label} grad ${k}`);
      expect(["input", ...m.namedParameters().map(([k]) => k)].sort()).toEqual(Object.keys(s.grads).sort());
      const buffers = Object.fromEntries(m.namedBuffers());
      expect(Object.keys(buffers)).toEqual(Object.keys(s.buffers));
      for (const [k, b] of Object.entries(s.buffers)) {
        if (k === "num_batches_tracked") expect([...buffers[k]!.data], `${label} ${k}`).toEqual(b.data);
        else expectClose(buffers[k], b, `${label} ${k}`);
      }
    });
  });
});

import { beforeEach, describe, expect, test } from "vitest";
import { Generator, manualSeed } from "../random.js";
import { ShapeError } from "../shape.js";
import { randn, tensor, zeros, type Tensor } from "../tensor.js";
import { expectAllClose, expectGradcheck, randn64From, relTol, thrown } from "../../test/helpers.js";
import * as nn from "./index.js";
import { batchNorm1d } from "./batchnorm.js";

beforeEach(() => {
  manualSeed(7);
});

const gen = new Generator(31);
const r64 = randn64From(gen);


/** Per-channel [mean, biased variance] of a [N, C] or [N, C, L] tensor, in float64. */
function channelStats(x: Tensor): [number[], number[]] {
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const L = x.ndim === 3 ? x.shape[2]! : 1;
  const mean: number[] = [], vars: number[] = [];
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) v.push(x.data[(n * C + c) * L + l]!);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean.push(m);
    vars.push(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return [mean, vars];
}

describe("batchNorm1d (functional)", () => {
  test("gradcheck in training mode: exact gradient through the batch mean and variance", () => {
    for (const shape of [[5, 3], [3, 2, 4], [4, 3, 1], [2, 1, 3]]) {
      const C = shape[1]!;
      expectGradcheck((x, w, b) => batchNorm1d(x, null, null, w, b, true, 0.1, 1e-5), [r64(shape), r64([C]), r64([C])], {}, `${shape}`);
      expectGradcheck((x) => batchNorm1d(x, null, null, null, null, true), [r64(shape)], {}, `${shape} without affine`);
    }
  });

  test("gradcheck in training mode while updating running statistics", () => {
    const rm = zeros([3], { dtype: "float64" });
    const rv = zeros([3], { dtype: "float64" }).add(1);
    expectGradcheck((x, w, b) => batchNorm1d(x, rm, rv, w, b, true, 0.3, 1e-3), [r64([4, 3, 2]), r64([3]), r64([3])]);
  });

  test("gradcheck in eval mode (running statistics are constants)", () => {
    const rm = r64([3], { requiresGrad: false });
    const rv = r64([3], { requiresGrad: false }).abs().add(0.5);
    for (const shape of [[4, 3], [2, 3, 5]]) {
      expectGradcheck((x, w, b) => batchNorm1d(x, rm, rv, w, b, false), [r64(shape), r64([3]), r64([3])]);
    }
  });

  test("training output has per-channel mean 0 and biased variance 1; running stats use the unbiased variance", () => {
    const x = randn([6, 2, 3], { dtype: "float64" }).mul(3).add(2);
    const rm = zeros([2], { dtype: "float64" });
    const rv = zeros([2], { dtype: "float64" }).add(1);
    const y = batchNorm1d(x, rm, rv, null, null, true, 0.25, 0);
    const [ym, yv] = channelStats(y);
    expectAllClose(ym, [0, 0], "mean", relTol(1e-12));
    expectAllClose(yv, [1, 1], "var", relTol(1e-12));
    const [m, v] = channelStats(x);
    const n = 18;
    expectAllClose(rm.data, m.map((mc) => 0.25 * mc), "running_mean", relTol(1e-12));
    expectAllClose(rv.data, v.map((vc) => 0.75 + 0.25 * vc * n / (n - 1)), "running_var", relTol(1e-12));
  });

  test("errors name the shapes", () => {
    const e1 = thrown(() => batchNorm1d(randn([2, 3, 4, 5]), null, null, null, null, true));
    expect(e1).toBeInstanceOf(ShapeError);
    expect((e1 as ShapeError).op).toBe("batchNorm1d");
    expect(e1.message).toMatch(/expected 2D or 3D input .* got 4D input \[2, 3, 4, 5\]/);
    expect(thrown(() => batchNorm1d(randn([4, 3]), null, null, randn([4]), null, true)).message).toMatch(/weight must have shape \[3\] for input \[4, 3\], got \[4\]/);
    expect(thrown(() => batchNorm1d(randn([4, 3]), zeros([2]), zeros([2]), null, null, false)).message).toMatch(/runningMean must have shape \[3\].*got \[2\]/);
    expect(thrown(() => batchNorm1d(randn([4, 3]), zeros([3]), null)).message).toMatch(/both be given or both be null/);
    expect(thrown(() => batchNorm1d(randn([4, 3]), null, null)).message).toMatch(/running statistics are required/);
    expect(thrown(() => batchNorm1d(randn([1, 3, 1]), null, null, null, null, true)).message)
      .toBe("batchNorm1d: Expected more than 1 value per channel when training, got input size [1, 3, 1]");
  });
});

describe("BatchNorm1d", () => {
  test("parameters, buffers, state-dict keys and repr", () => {
    const m = new nn.BatchNorm1d(8);
    expect(Object.keys(m.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect([...m.weight!.data]).toEqual(Array(8).fill(1));
    expect([...m.bias!.data]).toEqual(Array(8).fill(0));
    expect([...m.runningMean!.data]).toEqual(Array(8).fill(0));
    expect([...m.runningVar!.data]).toEqual(Array(8).fill(1));
    expect(m.numBatchesTracked!.shape).toEqual([]);
    expect(m.numBatchesTracked!.dtype).toBe("int32");
    expect(nn.countParameters(m)).toBe(16);
    expect(m.namedParameters().map(([k]) => k)).toEqual(["weight", "bias"]);
    expect(m.toString()).toBe("BatchNorm1d(8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)");
    const bare = new nn.BatchNorm1d(4, { momentum: null, affine: false, trackRunningStats: false, eps: 1e-3 });
    expect(bare.toString()).toBe("BatchNorm1d(4, eps=0.001, momentum=null, affine=false, trackRunningStats=false)");
    expect(Object.keys(bare.stateDict())).toEqual([]);
    expect(bare.parameters()).toEqual([]);
    expect(bare.weight).toBeNull();
    expect(bare.runningMean).toBeNull();
  });

  test("constructor checks its arguments", () => {
    expect(thrown(() => new nn.BatchNorm1d(0)).message).toBe("BatchNorm1d: numFeatures must be a positive integer, got 0");
    expect(thrown(() => new nn.BatchNorm1d(2.5)).message).toMatch(/got 2.5/);
    expect(thrown(() => new nn.BatchNorm1d(2, { eps: -1 })).message).toMatch(/eps must be a non-negative number, got -1/);
  });

  test("forward errors name the shapes and leave the state alone", () => {
    const m = new nn.BatchNorm1d(3);
    const e = thrown(() => m.forward(randn([4, 5])));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as ShapeError).op).toBe("BatchNorm1d");
    expect(e.message).toBe("BatchNorm1d: input.shape[1] must equal numFeatures. Expected 3, got 5 (input [4, 5])");
    expect(thrown(() => m.forward(randn([3]))).message).toMatch(/expected 2D or 3D input .* got 1D input \[3\]/);
    expect(thrown(() => m.forward(randn([2, 3, 4, 1]))).message).toMatch(/got 4D input \[2, 3, 4, 1\]/);
    expect(thrown(() => m.forward(randn([1, 3]))).message).toBe("BatchNorm1d: Expected more than 1 value per channel when training, got input size [1, 3]");
    expect(thrown(() => m.forward(randn([1, 3, 1]))).message).toMatch(/got input size \[1, 3, 1\]/);
    expect(m.numBatchesTracked!.item()).toBe(0);
    expect([...m.runningMean!.data]).toEqual([0, 0, 0]);
    m.forward(randn([1, 3, 2])); // one sample but two values per channel: fine
    m.eval();
    expect(m.forward(randn([1, 3])).shape).toEqual([1, 3]); // eval uses the running statistics
    const untracked = new nn.BatchNorm1d(3, { trackRunningStats: false }).eval();
    expect(thrown(() => untracked.forward(randn([1, 3]))).message).toMatch(/Expected more than 1 value per channel/);
  });

  test("train uses batch statistics and updates the buffers; eval uses the running statistics", () => {
    const m = new nn.BatchNorm1d(2, { momentum: 0.2 });
    m.loadStateDict({ weight: tensor([2, 0.5]), bias: tensor([1, -1]), running_mean: tensor([0.5, -0.5]), running_var: tensor([2, 3]), num_batches_tracked: { shape: [], data: [5] } });
    const x = randn([5, 2, 3]).mul(2).add(1);
    const [mean, vars] = channelStats(x);
    const y = m.forward(x);
    const [ym, yv] = channelStats(y);
    expectAllClose(ym, [1, -1], "train output mean (the bias)", relTol(1e-5));
    expectAllClose(yv, [4, 0.25], "train output var (weight²)", relTol(1e-4));
    expectAllClose(m.runningMean!.data, [0.8 * 0.5 + 0.2 * mean[0]!, 0.8 * -0.5 + 0.2 * mean[1]!], "running_mean", relTol(1e-5));
    expectAllClose(m.runningVar!.data, [0.8 * 2 + 0.2 * vars[0]! * 15 / 14, 0.8 * 3 + 0.2 * vars[1]! * 15 / 14], "running_var", relTol(1e-5));
    expect(m.numBatchesTracked!.item()).toBe(6);

    m.eval();
    const rm = [...m.runningMean!.data], rv = [...m.runningVar!.data];
    const z = tensor([[1, 2], [3, -4]]);
    const out = m.forward(z);
    const w = [2, 0.5], b = [1, -1];
    expectAllClose(out.data, [1, 2, 3, -4].map((v, i) => (v - rm[i % 2]!) / Math.sqrt(rv[i % 2]! + 1e-5) * w[i % 2]! + b[i % 2]!), "eval output", relTol(1e-5));
    expect([...m.runningMean!.data]).toEqual(rm);
    expect(m.numBatchesTracked!.item()).toBe(6);
  });

  test("momentum null keeps the cumulative average of the batch statistics", () => {
    const m = new nn.BatchNorm1d(3, { momentum: null, affine: false });
    m.loadStateDict({ running_mean: tensor([9, 9, 9]), running_var: tensor([9, 9, 9]), num_batches_tracked: { shape: [], data: [0] } });
    const sums = [[0, 0, 0], [0, 0, 0]];
    for (let k = 1; k <= 4; k++) {
      const x = randn([4, 3, 2]).mul(k).add(k);
      const [mean, vars] = channelStats(x);
      for (let c = 0; c < 3; c++) {
        sums[0]![c]! += mean[c]!;
        sums[1]![c]! += vars[c]! * 8 / 7;
      }
      m.forward(x);
      expect(m.numBatchesTracked!.item()).toBe(k);
      // the first batch has factor 1, so the loaded values are forgotten
      expectAllClose(m.runningMean!.data, sums[0]!.map((s) => s / k), `running_mean after ${k}`, relTol(1e-5));
      expectAllClose(m.runningVar!.data, sums[1]!.map((s) => s / k), `running_var after ${k}`, relTol(1e-5));
    }
  });

  test("without running statistics eval mode normalizes with the batch, like training", () => {
    const m = new nn.BatchNorm1d(2, { trackRunningStats: false });
    const x = randn([6, 2]);
    const a = m.forward(x);
    m.eval();
    expect([...m.forward(x).data]).toEqual([...a.data]);
    expect(m.buffers()).toEqual([]);
  });

  test("gradients reach the input and parameters through the module; float64 input stays float64", () => {
    const m = new nn.BatchNorm1d(3);
    const x = randn([4, 3, 2], { requiresGrad: true });
    m.forward(x).square().sum().backward();
    expect(x.grad!.shape).toEqual([4, 3, 2]);
    expect(m.weight!.grad!.shape).toEqual([3]);
    expect(m.bias!.grad!.shape).toEqual([3]);
    // d/dbias of sum(y²) = 2·sum(y) = 2·N·L·bias = 0 at bias 0
    expectAllClose(m.bias!.grad!.data, [0, 0, 0], "bias grad", relTol(1e-5));
    expect(m.forward(randn([4, 3], { dtype: "float64" })).dtype).toBe("float64");
  });

  test("a PyTorch-style state dict loads, counter included", () => {
    const m = new nn.BatchNorm1d(2);
    m.loadStateDict({
      weight: { shape: [2], data: [1.5, 2] }, bias: { shape: [2], data: [0, 1] },
      running_mean: { shape: [2], data: [0.1, 0.2] }, running_var: { shape: [2], data: [1.1, 1.2] },
      num_batches_tracked: { shape: [], data: [42] },
    });
    expect(m.numBatchesTracked!.item()).toBe(42);
    expect(m.numBatchesTracked!.dtype).toBe("int32");
    m.resetParameters();
    expect([...m.weight!.data, ...m.bias!.data, ...m.runningMean!.data, ...m.runningVar!.data, m.numBatchesTracked!.item()])
      .toEqual([1, 1, 0, 0, 0, 0, 1, 1, 0]);
  });
});

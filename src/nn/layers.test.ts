import { beforeEach, describe, expect, test } from "vitest";
import { manualSeed, ones, randn, ShapeError, tensor, type Tensor } from "../index.js";
import * as nn from "./index.js";
import { expectAllClose, relTol, thrown } from "../../test/helpers.js";

beforeEach(() => {
  manualSeed(99);
});

describe("Linear", () => {
  test("init is U(±1/√inFeatures) for weight and bias", () => {
    const m = new nn.Linear(16, 200);
    const bound = Math.fround(1 / 4);
    for (const p of [m.weight, m.bias!]) {
      const abs = Array.from(p.data, Math.abs);
      expect(Math.max(...abs)).toBeLessThanOrEqual(bound);
      expect(Math.max(...abs)).toBeGreaterThan(0.24);
    }
    const mean = Array.from(m.weight.data).reduce((a, b) => a + b, 0) / m.weight.numel();
    expect(Math.abs(mean)).toBeLessThan(0.01);
  });

  test("forward is x W^T + b, for any leading shape", () => {
    const m = new nn.Linear(2, 3);
    m.loadStateDict({ weight: tensor([[1, 2], [3, 4], [5, 6]]), bias: tensor([0.5, -0.5, 1]) });
    expect(m.forward(tensor([[1, -1]])).tolist()).toEqual([[-0.5, -1.5, 0]]);
    expect(m.forward(ones([4, 5, 2])).shape).toEqual([4, 5, 3]);
    expect(m.forward(tensor([1, 1])).tolist()).toEqual([3.5, 6.5, 12]);
  });

  test("wrong input size names both shapes", () => {
    const err = thrown(() => new nn.Linear(4, 3).forward(randn([2, 5])));
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as ShapeError).op).toBe("linear");
    expect(err.message).toMatch(/Expected 4, got 5 \(input \[2, 5\], weight \[3, 4\]\)/);
  });
});

describe("Embedding", () => {
  test("init N(0, 1) with the paddingIdx row zero", () => {
    const e = new nn.Embedding(50, 40, { paddingIdx: 3 });
    const rows = e.weight.tolist() as number[][];
    expect(rows[3]!.every((v) => v === 0)).toBe(true);
    const rest = rows.filter((_, i) => i !== 3).flat();
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const std = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(std - 1)).toBeLessThan(0.1);
  });

  test("a negative paddingIdx counts from the end; its row gets no gradient", () => {
    const e = new nn.Embedding(5, 2, { paddingIdx: -1 });
    expect(e.paddingIdx).toBe(4);
    expect((e.weight.tolist() as number[][])[4]).toEqual([0, 0]);
    const y = e.forward(tensor([[4, 1], [1, 0]], { dtype: "int32" }));
    expect(y.shape).toEqual([2, 2, 2]);
    y.sum().backward();
    expect(e.weight.grad!.tolist()).toEqual([[1, 1], [2, 2], [0, 0], [0, 0], [0, 0]]);
  });

  test("a paddingIdx outside the table is rejected", () => {
    expect(() => new nn.Embedding(5, 2, { paddingIdx: 5 })).toThrow(/Embedding: paddingIdx must be within numEmbeddings \(5\), got 5/);
    expect(() => new nn.Embedding(5, 2, { paddingIdx: -6 })).toThrow(/got -6/);
  });

  test("an out-of-range index is named in the error", () => {
    const e = new nn.Embedding(6, 3);
    const err = thrown(() => e.forward(tensor([1, 7, 2], { dtype: "int32" })));
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as ShapeError).op).toBe("embedding");
    expect(err.message).toMatch(/index 7 is out of range \[0, 6\) \(index shape \[3\]\)/);
    expect(() => e.forward(tensor([-1], { dtype: "int32" }))).toThrow(/index -1 is out of range/);
    expect(() => e.forward(tensor([1, 2]))).toThrow(/must be an int32 tensor, got float32/);
  });

  test("fromPretrained copies the weights and freezes them by default", () => {
    const w = tensor([[1, 2], [3, 4]]);
    const e = nn.Embedding.fromPretrained(w);
    expect(e.weight.requiresGrad).toBe(false);
    expect(e.weight.data).not.toBe(w.data);
    expect(e.forward(tensor([1], { dtype: "int32" })).tolist()).toEqual([[3, 4]]);
    expect(nn.Embedding.fromPretrained(w, { freeze: false }).weight.requiresGrad).toBe(true);
  });
});

describe("Dropout", () => {
  test("eval mode is the identity", () => {
    const d = new nn.Dropout(0.5).eval();
    const x = randn([100]);
    expect(d.forward(x)).toBe(x);
  });

  test("train mode zeroes about p of the elements and scales the rest by 1/(1-p)", () => {
    const p = 0.3;
    const x = ones([100, 100]).requiresGrad_(true);
    const y = new nn.Dropout(p).forward(x);
    const zerosFrac = Array.from(y.data).filter((v) => v === 0).length / y.numel();
    // Binomial std over 10k draws is 0.0046; 0.02 is over four of them.
    expect(Math.abs(zerosFrac - p)).toBeLessThan(0.02);
    const scale = Math.fround(1 / (1 - p));
    expect(Array.from(y.data).every((v) => v === 0 || Math.abs(v - scale) < 1e-6)).toBe(true);
    y.sum().backward();
    // The gradient goes through the same mask.
    expect(Array.from(x.grad!.data)).toEqual(Array.from(y.data));
  });

  test("p = 0 passes through, p = 1 zeroes everything, anything else outside [0, 1] is rejected", () => {
    const x = randn([10]);
    expect(Array.from(new nn.Dropout(0).forward(x).data)).toEqual(Array.from(x.data));
    expect(Array.from(new nn.Dropout(1).forward(x).data).every((v) => v === 0)).toBe(true);
    expect(() => new nn.Dropout(1.5)).toThrow(/Dropout: dropout probability has to be between 0 and 1, but got 1.5/);
    expect(() => new nn.Dropout(-0.1)).toThrow(/but got -0.1/);
  });
});

describe("Sequential", () => {
  test("forward chains the modules in order", () => {
    const a = new nn.Linear(3, 4);
    const b = new nn.Linear(4, 2);
    const seq = new nn.Sequential(a, new nn.Tanh(), b, new nn.Sigmoid());
    const x = randn([5, 3]);
    const expected = b.forward(a.forward(x).tanh()).sigmoid();
    expect(Array.from(seq.forward(x).data)).toEqual(Array.from(expected.data));
    expect(seq.parameters()).toEqual([a.weight, a.bias, b.weight, b.bias]);
  });

  test("Flatten, Identity, LeakyReLU, Softmax and LogSoftmax", () => {
    const x = tensor([[[-2, 1], [0, 3]]]);
    expect(new nn.Flatten().forward(x).shape).toEqual([1, 4]);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(new nn.LeakyReLU().forward(tensor([-2, 3])).tolist()).toEqual([Math.fround(-0.02), 3]);
    const s = new nn.Softmax(-1).forward(x);
    expectAllClose(s.data, [Math.exp(-3) / (1 + Math.exp(-3)), 1 / (1 + Math.exp(-3)), Math.exp(-3) / (1 + Math.exp(-3)), 1 / (1 + Math.exp(-3))], "softmax", relTol(1e-6));
    expectAllClose(new nn.LogSoftmax(1).forward(x).data, Array.from(new nn.Softmax(1).forward(x).data, Math.log), "logSoftmax", relTol(1e-6));
  });
});

// Manual cross-entropy in float64, as PyTorch defines it.
const logSoftmaxRows = (x: number[][]): number[][] =>
  x.map((r) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
    return r.map((v) => v - lse);
  });
const X = [[1.5, -0.3, 0.2, 2.0], [-1.0, 0.4, 0.9, -0.2], [0.3, 0.3, -2.0, 1.1]];
const P = [[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]];
const C = 4;
const smooth = (t: number[][], eps: number): number[][] => t.map((r) => r.map((v) => v * (1 - eps) + eps / C));
const softCe = (x: number[][], t: number[][]): number[] => logSoftmaxRows(x).map((r, n) => -r.reduce((a, v, c) => a + v * t[n]![c]!, 0));

describe("CrossEntropyLoss beyond the golden file", () => {
  test("class-probability targets, mean, with the gradient (softmax - t) / N", () => {
    const x = tensor(X).requiresGrad_(true);
    const loss = new nn.CrossEntropyLoss().forward(x, tensor(P));
    const per = softCe(X, P);
    expectAllClose(loss.data, [per.reduce((a, b) => a + b, 0) / 3], "loss", relTol(1e-6));
    loss.backward();
    const grad = logSoftmaxRows(X).flatMap((r, n) => r.map((v, c) => (Math.exp(v) - P[n]![c]!) / 3));
    expectAllClose(x.grad!.data, grad, "grad", relTol(1e-6));
  });

  test("class-probability targets with labelSmoothing mix in the uniform distribution", () => {
    const per = softCe(X, smooth(P, 0.2));
    expectAllClose(new nn.CrossEntropyLoss({ labelSmoothing: 0.2, reduction: "sum" }).forward(tensor(X), tensor(P)).data, [per.reduce((a, b) => a + b, 0)], "sum", relTol(1e-6));
    expectAllClose(new nn.CrossEntropyLoss({ labelSmoothing: 0.2, reduction: "none" }).forward(tensor(X), tensor(P)).data, per, "none", relTol(1e-6));
  });

  test("class-probability targets on [N, C, d]: the mean is over N·d", () => {
    // x[n, :, j] = X rows; [1, 4, 3] with the class dimension second.
    const x = tensor([X[0]!.map((_, c) => X.map((r) => r[c]!))]);
    const t = tensor([P[0]!.map((_, c) => P.map((r) => r[c]!))]);
    const per = softCe(X, smooth(P, 0.1));
    expectAllClose(new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(x, t).data, [per.reduce((a, b) => a + b, 0) / 3], "mean", relTol(1e-6));
  });

  test("class-index targets with labelSmoothing and ignoreIndex", () => {
    const eps = 0.1;
    const target = [3, 1, 0];
    const ls = logSoftmaxRows(X);
    const per = ls.map((r, n) => (1 - eps) * -r[target[n]!]! + eps * -r.reduce((a, b) => a + b, 0) / C);
    const t = tensor(target, { dtype: "int32" });
    expectAllClose(new nn.CrossEntropyLoss({ labelSmoothing: eps }).forward(tensor(X), t).data, [per.reduce((a, b) => a + b, 0) / 3], "mean", relTol(1e-6));
    expectAllClose(new nn.CrossEntropyLoss({ labelSmoothing: eps, reduction: "none" }).forward(tensor(X), t).data, per, "none", relTol(1e-6));
    // The ignored target contributes to neither term, and the mean is over the two others.
    const ignored = new nn.CrossEntropyLoss({ labelSmoothing: eps, ignoreIndex: 1 });
    expectAllClose(ignored.forward(tensor(X), t).data, [(per[0]! + per[2]!) / 2], "mean, ignored", relTol(1e-6));
    const none = new nn.CrossEntropyLoss({ labelSmoothing: eps, ignoreIndex: 1, reduction: "none" }).forward(tensor(X), t);
    expectAllClose(none.data, [per[0]!, 0, per[2]!], "none, ignored", relTol(1e-6));
  });

  test("class weights weigh each target and normalise the mean", () => {
    const w = [1, 2, 0.5, 3];
    const target = [3, 1, 0];
    const ls = logSoftmaxRows(X);
    const num = target.reduce((a, c, n) => a - w[c]! * ls[n]![c]!, 0);
    const den = target.reduce((a, c) => a + w[c]!, 0);
    const loss = new nn.CrossEntropyLoss({ weight: tensor(w) }).forward(tensor(X), tensor(target, { dtype: "int32" }));
    expectAllClose(loss.data, [num / den], "weighted mean", relTol(1e-6));
  });
});

describe("loss errors name the shapes", () => {
  const x = randn([3, 4]);
  test.each<[string, () => unknown, RegExp]>([
    ["cross-entropy target batch", () => new nn.CrossEntropyLoss().forward(x, tensor([1, 2], { dtype: "int32" })), /target shape must be \[3\] for input \[3, 4\], got \[2\]/],
    ["cross-entropy probability shape", () => new nn.CrossEntropyLoss().forward(x, randn([3, 5])), /probability targets must have the input's shape \[3, 4\], got \[3, 5\]/],
    ["cross-entropy class out of range", () => new nn.CrossEntropyLoss().forward(x, tensor([0, 4, 1], { dtype: "int32" })), /target 4 is out of bounds for 4 classes/],
    ["unbatched cross-entropy", () => new nn.CrossEntropyLoss().forward(randn([4]), tensor([1], { dtype: "int32" })), /unbatched input \[4\] needs a 0-d target, got \[1\]/],
    ["nll target", () => new nn.NLLLoss().forward(x, tensor([[1, 2, 3]], { dtype: "int32" })), /target shape must be \[3\] for input \[3, 4\], got \[1, 3\]/],
    ["mse", () => new nn.MSELoss().forward(x, randn([4, 3])), /mseLoss: input \[3, 4\] and target \[4, 3\] must have the same shape/],
    ["bce with logits", () => new nn.BCEWithLogitsLoss().forward(x, randn([3])), /target size \[3\] must be the same as input size \[3, 4\]/],
  ])("%s", (_name, run, message) => {
    const err = thrown(run);
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.message).toMatch(message);
  });

  test("bad options", () => {
    expect(() => new nn.MSELoss({ reduction: "avg" as "mean" }).forward(x, x)).toThrow(/reduction must be "mean", "sum" or "none", got "avg"/);
    expect(() => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }).forward(x, tensor([0, 1, 2], { dtype: "int32" }))).toThrow(/labelSmoothing must be in \[0, 1\], got 1.5/);
  });
});

/** A tiny check that the layers compose into a trainable model: losses are scalars with grads everywhere. */
test("a Sequential classifier trains end to end", () => {
  const model = new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 2));
  const loss: Tensor = new nn.CrossEntropyLoss().forward(model.forward(randn([6, 3])), tensor([0, 1, 1, 0, 1, 0], { dtype: "int32" }));
  expect(loss.ndim).toBe(0);
  loss.backward();
  expect(model.parameters().every((p) => p.grad !== null && Array.from(p.grad.data).every(Number.isFinite))).toBe(true);
});

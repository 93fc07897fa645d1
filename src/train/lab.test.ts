import { describe, expect, test } from "vitest";
import { manualSeed, nn, randn } from "../index.js";
import { CELL_KINDS } from "../cells/spec.js";
import { compareGradientFlow, gradflowSvg, runLab, TaskModel } from "./lab.js";

describe("gradient flow", () => {
  test("a tanh RNN's gradient vanishes over 100 steps; an LSTM and a GRU with open gates keep theirs", () => {
    const r = compareGradientFlow({ cells: ["rnn", "lstm", "gru"], length: 100, gateBias: 3 });
    const [rnn, lstm, gru] = r.cells;
    expect(rnn!.byDistance).toHaveLength(100);
    expect(rnn!.decay).toBeLessThan(1e-6);
    expect(lstm!.decay).toBeGreaterThan(1e-3);
    expect(gru!.decay).toBeGreaterThan(1e-3);
    expect(gradflowSvg(r)).toMatch(/<polyline/);
  });

  test("with PyTorch's init (forget gate near 0.5) an LSTM's gradient vanishes at first too", () => {
    const [lstm] = compareGradientFlow({ cells: ["lstm"], length: 100, gateBias: 0 }).cells;
    expect(lstm!.decay).toBeLessThan(1e-6);
  });

  test("scaling W_hh up makes a tanh RNN's gradient explode, and clipping bounds the update", () => {
    const [rnn] = compareGradientFlow({ cells: ["rnn"], length: 60, initScale: 3, clipNorm: 1 }).cells;
    expect(rnn!.decay).toBeGreaterThan(10);
    expect(rnn!.gradNorm).toBeGreaterThan(10);
    expect(rnn!.gradNormClipped).toBeCloseTo(1, 4);
    const [valueClipped] = compareGradientFlow({ cells: ["rnn"], length: 60, initScale: 3, clipValue: 0.01 }).cells;
    expect(valueClipped!.gradNormClipped).toBeLessThan(valueClipped!.gradNorm);
  });

  test("gradientFlow reports d loss / d h_t per layer and direction, and parameter norms", () => {
    manualSeed(4);
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const x = randn([6, 2, 3]);
    const up = randn([6, 2, 8]);
    const flow = nn.gradientFlow(lstm, { input: x, target: up }, (out, y) => out.mul(y).sum());
    expect(flow.hidden.map((h) => `${h.layer}${h.direction}`)).toEqual(["0forward", "0reverse", "1forward", "1reverse"]);
    for (const h of flow.hidden) expect(h.norms).toHaveLength(6);
    // The last layer's forward state at the last step gets exactly the output's gradient there.
    const last = flow.hidden[2]!.norms[5]!;
    const want = Math.sqrt(up.select(0, 5).narrow(1, 0, 4).square().sum().item());
    expect(last).toBeCloseTo(want, 5);
    expect(flow.parameters.map((p) => p.name)).toEqual(lstm.namedParameters().map(([n]) => n));
    expect(flow.parameters.every((p) => p.norm > 0)).toBe(true);
    // No observer stays behind: ordinary training runs the fused kernels and pays nothing.
    expect(lstm.stepGradObserver).toBeNull();
  });
});

describe("the lab", () => {
  test("task models give the right shapes", () => {
    const adding = new TaskModel("adding", "gru", 8);
    expect(adding.forward(randn([3, 10, 2])).shape).toEqual([3, 1]);
    const copy = new TaskModel("copy", "rnn-leaky", 8);
    expect(copy.rnn.toString()).toMatch(/leakyRelu/);
  });

  test("a short run learns the adding problem at T = 10 past the baseline", async () => {
    const r = await runLab({ task: "adding", cell: "lstm", length: 10, hiddenSize: 16, batchSize: 32, lr: 1e-2, steps: 300, evalEvery: 100, testSize: 200, gateBias: 1 });
    expect(r.baseline).toBeCloseTo(1 / 6, 10);
    expect(r.history[0]!.step).toBe(0);
    expect(r.testLoss).toBeLessThan(r.baseline / 4);
  });
});

test("every kind in the cell table builds a task model that runs", () => {
  expect(CELL_KINDS).toEqual(["rnn", "rnn-relu", "rnn-leaky", "lstm", "gru", "jordan"]);
  for (const cell of CELL_KINDS) {
    const m = new TaskModel("adding", cell, 4);
    expect(m.cell).toBe(cell);
    expect(m.rnn.cell).toBe(cell);
    expect(m.forward(randn([2, 3, 2])).shape).toEqual([2, 1]);
  }
});

import { beforeEach, describe, expect, test } from "vitest";
import { manualSeed, randn } from "../index.js";
import * as nn from "./index.js";

beforeEach(() => {
  manualSeed(0);
});

describe("countParameters matches PyTorch (REFERENCE 2.8)", () => {
  test.each<[string, () => nn.Module, number]>([
    ["LSTM(10, 20)", () => new nn.LSTM(10, 20), 2560],
    ["LSTM(10, 20, bias=False)", () => new nn.LSTM(10, 20, { bias: false }), 2400],
    ["LSTM(10, 20, proj_size=5)", () => new nn.LSTM(10, 20, { projSize: 5 }), 1460],
    ["LSTM(100, 128, num_layers=2, bidirectional=True)", () => new nn.LSTM(100, 128, { numLayers: 2, bidirectional: true }), 630_784],
    ["LSTM(300, 256, bidirectional=True)", () => new nn.LSTM(300, 256, { bidirectional: true }), 1_142_784],
    ["GRU(4, 5)", () => new nn.GRU(4, 5), 165],
    ["RNN(10, 20)", () => new nn.RNN(10, 20), 640],
    ["LSTM(10, 20, 2), the tutorial example", () => new nn.LSTM(10, 20, 2), 5920],
    ["LSTMCell(10, 20)", () => new nn.LSTMCell(10, 20), 2560],
    ["Embedding(1000, 64)", () => new nn.Embedding(1000, 64), 64_000],
    ["Linear(10, 3)", () => new nn.Linear(10, 3), 33],
  ])("%s has %i", (_name, make, count) => {
    expect(nn.countParameters(make())).toBe(count);
  });

  test("trainableOnly skips frozen parameters", () => {
    const m = new nn.Sequential(nn.Embedding.fromPretrained(randn([10, 4])), new nn.Linear(4, 2));
    expect(nn.countParameters(m)).toBe(40 + 10);
    expect(nn.countParameters(m, { trainableOnly: true })).toBe(10);
  });
});

describe("tutorialParameterCount: the one-bias formula G((X+H)H+H)", () => {
  test.each<[string, () => nn.RNNBase, number | null]>([
    ["LSTM(10, 20)", () => new nn.LSTM(10, 20), 2480],
    ["LSTM(10, 20, 2)", () => new nn.LSTM(10, 20, 2), 5760],
    ["GRU(4, 5)", () => new nn.GRU(4, 5), 150],
    ["RNN(10, 20)", () => new nn.RNN(10, 20), 620],
    ["LSTM(3, 4, bidirectional, 2 layers)", () => new nn.LSTM(3, 4, { bidirectional: true, numLayers: 2 }), 2 * 4 * ((3 + 4) * 4 + 4) + 2 * 4 * ((8 + 4) * 4 + 4)],
    ["LSTM with projection", () => new nn.LSTM(10, 20, { projSize: 5 }), null],
    ["LSTM without bias", () => new nn.LSTM(10, 20, { bias: false }), null],
  ])("%s", (_name, make, count) => {
    expect(nn.tutorialParameterCount(make())).toBe(count);
  });

  test("it undercounts PyTorch by G·H per layer and direction", () => {
    const m = new nn.GRU(6, 7, { numLayers: 3, bidirectional: true });
    expect(nn.countParameters(m) - nn.tutorialParameterCount(m)!).toBe(3 * 7 * 3 * 2);
  });
});

describe("summary", () => {
  test("lists every parameter, the total and the two counts", () => {
    const m = new nn.LSTM(10, 20, 2);
    const s = nn.summary(m);
    for (const [name, p] of m.namedParameters()) {
      expect(s).toMatch(new RegExp(`^${name}\\s+\\[${p.shape.join(", ")}\\]\\s+${p.numel().toLocaleString("en-US")}$`, "m"));
    }
    expect(s.split("\n")[0]).toBe("LSTM parameters");
    expect(s).toMatch(/^total\s+5,920$/m);
    expect(s).toContain("LSTM: PyTorch counts 5,920; the one-bias formula G((X+H)H+H) gives 5,760 (160 fewer: it omits the second bias vector b_hh)");
    expect(s).not.toContain("trainable");
  });

  test("nested models: dotted names, trainable count, one line per recurrent layer", () => {
    class Model extends nn.Module {
      readonly emb = this.registerModule("emb", new nn.Embedding(100, 8));
      readonly enc = this.registerModule("enc", new nn.GRU(8, 16));
      readonly fc = this.registerModule("fc", new nn.Linear(16, 3));
    }
    const m = new Model();
    m.emb.weight.requiresGrad = false;
    const s = nn.summary(m);
    expect(s).toBe([
      "Model parameters",
      "parameter         shape     count",
      "---------------------------------",
      "emb.weight        [100, 8]    800",
      "enc.weight_ih_l0  [48, 8]     384",
      "enc.weight_hh_l0  [48, 16]    768",
      "enc.bias_ih_l0    [48]         48",
      "enc.bias_hh_l0    [48]         48",
      "fc.weight         [3, 16]      48",
      "fc.bias           [3]           3",
      "---------------------------------",
      "total                       2,099",
      "trainable                   1,299",
      "enc (GRU): PyTorch counts 1,248; the one-bias formula G((X+H)H+H) gives 1,200 (48 fewer: it omits the second bias vector b_hh)",
    ].join("\n"));
  });

  test("no comparison line where the formula does not apply", () => {
    const s = nn.summary(new nn.LSTM(10, 20, { projSize: 5 }));
    expect(s).toContain("weight_hr_l0");
    expect(s).toMatch(/^total\s+1,460$/m);
    expect(s).not.toContain("one-bias formula");
  });
});

import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { cat, cells, manualSeed, randn, ShapeError, stack, zeros, type Tensor } from "../index.js";
import { linear } from "./functional.js";
import * as nn from "./index.js";
import { absTol, expectAllClose, thrown } from "../../test/helpers.js";

beforeEach(() => {
  manualSeed(1234);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const shapeOf = (t: Tensor): number[] => [...t.shape];
const leaf = (shape: number[]): Tensor => randn(shape).requiresGrad_(true);
const twin = (t: Tensor): Tensor => t.detach().contiguousCopy().requiresGrad_(true);


type Mode = "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU";

function makeLayer(mode: Mode, inputSize: number, hiddenSize: number, options: nn.LSTMOptions = {}): nn.RNNBase {
  if (mode === "LSTM") return new nn.LSTM(inputSize, hiddenSize, options);
  if (mode === "GRU") return new nn.GRU(inputSize, hiddenSize, options);
  return new nn.RNN(inputSize, hiddenSize, { ...options, nonlinearity: mode === "RNN_TANH" ? "tanh" : "relu" });
}

/** Runs any layer through its one forward, returning `[output, hN, cN | null]`. */
function runLayer(layer: nn.RNNBase, x: Tensor, h0: Tensor | null = null, c0: Tensor | null = null): [Tensor, Tensor, Tensor | null] {
  const [out, state] = layer.forward(x, h0 && c0 ? [h0, c0] : h0);
  return Array.isArray(state) ? [out, state[0], state[1]] : [out, state, null];
}

type Step = (x: Tensor, h: Tensor, c: Tensor | null) => [Tensor, Tensor | null];

/**
 * A single-step cell holding a copy of one layer/direction's weights, and a map from the layer's
 * parameter names to the cell's. LSTM with projection has no cell module, so it is spelt out.
 */
function cellFor(layer: nn.RNNBase, sfx: string): [Step, Map<string, Tensor>] {
  const p = (n: string): Tensor | undefined => layer.getParameter(`${n}${sfx}`);
  const names = ["weight_ih", "weight_hh", ...(layer.bias ? ["bias_ih", "bias_hh"] : [])];
  const sd: Record<string, Tensor> = {};
  for (const n of names) sd[n] = p(n)!;
  const inSize = p("weight_ih")!.shape[1]!;
  const H = layer.hiddenSize;
  const map = new Map<string, Tensor>();
  if (layer.projSize > 0) {
    const w: Record<string, Tensor> = {};
    for (const n of [...names, "weight_hr"]) {
      w[n] = twin(p(n)!);
      map.set(`${n}${sfx}`, w[n]);
    }
    // The LSTM step as the cells compose it (cells/steps.ts), with the projection's weight.
    const step: Step = (x, h, c) => {
      const [h1, c1] = cells.cellStep("lstm")(linear(x, w.weight_ih!, w.bias_ih ?? null), [h, c!], w, {});
      return [h1!, c1!];
    };
    return [step, map];
  }
  let cell: nn.Module;
  let step: Step;
  if (layer.mode === "LSTM") {
    const m = new nn.LSTMCell(inSize, H, { bias: layer.bias });
    step = (x, h, c) => m.forward(x, [h, c!]);
    cell = m;
  } else if (layer.mode === "GRU") {
    const m = new nn.GRUCell(inSize, H, { bias: layer.bias });
    step = (x, h) => [m.forward(x, h), null];
    cell = m;
  } else {
    const m = new nn.RNNCell(inSize, H, { bias: layer.bias, nonlinearity: layer.mode === "RNN_TANH" ? "tanh" : "relu" });
    step = (x, h) => [m.forward(x, h), null];
    cell = m;
  }
  cell.loadStateDict(sd);
  for (const [n, t] of cell.namedParameters()) map.set(`${n}${sfx}`, t);
  return [step, map];
}

/** The stacked layer rebuilt from cells, one time step at a time; time-major input. */
function composed(layer: nn.RNNBase, x: Tensor, h0: Tensor, c0: Tensor | null): { out: Tensor; hN: Tensor; cN: Tensor | null; params: Map<string, Tensor> } {
  const D = layer.bidirectional ? 2 : 1;
  const T = x.shape[0]!;
  const params = new Map<string, Tensor>();
  const hN: Tensor[] = [];
  const cN: Tensor[] = [];
  let input = x;
  for (let k = 0; k < layer.numLayers; k++) {
    const outs: Tensor[] = [];
    for (let dir = 0; dir < D; dir++) {
      const idx = k * D + dir;
      const [step, map] = cellFor(layer, `_l${k}${dir === 1 ? "_reverse" : ""}`);
      for (const [n, t] of map) params.set(n, t);
      let h = h0.select(0, idx);
      let c = c0 ? c0.select(0, idx) : null;
      const ys = new Array<Tensor>(T);
      for (let s = 0; s < T; s++) {
        const t = dir === 0 ? s : T - 1 - s;
        [h, c] = step(input.select(0, t), h, c);
        ys[t] = h;
      }
      outs.push(stack(ys, 0));
      hN.push(h);
      if (c) cN.push(c);
    }
    input = D === 2 ? cat(outs, 2) : outs[0]!;
  }
  return { out: input, hN: stack(hN, 0), cN: c0 ? stack(cN, 0) : null, params };
}

describe("shapes", () => {
  test("the tutorial example: LSTM(10, 20, 2) on [5, 3, 10]", () => {
    const rnn = new nn.LSTM(10, 20, 2);
    const [output, [hN, cN]] = rnn.forward(randn([5, 3, 10]), [randn([2, 3, 20]), randn([2, 3, 20])]);
    expect(shapeOf(output)).toEqual([5, 3, 20]);
    expect(shapeOf(hN)).toEqual([2, 3, 20]);
    expect(shapeOf(cN)).toEqual([2, 3, 20]);
  });

  test("REFERENCE 2.5: batchFirst bidirectional, with and without projection", () => {
    const x = randn([3, 5, 10]);
    const [o1, [h1, c1]] = new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true, bidirectional: true }).forward(x);
    expect([shapeOf(o1), shapeOf(h1), shapeOf(c1)]).toEqual([[3, 5, 40], [4, 3, 20], [4, 3, 20]]);
    const [o2, [h2, c2]] = new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true, bidirectional: true, projSize: 5 }).forward(x);
    expect([shapeOf(o2), shapeOf(h2), shapeOf(c2)]).toEqual([[3, 5, 10], [4, 3, 5], [4, 3, 20]]);
  });

  test("unbatched 2-D input gives unbatched output and states (batchFirst ignored)", () => {
    const lstm = new nn.LSTM(10, 20, { numLayers: 2, bidirectional: true, projSize: 4, batchFirst: true });
    const [o, [h, c]] = lstm.forward(randn([7, 10]), [randn([4, 4]), randn([4, 20])]);
    expect([shapeOf(o), shapeOf(h), shapeOf(c)]).toEqual([[7, 8], [4, 4], [4, 20]]);
    const [o0, [h0]] = lstm.forward(randn([7, 10]));
    expect([shapeOf(o0), shapeOf(h0)]).toEqual([[7, 8], [4, 4]]);
    const [g, gh] = new nn.GRU(3, 6, 3).forward(randn([4, 3]));
    expect([shapeOf(g), shapeOf(gh)]).toEqual([[4, 6], [3, 6]]);
  });

  test("unbatched input gives the numbers of a batch of one", () => {
    const gru = new nn.GRU(3, 4, { numLayers: 2, bidirectional: true });
    const x = randn([6, 3]);
    const h0 = randn([4, 4]);
    const [o, h] = gru.forward(x, h0);
    const [ob, hb] = gru.forward(x.unsqueeze(1), h0.unsqueeze(1));
    expectAllClose(o, ob.squeeze(1), "output", absTol(0));
    expectAllClose(h, hb.squeeze(1), "hN", absTol(0));
  });

  test("GRU and RNN shapes", () => {
    const x = randn([5, 3, 10]);
    const [go, gh] = new nn.GRU(10, 20, { numLayers: 2, bidirectional: true }).forward(x);
    expect([shapeOf(go), shapeOf(gh)]).toEqual([[5, 3, 40], [4, 3, 20]]);
    const [ro, rh] = new nn.RNN(10, 20, 3).forward(x, randn([3, 3, 20]));
    expect([shapeOf(ro), shapeOf(rh)]).toEqual([[5, 3, 20], [3, 3, 20]]);
    const [bo, bh] = new nn.RNN(10, 7, { batchFirst: true, nonlinearity: "relu" }).forward(randn([3, 5, 10]));
    expect([shapeOf(bo), shapeOf(bh)]).toEqual([[3, 5, 7], [1, 3, 7]]);
  });
});

describe("parameters", () => {
  test("names, shapes and order follow PyTorch (REFERENCE 2.3)", () => {
    const shapes = (m: nn.Module): [string, number[]][] => m.namedParameters().map(([k, p]) => [k, shapeOf(p)]);
    expect(shapes(new nn.LSTM(10, 20, { numLayers: 2, bidirectional: true }))).toEqual([
      ["weight_ih_l0", [80, 10]], ["weight_hh_l0", [80, 20]], ["bias_ih_l0", [80]], ["bias_hh_l0", [80]],
      ["weight_ih_l0_reverse", [80, 10]], ["weight_hh_l0_reverse", [80, 20]], ["bias_ih_l0_reverse", [80]], ["bias_hh_l0_reverse", [80]],
      ["weight_ih_l1", [80, 40]], ["weight_hh_l1", [80, 20]], ["bias_ih_l1", [80]], ["bias_hh_l1", [80]],
      ["weight_ih_l1_reverse", [80, 40]], ["weight_hh_l1_reverse", [80, 20]], ["bias_ih_l1_reverse", [80]], ["bias_hh_l1_reverse", [80]],
    ]);
    expect(shapes(new nn.LSTM(10, 20, { numLayers: 2, bidirectional: true, projSize: 5 })).slice(0, 10)).toEqual([
      ["weight_ih_l0", [80, 10]], ["weight_hh_l0", [80, 5]], ["bias_ih_l0", [80]], ["bias_hh_l0", [80]], ["weight_hr_l0", [5, 20]],
      ["weight_ih_l0_reverse", [80, 10]], ["weight_hh_l0_reverse", [80, 5]], ["bias_ih_l0_reverse", [80]], ["bias_hh_l0_reverse", [80]], ["weight_hr_l0_reverse", [5, 20]],
    ]);
    expect(shapes(new nn.LSTM(10, 20, { numLayers: 2, bidirectional: true, projSize: 5 }))[10]).toEqual(["weight_ih_l1", [80, 10]]);
    expect(shapes(new nn.LSTM(10, 20, { bias: false, projSize: 3 }))).toEqual([["weight_ih_l0", [80, 10]], ["weight_hh_l0", [80, 3]], ["weight_hr_l0", [3, 20]]]);
    expect(shapes(new nn.GRU(4, 5, { numLayers: 2 }))).toEqual([
      ["weight_ih_l0", [15, 4]], ["weight_hh_l0", [15, 5]], ["bias_ih_l0", [15]], ["bias_hh_l0", [15]],
      ["weight_ih_l1", [15, 5]], ["weight_hh_l1", [15, 5]], ["bias_ih_l1", [15]], ["bias_hh_l1", [15]],
    ]);
    expect(shapes(new nn.RNN(3, 2, { bias: false, bidirectional: true }))).toEqual([
      ["weight_ih_l0", [2, 3]], ["weight_hh_l0", [2, 2]], ["weight_ih_l0_reverse", [2, 3]], ["weight_hh_l0_reverse", [2, 2]],
    ]);
    expect(shapes(new nn.GRUCell(3, 4))).toEqual([["weight_ih", [12, 3]], ["weight_hh", [12, 4]], ["bias_ih", [12]], ["bias_hh", [12]]]);
    expect(shapes(new nn.RNNCell(3, 4, { bias: false }))).toEqual([["weight_ih", [4, 3]], ["weight_hh", [4, 4]]]);
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    expect(lstm.allWeightNames.length).toBe(4);
    expect(lstm.allWeights[3]![0]).toBe(lstm.getParameter("weight_ih_l1_reverse"));
  });

  test("init: every parameter in U(±1/√hiddenSize), hiddenSize even with projection", () => {
    for (const m of [
      new nn.LSTM(7, 16, { numLayers: 2, bidirectional: true }),
      new nn.LSTM(7, 16, { projSize: 4, numLayers: 2 }),
      new nn.GRU(7, 16), new nn.RNN(7, 16), new nn.LSTMCell(7, 16), new nn.GRUCell(7, 16), new nn.RNNCell(7, 16),
    ]) {
      const bound = Math.fround(1 / 4);
      for (const [k, p] of m.namedParameters()) {
        const v = Array.from(p.data);
        expect(Math.max(...v.map(Math.abs)), `${m.constructor.name} ${k}`).toBeLessThanOrEqual(bound);
        expect(new Set(v).size, `${m.constructor.name} ${k}`).toBeGreaterThan(1);
        // Large tensors fill the interval (catches a narrower range such as 1/√(4H)).
        if (v.length >= 64) expect(Math.max(...v.map(Math.abs)), `${m.constructor.name} ${k}`).toBeGreaterThan(0.2);
      }
    }
  });

  test("manualSeed makes two constructions identical", () => {
    manualSeed(7);
    const a = new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true });
    manualSeed(7);
    const b = new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true });
    const c = new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true });
    const values = (m: nn.Module): number[] => m.parameters().flatMap((p) => Array.from(p.data));
    expect(values(b)).toEqual(values(a));
    expect(values(c)).not.toEqual(values(a));
  });
});

describe("construction errors", () => {
  test.each<[string, () => unknown, RegExp]>([
    ["projSize = hiddenSize", () => new nn.LSTM(10, 20, { projSize: 20 }), /LSTM: projSize has to be smaller than hiddenSize, got projSize=20, hiddenSize=20/],
    ["projSize > hiddenSize", () => new nn.LSTM(10, 20, { projSize: 25 }), /projSize has to be smaller than hiddenSize/],
    ["negative projSize", () => new nn.LSTM(10, 20, { projSize: -1 }), /LSTM: projSize should be a non-negative integer, got -1/],
    ["projSize on GRU", () => new nn.GRU(10, 20, { projSize: 5 } as nn.RNNBaseOptions), /GRU: projSize argument is only supported for LSTM/],
    ["projSize on RNN", () => new nn.RNN(10, 20, { projSize: 5 } as nn.RNNOptions), /RNN: projSize argument is only supported for LSTM/],
    ["dropout < 0", () => new nn.LSTM(10, 20, { dropout: -0.1 }), /LSTM: dropout should be a number in range \[0, 1\].*got -0.1/],
    ["dropout > 1", () => new nn.GRU(10, 20, { dropout: 1.5, numLayers: 2 }), /GRU: dropout should be a number in range \[0, 1\].*got 1.5/],
    ["dropout NaN", () => new nn.RNN(10, 20, { dropout: NaN }), /RNN: dropout should be a number/],
    ["dropout a string", () => new nn.LSTM(10, 20, { dropout: "0.5" as unknown as number }), /dropout should be a number/],
    ["hiddenSize 0", () => new nn.LSTM(10, 0), /LSTM: hiddenSize must be a positive integer, got 0/],
    ["hiddenSize 2.5", () => new nn.GRU(10, 2.5), /GRU: hiddenSize must be a positive integer, got 2.5/],
    ["numLayers 0", () => new nn.LSTM(10, 20, 0), /LSTM: numLayers must be a positive integer, got 0/],
    ["inputSize 0", () => new nn.RNN(0, 20), /RNN: inputSize must be a positive integer, got 0/],
    ["bad nonlinearity", () => new nn.RNN(10, 20, { nonlinearity: "sigmoid" as nn.Nonlinearity }), /RNN: unknown nonlinearity 'sigmoid'. Select from 'tanh', 'relu' or 'leakyRelu'/],
    ["bad cell nonlinearity", () => new nn.RNNCell(10, 20, { nonlinearity: "gelu" as nn.Nonlinearity }), /RNNCell: unknown nonlinearity 'gelu'/],
    ["cell hiddenSize 0", () => new nn.LSTMCell(10, 0), /LSTMCell: hiddenSize must be a positive integer, got 0/],
  ])("%s", (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test("dropout with one layer only warns", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(() => new nn.LSTM(4, 5, { dropout: 0.5 })).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/non-zero dropout expects numLayers greater than 1, but got dropout=0.5 and numLayers=1/);
    new nn.LSTM(4, 5, { dropout: 0.5, numLayers: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe("shape errors name the module and the shapes", () => {
  const lstm = new nn.LSTM(10, 20, 2);
  const cases: [string, nn.RNNBase, () => unknown, RegExp][] = [
    ["LSTM input features", lstm, () => lstm.forward(randn([5, 3, 12])), /LSTM: input\.shape\[-1\] must equal inputSize\. Expected 10, got 12 \(input \[5, 3, 12\], batchFirst=false\)/],
    ["LSTM 4-D input", lstm, () => lstm.forward(randn([5, 3, 10, 1])), /Expected input to be 2D or 3D, got 4D instead \(input \[5, 3, 10, 1\]\)/],
    ["LSTM 1-D input", lstm, () => lstm.forward(randn([10])), /got 1D instead/],
    ["LSTM h0", lstm, () => lstm.forward(randn([5, 3, 10]), [randn([1, 3, 20]), randn([2, 3, 20])]), /h0 must have shape .*Expected \[2, 3, 20\], got \[1, 3, 20\]/],
    ["LSTM c0", lstm, () => lstm.forward(randn([5, 3, 10]), [randn([2, 3, 20]), randn([2, 4, 20])]), /c0 must have shape .*Expected \[2, 3, 20\], got \[2, 4, 20\]/],
    ["LSTM unbatched h0", lstm, () => lstm.forward(randn([5, 10]), [randn([2, 1, 20]), randn([2, 20])]), /h0 must have shape \(D·numLayers, H\) for unbatched input\. Expected \[2, 20\], got \[2, 1, 20\]/],
  ];
  const proj = new nn.LSTM(10, 20, { projSize: 5, bidirectional: true });
  cases.push(
    ["LSTM projected h0", proj, () => proj.forward(randn([5, 3, 10]), [randn([2, 3, 20]), randn([2, 3, 20])]), /Expected \[2, 3, 5\], got \[2, 3, 20\]/],
    ["LSTM projected c0", proj, () => proj.forward(randn([5, 3, 10]), [randn([2, 3, 5]), randn([2, 3, 5])]), /c0 .*Expected \[2, 3, 20\], got \[2, 3, 5\]/],
  );
  const gru = new nn.GRU(4, 6, { batchFirst: true, bidirectional: true });
  cases.push(
    ["GRU input features", gru, () => gru.forward(randn([2, 5, 3])), /GRU: .*Expected 4, got 3 \(input \[2, 5, 3\], batchFirst=true\)/],
    ["GRU hx", gru, () => gru.forward(randn([2, 5, 4]), randn([1, 2, 6])), /GRU: hx must have shape .*Expected \[2, 2, 6\], got \[1, 2, 6\]/],
  );
  const rnn = new nn.RNN(4, 6, { nonlinearity: "relu" });
  cases.push(
    ["RNN 4-D input", rnn, () => rnn.forward(randn([1, 2, 3, 4])), /RNN: Expected input to be 2D or 3D, got 4D/],
    ["RNN hx", rnn, () => rnn.forward(randn([3, 2, 4]), randn([1, 3, 6])), /Expected \[1, 2, 6\], got \[1, 3, 6\]/],
  );
  test.each(cases)("%s", (_name, layer, run, message) => {
    const err = thrown(run);
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as ShapeError).op).toBe({ lstm: "LSTM", gru: "GRU", "rnn-relu": "RNN" }[layer.cell as string]);
    expect(err.message).toMatch(message);
  });

  test("cells check their input and states", () => {
    const cell = new nn.LSTMCell(3, 4);
    const e1 = thrown(() => cell.forward(randn([2, 5])));
    expect((e1 as ShapeError).op).toBe("LSTMCell");
    expect(e1.message).toMatch(/Expected 3, got 5 \(input \[2, 5\]\)/);
    const e2 = thrown(() => new nn.GRUCell(3, 4).forward(randn([2, 3]), randn([3, 4])));
    expect((e2 as ShapeError).op).toBe("GRUCell");
    expect(e2.message).toMatch(/hx must have shape \[2, 4\], got \[3, 4\]/);
  });
});

describe("the fused layer equals its cells composed step by step", () => {
  const configs: [string, Mode, nn.LSTMOptions][] = [
    ["LSTM, 2 layers, bidirectional", "LSTM", { numLayers: 2, bidirectional: true }],
    ["GRU, 2 layers, bidirectional", "GRU", { numLayers: 2, bidirectional: true }],
    ["RNN tanh, 2 layers, bidirectional", "RNN_TANH", { numLayers: 2, bidirectional: true }],
    ["RNN relu, 2 layers, bidirectional", "RNN_RELU", { numLayers: 2, bidirectional: true }],
    ["LSTM without bias, 2 layers", "LSTM", { numLayers: 2, bias: false }],
    ["GRU without bias, bidirectional", "GRU", { bias: false, bidirectional: true }],
    ["LSTM with projection, 2 layers, bidirectional", "LSTM", { numLayers: 2, bidirectional: true, projSize: 3 }],
  ];
  test.each(configs)("%s", (_name, mode, options) => {
    const [T, N, I, H] = [5, 2, 3, 4];
    const layer = makeLayer(mode, I, H, options);
    const D = layer.bidirectional ? 2 : 1;
    const Hout = layer.projSize || H;
    const x = leaf([T, N, I]);
    const h0 = leaf([D * layer.numLayers, N, Hout]);
    const c0 = mode === "LSTM" ? leaf([D * layer.numLayers, N, H]) : null;
    const [out, hN, cN] = runLayer(layer, x, h0, c0);

    const x2 = twin(x);
    const h02 = twin(h0);
    const c02 = c0 ? twin(c0) : null;
    const ref = composed(layer, x2, h02, c02);
    expectAllClose(out, ref.out, "output", { atol: 1e-5, rtol: 1e-5 });
    expectAllClose(hN, ref.hN, "hN", { atol: 1e-5, rtol: 1e-5 });
    if (c0) expectAllClose(cN, ref.cN, "cN", { atol: 1e-5, rtol: 1e-5 });

    const upOut = randn(shapeOf(out));
    const upH = randn(shapeOf(hN));
    const upC = cN ? randn(shapeOf(cN)) : null;
    const lossOf = (o: Tensor, h: Tensor, c: Tensor | null): Tensor => {
      const l = o.mul(upOut).sum().add(h.mul(upH).sum());
      return c ? l.add(c.mul(upC!).sum()) : l;
    };
    lossOf(out, hN, cN).backward();
    lossOf(ref.out, ref.hN, ref.cN).backward();
    expectAllClose(x.grad, x2.grad, "grad input", { atol: 1e-5, rtol: 1e-5 });
    expectAllClose(h0.grad, h02.grad, "grad h0", { atol: 1e-5, rtol: 1e-5 });
    if (c0) expectAllClose(c0.grad, c02!.grad, "grad c0", { atol: 1e-5, rtol: 1e-5 });
    const names = layer.namedParameters().map(([k]) => k);
    expect([...ref.params.keys()].sort()).toEqual([...names].sort());
    for (const [k, p] of layer.namedParameters()) expectAllClose(p.grad, ref.params.get(k)!.grad, `grad ${k}`, { atol: 1e-5, rtol: 1e-5 });
  });
});

describe("semantics", () => {
  test("dropout between layers: off in eval, on in train, never on the last layer or layer 0's states", () => {
    const a = new nn.LSTM(4, 6, { numLayers: 2, dropout: 0.5 });
    const b = new nn.LSTM(4, 6, { numLayers: 2 });
    b.loadStateDict(a.stateDict());
    const x = randn([5, 3, 4]);
    const [ob, [hb, cb]] = b.forward(x);

    a.eval();
    const [oe, [he, ce]] = a.forward(x);
    expectAllClose(oe, ob, "eval output", absTol(0));
    expectAllClose(he, hb, "eval hN", absTol(0));
    expectAllClose(ce, cb, "eval cN", absTol(0));

    a.train();
    const [ot, [ht, ct]] = a.forward(x);
    const [ot2] = a.forward(x);
    expect(Array.from(ot.data)).not.toEqual(Array.from(ob.data));
    expect(Array.from(ot2.data)).not.toEqual(Array.from(ot.data));
    // Layer 0 runs before any dropout: its final states are unchanged.
    expectAllClose(ht.select(0, 0), hb.select(0, 0), "train hN layer 0", absTol(0));
    expectAllClose(ct.select(0, 0), cb.select(0, 0), "train cN layer 0", absTol(0));
    expect(Array.from(ht.select(0, 1).data)).not.toEqual(Array.from(hb.select(0, 1).data));
  });

  test("dropout 1 hands layer 1 an all-zero input", () => {
    const a = new nn.GRU(4, 6, { numLayers: 2, dropout: 1 });
    const top = new nn.GRU(6, 6);
    top.loadStateDict({
      weight_ih_l0: a.getParameter("weight_ih_l1")!, weight_hh_l0: a.getParameter("weight_hh_l1")!,
      bias_ih_l0: a.getParameter("bias_ih_l1")!, bias_hh_l0: a.getParameter("bias_hh_l1")!,
    });
    const h0 = randn([2, 3, 6]);
    const [o, h] = a.forward(randn([5, 3, 4]), h0);
    const [oz, hz] = top.forward(zeros([5, 3, 6]), h0.narrow(0, 1, 1));
    expectAllClose(o, oz, "output", absTol(0));
    expectAllClose(h.narrow(0, 1, 1), hz, "hN layer 1", absTol(0));
  });

  test("one layer: dropout has nothing to act on, so train mode is deterministic", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const a = new nn.RNN(4, 6, { dropout: 0.5 });
    const b = new nn.RNN(4, 6);
    b.loadStateDict(a.stateDict());
    const x = randn([5, 3, 4]);
    const [o1] = a.forward(x);
    const [o2] = a.forward(x);
    const [o3] = b.train().forward(x);
    expectAllClose(o1, o2, "repeat", absTol(0));
    expectAllClose(o1, o3, "dropout-free copy", absTol(0));
  });

  test("batchFirst gives the numbers of the transposed time-major input", () => {
    const tm = new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true });
    const bf = new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true, batchFirst: true });
    bf.loadStateDict(tm.stateDict());
    const xb = randn([2, 6, 3]);
    const h0 = randn([4, 2, 5]);
    const c0 = randn([4, 2, 5]);
    const [ob, [hb, cb]] = bf.forward(xb, [h0, c0]);
    const [ot, [ht, ct]] = tm.forward(xb.transpose(0, 1), [h0, c0]);
    expectAllClose(ob, ot.transpose(0, 1), "output", absTol(0));
    expectAllClose(hb, ht, "hN", absTol(0));
    expectAllClose(cb, ct, "cN", absTol(0));
  });

  test("hN is output[-1] for one forward layer; the reverse direction's hN is output[0]", () => {
    for (const mode of ["LSTM", "GRU", "RNN_TANH"] as const) {
      const x = randn([7, 3, 4]);
      const [o, h] = runLayer(makeLayer(mode, 4, 5), x);
      expectAllClose(h.select(0, 0), o.select(0, 6), `${mode} hN`, absTol(0));
      const [ob, hb] = runLayer(makeLayer(mode, 4, 5, { bidirectional: true }), x);
      expectAllClose(hb.select(0, 0), ob.select(0, 6).narrow(1, 0, 5), `${mode} forward hN`, absTol(0));
      expectAllClose(hb.select(0, 1), ob.select(0, 0).narrow(1, 5, 5), `${mode} reverse hN`, absTol(0));
    }
  });

  test("initial states default to zeros", () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
    const x = randn([4, 2, 3]);
    const [o] = lstm.forward(x);
    const [oz] = lstm.forward(x, [zeros([2, 2, 4]), zeros([2, 2, 4])]);
    expectAllClose(o, oz, "output", absTol(0));
  });

  test("backward through 200 steps gives finite gradients", () => {
    const lstm = new nn.LSTM(4, 8);
    const x = leaf([200, 2, 4]);
    const [out, [h, c]] = lstm.forward(x);
    out.sum().add(h.sum()).add(c.sum()).backward();
    for (const t of [x, ...lstm.parameters()]) {
      expect(t.grad).not.toBeNull();
      expect(Array.from(t.grad!.data).every(Number.isFinite)).toBe(true);
    }
    expect(Array.from(x.grad!.data).some((v) => v !== 0)).toBe(true);
  });

  test("backward through 200 composed cell steps (a deep graph) does not overflow the stack", () => {
    const cell = new nn.GRUCell(4, 8);
    const x = leaf([200, 1, 4]);
    let h = zeros([1, 8]);
    for (let t = 0; t < 200; t++) h = cell.forward(x.select(0, t), h);
    h.sum().backward();
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
    expect(Array.from(cell.weightHh.grad!.data).every(Number.isFinite)).toBe(true);
  });
});

import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { cat, stack } from "../ops/movement.js";
import { Generator, manualSeed } from "../random.js";
import { ShapeError } from "../shape.js";
import { randn, Tensor, zeros } from "../tensor.js";
import * as nn from "./index.js";
import { jordanRNNLayer, jordanRNNStep, type JordanWeights, type OutputNonlinearity } from "./jordan.js";
import { absTol, expectAllClose, expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

beforeEach(() => {
  manualSeed(1234);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const gen = new Generator(77);
const r64 = randn64From(gen);
const shapeOf = (t: Tensor): number[] => [...t.shape];


function weights64(I: number, H: number, O: number, bias: boolean): JordanWeights {
  return {
    weightIh: r64([H, I], { scale: 0.5 }), weightHy: r64([H, O], { scale: 0.5 }), biasIh: bias ? r64([H], { scale: 0.5 }) : null,
    biasHy: bias ? r64([H], { scale: 0.5 }) : null, weightO: r64([O, H], { scale: 0.5 }), biasO: bias ? r64([O], { scale: 0.5 }) : null,
  };
}
const weightList = (w: JordanWeights): Tensor[] =>
  [w.weightIh, w.weightHy, w.biasIh, w.biasHy, w.weightO, w.biasO].filter((t): t is Tensor => t !== null);

describe("jordanRNNStep and jordanRNNLayer", () => {
  const combos: [nn.Nonlinearity, OutputNonlinearity][] = [["tanh", "tanh"], ["relu", "sigmoid"], ["tanh", "identity"], ["relu", "relu"]];
  test.each(combos)("gradcheck of one step (%s, %s), with and without bias", (nonlinearity, outputNonlinearity) => {
    for (const bias of [true, false]) {
      const w = weights64(3, 4, 2, bias);
      const x = r64([2, 3]);
      const y = r64([2, 2]);
      expectGradcheck((xx, yy) => jordanRNNStep(xx!, yy!, w, { nonlinearity, outputNonlinearity }), [x, y, ...weightList(w)]);
    }
  });

  test("gradcheck of one step with a batch of 1 and O = 1", () => {
    const w = weights64(2, 3, 1, true);
    expectGradcheck((x, y) => jordanRNNStep(x!, y!, w, { outputNonlinearity: "sigmoid" }), [r64([1, 2]), r64([1, 1]), ...weightList(w)]);
  });

  test("gradcheck of a reverse layer over a sequence", () => {
    const w = weights64(3, 4, 2, true);
    expectGradcheck((x, y) => jordanRNNLayer(x!, y!, w, {}, true), [r64([5, 2, 3]), r64([2, 2]), ...weightList(w)]);
  });

  test("the reverse layer is the forward layer on the flipped sequence", () => {
    const w = weights64(3, 4, 2, true);
    const x = r64([4, 2, 3]);
    const y0 = r64([2, 2]);
    const flip = (t: Tensor): Tensor => t.indexSelect(0, [3, 2, 1, 0]);
    const [outR, yR] = jordanRNNLayer(x, y0, w, {}, true);
    const [outF, yF] = jordanRNNLayer(flip(x), y0, w);
    expectAllClose(outR, flip(outF), "output", absTol(1e-12));
    expectAllClose(yR, yF, "yN", absTol(1e-12));
    expectAllClose(yR, outR.select(0, 0), "yN is the output at t = 0", absTol(0));
  });
});

describe("JordanRNN", () => {
  test("gradcheck of a 2-layer bidirectional layer in float64", () => {
    const m = new nn.JordanRNN(3, 4, { numLayers: 2, bidirectional: true, outputSize: 2, batchFirst: true });
    // The layer reads its parameters by name, so float64 replacements are picked up.
    for (const [name, p] of m.namedParameters()) m.registerParameter(name, r64(p.shape, { scale: 0.5 }));
    const params = m.parameters();
    expect(params.every((p) => p.dtype === "float64")).toBe(true);
    const x = r64([2, 3, 3]);
    const y0 = r64([4, 2, 2]);
    expectGradcheck((xx, yy) => m.forward(xx!, yy!), [x, y0, ...params]);
  });

  test("output and state shapes", () => {
    const cases: [nn.JordanRNNOptions, number[], number[], number[]][] = [
      [{}, [5, 3, 6], [5, 3, 4], [1, 3, 4]],
      [{ outputSize: 2 }, [5, 3, 6], [5, 3, 2], [1, 3, 2]],
      [{ numLayers: 3, bidirectional: true, outputSize: 2 }, [5, 3, 6], [5, 3, 4], [6, 3, 2]],
      [{ batchFirst: true, bidirectional: true }, [3, 5, 6], [3, 5, 8], [2, 3, 4]],
      [{ numLayers: 2 }, [5, 6], [5, 4], [2, 4]],
      [{ batchFirst: true, bidirectional: true, outputSize: 3 }, [5, 6], [5, 6], [2, 3]],
    ];
    for (const [opts, inShape, outShape, yShape] of cases) {
      const m = new nn.JordanRNN(6, 4, opts);
      const [out, yN] = m.forward(randn(inShape));
      expect(shapeOf(out), JSON.stringify(opts)).toEqual(outShape);
      expect(shapeOf(yN), JSON.stringify(opts)).toEqual(yShape);
      const [out2, yN2] = m.forward(randn(inShape), randn(yShape));
      expect([shapeOf(out2), shapeOf(yN2)]).toEqual([outShape, yShape]);
    }
  });

  test("parameter names, shapes and initialisation", () => {
    const m = new nn.JordanRNN(5, 4, 2, { bidirectional: true, outputSize: 3 });
    const shapes = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, shapeOf(p)]));
    const expected: Record<string, number[]> = {};
    for (const sfx of ["_l0", "_l0_reverse", "_l1", "_l1_reverse"]) {
      Object.assign(expected, {
        [`weight_ih${sfx}`]: [4, sfx.startsWith("_l0") ? 5 : 6], [`weight_hy${sfx}`]: [4, 3], [`bias_ih${sfx}`]: [4],
        [`bias_hy${sfx}`]: [4], [`weight_o${sfx}`]: [3, 4], [`bias_o${sfx}`]: [3],
      });
    }
    expect(shapes).toEqual(expected);
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(expected));
    for (const p of m.parameters()) {
      expect(p.requiresGrad).toBe(true);
      for (const v of p.data) expect(Math.abs(v)).toBeLessThanOrEqual(0.5);
    }
    const noBias = new nn.JordanRNN(5, 4, { bias: false });
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(["weight_ih_l0", "weight_hy_l0", "weight_o_l0"]);
  });

  test("equals the cell applied step by step, per layer and direction", () => {
    const m = new nn.JordanRNN(3, 4, { numLayers: 2, bidirectional: true, outputSize: 2, nonlinearity: "relu", outputNonlinearity: "sigmoid" });
    const x = randn([5, 2, 3]);
    const y0 = randn([4, 2, 2]);
    const [out, yN] = m.forward(x, y0);
    let input = x;
    const finals: Tensor[] = [];
    for (let layer = 0; layer < 2; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < 2; dir++) {
        const sfx = `_l${layer}${dir ? "_reverse" : ""}`;
        const cell = new nn.JordanRNNCell(input.shape[2]!, 4, { outputSize: 2, nonlinearity: "relu", outputNonlinearity: "sigmoid" });
        const sd: Record<string, Tensor> = {};
        for (const n of ["weight_ih", "weight_hy", "bias_ih", "bias_hy", "weight_o", "bias_o"]) sd[n] = m.getParameter(n + sfx)!;
        cell.loadStateDict(sd);
        let y = y0.select(0, layer * 2 + dir);
        const ys: Tensor[] = [];
        for (let k = 0; k < 5; k++) {
          const t = dir ? 4 - k : k;
          [y] = cell.forward(input.select(0, t), y);
          ys[t] = y;
        }
        outs.push(stack(ys, 0));
        finals.push(y);
      }
      input = cat(outs, 2);
    }
    expectAllClose(out, input, "output", { atol: 1e-6, rtol: 1e-5 });
    for (let i = 0; i < 4; i++) expectAllClose(yN.select(0, i), finals[i]!, `yN[${i}]`, { atol: 1e-6, rtol: 1e-5 });
  });

  test("unbatched input equals a batch of one", () => {
    const m = new nn.JordanRNN(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, outputSize: 3 });
    const x = randn([5, 3]);
    const y0 = randn([4, 3]);
    const [out, yN] = m.forward(x, y0);
    const [outB, yNB] = m.forward(x.unsqueeze(0), y0.unsqueeze(1));
    expectAllClose(out, outB.squeeze(0), "output", absTol(0));
    expectAllClose(yN, yNB.squeeze(1), "yN", absTol(0));
  });

  test("batchFirst is the transpose of time-major", () => {
    const a = new nn.JordanRNN(3, 4, { bidirectional: true });
    const b = new nn.JordanRNN(3, 4, { bidirectional: true, batchFirst: true });
    b.loadStateDict(a.stateDict());
    const x = randn([5, 2, 3]);
    const [outA, yA] = a.forward(x);
    const [outB, yB] = b.forward(x.transpose(0, 1));
    expectAllClose(outB, outA.transpose(0, 1), "output", absTol(0));
    expectAllClose(yB, yA, "yN", absTol(0));
  });

  test("dropout between layers acts in training mode only", () => {
    const m = new nn.JordanRNN(3, 4, { numLayers: 2, dropout: 0.5 });
    const x = randn([6, 2, 3]);
    m.eval();
    const [e1] = m.forward(x);
    const [e2] = m.forward(x);
    expectAllClose(e1, e2, "eval is deterministic", absTol(0));
    m.train();
    const [t1] = m.forward(x);
    expect([...t1.data].some((v, i) => v !== e1.data[i])).toBe(true);
  });

  test("dropout with one layer only warns", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    new nn.JordanRNN(3, 4, { dropout: 0.5 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/^JordanRNN: .*dropout=0.5 and numLayers=1/);
  });

  test("errors name the shapes", () => {
    const m = new nn.JordanRNN(3, 4, { numLayers: 2, outputSize: 2 });
    const cases: [() => unknown, RegExp][] = [
      [() => m.forward(randn([5, 2, 4])), /input.shape\[-1\] must equal inputSize. Expected 3, got 4 \(input \[5, 2, 4\], batchFirst=false\)/],
      [() => m.forward(randn([5, 2, 3, 1])), /Expected input to be 2D or 3D, got 4D instead \(input \[5, 2, 3, 1\]\)/],
      [() => m.forward(randn([5, 2, 3]), randn([2, 2, 4])), /y0 must have shape \(D·numLayers, N, O\)\. Expected \[2, 2, 2\], got \[2, 2, 4\] \(input \[5, 2, 3\]\)/],
      [() => m.forward(randn([5, 3]), randn([2, 1, 2])), /y0 must have shape \(D·numLayers, O\) for unbatched input\. Expected \[2, 2\], got \[2, 1, 2\]/],
      [() => m.forward(randn([5, 2, 3], { dtype: "float64" })), /input has dtype float64 but the layer's parameters are float32; convert the input with input.float\(\) or the layer with .*\.double\(\)/],
    ];
    for (const [fn, re] of cases) {
      const err = thrown(fn);
      expect(err).toBeInstanceOf(ShapeError);
      expect((err as ShapeError).op).toBe("JordanRNN");
      expect(err.message).toMatch(re);
    }
    expect((thrown(() => m.forward(randn([5, 2, 3]), randn([2, 2, 4]))) as ShapeError).shapes).toEqual([[2, 2, 2], [2, 2, 4]]);
  });

  test("constructor arguments are checked with their value", () => {
    expect(thrown(() => new nn.JordanRNN(3, 0)).message).toBe("JordanRNN: hiddenSize must be a positive integer, got 0");
    expect(thrown(() => new nn.JordanRNN(3, 4, { outputSize: 1.5 })).message).toBe("JordanRNN: outputSize must be a positive integer, got 1.5");
    expect(thrown(() => new nn.JordanRNN(3, 4, { dropout: 2 })).message).toMatch(/^JordanRNN: dropout should be a number in range \[0, 1\].*got 2$/);
    expect(thrown(() => new nn.JordanRNN(3, 4, { nonlinearity: "gelu" as nn.Nonlinearity })).message).toMatch(/unknown nonlinearity 'gelu'/);
    expect(thrown(() => new nn.JordanRNN(3, 4, { outputNonlinearity: "softmax" as OutputNonlinearity })).message)
      .toBe("JordanRNN: unknown outputNonlinearity 'softmax'. Select from 'tanh', 'sigmoid', 'relu' or 'identity'.");
  });

  test("toString lists the non-default options", () => {
    expect(new nn.JordanRNN(10, 20).toString()).toBe("JordanRNN(10, 20)");
    expect(new nn.JordanRNN(10, 20, 2, { outputSize: 5, outputNonlinearity: "sigmoid", nonlinearity: "relu", bias: false, batchFirst: true, bidirectional: true }).toString())
      .toBe("JordanRNN(10, 20, outputSize=5, numLayers=2, nonlinearity='relu', outputNonlinearity='sigmoid', bias=false, batchFirst=true, bidirectional=true)");
  });
});

describe("JordanRNNCell", () => {
  test("forward is jordanRNNStep on the cell's weights, which passes gradcheck in float64", () => {
    const cell = new nn.JordanRNNCell(3, 4, { outputSize: 2 });
    const w = weights64(3, 4, 2, true);
    const x = randn([2, 3]);
    const y = randn([2, 2]);
    const [yc, hc] = cell.forward(x, y);
    const [ys, hs] = jordanRNNStep(x, y, { weightIh: cell.weightIh, weightHy: cell.weightHy, biasIh: cell.biasIh, biasHy: cell.biasHy, weightO: cell.weightO, biasO: cell.biasO });
    expectAllClose(yc, ys, "y", absTol(0));
    expectAllClose(hc, hs, "h", absTol(0));
    expectGradcheck((xx, yy) => jordanRNNStep(xx!, yy!, w), [r64([2, 3]), r64([2, 2]), ...weightList(w)]);
  });

  test("shapes, batched and unbatched, and zeros as the default y", () => {
    const cell = new nn.JordanRNNCell(3, 4, { outputSize: 2 });
    const [y, h] = cell.forward(randn([5, 3]));
    expect([shapeOf(y), shapeOf(h)]).toEqual([[5, 2], [5, 4]]);
    const x = randn([3]);
    const [yu, hu] = cell.forward(x);
    expect([shapeOf(yu), shapeOf(hu)]).toEqual([[2], [4]]);
    const [yz] = cell.forward(x, zeros([2]));
    expectAllClose(yu, yz, "default y is zeros", absTol(0));
    const [yb] = cell.forward(x.unsqueeze(0), zeros([1, 2]));
    expectAllClose(yu, yb.squeeze(0), "unbatched equals a batch of one", absTol(0));
  });

  test("parameter names and shapes", () => {
    const cell = new nn.JordanRNNCell(3, 4, { outputSize: 2 });
    expect(cell.namedParameters().map(([n, p]) => [n, shapeOf(p)])).toEqual([
      ["weight_ih", [4, 3]], ["weight_hy", [4, 2]], ["bias_ih", [4]], ["bias_hy", [4]], ["weight_o", [2, 4]], ["bias_o", [2]],
    ]);
    expect(new nn.JordanRNNCell(3, 4, { bias: false }).namedParameters().map(([n]) => n)).toEqual(["weight_ih", "weight_hy", "weight_o"]);
  });

  test("errors name the shapes", () => {
    const cell = new nn.JordanRNNCell(3, 4, { outputSize: 2 });
    const e1 = thrown(() => cell.forward(randn([2, 5])));
    expect((e1 as ShapeError).op).toBe("JordanRNNCell");
    expect(e1.message).toMatch(/Expected 3, got 5 \(input \[2, 5\]\)/);
    const e2 = thrown(() => cell.forward(randn([2, 3]), randn([2, 4])));
    expect((e2 as ShapeError).op).toBe("JordanRNNCell");
    expect(e2.message).toMatch(/y must have shape \[2, 2\], got \[2, 4\] \(input \[2, 3\]\)/);
    expect(thrown(() => cell.forward(randn([1, 2, 3]))).message).toMatch(/Expected input to be 1D or 2D, got 3D instead \(input \[1, 2, 3\]\)/);
  });

  test("toString", () => {
    expect(new nn.JordanRNNCell(3, 4).toString()).toBe("JordanRNNCell(3, 4)");
    expect(new nn.JordanRNNCell(3, 4, { outputSize: 2, bias: false, outputNonlinearity: "identity" }).toString())
      .toBe("JordanRNNCell(3, 4, outputSize=2, bias=false, outputNonlinearity='identity')");
  });
});

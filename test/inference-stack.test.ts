/**
 * A stacked layer run with nothing needing a gradient goes through `recurrentStack` (one op for all
 * layers, each writing into slices of buffers allocated once); with a gradient it runs layer by
 * layer. The two must give the same numbers, bit for bit, on every backend with fused kernels and
 * every layout; and the stack must be what runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getBackend, manualSeed, nn, noGrad, randn, setBackend, type Tensor } from "../src/index.js";
import { recurrentStack } from "../src/ops/recurrent.js";
import { goldenBackends } from "./backends.js";

type Make = () => nn.RNNBase;
const cases: [string, Make][] = [
  ["LSTM 2 layers", () => new nn.LSTM(5, 7, { numLayers: 2 })],
  ["LSTM 3 layers bidirectional batchFirst", () => new nn.LSTM(5, 7, { numLayers: 3, bidirectional: true, batchFirst: true })],
  ["LSTM projection bidirectional", () => new nn.LSTM(5, 8, { numLayers: 2, projSize: 3, bidirectional: true })],
  ["GRU 3 layers", () => new nn.GRU(4, 6, { numLayers: 3 })],
  ["GRU bidirectional no bias", () => new nn.GRU(4, 6, { bidirectional: true, bias: false })],
  ["RNN relu 2 layers bidirectional", () => new nn.RNN(3, 5, { numLayers: 2, nonlinearity: "relu", bidirectional: true })],
  ["RNN leaky", () => new nn.RNN(3, 5, { nonlinearity: "leakyRelu", negativeSlope: 0.2 })],
  ["LSTM 2 layers, dropout in eval mode", () => new nn.LSTM(5, 7, { numLayers: 2, dropout: 0.5 }).eval()],
];

const flat = (out: Tensor | nn.utils.PackedSequence, state: Tensor | [Tensor, Tensor]): number[][] =>
  [out instanceof nn.utils.PackedSequence ? out.data : out, ...(Array.isArray(state) ? state : [state])].map((t) => [...t.shape, ...t.data]);

/** Runs `fn` counting the backend's fused forward calls made by the stack (the ones handed `out`). */
function countStacked(fn: (count: () => number) => void): void {
  const kernels = getBackend().recurrent!;
  const original = kernels.forward;
  let stacked = 0;
  kernels.forward = (a) => {
    if (a.out) stacked++;
    return original(a);
  };
  try {
    fn(() => stacked);
  } finally {
    kernels.forward = original;
  }
}

describe.each(goldenBackends().filter((b) => b !== "primitives"))("%s backend", (backend) => {
  let previous = "";
  beforeAll(() => {
    previous = getBackend().name;
    setBackend(backend);
  });
  afterAll(() => void setBackend(previous));

  test.each(cases)("%s: padded, packed, unbatched and with given states, as layer by layer", (_, make) => {
    manualSeed(3);
    const layer = make();
    const D = layer.bidirectional ? 2 : 1;
    const stateSize = layer.projSize || layer.hiddenSize;
    const x = layer.batchFirst ? randn([3, 4, layer.inputSize]) : randn([4, 3, layer.inputSize]);
    const h0 = randn([D * layer.numLayers, 3, stateSize]);
    const hx = layer.mode === "LSTM" ? ([h0, randn([D * layer.numLayers, 3, layer.hiddenSize])] as [Tensor, Tensor]) : h0;
    const unbatched = randn([4, layer.inputSize]);
    const packed = nn.utils.packPaddedSequence(layer.batchFirst ? x.transpose(0, 1) : x, [2, 4, 1], { enforceSorted: false });
    const inputs: [Tensor | nn.utils.PackedSequence, (Tensor | [Tensor, Tensor]) | null][] = [[x, null], [x, hx], [unbatched, null], [packed, null], [packed, hx]];
    countStacked((stacked) => {
      for (const [input, state] of inputs) {
        const [out, last] = layer.forward(input, state); // parameters require grad: layer by layer
        const before = stacked();
        const [out2, last2] = noGrad(() => layer.forward(input, state));
        expect(stacked() - before).toBe(layer.numLayers * D);
        expect(flat(out2, last2)).toEqual(flat(out, last));
      }
    });
  });
});

test("the stack refuses to run where a gradient is needed, and takes no other route", () => {
  manualSeed(0);
  const layer = new nn.LSTM(3, 4);
  const w = layer.layerWeights(0);
  const weights = [{ wIh: w.weight_ih!, wHh: w.weight_hh!, bIh: w.bias_ih!, bHh: w.bias_hh!, wHr: null }];
  expect(() => recurrentStack("lstm", randn([2, 1, 3]), [null, null], weights, { layers: 1, bidirectional: false })).toThrow(/records no gradient/);
  expect(() => noGrad(() => recurrentStack("lstm", randn([2, 1, 3]), [null, null], weights, { layers: 2, bidirectional: false }))).toThrow(/expected 2 layer weights/);
  // In training mode with dropout, or with a residual, the layers run one by one (and still match).
  const drop = new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
  countStacked((stacked) => {
    noGrad(() => drop.forward(randn([2, 1, 3])));
    noGrad(() => new nn.LSTM(3, 3, { numLayers: 2, residual: true }).forward(randn([2, 1, 3])));
    expect(stacked()).toBe(0);
  });
});

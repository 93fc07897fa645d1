/**
 * The recurrent layers and cells against PyTorch 1.13, forward and backward, over the option grid
 * of tools/golden/rnn.py and cells.py. Weights go in through `loadStateDict`, so PyTorch's key names
 * are tested too. A case was made like:
 *   m = nn.LSTM(3, 4, num_layers=2, bidirectional=True); out, (hN, cN) = m(x, (h0, c0))
 *   ((out*up_out).sum() + (hN*up_h).sum() + (cN*up_c).sum()).backward()
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getBackend, nn, setBackend, Tensor } from "../src/index.js";
import { goldenBackends } from "./backends.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

interface RnnCase {
  name: string;
  module: "LSTM" | "GRU" | "RNN";
  options: { inputSize: number; hiddenSize: number; numLayers: number; bias: boolean; batchFirst: boolean; bidirectional: boolean; projSize?: number; nonlinearity?: "tanh" | "relu" };
  stateDict: Record<string, GoldenTensor>;
  inputs: { input: GoldenTensor; h0?: GoldenTensor; c0?: GoldenTensor };
  outputs: Record<string, GoldenTensor>;
  upstream: Record<string, GoldenTensor>;
  grads: Record<string, GoldenTensor>;
}

interface CellCase {
  name: string;
  module: "LSTMCell" | "GRUCell" | "RNNCell";
  options: { inputSize: number; hiddenSize: number; bias: boolean; nonlinearity?: "tanh" | "relu" };
  stateDict: Record<string, GoldenTensor>;
  inputs: { input: GoldenTensor; h0?: GoldenTensor; c0?: GoldenTensor };
  outputs: Record<string, GoldenTensor>;
  upstream: Record<string, GoldenTensor>;
  grads: Record<string, GoldenTensor>;
}

function makeLayer(c: RnnCase): nn.RNNBase {
  const { inputSize, hiddenSize, ...rest } = c.options;
  if (c.module === "LSTM") return new nn.LSTM(inputSize, hiddenSize, rest);
  if (c.module === "GRU") return new nn.GRU(inputSize, hiddenSize, rest);
  return new nn.RNN(inputSize, hiddenSize, rest);
}

function lossOf(outputs: Record<string, Tensor>, upstream: Record<string, GoldenTensor>): Tensor {
  let loss: Tensor | null = null;
  for (const [k, up] of Object.entries(upstream)) {
    const term = outputs[k]!.mul(toTensor(up)).sum();
    loss = loss ? loss.add(term) : term;
  }
  return loss!;
}

const rnnGolden = loadGolden<RnnCase>("rnn");
const cellGolden = loadGolden<CellCase>("cells");

describe.each(goldenBackends())("recurrent layers match PyTorch (%s backend)", (backend) => {
  const previous = getBackend().name;
  beforeAll(() => void setBackend(backend));
  afterAll(() => void setBackend(previous));

  test("the grid covers every module and option", () => {
    const cases = rnnGolden.cases;
    for (const m of ["LSTM", "GRU", "RNN"]) expect(cases.filter((c) => c.module === m).length).toBeGreaterThan(10);
    for (const key of ["bidirectional", "batchFirst"] as const) expect(cases.some((c) => c.options[key])).toBe(true);
    expect(cases.some((c) => !c.options.bias)).toBe(true);
    expect(cases.some((c) => (c.options.projSize ?? 0) > 0)).toBe(true);
    expect(cases.some((c) => c.inputs.input.shape.length === 2)).toBe(true);
    expect(cases.some((c) => c.options.numLayers === 3)).toBe(true);
    expect(Math.max(...cases.map((c) => c.inputs.input.shape[c.options.batchFirst && c.inputs.input.shape.length === 3 ? 1 : 0]!))).toBeGreaterThanOrEqual(40);
  });

  test.each(rnnGolden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const layer = makeLayer(c);
    expect(Object.keys(layer.stateDict())).toEqual(Object.keys(c.stateDict));
    layer.loadStateDict(c.stateDict);
    const x = toTensor(c.inputs.input, true);
    const h0 = c.inputs.h0 ? toTensor(c.inputs.h0, true) : null;
    const c0 = c.inputs.c0 ? toTensor(c.inputs.c0, true) : null;
    // The layer's one forward: the state is h0, or [h0, c0] for an LSTM.
    const [output, state] = layer.forward(x, c0 ? [h0!, c0] : h0);
    const [hN, cN] = Array.isArray(state) ? state : [state];
    const outputs: Record<string, Tensor> = cN ? { output, hN, cN } : { output, hN };
    // float32 tolerance |a - e| <= atol + rtol*|e|: 1e-6 + 1e-5*|e|, and 1e-5 + 1e-4*|e| for the long
    // sequences, whose gradients reach ~30 after 60 steps of accumulated rounding.
    const long = c.name.includes("long");
    const [atol, rtol] = long ? [1e-5, 1e-4] : [1e-6, 1e-5];
    for (const [k, g] of Object.entries(c.outputs)) expectClose(outputs[k], g, `${c.name} ${k}`, atol, rtol);
    lossOf(outputs, c.upstream).backward();
    expectClose(x.grad, c.grads.input!, `${c.name} grad input`, atol, rtol);
    if (h0) expectClose(h0.grad, c.grads.h0!, `${c.name} grad h0`, atol, rtol);
    if (c0) expectClose(c0.grad, c.grads.c0!, `${c.name} grad c0`, atol, rtol);
    for (const [k, p] of layer.namedParameters()) expectClose(p.grad, c.grads[k]!, `${c.name} grad ${k}`, atol, rtol);
  });
});

describe.each(goldenBackends())("recurrent cells match PyTorch (%s backend)", (backend) => {
  const previous = getBackend().name;
  beforeAll(() => void setBackend(backend));
  afterAll(() => void setBackend(previous));

  test.each(cellGolden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { inputSize, hiddenSize, bias, nonlinearity } = c.options;
    const x = toTensor(c.inputs.input, true);
    const h0 = c.inputs.h0 ? toTensor(c.inputs.h0, true) : null;
    const c0 = c.inputs.c0 ? toTensor(c.inputs.c0, true) : null;
    let outputs: Record<string, Tensor>;
    let cell: nn.Module;
    if (c.module === "LSTMCell") {
      const m = new nn.LSTMCell(inputSize, hiddenSize, { bias });
      m.loadStateDict(c.stateDict);
      const [h, cc] = m.forward(x, h0 && c0 ? [h0, c0] : null);
      outputs = { h, c: cc };
      cell = m;
    } else if (c.module === "GRUCell") {
      const m = new nn.GRUCell(inputSize, hiddenSize, { bias });
      m.loadStateDict(c.stateDict);
      outputs = { h: m.forward(x, h0) };
      cell = m;
    } else {
      const m = new nn.RNNCell(inputSize, hiddenSize, { bias, nonlinearity });
      m.loadStateDict(c.stateDict);
      outputs = { h: m.forward(x, h0) };
      cell = m;
    }
    for (const [k, g] of Object.entries(c.outputs)) expectClose(outputs[k], g, `${c.name} ${k}`);
    lossOf(outputs, c.upstream).backward();
    expectClose(x.grad, c.grads.input!, `${c.name} grad input`);
    if (h0) expectClose(h0.grad, c.grads.h0!, `${c.name} grad h0`);
    if (c0) expectClose(c0.grad, c.grads.c0!, `${c.name} grad c0`);
    for (const [k, p] of cell.namedParameters()) expectClose(p.grad, c.grads[k]!, `${c.name} grad ${k}`);
  });
});

/**
 * The Jordan network extension against a plain-PyTorch reference (PyTorch has no Jordan layer), forward
 * and backward, over the option grid of tools/golden/jordan.py. Weights go in through `loadStateDict`,
 * so the key names are tested too. A layer step in the reference is:
 *   h = torch.tanh(x[t] @ W_ih.T + b_ih + y @ W_hy.T + b_hy); y = torch.tanh(h @ W_o.T + b_o)
 *   ((out*up_out).sum() + (yN*up_y).sum()).backward()
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getBackend, nn, setBackend, Tensor } from "../src/index.js";
import { goldenBackends } from "./backends.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

interface JordanCase {
  name: string;
  module: "JordanRNN" | "JordanRNNCell";
  options: {
    inputSize: number; hiddenSize: number; outputSize: number; bias: boolean;
    nonlinearity: nn.Nonlinearity; outputNonlinearity: nn.OutputNonlinearity;
    numLayers?: number; batchFirst?: boolean; bidirectional?: boolean;
  };
  stateDict: Record<string, GoldenTensor>;
  inputs: { input: GoldenTensor; y0?: GoldenTensor };
  outputs: Record<string, GoldenTensor>;
  upstream: Record<string, GoldenTensor>;
  grads: Record<string, GoldenTensor>;
}

const golden = loadGolden<JordanCase>("jordan");

describe.each(goldenBackends())("Jordan network matches the PyTorch reference (%s backend)", (backend) => {
  const previous = getBackend().name;
  beforeAll(() => void setBackend(backend));
  afterAll(() => void setBackend(previous));

  test("the grid covers every option", () => {
    const layers = golden.cases.filter((c) => c.module === "JordanRNN");
    expect(layers.length).toBeGreaterThan(15);
    expect(golden.cases.filter((c) => c.module === "JordanRNNCell").length).toBeGreaterThan(3);
    for (const key of ["bidirectional", "batchFirst"] as const) expect(layers.some((c) => c.options[key])).toBe(true);
    expect(layers.some((c) => !c.options.bias)).toBe(true);
    expect(layers.some((c) => c.options.numLayers === 2)).toBe(true);
    expect(layers.some((c) => c.options.nonlinearity === "relu")).toBe(true);
    for (const o of ["sigmoid", "identity", "relu"]) expect(layers.some((c) => c.options.outputNonlinearity === o)).toBe(true);
    expect(layers.some((c) => c.options.outputSize !== c.options.hiddenSize)).toBe(true);
    expect(layers.some((c) => c.inputs.input.shape.length === 2)).toBe(true);
    expect(layers.some((c) => c.inputs.y0) && layers.some((c) => !c.inputs.y0)).toBe(true);
    expect(layers.some((c) => c.name.includes("long30"))).toBe(true);
  });

  test.each(golden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { inputSize, hiddenSize, ...rest } = c.options;
    const m = c.module === "JordanRNN" ? new nn.JordanRNN(inputSize, hiddenSize, rest) : new nn.JordanRNNCell(inputSize, hiddenSize, rest);
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
    m.loadStateDict(c.stateDict);
    const x = toTensor(c.inputs.input, true);
    const y0 = c.inputs.y0 ? toTensor(c.inputs.y0, true) : null;
    let outputs: Record<string, Tensor>;
    if (m instanceof nn.JordanRNN) {
      const [output, yN] = m.forward(x, y0);
      outputs = { output, yN };
    } else {
      const [y, h] = m.forward(x, y0);
      outputs = { y, h };
    }
    for (const [k, g] of Object.entries(c.outputs)) expectClose(outputs[k], g, `${c.name} ${k}`);
    let loss: Tensor | null = null;
    for (const [k, up] of Object.entries(c.upstream)) {
      const term = outputs[k]!.mul(toTensor(up)).sum();
      loss = loss ? loss.add(term) : term;
    }
    loss!.backward();
    expectClose(x.grad, c.grads.input!, `${c.name} grad input`);
    if (y0) expectClose(y0.grad, c.grads.y0!, `${c.name} grad y0`);
    const params = m.namedParameters();
    expect(params.length).toBe(Object.keys(c.stateDict).length);
    for (const [k, p] of params) expectClose(p.grad, c.grads[k]!, `${c.name} grad ${k}`);
  });
});

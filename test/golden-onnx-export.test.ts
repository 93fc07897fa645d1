/**
 * Exported recurrent layers against PyTorch 1.13 itself: every case of test/golden/packed.json
 * (tools/golden/packed.py: PyTorch weights, a padded batch with lengths, optional h0/c0, and
 * PyTorch's padded output, hN and cN) is loaded into seqtorch, exported with `lengths` as ONNX's
 * `sequence_lens`, and run in ONNX Runtime; its outputs must equal PyTorch's. The cases with an
 * LSTM projection must be refused instead.
 */
import * as ort from "onnxruntime-node";
import { expect, test } from "vitest";
import { nn, tensor } from "../src/index.js";
import { exportOnnx } from "../src/onnx/index.js";
import { assertValuesClose } from "./helpers.js";
import { loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

interface PackedCase {
  name: string;
  module: "LSTM" | "GRU" | "RNN";
  options: { inputSize: number; hiddenSize: number; numLayers: number; bias: boolean; batchFirst: boolean; bidirectional: boolean; projSize?: number; nonlinearity?: "tanh" | "relu" };
  lengths: number[];
  stateDict: Record<string, GoldenTensor>;
  inputs: { input: GoldenTensor; h0?: GoldenTensor; c0?: GoldenTensor };
  outputs: Record<string, GoldenTensor>;
}

const golden = loadGolden<PackedCase>("packed");

test.each(golden.cases.map((c) => [c.name, c] as const))("%s: ONNX Runtime gives PyTorch's outputs", async (_name, c) => {
  const { inputSize, hiddenSize, ...rest } = c.options;
  const layer: nn.RNNBase = c.module === "LSTM" ? new nn.LSTM(inputSize, hiddenSize, rest) : c.module === "GRU" ? new nn.GRU(inputSize, hiddenSize, rest) : new nn.RNN(inputSize, hiddenSize, rest);
  layer.loadStateDict(c.stateDict);
  const states = [c.inputs.h0, c.inputs.c0].filter((g): g is GoldenTensor => g !== undefined).map((g) => toTensor(g));
  const input = toTensor(c.inputs.input);
  const lengths = tensor(c.lengths, { dtype: "int32" });
  if ((c.options.projSize ?? 0) > 0) {
    expect(() => exportOnnx(layer, [input, lengths, ...states])).toThrow(/ONNX's LSTM operator has no projection/);
    return;
  }
  const session = await ort.InferenceSession.create(exportOnnx(layer, [input, lengths, ...states]));
  const feeds: Record<string, ort.Tensor> = {
    input: new ort.Tensor("float32", input.data as Float32Array, [...input.shape]),
    lengths: new ort.Tensor("int32", lengths.data as Int32Array, [c.lengths.length]),
  };
  states.forEach((s, i) => (feeds[i === 0 ? "h0" : "c0"] = new ort.Tensor("float32", s.data as Float32Array, [...s.shape])));
  const got = await session.run(feeds);
  for (const [k, name] of [["output", "output"], ["hN", "hn"], ["cN", "cn"]] as const) {
    const want = c.outputs[k];
    if (!want) continue;
    expect([...got[name]!.dims], `${c.name} ${k} shape`).toEqual(want.shape);
    assertValuesClose(got[name]!.data as Float32Array, want.data, `${c.name} ${k}`, 1e-5, 1e-4);
  }
});

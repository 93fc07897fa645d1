/**
 * Packed (variable-length) batches through nn.RNN / nn.LSTM / nn.GRU against PyTorch 1.13
 * (tools/golden/packed.py): the PackedSequence fields, the padded output, hN/cN taken at each
 * sequence's own last step, and every gradient. A case was made like:
 *   packed = pack_padded_sequence(x, lengths, enforce_sorted=False); out, (hN, cN) = lstm(packed)
 *   padded, lens = pad_packed_sequence(out); loss = (padded*up).sum() + (hN*up_h).sum() + ...
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getBackend, nn, setBackend, Tensor } from "../src/index.js";
import { goldenBackends } from "./backends.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

const { packPaddedSequence, padPackedSequence } = nn.utils;

interface PackedCase {
  name: string;
  module: "LSTM" | "GRU" | "RNN";
  options: { inputSize: number; hiddenSize: number; numLayers: number; bias: boolean; batchFirst: boolean; bidirectional: boolean; projSize?: number; nonlinearity?: "tanh" | "relu" };
  lengths: number[];
  enforceSorted: boolean;
  packed: { data: GoldenTensor; batchSizes: GoldenTensor; sortedIndices: GoldenTensor | null; unsortedIndices: GoldenTensor | null };
  stateDict: Record<string, GoldenTensor>;
  inputs: { input: GoldenTensor; h0?: GoldenTensor; c0?: GoldenTensor };
  outputs: Record<string, GoldenTensor>;
  outputLengths: GoldenTensor;
  upstream: Record<string, GoldenTensor>;
  grads: Record<string, GoldenTensor>;
}

const golden = loadGolden<PackedCase>("packed");

describe.each(goldenBackends())("packed sequences match PyTorch (%s backend)", (backend) => {
  const previous = getBackend().name;
  beforeAll(() => void setBackend(backend));
  afterAll(() => void setBackend(previous));

  test.each(golden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { inputSize, hiddenSize, ...rest } = c.options;
    const layer: nn.RNNBase = c.module === "LSTM" ? new nn.LSTM(inputSize, hiddenSize, rest) : c.module === "GRU" ? new nn.GRU(inputSize, hiddenSize, rest) : new nn.RNN(inputSize, hiddenSize, rest);
    layer.loadStateDict(c.stateDict);
    const x = toTensor(c.inputs.input, true);
    const packed = packPaddedSequence(x, c.lengths, { batchFirst: c.options.batchFirst, enforceSorted: c.enforceSorted });
    expectClose(packed.data, c.packed.data, `${c.name} packed data`, 0, 1e-7);
    expect(Array.from(packed.batchSizes)).toEqual(c.packed.batchSizes.data);
    expect(packed.sortedIndices ? Array.from(packed.sortedIndices) : null).toEqual(c.packed.sortedIndices?.data ?? null);
    expect(packed.unsortedIndices ? Array.from(packed.unsortedIndices) : null).toEqual(c.packed.unsortedIndices?.data ?? null);

    const h0 = c.inputs.h0 ? toTensor(c.inputs.h0, true) : null;
    const c0 = c.inputs.c0 ? toTensor(c.inputs.c0, true) : null;
    // The layer's one forward: the state is h0, or [h0, c0] for an LSTM.
    const [out, state] = layer.forward(packed, c0 ? [h0!, c0] : h0);
    const [hN, cN] = Array.isArray(state) ? state : [state];
    const outputs: Record<string, Tensor> = cN ? { hN, cN } : { hN };
    const [padded, lengths] = padPackedSequence(out, { batchFirst: c.options.batchFirst });
    outputs.output = padded;
    expect(Array.from(lengths.data)).toEqual(c.outputLengths.data);
    for (const [k, g] of Object.entries(c.outputs)) expectClose(outputs[k], g, `${c.name} ${k}`, 1e-6, 1e-5);

    let loss: Tensor | null = null;
    for (const [k, up] of Object.entries(c.upstream)) {
      const term = outputs[k]!.mul(toTensor(up)).sum();
      loss = loss ? loss.add(term) : term;
    }
    loss!.backward();
    expectClose(x.grad, c.grads.input!, `${c.name} grad input`, 1e-6, 1e-5);
    if (h0) expectClose(h0.grad, c.grads.h0!, `${c.name} grad h0`, 1e-6, 1e-5);
    if (c0) expectClose(c0.grad, c.grads.c0!, `${c.name} grad c0`, 1e-6, 1e-5);
    for (const [k, p] of layer.namedParameters()) expectClose(p.grad, c.grads[k]!, `${c.name} grad ${k}`, 1e-6, 1e-5);
  });
});

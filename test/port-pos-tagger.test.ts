import { describe, expect, it } from "vitest";
import { main, LSTMTagger, prepareSequence } from "../examples/ports/pos-tagger.js";

describe("port: the PyTorch tutorial's LSTM part-of-speech tagger", () => {
  it("registers the tutorial's modules in assignment order", () => {
    const model = new LSTMTagger(6, 6, 9, 3);
    expect(Object.keys(model.stateDict())).toEqual([
      "wordEmbeddings.weight",
      "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
      "hidden2tag.weight", "hidden2tag.bias",
    ]);
    expect(model.hiddenDim).toBe(6);
    expect(model.parameters().length).toBe(7);
  });

  it("turns words into an int64 index tensor, as prepare_sequence does", () => {
    const ix = new Map([["a", 0], ["b", 1]]);
    const t = prepareSequence(["b", "a", "b"], ix);
    expect(t.dtype).toBe("int32"); // "long" is stored as int32
    expect(t.tolist()).toEqual([1, 0, 1]);
  });

  it("tags the training sentence correctly after 300 epochs", () => {
    const { before, after, lastLoss, predicted, expected } = main();
    expect(expected).toEqual(["DET", "NN", "V", "DET", "NN"]);
    expect(predicted).toEqual(expected);
    expect(before.shape).toEqual([5, 3]);
    expect(after.shape).toEqual([5, 3]);
    expect(after.requiresGrad).toBe(false); // computed under noGrad
    // Rows are log-probabilities: each exponentiates to a distribution.
    for (const row of after.exp().sum(1).tolist() as number[]) expect(row).toBeCloseTo(1, 5);
    // Confident after training, not before.
    const meanMax = (t: typeof after) => (t.max(1).exp().mean().item());
    expect(meanMax(before)).toBeLessThan(0.6);
    expect(meanMax(after)).toBeGreaterThan(0.9);
    expect(lastLoss).toBeLessThan(0.1);
  });
});

/** The char-RNN name classification tutorial, ported line for line (examples/ports/char-rnn-classification.ts). */
import { describe, expect, test } from "vitest";
import {
  main, lineToTensor, letterToTensor, letterToIndex, nLetters, allCategories, categoryLines, RNN,
} from "../examples/ports/char-rnn-classification.js";

describe("char-RNN classification port", () => {
  test("the one-hot encoding is the tutorial's: <line_length x 1 x n_letters>, one 1 per letter", () => {
    expect(nLetters).toBe(57);
    expect(letterToIndex("a")).toBe(0);
    expect(letterToIndex("J")).toBe(35);
    const j = letterToTensor("J");
    expect(j.shape).toEqual([1, 57]);
    expect(j.sum().item()).toBe(1);
    expect(j.at(0, 35).item()).toBe(1);
    const jones = lineToTensor("Jones");
    expect(jones.size()).toEqual([5, 1, 57]);
    expect(jones.sum(2).tolist()).toEqual([[1], [1], [1], [1], [1]]);
    expect(jones.argmax(2).tolist()).toEqual([[35], [14], [13], [4], [18]]);
  });

  test("the RNN registers its layers by attribute, in assignment order, and steps as the tutorial's", () => {
    const rnn = new RNN(nLetters, 128, allCategories.length);
    expect(Object.keys(rnn.stateDict())).toEqual([
      "i2h.weight", "i2h.bias", "h2h.weight", "h2h.bias", "h2o.weight", "h2o.bias",
    ]);
    const [output, nextHidden] = rnn.forward(lineToTensor("Albert").at(0), rnn.initHidden());
    expect(output.shape).toEqual([1, allCategories.length]);
    expect(nextHidden.shape).toEqual([1, 128]);
    expect(output.exp().sum().item()).toBeCloseTo(1, 5); // LogSoftmax output
  });

  test("600 iterations of the manual SGD loop: the loss falls clearly and the names are classified far above chance", () => {
    const { allLosses, confusion, accuracy, predictions } = main({ nIters: 600, plotEvery: 150 });
    expect(allLosses).toHaveLength(4);
    expect(allLosses[0]!).toBeGreaterThan(1.15); // near ln(4) = 1.386 at the start
    expect(allLosses.at(-1)!).toBeLessThan(0.85 * allLosses[0]!);
    expect(confusion.shape).toEqual([4, 4]);
    for (const row of confusion.sum(1).tolist() as number[]) expect(row).toBeCloseTo(1, 5); // rows normalized
    expect(accuracy).toBeGreaterThan(0.6); // chance is 0.25 with 4 languages of 16 names each
    expect(Object.values(categoryLines).every((l) => l.length === 16)).toBe(true);
    expect(predictions.Satoshi).toHaveLength(3);
    expect(predictions.Satoshi![0]![1]).toBe("Japanese");
  });
});

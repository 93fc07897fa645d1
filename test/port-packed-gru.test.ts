/** The packed bidirectional GRU classifier, ported line for line (examples/ports/packed-gru-classifier.ts). */
import { describe, expect, test } from "vitest";
import { manualSeed, noGrad } from "../src/index.js";
import { main, makeData, GRUClassifier } from "../examples/ports/packed-gru-classifier.js";
import { expectAllClose } from "./helpers.js";

describe("packed bidirectional GRU port", () => {
  test("the synthetic data: zero padding after each length, label 1 exactly when token 3 occurs", () => {
    manualSeed(1);
    const [x, lengths, y] = makeData(64, 10, 10);
    const rows = x.tolist() as number[][];
    const lens = lengths.tolist() as number[];
    const labels = y.tolist() as number[];
    rows.forEach((row, i) => {
      const len = lens[i]!;
      expect(row.slice(0, len).every((t) => t >= 1 && t < 10)).toBe(true);
      expect(row.slice(len).every((t) => t === 0)).toBe(true);
      expect(labels[i]).toBe(row.includes(3) ? 1 : 0);
    });
  });

  test("packing makes the padding invisible: a padded batch gives each sequence's output alone", () => {
    manualSeed(2);
    const model = new GRUClassifier(10, 8, 12, 2);
    model.eval();
    const [x, lengths] = makeData(6, 9, 10);
    noGrad(() => {
      const batch = model.forward(x, lengths);
      for (let i = 0; i < 6; i++) {
        const len = lengths.at(i).item();
        const alone = model.forward(x.at(i, `:${len}`).unsqueeze(0), lengths.at(`${i}:${i + 1}`));
        expectAllClose(alone.data, batch.at(i).data, `sequence ${i}`, { atol: 1e-5, rtol: 1e-4 });
      }
    });
  });

  test("5 epochs of Adam with clipping and StepLR: the loss falls clearly and validation accuracy beats the majority baseline", () => {
    const r = main({ nEpochs: 5, lr: 3e-3, stepSize: 2, gamma: 0.5 });
    expect(r.validLosses).toHaveLength(6); // before training, then after each epoch
    expect(r.validLosses.at(-1)!).toBeLessThan(0.5 * r.validLosses[0]!);
    expect(r.trainLosses.at(-1)!).toBeLessThan(0.5 * r.trainLosses[0]!);
    const baseline = Math.max(r.validPositiveRate, 1 - r.validPositiveRate);
    expect(r.validAccs.at(-1)!).toBeGreaterThan(Math.max(0.85, baseline + 0.15));
    const lrs = [3e-3, 3e-3, 1.5e-3, 1.5e-3, 7.5e-4];
    r.lrs.forEach((lr, i) => expect(lr).toBeCloseTo(lrs[i]!, 12));
    // padding_idx=0: the padding row starts at zero and gets no gradient, so it stays zero.
    expect(r.model.embedding.weight.at(0).abs().sum().item()).toBe(0);
    expect(r.model.training).toBe(false); // left in eval mode by the last evaluate()
  });
});

import { describe, expect, test } from "vitest";
import { TrainingCurves } from "./curves.js";
import type { EpochResult } from "./fit.js";
import { svgLineChart, svgSmallMultiples } from "./plot.js";

const epoch = (n: number, trainLoss: number, val: { loss: number; accuracy: number | null } | null, trainAccuracy: number | null): EpochResult => ({
  epoch: n, trainLoss, trainAccuracy, seconds: 0.1, best: false,
  val: val && { ...val, predictions: [], probabilities: null },
});

describe("TrainingCurves", () => {
  test("records one point per epoch, NaN where an epoch has no value", () => {
    const c = new TrainingCurves("classification");
    c.record(epoch(1, 0.9, { loss: 0.8, accuracy: 0.6 }, 0.55));
    c.record(epoch(2, 0.7, null, 0.7));
    expect(c.length).toBe(2);
    expect(c.epochs).toEqual([1, 2]);
    expect(c.trainLoss).toEqual([0.9, 0.7]);
    expect(c.valLoss).toEqual([0.8, NaN]);
    expect(c.trainAccuracy).toEqual([0.55, 0.7]);
    expect(c.valAccuracy).toEqual([0.6, NaN]);
  });

  test("classification: loss and accuracy charts side by side", () => {
    const c = new TrainingCurves("classification");
    c.record(epoch(1, 0.9, { loss: 0.8, accuracy: 0.6 }, 0.55));
    c.record(epoch(2, 0.6, { loss: 0.7, accuracy: 0.7 }, 0.72));
    const x = [1, 2];
    const expected = svgSmallMultiples([
      [[{ name: "train loss", x, y: [0.9, 0.6] }, { name: "validation loss", x, y: [0.8, 0.7] }], { title: "Loss", xLabel: "epoch", yLabel: "cross-entropy" }],
      [[{ name: "train accuracy", x, y: [0.55, 0.72] }, { name: "validation accuracy", x, y: [0.6, 0.7] }], { title: "Accuracy", xLabel: "epoch", yLabel: "accuracy" }],
    ], { columns: 2 });
    const svg = c.svg();
    expect(svg).toBe(expected);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const s of ["Loss", "Accuracy", "cross-entropy", "validation accuracy"]) expect(svg).toContain(s);
  });

  test("regression: one MSE chart, no accuracy", () => {
    const c = new TrainingCurves("regression");
    c.record(epoch(1, 2.5, { loss: 3, accuracy: null }, null));
    c.record(epoch(2, 1.5, { loss: 2, accuracy: null }, null));
    expect(c.trainAccuracy).toEqual([NaN, NaN]);
    const x = [1, 2];
    const svg = c.svg();
    expect(svg).toBe(svgLineChart([{ name: "train loss", x, y: [2.5, 1.5] }, { name: "validation loss", x, y: [3, 2] }], { title: "Loss", xLabel: "epoch", yLabel: "MSE" }));
    expect(svg).not.toContain("Accuracy");
  });

  test("an epoch without validation still draws", () => {
    const c = new TrainingCurves("classification");
    c.record(epoch(1, 0.9, null, 0.5));
    expect(c.svg()).not.toMatch(/NaN|undefined/);
  });
});

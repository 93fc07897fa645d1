/** fit stops a diverging run before it reaches onEpoch (where checkpoints are saved), and skips single bad steps. */
import { describe, expect, test } from "vitest";
import { manualSeed } from "../random.js";
import { TextClassifier } from "../models/text.js";
import type { Tensor } from "../tensor.js";
import { DivergenceError, fit, type EpochResult, type FitOptions } from "./fit.js";

const data = {
  ids: Array.from({ length: 40 }, (_, i) => [2 + (i % 3), 3, 2 + ((i * 7) % 3)]),
  targets: Array.from({ length: 40 }, (_, i) => i % 2),
};

function model(): TextClassifier {
  manualSeed(0);
  return new TextClassifier({ vocabSize: 6, embeddingDim: 4, hiddenSize: 4, numClasses: 2 });
}

async function train(m: TextClassifier, options: Partial<FitOptions>): Promise<{ epochs: EpochResult[]; error: unknown }> {
  const epochs: EpochResult[] = [];
  try {
    await fit(m, data, data, { task: "classification", epochs: 3, batchSize: 4, lr: 0.01, optimizer: "sgd", seed: 1, onEpoch: (e) => void epochs.push(e), ...options });
    return { epochs, error: null };
  } catch (error) {
    return { epochs, error };
  }
}

describe("divergence", () => {
  test("a finite blow-up stops the run with DivergenceError before its epoch is reported", async () => {
    const { epochs, error } = await train(model(), { lr: 1e6 });
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as Error).message).toMatch(/^fit: diverged at epoch 1, batch \d+: .*(times its reference|weight reached|non-finite)/);
    expect(epochs).toEqual([]);
  });

  test("a step that overflows the weights stops the run at once, before its epoch is reported", async () => {
    const { epochs, error } = await train(model(), { lr: 1e300 });
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as Error).message).toMatch(/diverged at epoch 1, batch 1: (a weight reached Infinity|.*non-finite)/);
    expect(epochs).toEqual([]);
  });

  test("non-finite losses in a row stop the run after maxBadSteps", async () => {
    const m = model();
    const forward = m.forward.bind(m);
    m.forward = (tokens: Tensor, lengths: readonly number[] | Int32Array): Tensor => forward(tokens, lengths).mul(Number.NaN);
    const before = m.parameters().map((p) => Array.from(p.data));
    const { epochs, error } = await train(m, { divergence: { maxBadSteps: 2 } });
    expect((error as Error).message).toMatch(/^fit: diverged at epoch 1, batch 2: 2 steps in a row had a non-finite loss or gradient \(loss NaN\)/);
    expect(epochs).toEqual([]);
    // The skipped steps left the weights as they were.
    expect(m.parameters().map((p) => Array.from(p.data))).toEqual(before);
  });

  test("one bad batch is skipped and training goes on", async () => {
    const m = model();
    const forward = m.forward.bind(m);
    let calls = 0;
    m.forward = (tokens: Tensor, lengths: readonly number[] | Int32Array): Tensor => {
      const out = forward(tokens, lengths);
      return ++calls === 3 ? out.mul(Number.NaN) : out;
    };
    const { epochs, error } = await train(m, { epochs: 2 });
    expect(error).toBeNull();
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(m.parameters().every((p) => Array.from(p.data).every(Number.isFinite))).toBe(true);
  });

  test("divergence: false keeps the old behaviour: the first non-finite loss throws", async () => {
    const { error } = await train(model(), { lr: 1e300, divergence: false });
    expect((error as Error).message).toMatch(/loss became (NaN|Infinity|-Infinity)/);
  });

  test("an ordinary run is not flagged", async () => {
    const { epochs, error } = await train(model(), { lr: 0.5, epochs: 4 });
    expect(error).toBeNull();
    expect(epochs).toHaveLength(4);
  });
});

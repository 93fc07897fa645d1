import { describe, expect, test } from "vitest";
import { manualSeed } from "../index.js";
import { bundleFromParts, type TextModelBundle } from "../models/bundle.js";
import { TextClassifier } from "../models/text.js";
import { createTokenizer } from "../text/tokenizer.js";
import { Vocab } from "../text/vocab.js";
import { BestCheckpoint, type CheckpointParts } from "./best.js";
import { fit, type EpochResult } from "./fit.js";

function makeBundle(): TextModelBundle {
  manualSeed(0);
  const tokenizer = createTokenizer("char");
  const vocab = Vocab.build([["a", "b", "c"]]);
  const model = new TextClassifier({ vocabSize: vocab.size, embeddingDim: 4, hiddenSize: 3, numClasses: 2 });
  return { task: "classification", model, tokenizer, vocab, labels: ["no", "yes"], maxLen: null };
}

const epoch = (n: number, best: boolean, val: { loss: number; accuracy: number | null } | null = { loss: 0.5, accuracy: 0.75 }): EpochResult => ({
  epoch: n, trainLoss: 0.6, trainAccuracy: 0.7, seconds: 0.1, best,
  val: val && { ...val, predictions: [], probabilities: null },
});

describe("BestCheckpoint", () => {
  test("writes on a best epoch only, with the epoch and scores in config.training", async () => {
    const bundle = makeBundle();
    const writes: CheckpointParts[] = [];
    const keeper = new BestCheckpoint(bundle, (p) => void writes.push(p), { training: { args: { lr: 0.01 } } });
    expect(keeper.best).toBeNull();
    expect(await keeper.update(epoch(1, true, { loss: 0.7, accuracy: 0.5 }))).toBe(true);
    expect(await keeper.update(epoch(2, false))).toBe(false);
    expect(writes).toHaveLength(1);
    expect(keeper.best?.epoch).toBe(1);
    expect(await keeper.update(epoch(3, true, { loss: 0.4, accuracy: 0.9 }))).toBe(true);
    expect(writes).toHaveLength(2);
    expect(keeper.best?.epoch).toBe(3);
    const { config } = writes[1]!;
    expect(config.training).toEqual({ epoch: 3, valLoss: 0.4, valAccuracy: 0.9, args: { lr: 0.01 } });
    expect(Object.keys(config.training!)).toEqual(["epoch", "valLoss", "valAccuracy", "args"]);
    expect(config.labels).toEqual(["no", "yes"]);
    expect(Object.keys(writes[1]!.stateDict)).toEqual(Object.keys(bundle.model.stateDict()));
  });

  test("without validation the scores are null", async () => {
    const writes: CheckpointParts[] = [];
    await new BestCheckpoint(makeBundle(), (p) => void writes.push(p)).update(epoch(1, true, null));
    expect(writes[0]!.config.training).toEqual({ epoch: 1, valLoss: null, valAccuracy: null });
  });

  test("the parts rebuild the model as it was at the best epoch", async () => {
    const bundle = makeBundle();
    let saved: CheckpointParts | null = null;
    const keeper = new BestCheckpoint(bundle, async (p) => {
      await Promise.resolve();
      saved = { ...p, stateDict: Object.fromEntries(Object.entries(p.stateDict).map(([k, t]) => [k, t.clone()])) };
    });
    await keeper.update(epoch(1, true));
    const before = bundle.model.stateDict()["head.weight"]!.tolist();
    bundle.model.head.weight.data.fill(7); // training goes on; the checkpoint must not change
    const restored = bundleFromParts(saved!);
    expect(restored.model.stateDict()["head.weight"]!.tolist()).toEqual(before);
  });

  test("a failing writer rejects, and the best epoch stays the last one written", async () => {
    let fail = false;
    const keeper = new BestCheckpoint(makeBundle(), () => {
      if (fail) throw new Error("disk full");
    });
    await keeper.update(epoch(1, true));
    fail = true;
    await expect(keeper.update(epoch(2, true))).rejects.toThrow("disk full");
    expect(keeper.best?.epoch).toBe(1);
  });

  test("driven by fit: one write per best epoch, and the last write is fit's best epoch", async () => {
    const bundle = makeBundle();
    const ids = [[2, 3], [4], [2, 4, 3], [3, 3], [4, 2], [2]];
    const data = { ids, targets: [0, 1, 0, 0, 1, 1] };
    const written: number[] = [];
    const keeper = new BestCheckpoint(bundle, (p) => void written.push((p.config.training as { epoch: number }).epoch));
    const result = await fit(bundle.model, data, data, { task: "classification", epochs: 4, batchSize: 2, lr: 0.05, seed: 1, onEpoch: async (e) => {
      await keeper.update(e);
    } });
    expect(written).toEqual(result.history.filter((e) => e.best).map((e) => e.epoch));
    expect(written[0]).toBe(1);
    expect(keeper.best?.epoch).toBe(result.bestEpoch);
  });
});

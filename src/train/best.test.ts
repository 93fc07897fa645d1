import { describe, expect, test } from "vitest";
import { manualSeed } from "../index.js";
import { bundleFromParts, type TextModelBundle } from "../models/bundle.js";
import { TextClassifier } from "../models/text.js";
import { createTokenizer } from "../text/tokenizer.js";
import { Vocab } from "../text/vocab.js";
import { BestCheckpoint, betterThan, type CheckpointParts } from "./best.js";
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
  test("writes every epoch: the best model so far, the epoch and scores in config.training, and the extra files", async () => {
    const bundle = makeBundle();
    const writes: CheckpointParts[] = [];
    const files: Record<string, string | Uint8Array>[] = [];
    const keeper = new BestCheckpoint(bundle, (p, f) => void (writes.push(p), files.push(f)), { training: { args: { lr: 0.01 } } });
    expect(keeper.best).toBeNull();
    expect(await keeper.update(epoch(1, true, { loss: 0.7, accuracy: 0.5 }), { files: { "a.txt": "1" } })).toBe(true);
    expect(await keeper.update(epoch(2, false), { files: { "a.txt": "2" } })).toBe(true); // higher accuracy
    expect(await keeper.update(epoch(3, false, { loss: 0.4, accuracy: 0.7 }))).toBe(false); // lower accuracy, lower loss
    expect(await keeper.update(epoch(4, false, { loss: 0.4, accuracy: 0.75 }), { training: { note: "x" } })).toBe(true); // tie, lower loss
    expect(writes.map((w) => (w.config.training as { epoch: number }).epoch)).toEqual([1, 2, 2, 4]);
    expect(files).toEqual([{ "a.txt": "1" }, { "a.txt": "2" }, {}, {}]);
    expect(keeper.best?.epoch).toBe(4);
    expect(keeper.score).toEqual({ valLoss: 0.4, valAccuracy: 0.75, trainLoss: 0.6 });
    const { config } = writes[3]!;
    expect(config.training).toEqual({ epoch: 4, valLoss: 0.4, valAccuracy: 0.75, trainLoss: 0.6, args: { lr: 0.01 }, note: "x" });
    expect(config.labels).toEqual(["no", "yes"]);
    expect(Object.keys(writes[3]!.stateDict)).toEqual(Object.keys(bundle.model.stateDict()));
  });

  test("without validation the scores are null", async () => {
    const writes: CheckpointParts[] = [];
    await new BestCheckpoint(makeBundle(), (p) => void writes.push(p)).update(epoch(1, true, null));
    expect(writes[0]!.config.training).toEqual({ epoch: 1, valLoss: null, valAccuracy: null, trainLoss: 0.6 });
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
      expect(keeper.shouldSave(e)).toBe(e.best); // the same measure as fit's
      await keeper.update(e);
    } });
    expect([...new Set(written)]).toEqual(result.history.filter((e) => e.best).map((e) => e.epoch));
    expect(written[0]).toBe(1);
    expect(keeper.best?.epoch).toBe(result.bestEpoch);
  });

  test("an incumbent model is replaced only by a better one; a non-finite loss never qualifies", async () => {
    const incumbentParts = new BestCheckpoint(makeBundle(), () => undefined).parts(epoch(7, true));
    const writes: CheckpointParts[] = [];
    const keeper = new BestCheckpoint(makeBundle(), (p) => void writes.push(p), {
      incumbent: { parts: incumbentParts, score: { valLoss: 0.0026, valAccuracy: 1, trainLoss: 0.01 } },
    });
    expect(await keeper.update(epoch(1, true, { loss: 1094337, accuracy: 0.647 }))).toBe(false);
    expect(await keeper.update(epoch(2, true, { loss: NaN, accuracy: 1 }))).toBe(false);
    expect(writes.map((w) => w.config.training)).toEqual([incumbentParts.config.training, incumbentParts.config.training]);
    expect(keeper.best).toBeNull();
    expect(await keeper.update(epoch(3, true, { loss: 0.001, accuracy: 1 }))).toBe(true);
    expect((writes[2]!.config.training as { epoch: number }).epoch).toBe(3);
    // Nothing kept and nothing qualifying: nothing is written.
    const empty: CheckpointParts[] = [];
    expect(await new BestCheckpoint(makeBundle(), (p) => void empty.push(p)).update({ ...epoch(1, true, null), trainLoss: Infinity })).toBe(false);
    expect(empty).toEqual([]);
  });

  test("betterThan: accuracy, then loss; regression and runs without validation by loss", () => {
    const s = (valAccuracy: number | null, valLoss: number | null, trainLoss = 1) => ({ valAccuracy, valLoss, trainLoss });
    expect(betterThan("classification", s(0.9, 9), s(0.8, 0.1))).toBe(true);
    expect(betterThan("classification", s(0.8, 0.2), s(0.8, 0.1))).toBe(false);
    expect(betterThan("classification", s(0.8, 0.1), s(0.8, 0.1))).toBe(false);
    expect(betterThan("regression", s(null, 0.1), s(null, 0.2))).toBe(true);
    expect(betterThan("regression", s(null, null, 0.3), s(null, null, 0.2))).toBe(false);
    expect(betterThan("regression", s(null, Infinity), null)).toBe(false);
    expect(betterThan("regression", s(null, 5), null)).toBe(true);
  });
});

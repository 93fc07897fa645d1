import { describe, expect, test } from "vitest";
import { manualSeed } from "../random.js";
import { TextClassifier } from "../models/text.js";
import { fit, PackedSequences, type EpochResult, type FitOptions } from "./fit.js";

const data = { ids: [[2, 3], [4], [2, 4, 3], [3, 3], [4, 2], [2]], targets: [0, 1, 0, 0, 1, 1] };

async function run(options: Partial<FitOptions>, epochs = 4): Promise<EpochResult[]> {
  manualSeed(0);
  const model = new TextClassifier({ vocabSize: 5, embeddingDim: 4, hiddenSize: 3, numClasses: 2 });
  return (await fit(model, data, data, { task: "classification", epochs, batchSize: 2, lr: 0.1, optimizer: "sgd", seed: 1, ...options })).history;
}
const lrs = async (options: Partial<FitOptions>, epochs = 4): Promise<number[]> => (await run(options, epochs)).map((e) => e.lr!);

describe("fit with a learning-rate scheduler", () => {
  test("none keeps the rate; step and cosine change it after each epoch", async () => {
    expect(await lrs({})).toEqual([0.1, 0.1, 0.1, 0.1]);
    expect(await lrs({ scheduler: "step", stepSize: 2, gamma: 0.5 })).toEqual([0.1, 0.1, 0.05, 0.05]);
    const cos = await lrs({ scheduler: "cosine" });
    [0.1, 0.1 * (1 + Math.cos(Math.PI / 4)) / 2, 0.05, 0.1 * (1 + Math.cos((3 * Math.PI) / 4)) / 2].forEach((v, i) => expect(cos[i]).toBeCloseTo(v, 12));
  });

  test("plateau decays on the validation loss; onecycle steps per batch and ends near zero", async () => {
    const history = await run({ scheduler: "plateau", patience: 0, gamma: 0.5, lr: 8 }, 8);
    let best = Infinity;
    for (let i = 0; i + 1 < history.length; i++) {
      const improved = history[i]!.val!.loss < best * (1 - 1e-4);
      best = Math.min(best, history[i]!.val!.loss);
      expect(history[i + 1]!.lr, `epoch ${i + 2}`).toBe(improved ? history[i]!.lr : history[i]!.lr! * 0.5);
    }
    expect(history.at(-1)!.lr).toBeLessThan(8);
    const one = await lrs({ scheduler: "onecycle" }, 3);
    expect(one[0]).toBeGreaterThan(0.1 / 25);
    expect(one[2]).toBeLessThan(1e-4);
  });

  test("an unknown scheduler is an error", async () => {
    await expect(lrs({ scheduler: "warm" as never })).rejects.toThrow(/unknown scheduler "warm"/);
  });
});

describe("fit's inputs", () => {
  test("an empty training set is an error; an empty text still trains (it reads one padding token)", async () => {
    const { rejected } = await import("../../test/helpers.js");
    const model = new TextClassifier({ vocabSize: 5, numClasses: 2, embeddingDim: 3, hiddenSize: 4 });
    const options: FitOptions = { task: "classification", epochs: 1, batchSize: 2 };
    expect((await rejected(fit(model, { ids: [], targets: [] }, null, options))).message).toBe("fit: the training set is empty");
    const result = await fit(model, { ids: [[2, 3], []], targets: [0, 1] }, null, options);
    expect(result.history).toHaveLength(1);
  });

  test("the steps reuse each parameter's gradient buffer; validation reports batches and leaves out probabilities", async () => {
    manualSeed(0);
    const model = new TextClassifier({ vocabSize: 5, embeddingDim: 4, hiddenSize: 3, numClasses: 2 });
    const grads = new Set<unknown>();
    const valBatches: string[] = [];
    const result = await fit(model, data, data, {
      task: "classification", epochs: 2, batchSize: 2, seed: 1,
      onBatch: () => grads.add(model.parameters()[0]!.grad),
      onValBatch: (p) => valBatches.push(`${p.epoch}:${p.batch}/${p.batches}`),
    });
    expect(grads.size).toBe(1);
    expect(valBatches).toEqual(["1:1/1", "2:1/1"]);
    expect(result.history[0]!.val!.predictions).toHaveLength(6);
    expect(result.history[0]!.val!.probabilities).toBeNull();
  });

  test("ids packed in one typed array train exactly as arrays of ids", async () => {
    let end = 0;
    const starts = Uint32Array.from(data.ids, (s) => (end += s.length) - s.length);
    const ids = new PackedSequences(Uint16Array.from(data.ids.flat()), starts, Uint32Array.from(data.ids, (s) => s.length));
    expect(Array.from(ids.at(2))).toEqual([2, 4, 3]);
    const packed = { ids, targets: data.targets };
    manualSeed(0);
    const model = new TextClassifier({ vocabSize: 5, embeddingDim: 4, hiddenSize: 3, numClasses: 2 });
    const history = (await fit(model, packed, packed, { task: "classification", epochs: 3, batchSize: 2, lr: 0.1, optimizer: "sgd", seed: 1, maxLen: 2 })).history;
    expect(history.map((e) => [e.trainLoss, e.val!.loss])).toEqual((await run({ maxLen: 2 }, 3)).map((e) => [e.trainLoss, e.val!.loss]));
  });
});

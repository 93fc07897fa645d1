import { describe, expect, test } from "vitest";
import { parseSafetensors, serializeSafetensors } from "../io/safetensors.js";
import { TextClassifier } from "../models/text.js";
import { Generator, manualSeed } from "../random.js";
import { fit, type FitOptions, type FitResult } from "./fit.js";
import { packTrainingState, unpackTrainingState, type TrainingState } from "./state.js";

// 40 examples of random lengths: several batches per epoch, buckets and shuffling all in play.
const g = new Generator(11);
const ids = Array.from({ length: 40 }, () => Array.from({ length: 1 + g.randint(7) }, () => 1 + g.randint(9)));
const data = { ids, targets: ids.map((s) => (s.includes(3) ? 1 : 0)) };
const val = { ids: ids.slice(0, 10), targets: data.targets.slice(0, 10) };

function newModel(): TextClassifier {
  manualSeed(0);
  return new TextClassifier({ vocabSize: 10, embeddingDim: 4, hiddenSize: 5, numClasses: 2, dropout: 0.3 });
}

/** The state through its files: a safetensors byte string and a JSON text, as a checkpoint keeps it. */
function roundTrip(state: TrainingState): TrainingState {
  const { tensors, json } = packTrainingState(state);
  return unpackTrainingState(json, parseSafetensors(serializeSafetensors(tensors)).tensors);
}

const weights = (m: TextClassifier): Record<string, number[]> => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

/** Trains to the end, stopping (and resuming in a fresh model) wherever `stopAt` says. */
async function interrupted(options: FitOptions, stopAt: { epoch: number; batch?: number }): Promise<{ model: TextClassifier; result: FitResult; first: FitResult }> {
  const controller = new AbortController();
  const first = await fit(newModel(), data, val, {
    ...options,
    signal: controller.signal,
    onBatch: (p) => stopAt.batch !== undefined && p.epoch === stopAt.epoch && p.batch === stopAt.batch && controller.abort(),
    onEpoch: (e) => void (stopAt.batch === undefined && e.epoch === stopAt.epoch && controller.abort()),
  });
  expect(first.stopped).toBe(true);
  const model = newModel(); // fresh weights and a reseeded generator: everything must come from the state
  manualSeed(12345);
  const result = await fit(model, data, val, { ...options, resumeFrom: roundTrip(first.state) });
  return { model, result, first };
}

const base: FitOptions = { task: "classification", epochs: 4, batchSize: 6, lr: 0.05, seed: 3 };

describe("exact resume", () => {
  test.each([
    ["adam, stopped after epoch 2", { optimizer: "adam" }, { epoch: 2 }],
    ["sgd with momentum and a step schedule, stopped after epoch 1", { optimizer: "sgd", scheduler: "step", stepSize: 1, gamma: 0.7 }, { epoch: 1 }],
    ["adamw with onecycle (per batch), stopped mid-epoch 3", { optimizer: "adamw", scheduler: "onecycle" }, { epoch: 3, batch: 4 }],
    ["rmsprop with plateau and clipping, stopped mid-epoch 1", { optimizer: "rmsprop", scheduler: "plateau", patience: 0, clipNorm: 0.5 }, { epoch: 1, batch: 2 }],
  ] as const)("%s: final weights equal the uninterrupted run's bit for bit", async (_, extra, stopAt) => {
    const options = { ...base, ...extra } as FitOptions;
    const whole = newModel();
    const full = await fit(whole, data, val, options);
    const { model, result, first } = await interrupted(options, stopAt);
    expect(weights(model)).toEqual(weights(whole));
    expect(result.stopped).toBe(false);
    expect(result.bestEpoch).toBe(full.bestEpoch);
    // Every epoch's scores, the resumed ones from the state; the partial epoch's sums were carried over.
    const scores = (r: FitResult): unknown[] => r.history.map((e) => [e.epoch, e.trainLoss, e.trainAccuracy, e.val?.loss, e.lr, e.best]);
    expect(scores(result)).toEqual(scores(full));
    expect(first.history).toHaveLength("batch" in stopAt ? stopAt.epoch - 1 : stopAt.epoch);
  });

  test("a state resumed at its last epoch trains no further; a mismatched run is refused", async () => {
    const done = await fit(newModel(), data, val, base);
    const state = roundTrip(done.state);
    expect([state.epoch, state.batch]).toEqual([4, 0]);
    const model = newModel();
    const again = await fit(model, data, val, { ...base, resumeFrom: state });
    expect(again.history.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(weights(model)).toEqual(Object.fromEntries(Object.entries(state.model).map(([k, t]) => [k, Array.from(t.data)])));
    await expect(fit(newModel(), data, val, { ...base, epochs: 3, resumeFrom: state })).rejects.toThrow("fit: the run to resume is at epoch 4, past epochs = 3");
    await expect(fit(newModel(), data, val, { ...base, scheduler: "step", resumeFrom: state })).rejects.toThrow(/had no learning-rate scheduler, but scheduler is "step"/);
    await expect(fit(newModel(), data, val, { ...base, batchSize: 40, resumeFrom: { ...state, batch: 3 } })).rejects.toThrow(/stopped after batch 3 of an epoch, but an epoch here has 1 batches/);
  });

  test("the packed state's JSON is checked", () => {
    const { tensors, json } = packTrainingState(roundTrip({ format: "seqtorch.training-state", version: 1, epoch: 0, batch: 0, model: {}, optimizer: { state: {}, param_groups: [] }, scheduler: null, rng: new Generator(1).getState(), loaderRng: new Generator(2).getState(), counters: { bestScore: -Infinity, lossSum: 0 } as never, history: [] }));
    expect(json).toMatch(/"bestScore": \{\s*"\$number": "-Infinity"/);
    expect(unpackTrainingState(json, tensors).counters.bestScore).toBe(-Infinity);
    expect(() => unpackTrainingState("{", {})).toThrow(/^training state: invalid JSON/);
    expect(() => unpackTrainingState(json.replace('"version": 1', '"version": 7'), tensors)).toThrow("training state: version 7 is not supported (this is 1)");
    expect(() => unpackTrainingState(json.replace('"epoch": 0', '"epoch": 2'), tensors)).toThrow("training state: history holds 0 epochs, but the state is at epoch 2");
    const withTensor = packTrainingState({ ...unpackTrainingState(json, tensors), model: { w: newModel().stateDict()["head.weight"]! } });
    expect(() => unpackTrainingState(withTensor.json, {})).toThrow('training state: the tensor "model.w" is missing from the state\'s weights file');
  });
});

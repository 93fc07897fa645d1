import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { manualSeed } from "../index.js";
import { CELL_KINDS } from "../cells/spec.js";
import { loadCheckpoint, saveCheckpoint } from "../io/checkpoint.js";
import { createTokenizer } from "../text/tokenizer.js";
import { Vocab } from "../text/vocab.js";
import { bundleFromParts, bundleToParts, type TextModelBundle } from "./bundle.js";
import { checkBundleConfig, checkWeightShapes, ConfigError } from "./config-schema.js";
import { SequenceRegressor, TextClassifier } from "./text.js";

function makeBundle(cell: (typeof CELL_KINDS)[number] = "lstm", bidirectional = true): TextModelBundle {
  manualSeed(0);
  const vocab = Vocab.build([["a", "b", "c"]]);
  const model = new TextClassifier({ vocabSize: vocab.size, numClasses: 3, embeddingDim: 4, hiddenSize: 5, cell, numLayers: 2, bidirectional });
  return { task: "classification", model, tokenizer: createTokenizer("word"), vocab, labels: ["x", "y", "z"], maxLen: 8 };
}

const parts = makeBundle();
const good = bundleToParts(parts);
/** The valid config with `edit` applied (a deep copy). */
const edited = (edit: (c: any) => void): unknown => {
  const c = structuredClone(good.config);
  edit(c);
  return c;
};
const shapesOf = (sd: Record<string, { shape: readonly number[] }>): Record<string, readonly number[]> => Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.shape]));

describe("checkBundleConfig", () => {
  test("a saved config passes, with the model's defaults filled in", () => {
    const c = checkBundleConfig(good.config);
    expect(c.model).toMatchObject({ vocabSize: parts.vocab.size, hiddenSize: 5, cell: "lstm", numClasses: 3 });
    const { embeddingDim, hiddenSize, cell, numLayers, bidirectional, dropout, pooling, paddingIdx, ...rest } = c.model;
    expect([embeddingDim, hiddenSize, cell, numLayers, bidirectional, dropout, pooling, paddingIdx]).toEqual([4, 5, "lstm", 2, true, 0, "last", 0]);
    expect(rest).toEqual({ vocabSize: parts.vocab.size, numClasses: 3 });
    const minimal = checkBundleConfig(edited((x) => { x.model = { vocabSize: 9, numClasses: 3 }; delete x.maxLen; }));
    expect(minimal.model).toMatchObject({ embeddingDim: 64, hiddenSize: 128, cell: "lstm", numLayers: 1, bidirectional: false });
    expect(minimal.maxLen).toBeNull();
  });

  test.each(CELL_KINDS)("every kind of the cell table is accepted (%s)", (cell) => {
    expect(checkBundleConfig(edited((x) => (x.model.cell = cell))).model.cell).toBe(cell);
  });

  const bad: [string, (c: any) => void, RegExp][] = [
    ["hiddenSize a string", (c) => (c.model.hiddenSize = "8"), /^config\.json: hiddenSize must be a positive integer, got "8"$/],
    ["hiddenSize 1e300", (c) => (c.model.hiddenSize = 1e300), /hiddenSize must be a positive integer, got 1e\+300/],
    ["hiddenSize 0", (c) => (c.model.hiddenSize = 0), /hiddenSize must be a positive integer, got 0/],
    ["embeddingDim 2.5", (c) => (c.model.embeddingDim = 2.5), /embeddingDim must be a positive integer, got 2\.5/],
    ["numLayers -1", (c) => (c.model.numLayers = -1), /numLayers must be a positive integer, got -1/],
    ["vocabSize null", (c) => (c.model.vocabSize = null), /vocabSize must be a positive integer, got null/],
    ["numClasses a string", (c) => (c.model.numClasses = "3"), /numClasses must be a positive integer, got "3"/],
    ["numClasses not the number of labels", (c) => (c.model.numClasses = 100000000), /numClasses must be the number of labels \(3\), got 100000000/],
    ["an unknown cell", (c) => (c.model.cell = "tcn"), /cell must be one of "rnn", "rnn-relu", "rnn-leaky", "lstm", "gru", "jordan", got "tcn"/],
    ["bidirectional a string", (c) => (c.model.bidirectional = "yes"), /bidirectional must be true or false, got "yes"/],
    ["bidirectional 1", (c) => (c.model.bidirectional = 1), /bidirectional must be true or false, got 1/],
    ["dropout 1", (c) => (c.model.dropout = 1), /dropout must be a number in \[0, 1\), got 1/],
    ["pooling max", (c) => (c.model.pooling = "max"), /pooling must be one of "last", "mean", got "max"/],
    ["paddingIdx past the vocabulary", (c) => (c.model.paddingIdx = 99), /paddingIdx must be an integer in \[0, vocabSize \d+\), got 99/],
    ["an unknown model field", (c) => (c.model.heads = 2), /unknown model field "heads"/],
    ["labels empty", (c) => (c.labels = []), /labels must be a list of at least 2 distinct non-empty strings, got \[\]/],
    ["one label", (c) => (c.labels = ["x"]), /labels must be a list of at least 2/],
    ["labels not a list", (c) => (c.labels = "x,y"), /labels must be a list .*, got "x,y"/],
    ["duplicate labels", (c) => (c.labels = ["x", "y", "x"]), /labels\[2\] must be distinct from the others \("x" appears twice\)$/],
    ["an empty label", (c) => (c.labels = ["x", "", "z"]), /labels\[1\] must be a non-empty string, got ""/],
    ["a numeric label", (c) => (c.labels = ["x", 2, "z"]), /labels\[1\] must be a non-empty string, got 2/],
    ["maxLen -1", (c) => (c.maxLen = -1), /maxLen must be a positive integer, got -1/],
    ["maxLen 0.5", (c) => (c.maxLen = 0.5), /maxLen must be a positive integer, got 0\.5/],
    ["maxLen true", (c) => (c.maxLen = true), /maxLen must be a positive integer, got true/],
    ["maxLen a string", (c) => (c.maxLen = "10"), /maxLen must be a positive integer, got "10"/],
    ["maxLen 0", (c) => (c.maxLen = 0), /maxLen must be a positive integer, got 0/],
    ["a tokenizer of unknown kind", (c) => (c.tokenizer = { kind: "bpe" }), /tokenizer\.kind must be one of "word", "char", "whitespace", got "bpe"/],
    ["a tokenizer setting of another kind", (c) => (c.tokenizer.keepWhitespace = true), /unknown word tokenizer field "keepWhitespace"/],
    ["tokenizer.lowercase a string", (c) => (c.tokenizer.lowercase = "false"), /tokenizer\.lowercase must be true or false, got "false"/],
    ["an empty locale", (c) => (c.tokenizer.locale = ""), /tokenizer\.locale must be a non-empty BCP 47 tag/],
    ["an unknown task", (c) => (c.task = "ranking"), /task must be one of "classification", "regression", got "ranking"/],
    ["another format", (c) => (c.format = "keras"), /not a seqtorch text model: format is "keras"/],
    ["another version", (c) => (c.version = 2), /unsupported text model version 2/],
    ["an unknown top-level field", (c) => (c.extra = 1), /unknown field "extra"/],
    // Found by fuzzing: quoting a value nested this deep with JSON.stringify overflowed the stack.
    ["hiddenSize nested too deeply to print", (c) => (c.model.hiddenSize = JSON.parse("[".repeat(100_000) + "]".repeat(100_000))), /hiddenSize must be a positive integer, got a list nested too deeply to show$/],
    ["format nested too deeply to print", (c) => (c.format = { a: JSON.parse("[".repeat(100_000) + "]".repeat(100_000)) }), /format is an object nested too deeply to show/],
  ];
  test.each(bad)("%s is one line naming config.json and the field", (_, edit, message) => {
    let err: unknown;
    try {
      checkBundleConfig(edited(edit));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe("config.json");
    expect((err as Error).message).toMatch(/^config\.json: /);
    expect((err as Error).message).not.toContain("\n");
    expect((err as Error).message).toMatch(message);
  });

  test("regression: numOutputs is the number of target columns", () => {
    const model = new SequenceRegressor({ vocabSize: 5, embeddingDim: 2, hiddenSize: 3 });
    const config = { ...good.config, task: "regression", labels: ["score"], model: model.config() };
    expect(checkBundleConfig(config).model).toMatchObject({ numOutputs: 1 });
    checkWeightShapes(checkBundleConfig(config), shapesOf(model.stateDict()));
    expect(() => checkBundleConfig({ ...config, labels: [] })).toThrow(/labels must be a list of at least 1/);
    expect(() => checkBundleConfig({ ...config, labels: ["a", "b"] })).toThrow(/numOutputs must be the number of labels \(2\), got 1/);
  });
});

describe("checkWeightShapes", () => {
  test.each(CELL_KINDS)("the shapes a config implies are the model's own (%s)", (cell) => {
    for (const bidirectional of [false, true]) {
      const b = bundleToParts(makeBundle(cell, bidirectional));
      expect(() => checkWeightShapes(checkBundleConfig(b.config), shapesOf(b.stateDict))).not.toThrow();
    }
  });

  const mismatch: [string, (c: any) => void, RegExp][] = [
    ["hiddenSize 20000", (c) => (c.model.hiddenSize = 20000), /size mismatch for "encoder\.rnn\.weight_ih_l0": the file has \[20, 4\], config\.json implies \[80000, 4\] \(check .*hiddenSize/],
    ["embeddingDim 1e8", (c) => (c.model.embeddingDim = 1e8), /size mismatch for "encoder\.embedding\.weight": the file has \[\d+, 4\], config\.json implies \[\d+, 100000000\]/],
    ["numLayers 1e9", (c) => (c.model.numLayers = 1e9), /missing tensor "encoder\.rnn\.weight_ih_l2" \(check .*numLayers\)/],
    ["numLayers 1", (c) => (c.model.numLayers = 1), /unexpected tensors "encoder\.rnn\.weight_ih_l1", .* \(check numLayers/],
    ["vocabSize 1e8", (c) => (c.model.vocabSize = 1e8), /size mismatch for "encoder\.embedding\.weight".*implies \[100000000, 4\] \(check vocabSize, embeddingDim\)/],
    ["a fourth label", (c) => { c.labels.push("w"); c.model.numClasses = 4; }, /size mismatch for "head\.weight": the file has \[3, 10\], config\.json implies \[4, 10\] \(check labels/],
    ["another cell", (c) => (c.model.cell = "gru"), /size mismatch for "encoder\.rnn\.weight_ih_l0": the file has \[20, 4\], config\.json implies \[15, 4\] \(check cell "gru"/],
    ["one direction", (c) => (c.model.bidirectional = false), /size mismatch for "encoder\.rnn\.weight_ih_l1": the file has \[20, 10\], config\.json implies \[20, 5\]/],
  ];
  test.each(mismatch)("%s: rejected from the shapes alone, naming the tensor", (_, edit, message) => {
    const t0 = performance.now();
    expect(() => checkWeightShapes(checkBundleConfig(edited(edit)), shapesOf(good.stateDict))).toThrow(message);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  test("an unexpected tensor whose name holds a line break is quoted on one line", () => {
    // Found by fuzzing: the names of unexpected tensors were quoted verbatim.
    const shapes = { ...shapesOf(good.stateDict), "extra\r\nname": [1] };
    expect(() => checkWeightShapes(checkBundleConfig(good.config), shapes)).toThrow(/unexpected tensor "extra\\r\\nname" \(check/);
  });
});

describe("loading a checkpoint", () => {
  const root = mkdtempSync(join(tmpdir(), "seqtorch-config-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const check = (config: unknown, shapes: Record<string, number[]>): void => checkWeightShapes(checkBundleConfig(config), shapes);

  test("a valid checkpoint round-trips through bundleFromParts", async () => {
    const dir = join(root, "ok");
    await saveCheckpoint(dir, good);
    const b = bundleFromParts(await loadCheckpoint(dir, { check }));
    expect(b.labels).toEqual(["x", "y", "z"]);
    expect(b.maxLen).toBe(8);
  });

  test("hiddenSize 20000 fails fast on the weights' header, before any model is built", async () => {
    const dir = join(root, "huge");
    await saveCheckpoint(dir, good);
    writeFileSync(join(dir, "config.json"), JSON.stringify(edited((c) => (c.model.hiddenSize = 20000))));
    const heap = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    await expect(loadCheckpoint(dir, { check })).rejects.toThrow(/^model\.safetensors: the weights do not fit the model described by config\.json: size mismatch for "encoder\.rnn\.weight_ih_l0"/);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(50e6);
    // The library path checks the shapes too, before building the model.
    const t1 = performance.now();
    expect(() => bundleFromParts({ ...good, config: edited((c) => (c.model.hiddenSize = 20000)) })).toThrow(/size mismatch/);
    expect(performance.now() - t1).toBeLessThan(500);
  });

  test("a NaN weight is refused on load, naming the tensor and the index", async () => {
    const dir = join(root, "nan");
    const sd = bundleToParts(makeBundle()).stateDict;
    sd["encoder.rnn.weight_hh_l1"]!.data[7] = NaN;
    await saveCheckpoint(dir, { ...good, stateDict: sd, allowNonfinite: true });
    await expect(loadCheckpoint(dir, { check })).rejects.toThrow(/model\.safetensors: tensor "encoder\.rnn\.weight_hh_l1" contains NaN at flat index 7; the weights are unusable/);
    const loaded = await loadCheckpoint(dir, { allowNonfinite: true });
    expect(() => bundleFromParts(loaded)).toThrow(/^model\.safetensors: tensor "encoder\.rnn\.weight_hh_l1" contains NaN at flat index 7/);
    sd["encoder.rnn.weight_hh_l1"]!.data[7] = 0;
    sd["head.bias"]!.data[1] = -Infinity;
    expect(() => bundleFromParts({ ...good, stateDict: sd })).toThrow(/tensor "head\.bias" contains -Infinity at flat index 1/);
  });
});

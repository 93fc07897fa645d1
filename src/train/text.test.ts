import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { trainValSplit } from "../data/loader.js";
import { selectColumns } from "../data/table.js";
import { manualSeed } from "../index.js";
import { SequenceRegressor, TextClassifier } from "../models/text.js";
import { createTokenizer } from "../text/tokenizer.js";
import { UNK_INDEX, Vocab } from "../text/vocab.js";
import type { IdSequences } from "./fit.js";
import { buildTextModel, encodeLabels, encodeTextRows, encodeTextSplit, type EncodeTextRowsOptions } from "./text.js";

describe("encodeLabels", () => {
  test("classification: classes are the distinct labels sorted, targets their indices", () => {
    const r = encodeLabels(["pos", "neg", "pos", "mixed"], { task: "classification" });
    expect(r.labels).toEqual(["mixed", "neg", "pos"]);
    expect(r.targets).toEqual([2, 1, 2, 0]);
  });

  test("the order is by code unit, the same whatever order the data comes in", () => {
    const a = encodeLabels(["b", "B", "a", "é"], { task: "classification" });
    const b = encodeLabels(["é", "a", "B", "b"], { task: "classification" });
    expect(a.labels).toEqual(["B", "a", "b", "é"]);
    expect(b.labels).toEqual(a.labels);
  });

  test("one class is an error naming the column and the class", () => {
    expect(() => encodeLabels(["x", "x"], { task: "classification", column: "sentiment" })).toThrow(
      'label column "sentiment" has only one class ("x"); a classifier needs at least two',
    );
    expect(() => encodeLabels([], { task: "classification" })).toThrow('label column "label" has only one class ("")');
  });

  test("with known classes: their order is kept, and an unknown label is an error", () => {
    const r = encodeLabels(["male", "male"], { task: "classification", classes: ["female", "male"] });
    expect(r).toEqual({ labels: ["female", "male"], targets: [1, 1] });
    expect(() => encodeLabels(["female", "other", "x", "other"], { task: "classification", classes: ["female", "male"] })).toThrow(
      'labels not known to the model: "other", "x" (the model knows female, male)',
    );
    const many = ["a", "b", "c", "d", "e", "f"];
    expect(() => encodeLabels(many, { task: "classification", classes: ["z"] })).toThrow(/"a", "b", "c", "d", "e", \.\.\. \(/);
    // Found by fuzzing: a checkpoint's label names (from config.json) were listed verbatim, line breaks included.
    expect(() => encodeLabels(["x"], { task: "classification", classes: ["a\r\nb", "c"] })).toThrow(/^labels not known to the model: "x" \(the model knows a b, c\)$/);
  });

  test("regression: numbers, and the column as the one target name", () => {
    expect(encodeLabels(["1.5", " -2 ", "3e2"], { task: "regression", column: "score" })).toEqual({ labels: ["score"], targets: [1.5, -2, 300] });
    expect(encodeLabels(["0"], { task: "regression" }).labels).toEqual(["label"]);
    expect(() => encodeLabels(["1", "many"], { task: "regression" })).toThrow('toNumbers: row 2: "many" is not a finite number');
  });
});

describe("encodeTextSplit", () => {
  const texts = ["the cat sat", "the dog ran", "a cat ran far away", "zebra"];
  const split = { train: [0, 1, 2], val: [3] };
  const tokenizer = createTokenizer("whitespace");

  test("the vocabulary comes from the training texts only; validation tokens outside it are <unk>", () => {
    const { vocab, train, val } = encodeTextSplit(texts, [0, 1, 0, 1], split, { tokenizer });
    expect(vocab.has("cat")).toBe(true);
    expect(vocab.has("zebra")).toBe(false);
    expect(val.ids).toEqual([[UNK_INDEX]]);
    expect(train.ids[0]).toEqual(vocab.encode(["the", "cat", "sat"]));
    expect(train.targets).toEqual([0, 1, 0]);
    expect(val.targets).toEqual([1]);
  });

  test("minFreq, maxVocab and maxLen", () => {
    const frequent = encodeTextSplit(texts, [0, 1, 0, 1], split, { tokenizer, minFreq: 2 });
    expect(["the", "cat", "ran"].every((t) => frequent.vocab.has(t))).toBe(true);
    expect(frequent.vocab.has("sat")).toBe(false);
    expect(encodeTextSplit(texts, [0, 1, 0, 1], split, { tokenizer, maxVocab: 3 }).vocab.size).toBe(3);
    const short = encodeTextSplit(texts, [0, 1, 0, 1], split, { tokenizer, maxLen: 2 });
    expect(short.train.ids.map((s) => s.length)).toEqual([2, 2, 2]);
    const all = encodeTextSplit(texts, [0, 1, 0, 1], split, { tokenizer, maxLen: null });
    expect(all.train.ids[2]).toHaveLength(5);
  });

  test("regression targets pass through; a length mismatch is an error", () => {
    const { train } = encodeTextSplit(texts, [[0.5], [1], [2], [3]], split, { tokenizer });
    expect(train.targets).toEqual([[0.5], [1], [2]]);
    expect(() => encodeTextSplit(texts, [0, 1], split, { tokenizer })).toThrow("encodeTextSplit: 4 texts but 2 targets");
  });
});

describe("encodeTextRows", () => {
  const unpack = (ids: IdSequences): number[][] => Array.from({ length: ids.length }, (_, i) => Array.from(ids.at(i)!));
  /** What selectColumns, encodeLabels, trainValSplit and encodeTextSplit make of the rows, or their error. */
  function reference(records: Record<string, unknown>[], o: EncodeTextRowsOptions): unknown {
    try {
      const { texts, labels, skipped } = selectColumns(records, { textCol: o.textCol, labelCol: o.labelCol });
      if (texts.length === 0) return { labels: [], vocab: new Vocab([]).toJSON(), split: { train: [], val: [] }, train: [[], []], val: [[], []], rows: records.length, skipped };
      const classes = encodeLabels(labels, { task: o.task, column: o.labelCol });
      const split = trainValSplit(texts.length, { valFraction: o.valFraction, seed: o.seed, stratify: o.task === "classification" ? labels : undefined });
      const { vocab, train, val } = encodeTextSplit(texts, classes.targets, split, o);
      return { labels: classes.labels, vocab: vocab.toJSON(), split, train: [train.ids, train.targets], val: [val.ids, val.targets], rows: records.length, skipped };
    } catch (err) {
      return (err as Error).message;
    }
  }
  async function streamed(records: Iterable<Record<string, unknown>>, o: EncodeTextRowsOptions, idsType?: Function): Promise<unknown> {
    try {
      const r = await encodeTextRows(records, o);
      if (idsType) expect(r.train.ids.data).toBeInstanceOf(idsType);
      return { ...r, vocab: r.vocab.toJSON(), train: [unpack(r.train.ids), r.train.targets], val: [unpack(r.val.ids), r.val.targets] };
    } catch (err) {
      return (err as Error).message;
    }
  }

  test("equals selectColumns, encodeLabels, trainValSplit and encodeTextSplit on random tables, errors included", async () => {
    const word = fc.constantFrom("a", "b", "cat", "Dog", "dog.", "<unk>", "<pad>", "é", "😀", "", " ", "x,y");
    const record = fc.record({
      text: fc.option(fc.array(word, { maxLength: 6 }).map((w) => w.join(" ")), { nil: undefined }),
      label: fc.constantFrom("pos", "neg", "mid", "1", "2.5", "-3", "pos", "neg", "", "x"),
    }, { requiredKeys: ["label"] });
    const options = fc.record({
      tokenizer: fc.constantFrom("char", "word", "whitespace").map((k) => createTokenizer(k as "char")),
      task: fc.constantFrom("classification" as const, "regression" as const),
      labelCol: fc.constantFrom("label", "label", "label", "score"),
      minFreq: fc.integer({ min: 1, max: 3 }),
      maxVocab: fc.option(fc.integer({ min: 2, max: 8 }), { nil: undefined }),
      maxLen: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      valFraction: fc.constantFrom(0, 0.1, 0.3, 0.5),
      seed: fc.integer({ min: 0, max: 5 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 30 }), options, async (records, o) => {
      const rows = records.map((r) => Object.assign(Object.create(null) as Record<string, unknown>, r));
      expect(await streamed(rows, o)).toEqual(reference(rows, o));
    }), { numRuns: 300 });
  });

  test("more than 65536 distinct tokens and a million ids; ids widened for the specials", async () => {
    // 74 K distinct tokens, 1.3 M in all: more than a chunk of 2^20 ids.
    const rows = Array.from({ length: 40_000 }, (_, i) => ({ text: `t${i} t${i * 7} ${"w ".repeat(i % 60)}x${i % 5}`, label: i % 3 ? "a" : "b" }));
    const tokenizer = createTokenizer("whitespace");
    for (const o of [{ task: "classification" as const, tokenizer }, { task: "classification" as const, tokenizer, maxVocab: 1000, maxLen: 9, valFraction: 0.3 }]) {
      expect(await streamed(rows, o, o.maxVocab ? Uint16Array : Int32Array)).toEqual(reference(rows, o));
    }
    // 255 distinct tokens fit in bytes, but not once <pad> and <unk> are added.
    const bytes = Array.from({ length: 300 }, (_, i) => ({ text: `t${i % 255}`, label: i % 2 ? "a" : "b" }));
    expect(await streamed(bytes, { task: "classification", tokenizer, valFraction: 0 }, Uint16Array)).toEqual(reference(bytes, { task: "classification", tokenizer, valFraction: 0 }));
    const chars = await encodeTextRows(rows, { task: "regression", labelCol: "n", tokenizer: createTokenizer("char") }).catch((e: Error) => e.message);
    expect(chars).toBe('selectColumns: column "n" not found; available columns: text, label');
  });
});

describe("buildTextModel", () => {
  test("a classifier with one output per class, the encoder options passed on", () => {
    manualSeed(0);
    const model = buildTextModel({ task: "classification", labels: ["a", "b", "c"], vocabSize: 20, embeddingDim: 8, hiddenSize: 6, cell: "gru", bidirectional: true, pooling: "mean" });
    expect(model).toBeInstanceOf(TextClassifier);
    expect(model.config()).toEqual({ vocabSize: 20, embeddingDim: 8, hiddenSize: 6, cell: "gru", numLayers: 1, bidirectional: true, dropout: 0, pooling: "mean", paddingIdx: 0, numClasses: 3 });
  });

  test("a regressor with one output per target name", () => {
    const model = buildTextModel({ task: "regression", labels: ["score"], vocabSize: 10, hiddenSize: 4, embeddingDim: 4 });
    expect(model).toBeInstanceOf(SequenceRegressor);
    expect((model as SequenceRegressor).numOutputs).toBe(1);
  });

  test("a classifier needs two classes", () => {
    expect(() => buildTextModel({ task: "classification", labels: ["only"], vocabSize: 10 })).toThrow(/numClasses must be an integer of at least 2/);
  });
});

import { describe, expect, test } from "vitest";
import { CharTokenizer, PAD_INDEX, Vocab, WhitespaceTokenizer, encodeBatch, padSequences } from "./index.js";

const seqs = [[1, 2, 3, 4], [5, 6], [], [7]];

describe("padSequences", () => {
  test("defaults: post padding to the longest, int32, value 0", () => {
    const { input, lengths } = padSequences(seqs);
    expect(input.shape).toEqual([4, 4]);
    expect(input.dtype).toBe("int32");
    expect(input.tolist()).toEqual([
      [1, 2, 3, 4],
      [5, 6, 0, 0],
      [0, 0, 0, 0],
      [7, 0, 0, 0],
    ]);
    expect(lengths).toEqual([4, 2, 0, 1]);
  });

  test("pre padding", () => {
    expect(padSequences(seqs, { padding: "pre" }).input.tolist()).toEqual([
      [1, 2, 3, 4],
      [0, 0, 5, 6],
      [0, 0, 0, 0],
      [0, 0, 0, 7],
    ]);
  });

  test.each([
    ["post", "post", [[1, 2, 3], [5, 6, 0], [0, 0, 0], [7, 0, 0]]],
    ["post", "pre", [[2, 3, 4], [5, 6, 0], [0, 0, 0], [7, 0, 0]]],
    ["pre", "post", [[1, 2, 3], [0, 5, 6], [0, 0, 0], [0, 0, 7]]],
    ["pre", "pre", [[2, 3, 4], [0, 5, 6], [0, 0, 0], [0, 0, 7]]],
  ] as const)("maxLen 3, padding %s, truncating %s", (padding, truncating, expected) => {
    const { input, lengths } = padSequences(seqs, { maxLen: 3, padding, truncating });
    expect(input.tolist()).toEqual(expected);
    expect(lengths).toEqual([3, 2, 0, 1]);
  });

  test("maxLen longer than every sequence, custom value and float dtype", () => {
    const { input, lengths } = padSequences([[1.5, 2], [3]], { maxLen: 4, value: -1, dtype: "float32" });
    expect(input.dtype).toBe("float32");
    expect(input.tolist()).toEqual([
      [1.5, 2, -1, -1],
      [3, -1, -1, -1],
    ]);
    expect(lengths).toEqual([2, 1]);
  });

  test("empty batch, maxLen 0 and typed-array rows", () => {
    expect(padSequences([]).input.shape).toEqual([0, 0]);
    const zero = padSequences([[1, 2]], { maxLen: 0 });
    expect(zero.input.shape).toEqual([1, 0]);
    expect(zero.lengths).toEqual([0]);
    expect(padSequences([new Int32Array([9, 8])], { maxLen: 3 }).input.tolist()).toEqual([[9, 8, 0]]);
  });

  test("rejects bad options and ids with clear messages", () => {
    expect(() => padSequences(seqs, { maxLen: -1 })).toThrow(/maxLen must be a non-negative integer, got -1/);
    expect(() => padSequences(seqs, { maxLen: 2.5 })).toThrow(/got 2.5/);
    expect(() => padSequences(seqs, { padding: "left" as "pre" })).toThrow(/padding must be "pre" or "post", got "left"/);
    expect(() => padSequences(seqs, { truncating: "end" as "post" })).toThrow(/truncating must be "pre" or "post", got "end"/);
    expect(() => padSequences(seqs, { value: 0.5 })).toThrow(/value must be an int32 integer for dtype "int32", got 0.5/);
    expect(() => padSequences(seqs, { value: Number.NaN })).toThrow(/value must be a finite number/);
    expect(() => padSequences(seqs, { dtype: "int64" as "int32" })).toThrow(/dtype must be .* got "int64"/);
    expect(() => padSequences([[1], [2, 3.5]])).toThrow(/ids\[1\]\[1\] must be an int32 integer .* got 3.5/);
    expect(() => padSequences([[1], "ab" as unknown as number[]])).toThrow(/ids\[1\] must be an array of numbers, got string/);
    expect(() => padSequences({} as number[][])).toThrow(/ids must be an array/);
  });
});

describe("encodeBatch", () => {
  test("tokenizes, encodes and pads", () => {
    const tok = new WhitespaceTokenizer({ lowercase: true, keepPunctuation: false });
    const texts = ["The cat sat.", "The dog!", ""];
    const vocab = Vocab.build(texts.map((t) => tok.tokenize(t)));
    // ids: the 2, cat 3, sat 4, dog 5
    const { input, lengths, tokens } = encodeBatch(texts, tok, vocab);
    expect(tokens).toEqual([["the", "cat", "sat"], ["the", "dog"], []]);
    expect(input.tolist()).toEqual([
      [2, 3, 4],
      [2, 5, PAD_INDEX],
      [0, 0, 0],
    ]);
    expect(lengths).toEqual([3, 2, 0]);
    const pre = encodeBatch(["the bird sat"], tok, vocab, { padding: "pre", maxLen: 4 });
    expect(pre.input.tolist()).toEqual([[0, 2, 1, 4]]);
    expect(vocab.decode(pre.input.data)).toEqual(["the", "sat"]);
  });

  test("works with a char tokenizer and checks its texts", () => {
    const tok = new CharTokenizer();
    const vocab = new Vocab(["a", "b"]);
    expect(encodeBatch(["ab", "bz"], tok, vocab).input.tolist()).toEqual([[2, 3], [3, 1]]);
    expect(() => encodeBatch(["ok", 3 as unknown as string], tok, vocab)).toThrow(/texts\[1\] must be a string, got number/);
  });
});

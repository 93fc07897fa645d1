import { describe, expect, test } from "vitest";
import { PAD, PAD_INDEX, UNK, UNK_INDEX, Vocab } from "./index.js";
import { thrown } from "../../test/helpers.js";

const corpus = [
  ["the", "cat", "sat"],
  ["the", "dog", "sat", "down"],
  ["a", "cat", "and", "the", "dog"],
];
// counts: the 3, cat 2, sat 2, dog 2, down 1, a 1, and 1 (ties in order of first appearance)

describe("Vocab.build", () => {
  test("orders by frequency, ties by first appearance, after the specials", () => {
    const v = Vocab.build(corpus);
    expect(v.tokens).toEqual([PAD, UNK, "the", "cat", "sat", "dog", "down", "a", "and"]);
    expect([PAD_INDEX, UNK_INDEX]).toEqual([0, 1]);
    expect(v.size).toBe(9);
    expect(v.length).toBe(9);
    expect(v.frequencies?.get("the")).toBe(3);
    expect(v.frequencies?.get("down")).toBe(1);
  });

  test("minFreq, maxSize (counting the specials) and extra specials", () => {
    expect(Vocab.build(corpus, { minFreq: 2 }).tokens).toEqual([PAD, UNK, "the", "cat", "sat", "dog"]);
    expect(Vocab.build(corpus, { maxSize: 4 }).tokens).toEqual([PAD, UNK, "the", "cat"]);
    expect(Vocab.build(corpus, { maxSize: 2 }).tokens).toEqual([PAD, UNK]);
    const v = Vocab.build(corpus, { specials: ["<bos>", "<eos>", UNK], maxSize: 6 });
    expect(v.tokens).toEqual([PAD, UNK, "<bos>", "<eos>", "the", "cat"]);
    expect(v.specials).toEqual([PAD, UNK, "<bos>", "<eos>"]);
  });

  test("corpus tokens equal to a special map to the special", () => {
    const v = Vocab.build([["<unk>", "x", "<unk>"]]);
    expect(v.tokens).toEqual([PAD, UNK, "x"]);
  });

  test("is deterministic and reads a generator once", () => {
    function* gen(): Generator<string[]> {
      yield* corpus;
    }
    expect(Vocab.build(gen()).tokens).toEqual(Vocab.build(corpus).tokens);
  });

  test("Vocab.fromCounts keeps what Vocab.build would from the same counts", () => {
    const counts: [string, number][] = [["the", 3], ["cat", 2], ["sat", 2], ["dog", 2], ["down", 1], ["a", 1], ["and", 1], [UNK, 5]];
    for (const options of [{}, { minFreq: 2 }, { maxSize: 4, specials: ["<bos>"] }]) {
      expect(Vocab.fromCounts(counts, options).toJSON()).toEqual(Vocab.build([...corpus, [UNK, UNK, UNK, UNK, UNK]], options).toJSON());
    }
    expect(() => Vocab.fromCounts(counts, { minFreq: 0 })).toThrow("Vocab.fromCounts: minFreq must be an integer >= 1, got 0");
  });

  test("rejects bad options and inputs, naming the value", () => {
    expect(() => Vocab.build(corpus, { minFreq: 0 })).toThrow(/minFreq must be an integer >= 1, got 0/);
    expect(() => Vocab.build(corpus, { minFreq: 1.5 })).toThrow(/got 1.5/);
    expect(() => Vocab.build(corpus, { maxSize: 1 })).toThrow(/maxSize must be an integer >= 2 .*got 1/);
    expect(() => Vocab.build(corpus, { maxSize: 3, specials: ["<bos>", "<eos>"] })).toThrow(/>= 4 .*<bos>, <eos>\), got 3/);
    expect(() => Vocab.build(["the cat"] as unknown as string[][])).toThrow(/corpus item 0 must be a list of tokens.*tokenize the text first/);
    expect(() => Vocab.build([["a", 3 as unknown as string]])).toThrow(/tokens must be strings, got number 3 in corpus item 0/);
  });
});

describe("Vocab lookups", () => {
  const v = Vocab.build(corpus, { specials: ["<eos>"] });

  test("stoi, itos, has, encode", () => {
    expect(v.stoi("the")).toBe(3);
    expect(v.stoi("zebra")).toBe(UNK_INDEX);
    expect(v.itos(3)).toBe("the");
    expect(v.has("cat")).toBe(true);
    expect(v.has("zebra")).toBe(false);
    expect(v.encode(["the", "zebra", "<eos>", "<pad>"])).toEqual([3, 1, 2, 0]);
    expect(() => v.itos(99)).toThrow(/id 99 is out of range for a vocabulary of size 10/);
    expect(() => v.itos(1.5)).toThrow(RangeError);
  });

  test("decode skips specials by default", () => {
    const ids = [3, 4, 1, 2, 0, 0];
    expect(v.decode(ids)).toEqual(["the", "cat"]);
    expect(v.decode(ids, { skipSpecials: false })).toEqual(["the", "cat", UNK, "<eos>", PAD, PAD]);
    expect(v.decode(new Int32Array([5, 0]))).toEqual(["sat"]);
    expect(() => v.decode([3, -1])).toThrow(/id -1 is out of range/);
  });

  test("constructor from ordered tokens, and its errors", () => {
    const w = new Vocab(["hello", "world"], { specials: ["<bos>"] });
    expect(w.tokens).toEqual([PAD, UNK, "<bos>", "hello", "world"]);
    expect(w.frequencies).toBeUndefined();
    expect(() => new Vocab(["a", "b", "a"])).toThrow(/token "a" appears twice \(ids 2 and 4\)/);
    expect(() => new Vocab(["<bos>"], { specials: ["<bos>"] })).toThrow(/appears twice.*special token/);
    expect(() => new Vocab([], { specials: ["<s>", "<s>"] })).toThrow(/special token "<s>" is listed twice/);
  });
});

describe("Vocab JSON", () => {
  test("round trip, with and without frequencies", () => {
    const v = Vocab.build(corpus, { specials: ["<eos>"], minFreq: 2 });
    const json = v.toJSON();
    expect(json).toEqual({
      version: 1,
      tokens: [PAD, UNK, "<eos>", "the", "cat", "sat", "dog"],
      specials: { [PAD]: 0, [UNK]: 1, "<eos>": 2 },
      frequencies: [0, 0, 0, 3, 2, 2, 2],
    });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.tokens).toEqual(v.tokens);
    expect(back.specials).toEqual(v.specials);
    expect([...back.frequencies!]).toEqual([...v.frequencies!]);
    expect(Vocab.fromJSON(JSON.stringify(v)).encode(["dog", "x"])).toEqual([6, 1]);

    const plain = new Vocab(["x"]).toJSON();
    expect(plain).toEqual({ version: 1, tokens: [PAD, UNK, "x"], specials: { [PAD]: 0, [UNK]: 1 } });
    expect(Vocab.fromJSON(plain).frequencies).toBeUndefined();
  });

  test("validation errors name what is wrong", () => {
    const good = { version: 1, tokens: [PAD, UNK, "a"], specials: { [PAD]: 0, [UNK]: 1 } };
    const bad = (patch: object): unknown => ({ ...good, ...patch });
    expect(() => Vocab.fromJSON(null)).toThrow(/expected an object .* got null/);
    expect(() => Vocab.fromJSON("{nope")).toThrow(/not valid JSON/);
    expect(() => Vocab.fromJSON(bad({ version: 2 }))).toThrow(/unsupported version 2/);
    expect(() => Vocab.fromJSON(bad({ tokens: "a b" }))).toThrow(/"tokens" must be an array of strings, got the string "a b"/);
    expect(() => Vocab.fromJSON(bad({ tokens: [PAD, UNK, 7] }))).toThrow(/"tokens"\[2\] must be a string, got number 7/);
    expect(() => Vocab.fromJSON(bad({ specials: [PAD, UNK] }))).toThrow(/"specials" must be an object/);
    expect(() => Vocab.fromJSON(bad({ specials: { [PAD]: 1, [UNK]: 0 } }))).toThrow(/must map "<pad>" to 0 and "<unk>" to 1/);
    expect(() => Vocab.fromJSON(bad({ tokens: [UNK, PAD, "a"] }))).toThrow(/special "<pad>" has id 0, but "tokens"\[0\] is "<unk>"/);
    expect(() => Vocab.fromJSON(bad({ specials: { [PAD]: 0, [UNK]: 1, "<eos>": 5 } }))).toThrow(/"<eos>" has id 5/);
    expect(() => Vocab.fromJSON(bad({ tokens: [PAD, UNK, "a", "a"] }))).toThrow(/token "a" appears twice \(ids 2 and 3\)/);
    expect(() => Vocab.fromJSON(bad({ frequencies: [0, 0] }))).toThrow(/"frequencies" has 2 entries but "tokens" has 3/);
    expect(() => Vocab.fromJSON(bad({ frequencies: [0, 0, -1] }))).toThrow(/"frequencies"\[2\] must be a non-negative integer, got -1/);
  });
});

describe("Vocab.fromJSON on malformed files", () => {
  test("values nested too deeply for JSON.stringify, and JSON errors quoting line breaks, give one-line errors", () => {
    // Found by fuzzing: the messages quoted these with JSON.stringify (a stack overflow) or verbatim.
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(() => Vocab.fromJSON(`{"version":${deep}}`)).toThrow(/^Vocab\.fromJSON: unsupported version a list nested too deeply to show/);
    expect(() => Vocab.fromJSON(`{"version":1,"tokens":[],"specials":{"<pad>":${deep}}}`)).toThrow(/"specials" must map .*, got an object nested too deeply to show$/);
    // Sorting the specials by id converted each id with Number(), which recursed into the list.
    expect(() => Vocab.fromJSON(`{"version":1,"tokens":["<pad>","<unk>"],"specials":{"<pad>":0,"<unk>":1,"<x>":[${deep}]}}`)).toThrow(/"specials" must hold the ids 0\.\.2, each once, but "<x>" has id a list nested too deeply to show$/);
    const e = thrown(() => Vocab.fromJSON('{"version":1,\n"tokens":[\n"a"\nb]}'));
    expect(e.message).toMatch(/^Vocab\.fromJSON: the string is not valid JSON/);
    expect(e.message).not.toMatch(/[\r\n]/);
  });
});

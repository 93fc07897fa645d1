/**
 * Property tests (fast-check) for text preprocessing: tokenizers never throw on any string (lone
 * surrogates included) and give non-empty tokens; vocab.json round-trips, and malformed vocab.json
 * and tokenizer configs are rejected with a clean one-line error or read correctly. The chunked
 * tokenization agreement is in chunk.test.ts.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkVocab } from "../../fuzz/checks.js";
import { mutateJson, mutateText, stringify } from "../../fuzz/mutate.js";
import { cleanOrCorrectSync } from "../../fuzz/outcome.js";
import { Rng } from "../../fuzz/rng.js";
import { createTokenizer, tokenizerFromJSON, type Tokenizer } from "./tokenizer.js";
import { PAD, UNK, Vocab } from "./vocab.js";

/** Any UTF-16 string: every code unit, lone surrogates included. */
const anyText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(" ", "\n", "\t", "a", "!", "我", "。", "e\u0301", "\u{1F44B}\u{1F3FD}", "\ud800", "İ", "\u00a0", "\u200d"), maxLength: 60 }),
);

const TOKENIZERS: Tokenizer[] = [
  createTokenizer("word"),
  createTokenizer("word", { locale: "zh", lowercase: true, keepPunctuation: true }),
  createTokenizer("char"),
  createTokenizer("char", { lowercase: true, keepWhitespace: false }),
  createTokenizer("whitespace"),
  createTokenizer("whitespace", { lowercase: true, keepPunctuation: false }),
];

describe("tokenizers on any text", () => {
  test("never throw, and give non-empty tokens (no whitespace inside a whitespace tokenizer's)", () => {
    fc.assert(fc.property(anyText, (text) => {
      for (const t of TOKENIZERS) {
        const tokens = t.tokenize(text);
        expect(tokens.every((s) => typeof s === "string" && s !== "")).toBe(true);
        if (t.kind === "whitespace") expect(tokens.some((s) => /\s/u.test(s))).toBe(false);
      }
      expect(TOKENIZERS[2]!.tokenize(text).join("")).toBe(text); // char, keeping whitespace and case
    }), { numRuns: 400 });
  });

  test("tokenizerFromJSON rejects malformed configs cleanly, and what it accepts round-trips", () => {
    const config = fc.oneof(
      fc.jsonValue(),
      fc.record({ kind: fc.oneof(fc.constantFrom("word", "char", "whitespace"), fc.jsonValue()), locale: fc.oneof(fc.constantFrom("en", "zh", "e\nn", "x-"), fc.jsonValue()), lowercase: fc.jsonValue() }, { requiredKeys: [] }),
    );
    fc.assert(fc.property(config, (c) => {
      cleanOrCorrectSync(() => tokenizerFromJSON(c), (t) => expect(tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON()))).toJSON()).toEqual(t.toJSON()));
    }), { numRuns: 400 });
  });
});

describe("vocab.json", () => {
  const token = fc.string({ unit: "binary", maxLength: 6 }).filter((t) => t !== PAD && t !== UNK);

  test("toJSON / fromJSON round trip, with specials and frequencies", () => {
    fc.assert(fc.property(fc.uniqueArray(token, { maxLength: 20 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), (tokens, nSpecials, withFreq) => {
      const specials = tokens.slice(0, nSpecials);
      const ordinary = tokens.slice(nSpecials);
      const vocab = new Vocab(ordinary, { specials, frequencies: withFreq ? ordinary.map((t, i) => [t, i] as const) : undefined });
      const back = Vocab.fromJSON(JSON.stringify(vocab.toJSON()));
      expect(back.tokens).toEqual(vocab.tokens);
      expect(back.specials).toEqual(vocab.specials);
      expect(back.toJSON()).toEqual(vocab.toJSON());
    }), { numRuns: 300 });
  });

  test("malformed vocab.json is rejected with a clean one-line error, or read correctly", () => {
    const base = JSON.stringify(Vocab.build([["a", "b", "a"], ["c"]], { specials: ["<bos>"] }).toJSON());
    let accepted = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const source = rng.chance(0.7) ? stringify(mutateJson(rng, JSON.parse(base))) : mutateText(rng, base);
      if (cleanOrCorrectSync(() => Vocab.fromJSON(source), (v) => checkVocab(JSON.parse(source), v))) accepted++;
    }), { numRuns: 800 });
    fc.assert(fc.property(fc.jsonValue(), (json) => void cleanOrCorrectSync(() => Vocab.fromJSON(json), (v) => checkVocab(json, v))), { numRuns: 300 });
    expect(accepted).toBeGreaterThan(10);
  });
});

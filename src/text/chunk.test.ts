import fc from "fast-check";
import { afterEach, describe, expect, test } from "vitest";
import { chunking, chunks } from "./chunk.js";
import { CharTokenizer, WhitespaceTokenizer, WordTokenizer, type Tokenizer } from "./index.js";

const PIECES = [
  "the", "model", "LSTM", "it's", "3.14", "e-mail", " ", "  ", "\t", "\n", "\r\n", ",", ".", "!", "?", "...", "\"", "(", ")",
  "我", "喜欢", "深度学习", "模型", "。", "！", "？", "，", "、",
  "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}", "\u{1F44B}\u{1F3FD}", "\u{1F1EB}\u{1F1F7}", "\u{1F1E9}", "\u2764\uFE0F", "\u200D",
  "e\u0301", "\u0301", "\u0308", "İ", "Σ", "ΟΔΟΣ", "\u3099", "か\u3099", "한국어", "\u1100\u1161", "नमस्ते", "\u00a0", "\u3000",
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(""));

const TOKENIZERS: [string, Tokenizer][] = [
  ["word en", new WordTokenizer()],
  ["word zh, punctuation, lowercase", new WordTokenizer({ locale: "zh", keepPunctuation: true, lowercase: true })],
  ["char", new CharTokenizer()],
  ["char lowercase, no whitespace", new CharTokenizer({ lowercase: true, keepWhitespace: false })],
  ["whitespace", new WhitespaceTokenizer()],
  ["whitespace, no punctuation", new WhitespaceTokenizer({ keepPunctuation: false, lowercase: true })],
];

/** Tokenizes with tiny chunks (hard limit lifted, so the word tokenizer never needs a grapheme cut). */
function tokenizeInChunks(t: Tokenizer, s: string, size: number, hardLimit = 1e9): string[] {
  const saved = { ...chunking };
  Object.assign(chunking, { size, hardLimit });
  try {
    return t.tokenize(s);
  } finally {
    Object.assign(chunking, saved);
  }
}

describe("chunked segmentation", () => {
  afterEach(() => expect(chunking).toEqual({ size: 1024, hardLimit: 8192 }));

  test("chunks cover the text exactly, in order", () => {
    fc.assert(fc.property(text, fc.integer({ min: 1, max: 16 }), (s, size) => {
      for (const kind of ["word", "grapheme"] as const) expect([...chunks(s, kind, size, 4 * size)].join("")).toBe(s);
    }), { numRuns: 200 });
  });

  for (const [name, t] of TOKENIZERS) {
    test(`${name}: tiny chunks give the tokens of the whole text`, () => {
      fc.assert(fc.property(text, fc.integer({ min: 1, max: 12 }), (s, size) => {
        expect(tokenizeInChunks(t, s, size)).toEqual(t.tokenize(s));
      }), { numRuns: 300 });
    });
  }

  test("grapheme chunks stay exact even at the hard limit", () => {
    const t = new CharTokenizer();
    fc.assert(fc.property(text, fc.integer({ min: 1, max: 8 }), (s, size) => {
      expect(tokenizeInChunks(t, s, size, size)).toEqual(t.tokenize(s));
    }), { numRuns: 300 });
  });

  test("a word split changes only at a grapheme cut, in a long run without spaces", () => {
    const s = "深度学习".repeat(10);
    const whole = new WordTokenizer({ locale: "zh" }).tokenize(s);
    const cut = tokenizeInChunks(new WordTokenizer({ locale: "zh" }), s, 8, 16);
    expect(cut.join("")).toBe(whole.join(""));
  });
});

describe("tokenizing takes linear time", () => {
  const english = "The model reads a sequence of tokens, one at a time; it works.\n".repeat(16_000).slice(0, 1_000_000);
  const chinese = "接触LSTM模型不久，简单看了一些相关的论文。我喜欢深度学习！\n".repeat(30_000).slice(0, 1_000_000);
  for (const [name, t] of TOKENIZERS) {
    test(`${name}: 1 MB of text in well under 5 s`, () => {
      for (const s of [english, chinese]) {
        const t0 = performance.now();
        const n = t.tokenize(s).length;
        expect(n).toBeGreaterThan(1000);
        expect(performance.now() - t0).toBeLessThan(5000);
      }
    }, 30_000);
  }

  test("40,000 punctuation marks inside a token", () => {
    const t0 = performance.now();
    expect(new WhitespaceTokenizer({ keepPunctuation: false }).tokenize(`a${"!".repeat(40_000)}b !!!x!!!`)).toEqual([`a${"!".repeat(40_000)}b`, "x"]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

import { describe, expect, test } from "vitest";
import { CharTokenizer, WhitespaceTokenizer, WordTokenizer, createTokenizer, tokenizerFromJSON } from "./index.js";

describe("WordTokenizer", () => {
  test("segments Chinese with the zh dictionary", () => {
    expect(new WordTokenizer({ locale: "zh" }).tokenize("接触LSTM模型不久,简单看了一些相关的论文")).toEqual([
      "接触", "LSTM", "模型", "不久", "简单", "看了", "一些", "相关", "的", "论文",
    ]);
  });

  test("mixed English and Chinese, with and without punctuation", () => {
    const text = "我喜欢machine learning和深度学习。";
    expect(new WordTokenizer({ locale: "zh" }).tokenize(text)).toEqual(["我", "喜欢", "machine", "learning", "和", "深度", "学习"]);
    expect(new WordTokenizer({ locale: "zh", keepPunctuation: true }).tokenize(text)).toEqual([
      "我", "喜欢", "machine", "learning", "和", "深度", "学习", "。",
    ]);
  });

  test("English punctuation is dropped by default and kept on request, whitespace never", () => {
    const text = "Hello, world!  It's 3.14 $5 :)\n";
    expect(new WordTokenizer().tokenize(text)).toEqual(["Hello", "world", "It's", "3.14", "5"]);
    expect(new WordTokenizer({ keepPunctuation: true }).tokenize(text)).toEqual(["Hello", ",", "world", "!", "It's", "3.14", "$", "5", ":", ")"]);
    expect(new WordTokenizer({ keepPunctuation: true }).tokenize(" \t\n ")).toEqual([]);
  });

  test("lowercase uses the locale's rules", () => {
    expect(new WordTokenizer({ lowercase: true }).tokenize("The LSTM Cell")).toEqual(["the", "lstm", "cell"]);
    // Turkish dotted capital I lowercases to a plain i only under "tr".
    expect(new WordTokenizer({ locale: "tr", lowercase: true }).tokenize("İSTANBUL")).toEqual(["istanbul"]);
  });

  test("rejects malformed and unsupported locales, naming them", () => {
    expect(() => new WordTokenizer({ locale: "not a locale" })).toThrow(/invalid locale "not a locale"/);
    expect(() => new WordTokenizer({ locale: "qq" })).toThrow(/locale "qq" is not supported/);
    expect(() => new WordTokenizer({ locale: "" })).toThrow(TypeError);
    expect(() => new WordTokenizer({ lowercase: "yes" as unknown as boolean })).toThrow(/lowercase must be a boolean, got "yes"/);
  });
});

describe("CharTokenizer", () => {
  test("keeps grapheme clusters whole", () => {
    const family = "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}";
    expect(new CharTokenizer().tokenize(`e\u0301 ${family}!`)).toEqual(["e\u0301", " ", family, "!"]);
    expect(new CharTokenizer().tokenize("🇫🇷👋🏽")).toEqual(["🇫🇷", "👋🏽"]);
    expect(new CharTokenizer().tokenize("")).toEqual([]);
  });

  test("keepWhitespace and lowercase", () => {
    expect(new CharTokenizer({ keepWhitespace: false }).tokenize("a b\r\nc")).toEqual(["a", "b", "c"]);
    expect(new CharTokenizer().tokenize("a\r\nb")).toEqual(["a", "\r\n", "b"]);
    expect(new CharTokenizer({ lowercase: true }).tokenize("AbÇ")).toEqual(["a", "b", "ç"]);
  });
});

describe("WhitespaceTokenizer", () => {
  test("splits on Unicode whitespace, keeping punctuation by default", () => {
    expect(new WhitespaceTokenizer().tokenize("  Hello,\u00a0world!\u3000 ok ")).toEqual(["Hello,", "world!", "ok"]);
  });

  test("strips only leading and trailing punctuation, dropping tokens left empty", () => {
    const t = new WhitespaceTokenizer({ keepPunctuation: false, lowercase: true });
    expect(t.tokenize(`"Don't" stop -- e-mail me... (NOW)!`)).toEqual(["don't", "stop", "e-mail", "me", "now"]);
  });
});

describe("createTokenizer and JSON", () => {
  test("createTokenizer builds each kind with its options", () => {
    expect(createTokenizer("word", { locale: "zh" })).toBeInstanceOf(WordTokenizer);
    expect(createTokenizer("char").kind).toBe("char");
    expect(createTokenizer("whitespace", { keepPunctuation: false }).tokenize("hi!")).toEqual(["hi"]);
    expect(() => createTokenizer("bpe" as "word")).toThrow(/unknown kind "bpe"/);
  });

  test("toJSON round trip through a string", () => {
    for (const t of [new WordTokenizer({ locale: "zh", lowercase: true }), new CharTokenizer({ keepWhitespace: false }), new WhitespaceTokenizer()]) {
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t)));
      expect(back.toJSON()).toEqual(t.toJSON());
      expect(back.tokenize("接触LSTM 模型, OK")).toEqual(t.tokenize("接触LSTM 模型, OK"));
    }
    expect(new WordTokenizer().toJSON()).toEqual({ kind: "word", locale: "en", lowercase: false, keepPunctuation: false });
  });

  test("tokenizerFromJSON validation", () => {
    expect(() => tokenizerFromJSON(null)).toThrow(/expected an object.*got null/);
    expect(() => tokenizerFromJSON({ kind: "sentencepiece" })).toThrow(/unknown kind "sentencepiece"/);
    expect(() => tokenizerFromJSON({ kind: "char", locale: "en" })).toThrow(/unknown key\(s\) "locale" for kind "char"/);
    expect(() => tokenizerFromJSON({ kind: "word", locale: "xx-invalid-locale-tag-" })).toThrow(/invalid locale/);
  });
});

describe("tokenizerFromJSON on malformed configs", () => {
  test("a locale with line breaks and a value nested too deeply for JSON.stringify give one-line errors", () => {
    // Found by fuzzing: the locale was quoted verbatim, and the boolean check overflowed the stack.
    expect(() => tokenizerFromJSON({ kind: "word", locale: "e\r\nn" })).toThrow(/^WordTokenizer: invalid locale "e\\r\\nn" \(not a well-formed/);
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000)) as unknown;
    expect(() => tokenizerFromJSON({ kind: "char", lowercase: deep })).toThrow(/^CharTokenizer: lowercase must be a boolean, got a list nested too deeply to show$/);
    expect(() => tokenizerFromJSON({ kind: deep })).toThrow(/^tokenizerFromJSON: unknown kind a list nested too deeply to show/);
  });
});

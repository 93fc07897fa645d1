/**
 * Tokenizers: text to a list of string tokens. They use only `Intl.Segmenter` and regular
 * expressions, so they run unchanged in browsers, Node (>= 16) and Deno. A tokenizer's `toJSON()`
 * is a plain object that `tokenizerFromJSON` turns back into the same tokenizer, so a trained
 * model can ship with the exact preprocessing it was trained with.
 *
 * Tokenizing takes time linear in the text's length: the segmenters see long texts in chunks of
 * about 1 K code units cut at safe boundaries (see chunk.ts). The one exception: a run of text with
 * no whitespace and no 。！？ for 8 K code units (Chinese without punctuation) is cut at a grapheme
 * boundary, where the word tokenizer's split can differ from that of the whole text.
 */
import { showJson } from "../message.js";
import { chunks } from "./chunk.js";

/** Splits text into string tokens. `toJSON()` records the settings, for `tokenizerFromJSON`. */
export interface Tokenizer {
  /** `"word"`, `"char"` or `"whitespace"` for the built-in tokenizers. */
  readonly kind: string;
  tokenize(text: string): string[];
  toJSON(): TokenizerConfig;
}

export type TokenizerKind = "word" | "char" | "whitespace";

export interface WordTokenizerOptions {
  /** BCP 47 tag given to `Intl.Segmenter`; it decides how scripts without spaces (Chinese, Japanese, Thai) split. Default `"en"`. */
  locale?: string;
  /** Lowercase each token with `toLocaleLowerCase(locale)`. Default `false`. */
  lowercase?: boolean;
  /** Also keep punctuation and symbol segments (`","`, `"$"`, emoji). Whitespace is never kept. Default `false`. */
  keepPunctuation?: boolean;
}

export interface CharTokenizerOptions {
  /** Lowercase the text before splitting. Default `false`. */
  lowercase?: boolean;
  /** Keep whitespace characters (`" "`, `"\n"`) as tokens. Default `true`. */
  keepWhitespace?: boolean;
}

export interface WhitespaceTokenizerOptions {
  /** Lowercase each token. Default `false`. */
  lowercase?: boolean;
  /** Keep leading and trailing punctuation on each token; when `false` it is stripped (`"world!"` → `"world"`). Default `true`. */
  keepPunctuation?: boolean;
}

export type WordTokenizerConfig = { kind: "word" } & Required<WordTokenizerOptions>;
export type CharTokenizerConfig = { kind: "char" } & Required<CharTokenizerOptions>;
export type WhitespaceTokenizerConfig = { kind: "whitespace" } & Required<WhitespaceTokenizerOptions>;
/** The plain-object form of a built-in tokenizer, from `toJSON()`. */
export type TokenizerConfig = WordTokenizerConfig | CharTokenizerConfig | WhitespaceTokenizerConfig;

const WHITESPACE_ONLY = /^\s+$/u;
const LEADING_PUNCTUATION = /^\p{P}+/u;
const PUNCTUATION = /^\p{P}$/u;

/** `token` without its leading and trailing punctuation, in linear time (`/\p{P}+$/` alone is quadratic on long runs). */
function stripPunctuation(token: string): string {
  token = token.replace(LEADING_PUNCTUATION, "");
  let end = token.length;
  while (end > 0) {
    const low = token.charCodeAt(end - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && end > 1 && (token.charCodeAt(end - 2) & 0xfc00) === 0xd800 ? 2 : 1;
    if (!PUNCTUATION.test(token.slice(end - width, end))) break;
    end -= width;
  }
  return token.slice(0, end);
}

function segmenterClass(owner: string): typeof Intl.Segmenter {
  if (typeof Intl === "undefined" || typeof Intl.Segmenter !== "function") {
    throw new Error(`${owner}: this JavaScript runtime has no Intl.Segmenter (needed since Chrome 87, Safari 14.1, Firefox 125, Node 16)`);
  }
  return Intl.Segmenter;
}

function checkBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${owner}: ${name} must be a boolean, got ${showJson(value, 200)}`);
  return value;
}

/** Throws unless `locale` is a well-formed tag that this runtime's `Intl.Segmenter` supports. */
function checkLocale(owner: string, locale: unknown): string {
  if (typeof locale !== "string" || locale === "") throw new TypeError(`${owner}: locale must be a non-empty BCP 47 tag such as "en" or "zh", got ${showJson(locale, 200)}`);
  let supported: string[];
  try {
    supported = segmenterClass(owner).supportedLocalesOf(locale);
  } catch {
    throw new RangeError(`${owner}: invalid locale ${showJson(locale, 200)} (not a well-formed BCP 47 tag; try "en", "zh" or "ja")`);
  }
  // Without this check an unsupported tag silently falls back to the runtime's default locale.
  if (supported.length === 0) throw new RangeError(`${owner}: locale ${showJson(locale, 200)} is not supported by this runtime's Intl.Segmenter`);
  return locale;
}

/**
 * Word tokenizer built on `Intl.Segmenter` with `granularity: "word"`: it keeps the word-like
 * segments, so it splits languages written without spaces (Chinese, Japanese, Thai) by the
 * runtime's ICU dictionary, and mixed-script text too.
 *
 * NOTE: the exact split of CJK text comes from the runtime's ICU data, which can differ between
 * browsers and Node versions; tokenize once and save the token ids if you need bit-for-bit reproducibility.
 *
 * @example
 * new WordTokenizer({ locale: "zh" }).tokenize("接触LSTM模型不久,简单看了一些相关的论文");
 * // ["接触", "LSTM", "模型", "不久", "简单", "看了", "一些", "相关", "的", "论文"]
 * new WordTokenizer({ keepPunctuation: true }).tokenize("Hello, world!"); // ["Hello", ",", "world", "!"]
 */
export class WordTokenizer implements Tokenizer {
  readonly kind = "word";
  readonly locale: string;
  readonly lowercase: boolean;
  readonly keepPunctuation: boolean;
  readonly #segmenter: Intl.Segmenter;

  constructor(options: WordTokenizerOptions = {}) {
    this.locale = checkLocale("WordTokenizer", options.locale ?? "en");
    this.lowercase = checkBoolean("WordTokenizer", "lowercase", options.lowercase ?? false);
    this.keepPunctuation = checkBoolean("WordTokenizer", "keepPunctuation", options.keepPunctuation ?? false);
    this.#segmenter = new (segmenterClass("WordTokenizer"))(this.locale, { granularity: "word" });
  }

  tokenize(text: string): string[] {
    const out: string[] = [];
    // In bounded chunks: one segmenter iteration over a long string takes quadratic time.
    for (const chunk of chunks(text, "word")) {
      for (const { segment, isWordLike } of this.#segmenter.segment(chunk)) {
        if (!isWordLike && (!this.keepPunctuation || WHITESPACE_ONLY.test(segment))) continue;
        out.push(this.lowercase ? segment.toLocaleLowerCase(this.locale) : segment);
      }
    }
    return out;
  }

  toJSON(): WordTokenizerConfig {
    return { kind: "word", locale: this.locale, lowercase: this.lowercase, keepPunctuation: this.keepPunctuation };
  }
}

/**
 * Character tokenizer: one token per grapheme cluster (what a reader sees as one character), via
 * `Intl.Segmenter` with `granularity: "grapheme"`. So `"e\u0301"` (e + combining acute), a flag
 * and a ZWJ emoji family each stay one token, where `[...text]` would split them into code points.
 *
 * @example new CharTokenizer({ keepWhitespace: false }).tokenize("hi 👋🏽"); // ["h", "i", "👋🏽"]
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = "char";
  readonly lowercase: boolean;
  readonly keepWhitespace: boolean;
  readonly #segmenter: Intl.Segmenter;

  constructor(options: CharTokenizerOptions = {}) {
    this.lowercase = checkBoolean("CharTokenizer", "lowercase", options.lowercase ?? false);
    this.keepWhitespace = checkBoolean("CharTokenizer", "keepWhitespace", options.keepWhitespace ?? true);
    // Grapheme boundaries do not depend on the locale.
    this.#segmenter = new (segmenterClass("CharTokenizer"))(undefined, { granularity: "grapheme" });
  }

  tokenize(text: string): string[] {
    // Lowercase before segmenting: lowercasing can change the code points ("İ" → "i̇"), and the clusters must follow.
    const source = this.lowercase ? text.toLowerCase() : text;
    const out: string[] = [];
    for (const chunk of chunks(source, "grapheme")) {
      for (const { segment } of this.#segmenter.segment(chunk)) {
        if (this.keepWhitespace || !WHITESPACE_ONLY.test(segment)) out.push(segment);
      }
    }
    return out;
  }

  toJSON(): CharTokenizerConfig {
    return { kind: "char", lowercase: this.lowercase, keepWhitespace: this.keepWhitespace };
  }
}

/**
 * Splits on runs of Unicode whitespace, like Python's `str.split()`. With `keepPunctuation: false`
 * leading and trailing punctuation (`\p{P}`) is stripped from each token and tokens left empty are
 * dropped; punctuation inside a token (`"don't"`, `"e-mail"`) stays.
 *
 * @example new WhitespaceTokenizer({ keepPunctuation: false }).tokenize("Hello, world !"); // ["Hello", "world"]
 */
export class WhitespaceTokenizer implements Tokenizer {
  readonly kind = "whitespace";
  readonly lowercase: boolean;
  readonly keepPunctuation: boolean;

  constructor(options: WhitespaceTokenizerOptions = {}) {
    this.lowercase = checkBoolean("WhitespaceTokenizer", "lowercase", options.lowercase ?? false);
    this.keepPunctuation = checkBoolean("WhitespaceTokenizer", "keepPunctuation", options.keepPunctuation ?? true);
  }

  tokenize(text: string): string[] {
    const out: string[] = [];
    for (let token of text.split(/\s+/u)) {
      if (!this.keepPunctuation) token = stripPunctuation(token);
      if (token === "") continue;
      out.push(this.lowercase ? token.toLowerCase() : token);
    }
    return out;
  }

  toJSON(): WhitespaceTokenizerConfig {
    return { kind: "whitespace", lowercase: this.lowercase, keepPunctuation: this.keepPunctuation };
  }
}

/**
 * Creates a built-in tokenizer by kind.
 * @example createTokenizer("word", { locale: "ja", lowercase: true })
 */
export function createTokenizer(kind: "word", options?: WordTokenizerOptions): WordTokenizer;
export function createTokenizer(kind: "char", options?: CharTokenizerOptions): CharTokenizer;
export function createTokenizer(kind: "whitespace", options?: WhitespaceTokenizerOptions): WhitespaceTokenizer;
export function createTokenizer(kind: TokenizerKind, options?: WordTokenizerOptions | CharTokenizerOptions | WhitespaceTokenizerOptions): Tokenizer;
export function createTokenizer(kind: TokenizerKind, options: object = {}): Tokenizer {
  switch (kind) {
    case "word":
      return new WordTokenizer(options);
    case "char":
      return new CharTokenizer(options);
    case "whitespace":
      return new WhitespaceTokenizer(options);
    default:
      throw new RangeError(`createTokenizer: unknown kind ${JSON.stringify(kind)} (expected "word", "char" or "whitespace")`);
  }
}

const CONFIG_KEYS: Record<TokenizerKind, readonly string[]> = {
  word: ["locale", "lowercase", "keepPunctuation"],
  char: ["lowercase", "keepWhitespace"],
  whitespace: ["lowercase", "keepPunctuation"],
};

/**
 * Rebuilds a tokenizer from its `toJSON()` object, a `TokenizerConfig` (also after a trip through
 * `JSON.stringify`/`JSON.parse`). Unknown kinds
 * and unknown keys are errors, so a config written by a newer version is not half-understood.
 */
export function tokenizerFromJSON(config: unknown): Tokenizer {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(`tokenizerFromJSON: expected an object like { kind: "word", ... }, got ${config === null ? "null" : Array.isArray(config) ? "an array" : typeof config}`);
  }
  const { kind, ...options } = config as Record<string, unknown>;
  if (kind !== "word" && kind !== "char" && kind !== "whitespace") {
    throw new RangeError(`tokenizerFromJSON: unknown kind ${showJson(kind, 200)} (expected "word", "char" or "whitespace")`);
  }
  const unknown = Object.keys(options).filter((k) => !CONFIG_KEYS[kind].includes(k));
  if (unknown.length > 0) {
    throw new RangeError(`tokenizerFromJSON: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")} for kind "${kind}" (expected ${CONFIG_KEYS[kind].join(", ")})`);
  }
  return createTokenizer(kind, options);
}

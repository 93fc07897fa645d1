/**
 * A vocabulary: the mapping between string tokens and the integer ids an `nn.Embedding` reads,
 * after torchtext's `Vocab` and `build_vocab_from_iterator`.
 */

import { oneLine, showJson } from "../message.js";

/** The padding token. It always has id `PAD_INDEX` (0), which is `padSequences`' default `value`. */
export const PAD = "<pad>";
/** The unknown token. It always has id `UNK_INDEX` (1); `stoi` returns it for tokens not in the vocabulary. */
export const UNK = "<unk>";
export const PAD_INDEX = 0;
export const UNK_INDEX = 1;

export interface VocabOptions {
  /**
   * Special tokens placed after `<pad>` and `<unk>`, in this order (e.g. `["<bos>", "<eos>"]`).
   * Listing `<pad>` or `<unk>` here is allowed and changes nothing: they keep ids 0 and 1.
   */
  specials?: readonly string[];
  /** How often each token was seen, kept for inspection and saved by `toJSON()`. */
  frequencies?: Iterable<readonly [string, number]>;
}

export interface VocabBuildOptions {
  /** Drop tokens seen fewer than `minFreq` times. An integer >= 1; default 1. */
  minFreq?: number;
  /** Largest vocabulary size, specials included (torchtext's `max_tokens`). Default `Infinity`. */
  maxSize?: number;
  /** Extra specials after `<pad>` and `<unk>`; see `VocabOptions.specials`. */
  specials?: readonly string[];
}

export interface VocabDecodeOptions {
  /** Leave out every special token (`<pad>`, `<unk>` and the extras), like Hugging Face's `skip_special_tokens`. Default `true`. */
  skipSpecials?: boolean;
}

/** The plain-object form written by `Vocab.toJSON()`; it survives `JSON.stringify`/`JSON.parse`. */
export interface VocabJSON {
  version: 1;
  /** Every token, in id order; the specials come first. */
  tokens: string[];
  /** Each special token and its id: `{ "<pad>": 0, "<unk>": 1, ... }`. */
  specials: Record<string, number>;
  /** Count of each token in `tokens`, by id (0 for specials); present when the vocabulary has frequencies. */
  frequencies?: number[];
}

const quote = (s: string): string => JSON.stringify(s);
const show = (x: unknown): string => showJson(x, 200);

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${quote(value)}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

/**
 * Maps tokens to ids and back. `<pad>` is always id 0 and `<unk>` id 1; extra specials follow,
 * then the ordinary tokens. Build one from a tokenized corpus with `Vocab.build`, or give the
 * ordered tokens to the constructor.
 *
 * @example
 * const vocab = Vocab.build([["the", "cat"], ["the", "dog"]]);
 * vocab.tokens;                         // ["<pad>", "<unk>", "the", "cat", "dog"]
 * vocab.encode(["the", "bird"]);        // [2, 1]
 * vocab.decode([2, 3, 0, 0]);           // ["the", "cat"]
 * @see https://pytorch.org/text/stable/vocab.html
 */
export class Vocab {
  /** Every token, indexed by id. */
  readonly tokens: readonly string[];
  /** The special tokens, `<pad>` and `<unk>` first; they hold ids `0 .. specials.length - 1`. */
  readonly specials: readonly string[];
  /** Counts of the ordinary tokens, when known (from `Vocab.build`, or saved with `toJSON`). */
  readonly frequencies: ReadonlyMap<string, number> | undefined;
  readonly #ids: Map<string, number>;

  /**
   * @param tokens the ordinary tokens in id order; they get ids from `specials.length` on.
   *   A duplicate, or a token equal to a special, is an error.
   */
  constructor(tokens: Iterable<string>, options: VocabOptions = {}) {
    const specials = [PAD, UNK];
    for (const s of options.specials ?? []) {
      if (typeof s !== "string") throw new TypeError(`Vocab: specials must be strings, got ${describe(s)}`);
      if (s === PAD || s === UNK) continue;
      if (specials.includes(s)) throw new RangeError(`Vocab: special token ${quote(s)} is listed twice`);
      specials.push(s);
    }
    const all = [...specials];
    const ids = new Map(all.map((t, i) => [t, i]));
    for (const t of tokens) {
      if (typeof t !== "string") throw new TypeError(`Vocab: tokens must be strings, got ${describe(t)} at id ${all.length}`);
      const seen = ids.get(t);
      if (seen !== undefined) {
        throw new RangeError(`Vocab: token ${quote(t)} appears twice (ids ${seen} and ${all.length})${seen < specials.length ? "; it is a special token" : ""}`);
      }
      ids.set(t, all.length);
      all.push(t);
    }
    let frequencies: Map<string, number> | undefined;
    if (options.frequencies) {
      frequencies = new Map();
      for (const [t, n] of options.frequencies) {
        if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`Vocab: frequency of ${quote(t)} must be a non-negative integer, got ${n}`);
        if (ids.has(t) && !specials.includes(t)) frequencies.set(t, n);
      }
    }
    this.tokens = Object.freeze(all);
    this.specials = Object.freeze(specials);
    this.frequencies = frequencies;
    this.#ids = ids;
  }

  /**
   * Counts the tokens of a tokenized corpus and keeps the frequent ones, most frequent first.
   * Ties keep the order of first appearance, so the same corpus always gives the same ids.
   *
   * NOTE: torchtext's `build_vocab_from_iterator` breaks ties alphabetically instead; first
   * appearance is stable for streamed corpora and keeps related tokens together.
   *
   * @param corpus token lists, e.g. `texts.map((t) => tokenizer.tokenize(t))`; read once, so a generator works.
   * @example Vocab.build(corpus, { minFreq: 2, maxSize: 10_000, specials: ["<bos>", "<eos>"] })
   */
  static build(corpus: Iterable<Iterable<string>>, options: VocabBuildOptions = {}): Vocab {
    Vocab.checkBuildOptions("Vocab.build", options);
    const counts = new Map<string, number>();
    let line = 0;
    for (const tokens of corpus) {
      if (typeof tokens === "string" || tokens == null || typeof (tokens as Iterable<string>)[Symbol.iterator] !== "function") {
        throw new TypeError(`Vocab.build: corpus item ${line} must be a list of tokens, got ${describe(tokens)}; tokenize the text first`);
      }
      for (const t of tokens) {
        if (typeof t !== "string") throw new TypeError(`Vocab.build: tokens must be strings, got ${describe(t)} in corpus item ${line}`);
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      line++;
    }
    return Vocab.fromCounts(counts, options);
  }

  /**
   * `Vocab.build` from counts already made: `[token, count]` pairs in order of first appearance
   * (ties keep that order), like torchtext's `vocab(ordered_dict)`. For corpora counted as they stream.
   *
   * @example Vocab.fromCounts([["the", 2], ["cat", 1]], { minFreq: 2 }).tokens; // ["<pad>", "<unk>", "the"]
   * @see https://pytorch.org/text/stable/vocab.html#vocab
   */
  static fromCounts(counts: Iterable<readonly [string, number]>, options: VocabBuildOptions = {}): Vocab {
    const { minFreq = 1, maxSize = Infinity, specials = [] } = options;
    const specialSet = Vocab.checkBuildOptions("Vocab.fromCounts", options);
    // Array.prototype.sort is stable: ties stay in order of first appearance.
    const kept = [...counts]
      .filter(([t, n]) => n >= minFreq && !specialSet.has(t))
      .sort((a, b) => b[1] - a[1])
      .slice(0, maxSize - specialSet.size);
    return new Vocab(kept.map(([t]) => t), { specials, frequencies: kept });
  }

  private static checkBuildOptions(caller: string, { minFreq = 1, maxSize = Infinity, specials = [] }: VocabBuildOptions): Set<string> {
    if (!(Number.isInteger(minFreq) && minFreq >= 1)) throw new RangeError(`${caller}: minFreq must be an integer >= 1, got ${minFreq}`);
    const specialSet = new Set([PAD, UNK, ...specials]);
    if (!((Number.isInteger(maxSize) || maxSize === Infinity) && maxSize >= specialSet.size)) {
      throw new RangeError(`${caller}: maxSize must be an integer >= ${specialSet.size} (it counts the specials ${[...specialSet].join(", ")}), got ${maxSize}`);
    }
    return specialSet;
  }

  /** Number of tokens, specials included (`len(vocab)` in torchtext). */
  get size(): number {
    return this.tokens.length;
  }
  /** Same as `size`. */
  get length(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.#ids.has(token);
  }

  /** The id of `token`, or `UNK_INDEX` (1) when it is not in the vocabulary. */
  stoi(token: string): number {
    return this.#ids.get(token) ?? UNK_INDEX;
  }

  /** The token with id `id`; throws a RangeError naming the id when it is out of range. */
  itos(id: number): string {
    const t = Number.isInteger(id) ? this.tokens[id] : undefined;
    if (t === undefined) throw new RangeError(`Vocab.itos: id ${id} is out of range for a vocabulary of size ${this.size} (ids are integers 0..${this.size - 1})`);
    return t;
  }

  /** Token ids, with `UNK_INDEX` for unknown tokens. */
  encode(tokens: Iterable<string>): number[] {
    const out: number[] = [];
    for (const t of tokens) out.push(this.stoi(t));
    return out;
  }

  /**
   * Tokens for `ids` (an array, or a typed array such as a row of a padded batch's `data`).
   * By default the specials are left out, so padding disappears.
   */
  decode(ids: ArrayLike<number>, options: VocabDecodeOptions = {}): string[] {
    const skip = options.skipSpecials ?? true;
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const t = this.itos(id);
      if (!(skip && id < this.specials.length)) out.push(t);
    }
    return out;
  }

  /** A plain object for `JSON.stringify`; `Vocab.fromJSON` reads it back. */
  toJSON(): VocabJSON {
    const json: VocabJSON = {
      version: 1,
      tokens: [...this.tokens],
      specials: Object.fromEntries(this.specials.map((s, i) => [s, i])),
    };
    if (this.frequencies) json.frequencies = this.tokens.map((t) => this.frequencies!.get(t) ?? 0);
    return json;
  }

  /**
   * Reads what `toJSON()` wrote (parsed, or as a JSON string). Every check names what is wrong,
   * since a vocabulary file that loads with shifted ids fails silently later.
   */
  static fromJSON(json: unknown): Vocab {
    const fail = (what: string): never => {
      throw new Error(`Vocab.fromJSON: ${what}`);
    };
    if (typeof json === "string") {
      try {
        json = JSON.parse(json);
      } catch (e) {
        fail(`the string is not valid JSON (${oneLine((e as Error).message)})`);
      }
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) return fail(`expected an object { version, tokens, specials }, got ${describe(json)}`);
    const { version, tokens, specials, frequencies } = json as Record<string, unknown>;
    if (version !== 1) fail(`unsupported version ${show(version)} (this seqtorch reads version 1)`);
    if (!Array.isArray(tokens)) return fail(`"tokens" must be an array of strings, got ${describe(tokens)}`);
    tokens.forEach((t, i) => typeof t !== "string" && fail(`"tokens"[${i}] must be a string, got ${describe(t)}`));
    if (typeof specials !== "object" || specials === null || Array.isArray(specials)) {
      return fail(`"specials" must be an object mapping each special token to its id, got ${describe(specials)}`);
    }
    const specialIds = specials as Record<string, unknown>;
    if (specialIds[PAD] !== PAD_INDEX || specialIds[UNK] !== UNK_INDEX) {
      fail(`"specials" must map ${quote(PAD)} to ${PAD_INDEX} and ${quote(UNK)} to ${UNK_INDEX}, got ${show(specials)}`);
    }
    // Ids that are not numbers sort last (Number() of a deeply nested list would overflow the stack).
    const idOf = (x: unknown): number => (typeof x === "number" ? x : Infinity);
    const entries = Object.entries(specialIds).sort((a, b) => idOf(a[1]) - idOf(b[1]));
    entries.forEach(([s, id], i) => {
      if (id !== i) fail(`"specials" must hold the ids 0..${entries.length - 1}, each once, but ${quote(s)} has id ${show(id)}`);
      if (tokens[i] !== s) fail(`special ${quote(s)} has id ${i}, but "tokens"[${i}] is ${tokens[i] === undefined ? "missing" : quote(tokens[i])}`);
    });
    let freq: [string, number][] | undefined;
    if (frequencies !== undefined) {
      if (!Array.isArray(frequencies)) return fail(`"frequencies" must be an array of counts, got ${describe(frequencies)}`);
      if (frequencies.length !== tokens.length) fail(`"frequencies" has ${frequencies.length} entries but "tokens" has ${tokens.length}`);
      frequencies.forEach((n, i) => !(Number.isInteger(n) && n >= 0) && fail(`"frequencies"[${i}] must be a non-negative integer, got ${show(n)}`));
      freq = tokens.slice(entries.length).map((t, i) => [t as string, frequencies[entries.length + i] as number]);
    }
    try {
      return new Vocab(tokens.slice(entries.length) as string[], { specials: entries.map(([s]) => s), frequencies: freq });
    } catch (e) {
      return fail((e as Error).message.replace(/^Vocab: /, ""));
    }
  }
}

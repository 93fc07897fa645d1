/** Batching variable-length id sequences into one padded tensor, and text straight to a batch. */
import { full, type DType, type Tensor } from "../tensor.js";
import type { Tokenizer } from "./tokenizer.js";
import { PAD_INDEX, type Vocab } from "./vocab.js";

/** Which end of a sequence gets the padding, or loses entries when it is too long. */
export type PadSide = "pre" | "post";

export interface PadSequencesOptions {
  /** Length of every row. Default: the longest sequence (0 for an empty batch). */
  maxLen?: number;
  /** `"post"` pads after the tokens, `"pre"` before them. Default `"post"`. */
  padding?: PadSide;
  /** For sequences longer than `maxLen`: `"post"` drops the tail, `"pre"` the head. Default `"post"`. */
  truncating?: PadSide;
  /** The padding id. Default `PAD_INDEX` (0), the id of `<pad>` in every `Vocab`. */
  value?: number;
  /** Default `"int32"`, what `nn.Embedding` reads. */
  dtype?: DType;
}

/** A padded batch: `input[i]` holds sequence `i`, `lengths[i]` how many of its entries are real. */
export interface PaddedBatch {
  /** Shape `[N, maxLen]`, batch first. */
  input: Tensor;
  /** The true length of each sequence after truncation: `min(ids[i].length, maxLen)`. */
  lengths: number[];
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkSide(name: string, value: unknown): PadSide {
  if (value !== "pre" && value !== "post") throw new RangeError(`padSequences: ${name} must be "pre" or "post", got ${JSON.stringify(value)}`);
  return value;
}

/** Whether `v` is a value of `dtype`. */
const fits = (v: unknown, dtype: DType): v is number =>
  typeof v === "number" && Number.isFinite(v) && (dtype !== "int32" || (Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX));

function checkValue(what: string, v: unknown, dtype: DType): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`padSequences: ${what} must be a finite number, got ${JSON.stringify(v) ?? String(v)}`);
  if (!fits(v, dtype)) throw new RangeError(`padSequences: ${what} must be an int32 integer for dtype "int32", got ${v}`);
  return v;
}

/**
 * Pads (and, with `maxLen`, truncates) a batch of id sequences into one `[N, maxLen]` tensor,
 * like Keras' `pad_sequences` and PyTorch's `nn.utils.rnn.pad_sequence(batch_first=True)`.
 *
 * NOTE: Keras defaults to `padding: "pre"` and `truncating: "pre"`; seqtorch defaults to `"post"`
 * for both, like PyTorch's `pad_sequence`, so the real tokens start at step 0 and `lengths`
 * describes the batch the way packed sequences (`pack_padded_sequence`) expect.
 *
 * An empty sequence gives a row of padding and length 0. Packing a batch needs every length
 * to be >= 1, so drop empty texts (or give them one `<unk>`) before packing.
 *
 * Shapes: `ids` is N sequences of any lengths; `input` is `[N, maxLen]`; `lengths` has N entries.
 *
 * @example
 * padSequences([[5, 6, 7], [8]]);                     // input [[5, 6, 7], [8, 0, 0]], lengths [3, 1]
 * padSequences([[5, 6, 7], [8]], { maxLen: 2, padding: "pre", truncating: "pre" });
 * // input [[6, 7], [0, 8]], lengths [2, 1]
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pad_sequence.html
 */
export function padSequences(ids: readonly ArrayLike<number>[], options: PadSequencesOptions = {}): PaddedBatch {
  if (!Array.isArray(ids)) throw new TypeError(`padSequences: ids must be an array of id sequences, got ${ids === null ? "null" : typeof ids}`);
  const padding = checkSide("padding", options.padding ?? "post");
  const truncating = checkSide("truncating", options.truncating ?? "post");
  const dtype = options.dtype ?? "int32";
  if (dtype !== "int32" && dtype !== "float32" && dtype !== "float64") {
    throw new RangeError(`padSequences: dtype must be "int32", "float32" or "float64", got ${JSON.stringify(dtype)}`);
  }
  const value = checkValue("value", options.value ?? PAD_INDEX, dtype);
  ids.forEach((seq, i) => {
    if (seq == null || typeof seq !== "object" || typeof seq.length !== "number") {
      throw new TypeError(`padSequences: ids[${i}] must be an array of numbers, got ${seq === null ? "null" : typeof seq}`);
    }
    for (let j = 0; j < seq.length; j++) if (!fits(seq[j], dtype)) checkValue(`ids[${i}][${j}]`, seq[j], dtype);
  });
  const longest = ids.reduce((m, s) => Math.max(m, s.length), 0);
  const maxLen = options.maxLen ?? longest;
  if (!(Number.isInteger(maxLen) && maxLen >= 0)) throw new RangeError(`padSequences: maxLen must be a non-negative integer, got ${maxLen}`);

  const input = full([ids.length, maxLen], value, { dtype });
  const lengths: number[] = [];
  ids.forEach((seq, i) => {
    const len = Math.min(seq.length, maxLen);
    const from = truncating === "pre" ? seq.length - len : 0;
    const to = i * maxLen + (padding === "pre" ? maxLen - len : 0);
    for (let j = 0; j < len; j++) input.data[to + j] = seq[from + j]!;
    lengths.push(len);
  });
  return { input, lengths };
}

/** A padded batch with the tokens it came from. */
export interface EncodedBatch extends PaddedBatch {
  /** The tokenizer's output for each text, before any truncation. */
  tokens: string[][];
}

/**
 * Tokenizes, encodes and pads a batch of texts in one call:
 * `padSequences(texts.map((t) => vocab.encode(tokenizer.tokenize(t))), padOptions)`.
 *
 * @example
 * const { input, lengths } = encodeBatch(["the cat", "a dog sat"], tokenizer, vocab);
 * const out = embedding.forward(input); // [N, maxLen, E]
 */
export function encodeBatch(texts: readonly string[], tokenizer: Tokenizer, vocab: Vocab, padOptions: PadSequencesOptions = {}): EncodedBatch {
  if (!Array.isArray(texts)) throw new TypeError(`encodeBatch: texts must be an array of strings, got ${texts === null ? "null" : typeof texts}`);
  const tokens = texts.map((text, i) => {
    if (typeof text !== "string") throw new TypeError(`encodeBatch: texts[${i}] must be a string, got ${text === null ? "null" : typeof text}`);
    return tokenizer.tokenize(text);
  });
  return { ...padSequences(tokens.map((t) => vocab.encode(t)), padOptions), tokens };
}

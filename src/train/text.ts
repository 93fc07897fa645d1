/**
 * Turning labelled texts into a training problem, as `seqtorch train` does it: labels to class
 * indices or numbers, texts to token ids over a vocabulary built from the training part only, and
 * the text model that fits them. Browser-safe.
 */
import { trainValSplit, type Split } from "../data/loader.js";
import { checkColumns, selectRow, toNumber, toNumbers } from "../data/table.js";
import { oneLine } from "../message.js";
import { SequenceRegressor, TextClassifier, type SequenceEncoderOptions } from "../models/text.js";
import type { TextModel } from "../models/bundle.js";
import type { Tokenizer } from "../text/tokenizer.js";
import { Vocab } from "../text/vocab.js";
import { PackedSequences, type EncodedDataset, type IdArray, type Task } from "./fit.js";

export interface EncodeLabelsOptions {
  task: Task;
  /** The label column's name: named in errors, and the target name of a regression (default "label"). */
  column?: string;
  /**
   * Classification only: the known classes by index, e.g. a trained model's `labels`; a label not
   * among them is an error. Default: the distinct labels, sorted, of which there must be two or more.
   */
  classes?: readonly string[];
}

export interface EncodedLabels {
  /** Class names by index (classification), or the one target name (regression): a bundle's `labels`. */
  labels: string[];
  /** The class index of each example (classification), or its value (regression). */
  targets: number[];
}

/**
 * Encodes label strings as training targets.
 *
 * Classification: the classes are the distinct labels sorted by code unit (so the same data always
 * gives the same class indices), or `options.classes` when given; each label becomes its class
 * index. Fewer than two classes, or a label outside `options.classes`, is an error.
 * Regression: each label is parsed as a finite number (an error names the first row that is not).
 *
 * @example
 * encodeLabels(["pos", "neg", "pos"], { task: "classification" }); // { labels: ["neg", "pos"], targets: [1, 0, 1] }
 * encodeLabels(["1.5", "-2"], { task: "regression", column: "score" }); // { labels: ["score"], targets: [1.5, -2] }
 */
export function encodeLabels(raw: readonly string[], options: EncodeLabelsOptions): EncodedLabels {
  const column = options.column ?? "label";
  if (options.task === "regression") return { labels: [column], targets: toNumbers(raw) };
  if (options.task !== "classification") throw new Error(`encodeLabels: unknown task ${JSON.stringify(options.task)}`);
  let labels: string[];
  if (options.classes) {
    labels = [...options.classes];
    const known = new Set(labels);
    const unknown = [...new Set(raw.filter((l) => !known.has(l)))];
    if (unknown.length) {
      throw new Error(`labels not known to the model: ${unknown.slice(0, 5).map((l) => JSON.stringify(l)).join(", ")}${unknown.length > 5 ? ", ..." : ""} (the model knows ${oneLine(labels.join(", "))})`);
    }
  } else {
    labels = [...new Set(raw)].sort();
    if (labels.length < 2) {
      throw new Error(`label column "${column}" has only one class (${JSON.stringify(labels[0] ?? "")}); a classifier needs at least two`);
    }
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  return { labels, targets: raw.map((l) => index.get(l)!) };
}

export interface EncodeTextSplitOptions {
  tokenizer: Tokenizer;
  /** Drop tokens seen fewer times in the training part (default 1). */
  minFreq?: number;
  /** The largest vocabulary, specials included (default: no limit). */
  maxVocab?: number;
  /** Keep only the first `maxLen` tokens of each text (default: all). */
  maxLen?: number | null;
}

/**
 * Tokenizes `texts`, builds the vocabulary from the training examples only (so validation words
 * the model never trained on map to `<unk>`, as they would in use), and encodes both parts as
 * datasets for `fit`, with `targets[i]` as example i's target.
 *
 * @example
 * const split = data.trainValSplit(texts.length, { valFraction: 0.1 });
 * const { vocab, train, val } = encodeTextSplit(texts, targets, split, { tokenizer: text.createTokenizer("char") });
 */
export function encodeTextSplit(
  texts: readonly string[],
  targets: readonly number[] | readonly number[][],
  split: { train: readonly number[]; val: readonly number[] },
  options: EncodeTextSplitOptions,
): { vocab: Vocab; train: EncodedDataset<number[][]>; val: EncodedDataset<number[][]> } {
  if (targets.length !== texts.length) throw new Error(`encodeTextSplit: ${texts.length} texts but ${targets.length} targets`);
  const { tokenizer, minFreq = 1, maxVocab = Infinity, maxLen } = options;
  const tokens = texts.map((t) => tokenizer.tokenize(t));
  const vocab = Vocab.build(split.train.map((i) => tokens[i]!), { minFreq, maxSize: maxVocab });
  const encode = (idx: readonly number[]): EncodedDataset<number[][]> => ({
    ids: idx.map((i) => {
      const ids = vocab.encode(tokens[i]!);
      return maxLen ? ids.slice(0, maxLen) : ids;
    }),
    targets: idx.map((i) => targets[i]!) as number[] | number[][],
  });
  return { vocab, train: encode(split.train), val: encode(split.val) };
}

export interface EncodeTextRowsOptions extends EncodeTextSplitOptions {
  task: Task;
  /** The column holding the text. Default "text". */
  textCol?: string;
  /** The column holding the label. Default "label"; also the target name of a regression. */
  labelCol?: string;
  /** Share of the examples held out for validation, stratified by label for classification. Default 0.1. */
  valFraction?: number;
  /** Seed of the split. Default 0. */
  seed?: number;
}

/** A table encoded for training by `encodeTextRows`. */
export interface EncodedTextRows {
  /** Class names by index (classification), or the target name (regression). */
  labels: string[];
  vocab: Vocab;
  /** Indices of the training and validation examples among the rows kept. */
  split: Split;
  train: EncodedDataset<PackedSequences>;
  val: EncodedDataset<PackedSequences>;
  /** Rows read, and rows of those skipped because their text was empty, blank or missing. */
  rows: number;
  skipped: number;
}

/** The smallest array type for ids `0 .. size - 1`. */
const idArray = (size: number): new (n: number) => IdArray => (size <= 0x100 ? Uint8Array : size <= 0x10000 ? Uint16Array : Int32Array);
/** A copy of `a` in a new array of `type` and length `n` (by default twice as long). */
function grown<T extends IdArray | Uint32Array | Float64Array>(a: T, type = a.constructor as new (n: number) => T, n = 2 * a.length): T {
  const b = new type(n);
  b.set(a);
  return b;
}

const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;

/**
 * Ids appended end to end in chunks of a million, in the smallest type that holds every id so far:
 * growing never copies the whole (a doubling array needs its old and new copy at once), and
 * `release` lets a reader going front to back free what it has passed.
 */
class IdChunks {
  private chunks: (IdArray | null)[] = [];
  private type: new (n: number) => IdArray = Uint8Array;
  private limit = 0x100;
  length = 0;

  push(id: number): void {
    if (id >= this.limit) {
      this.type = idArray(id + 1);
      this.limit = this.type === Uint16Array ? 0x10000 : 2 ** 31;
      this.chunks = this.chunks.map((c) => grown(c!, this.type, CHUNK));
    }
    const k = this.length >>> CHUNK_BITS;
    if (k === this.chunks.length) this.chunks.push(new this.type(CHUNK));
    this.chunks[k]![this.length++ & (CHUNK - 1)] = id;
  }

  get(j: number): number {
    return this.chunks[j >>> CHUNK_BITS]![j & (CHUNK - 1)]!;
  }

  /** Frees the chunks wholly before position `j`. */
  release(j: number): void {
    for (let k = (j >>> CHUNK_BITS) - 1; k >= 0 && this.chunks[k]; k--) this.chunks[k] = null;
  }
}

/**
 * `selectColumns`, `encodeLabels`, `trainValSplit` and `encodeTextSplit` in one pass over table
 * rows (e.g. from `streamTable`), for data too big to hold as text: each row is tokenized as it
 * arrives, and only its label and its token ids under a provisional vocabulary are kept, in typed
 * arrays. Once the rows are read, the split is drawn, the vocabulary is counted over the training
 * rows and the ids are mapped to it. The result equals those four calls on the same rows (same
 * classes, split, vocabulary, ids and errors), with the ids in `PackedSequences`. Rows without
 * text give an empty result (no labels, empty parts) rather than an error.
 *
 * @example
 * const table = streamTable("reviews.csv");
 * const { labels, vocab, train, val } = await encodeTextRows(table, { task: "classification", tokenizer: createTokenizer("word") });
 */
export async function encodeTextRows(
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
  options: EncodeTextRowsOptions,
): Promise<EncodedTextRows> {
  const { tokenizer, task, textCol = "text", labelCol = "label", minFreq = 1, maxVocab = Infinity, maxLen, valFraction, seed } = options;
  const columns = new Set<string>();
  const tokenIds = new Map<string, number>(); // provisional ids, in order of first appearance
  const labelIds = new Map<string, number>();
  // Per kept row, in arrays grown by doubling: its token count, and its provisional label id (classification) or value (regression).
  let lengths = new Uint32Array(1024);
  let targets = new Float64Array(1024);
  let kept = 0;
  // The provisional ids of the kept rows, end to end.
  const ids = new IdChunks();
  let n = 0;
  let skipped = 0;
  // selectColumns reports a missing column before any row error, and encodeLabels' errors come after both.
  let rowError: unknown;
  let numberError: unknown;
  for await (const record of rows) {
    n++;
    for (const key of Object.keys(record)) columns.add(key);
    let picked: [string, string] | null = null;
    try {
      if (rowError === undefined) picked = selectRow(record, n, textCol, labelCol);
    } catch (err) {
      rowError = err;
    }
    if (rowError !== undefined) {
      if (columns.has(textCol) && columns.has(labelCol)) throw rowError;
      continue;
    }
    if (!picked) {
      skipped++;
      continue;
    }
    const [text, label] = picked;
    if (kept === lengths.length) [lengths, targets] = [grown(lengths), grown(targets)];
    if (task === "regression") {
      try {
        targets[kept] = toNumber(label, kept + 1);
      } catch (err) {
        numberError ??= err;
      }
    } else {
      if (!labelIds.has(label)) labelIds.set(label, labelIds.size);
      targets[kept] = labelIds.get(label)!;
    }
    const tokens = tokenizer.tokenize(text);
    for (const t of tokens) {
      let id = tokenIds.get(t);
      if (id === undefined) tokenIds.set(t, (id = tokenIds.size));
      ids.push(id);
    }
    lengths[kept++] = tokens.length;
  }
  if (n > 0) checkColumns([...columns], [textCol, labelCol]);
  if (numberError !== undefined) throw numberError;
  if (kept === 0) {
    const none = { ids: new PackedSequences(new Uint8Array(0), new Uint32Array(0), new Uint32Array(0)), targets: [] };
    return { labels: [], vocab: new Vocab([]), split: { train: [], val: [] }, train: none, val: none, rows: n, skipped };
  }

  lengths = lengths.subarray(0, kept);
  targets = targets.subarray(0, kept);
  let labels = [labelCol];
  if (task !== "regression") {
    const classes = encodeLabels([...labelIds.keys()], { task, column: labelCol });
    labels = classes.labels;
    targets.forEach((p, i) => (targets[i] = classes.targets[p]!));
  }
  const split = trainValSplit(kept, { valFraction, seed, stratify: task === "classification" ? targets : undefined });
  const isVal = new Uint8Array(kept);
  for (const i of split.val) isVal[i] = 1;
  /** Calls `fn` with each row's ids: `ids[start .. start + len)`. */
  const eachRow = (fn: (i: number, start: number, len: number) => void): void => {
    let start = 0;
    lengths.forEach((len, i) => {
      fn(i, start, len);
      start += len;
    });
  };

  // Vocab.build over the training rows: counts, and ties in order of first appearance there.
  const tokens = [...tokenIds.keys()];
  tokenIds.clear();
  const counts = new Uint32Array(tokens.length);
  const seen: number[] = [];
  eachRow((i, start, len) => {
    if (!isVal[i]) {
      for (let j = start; j < start + len; j++) {
        const id = ids.get(j);
        if (counts[id]++ === 0) seen.push(id);
      }
    }
  });
  const vocab = Vocab.fromCounts(seen.map((p) => [tokens[p]!, counts[p]!] as const), { minFreq, maxSize: maxVocab });
  const finalIds = Int32Array.from(tokens, (t) => vocab.stoi(t));

  // Both parts are views into one array of final ids, cut to maxLen, filled row by row while the
  // provisional ids already read are freed.
  const cap = (len: number): number => (maxLen ? Math.min(len, maxLen) : len);
  const total = lengths.reduce((sum, len) => sum + cap(len), 0);
  const data = new (idArray(vocab.size))(total);
  const [train, val] = [split.train, split.val].map((idx) => ({
    ids: new PackedSequences(data, new Uint32Array(idx.length), new Uint32Array(idx.length)),
    targets: idx.map((i) => targets[i]!),
  }));
  const next = [0, 0];
  let w = 0;
  eachRow((i, start, len) => {
    const { starts, lengths: lens } = (isVal[i] ? val : train).ids;
    const k = next[isVal[i]!]!++;
    starts[k] = w;
    lens[k] = cap(len);
    for (let j = start; j < start + lens[k]!; j++) data[w++] = finalIds[ids.get(j)]!;
    ids.release(start);
  });
  return { labels, vocab, split, train, val, rows: n, skipped };
}

export interface TextModelSpec extends SequenceEncoderOptions {
  task: Task;
  /** Class names (classification: one output per class) or target names (regression: one output each). */
  labels: readonly string[];
}

/**
 * The model for a text task: a `TextClassifier` with one class per label, or a
 * `SequenceRegressor` with one output per target name. The other options go to the encoder.
 *
 * @example
 * const model = buildTextModel({ task: "classification", labels: ["neg", "pos"], vocabSize: vocab.size, cell: "gru" });
 */
export function buildTextModel(spec: TextModelSpec): TextModel {
  const { task, labels, ...encoder } = spec;
  if (task === "classification") return new TextClassifier({ ...encoder, numClasses: labels.length });
  if (task === "regression") return new SequenceRegressor({ ...encoder, numOutputs: labels.length });
  throw new Error(`buildTextModel: unknown task ${JSON.stringify(task)}`);
}

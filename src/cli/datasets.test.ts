import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { readTable } from "../data/node.js";
import { data, text, train } from "../index.js";
import { loadNames, prepareTrainingData } from "./datasets.js";
import type { TrainArgs } from "./train.js";

const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");
const unpack = (ids: train.IdSequences): number[][] => Array.from({ length: ids.length }, (_, i) => Array.from(ids.at(i)!));
const args = { textCol: "text", labelCol: "label", task: "classification", minFreq: 1, valFraction: 0.25, seed: 3, maxLen: 4 } as TrainArgs;

test("--data: what readTable, selectColumns, encodeLabels, trainValSplit and encodeTextSplit gave, and the file's SHA-256", async () => {
  const path = fileURLToPath(new URL("../../test/fixtures/en-reviews.csv", import.meta.url));
  const tokenizer = text.createTokenizer("word");
  const prepared = await prepareTrainingData({ ...args, data: path }, tokenizer);
  const { texts, labels } = data.selectColumns(readTable(path).rows);
  const classes = train.encodeLabels(labels, { task: "classification" });
  const split = data.trainValSplit(texts.length, { valFraction: 0.25, seed: 3, stratify: labels });
  const expected = train.encodeTextSplit(texts, classes.targets, split, { tokenizer, maxLen: 4 });
  expect(prepared.labelNames).toEqual(classes.labels);
  expect(prepared.split).toEqual(split);
  expect(prepared.vocab.toJSON()).toEqual(expected.vocab.toJSON());
  expect([unpack(prepared.trainSet.ids), prepared.trainSet.targets]).toEqual([expected.train.ids, expected.train.targets]);
  expect([unpack(prepared.valSet.ids), prepared.valSet.targets]).toEqual([expected.val.ids, expected.val.targets]);
  expect(prepared.fingerprint).toBe(sha256(readFileSync(path)));
  expect([prepared.description, prepared.rows]).toEqual([`en-reviews.csv (${texts.length} rows)`, texts.length]);
});

test("the embedded names: their fingerprint is the SHA-256 of the JSON of { texts, labels }", async () => {
  const prepared = await prepareTrainingData(args, text.createTokenizer("char"));
  const { texts, labels } = loadNames();
  expect(prepared.fingerprint).toBe(sha256(JSON.stringify({ texts, labels })));
  expect([prepared.rows, prepared.labelNames]).toEqual([texts.length, ["female", "male"]]);
});

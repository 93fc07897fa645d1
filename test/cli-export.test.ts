/**
 * `seqtorch export --format onnx`: the exported file runs in ONNX Runtime and gives the checkpoint
 * model's scores for texts tokenized with the vocabulary file written beside it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, expect, test } from "vitest";
import { models, tensor, text } from "../src/index.js";
import { loadBundle } from "../src/cli/use.js";
import { assertValuesClose } from "./helpers.js";
import { cli, expectCleanError, fixture, summaryOf } from "./cli-helpers.js";

const work = mkdtempSync(join(tmpdir(), "seqtorch-export-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("export writes model.onnx and model.vocab.json; ONNX Runtime gives the checkpoint's scores", async () => {
  const ckpt = join(work, "ckpt");
  const t = cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "1", "--batch-size", "8", "--cell", "gru", "--layers", "2", "--pooling", "mean", "--embedding-dim", "8", "--hidden-size", "8", "--checkpoint", ckpt]);
  expect(t.status, t.stderr).toBe(0);
  const out = join(work, "exported", "model.onnx");
  const r = cli(["export", "--checkpoint", ckpt, "--format", "onnx", "--out", out, "--json"]);
  expect(r.status, r.stderr).toBe(0);
  expect(summaryOf(r)).toMatchObject({ model: out, vocab: join(work, "exported", "model.vocab.json"), opset: 17, task: "classification", inputs: ["tokens", "lengths"], outputs: ["output"] });
  expect(readdirSync(join(work, "exported")).sort()).toEqual(["model.onnx", "model.vocab.json"]);

  // Tokenize with the sidecar alone, as a deployment would, and compare with the checkpoint's model.
  const side = JSON.parse(readFileSync(join(work, "exported", "model.vocab.json"), "utf8"));
  expect(side.labels).toEqual(["neg", "pos"]);
  const tokenizer = text.tokenizerFromJSON(side.tokenizer);
  const vocab = text.Vocab.fromJSON(side.vocab);
  const texts = ["a wonderful and moving film", "dirty and slow", "great"];
  const ids = models.encodeTexts({ tokenizer, vocab, maxLen: side.maxLen }, texts);
  const L = Math.max(...ids.map((s) => s.length));
  const padded = Int32Array.from(ids.flatMap((s) => [...s, ...Array<number>(L - s.length).fill(0)]));
  const lengths = Int32Array.from(ids, (s) => s.length);
  const session = await ort.InferenceSession.create(readFileSync(out));
  const got = await session.run({ tokens: new ort.Tensor("int32", padded, [texts.length, L]), lengths: new ort.Tensor("int32", lengths, [texts.length]) });

  const bundle = await loadBundle(ckpt);
  const want = bundle.model.forward(tensor(padded, [texts.length, L], { dtype: "int32" }), lengths);
  expect([...got.output!.dims]).toEqual([3, 2]);
  assertValuesClose(got.output!.data as Float32Array, want.data, "scores", 2e-5, 1e-4);
});

test("an unknown format or opset is a clean error and writes nothing", () => {
  const ckpt = join(work, "ckpt");
  const out = join(work, "bad", "model.onnx");
  expectCleanError(cli(["export", "--checkpoint", ckpt, "--format", "tflite", "--out", out]), /--format.*'tflite' is invalid\. Allowed choices are pytorch, onnx/);
  expectCleanError(cli(["export", "--checkpoint", ckpt, "--format", "onnx", "--opset", "9", "--out", out]), /opset 9 is not supported; choose one of 14/);
  expect(existsSync(join(work, "bad"))).toBe(false);
});

/**
 * `seqtorch export --format pytorch`: the files it writes, and the results that
 * tools/golden/torch_export.py recorded with PyTorch (test/golden/torch_export.json): PyTorch's
 * logits from the export equal seqtorch's, and torchrun's DistributedDataParallel lowers the loss.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { models, text } from "../src/index.js";
import { loadCheckpoint, loadSafetensorsFile } from "../src/io/node.js";
import { loadBundle } from "../src/cli/use.js";
import { cli, expectCleanError, fixture, root } from "./cli-helpers.js";

const work = mkdtempSync(join(tmpdir(), "seqtorch-export-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const ckpt = join(work, "ckpt");
const out = join(work, "export");
const golden = JSON.parse(readFileSync(join(root, "test/golden/torch_export.json"), "utf8")) as {
  meta: { tolerance: number };
  cases: {
    name: string; task: string; cell: string; tokenizer: string; keys: string[]; files: string[]; idsMatch: boolean | null; logitsMaxAbsDiff: number; logitsMatch: boolean; modelPySha: string;
    ddp: { nproc: number; steps: number; fullLossBefore: number; fullLossAfter: number; lossDecreased: boolean; replicasInSync: boolean };
    roundTrip: { maxAbsDiff: number; match: boolean };
  }[];
};
const train = (dir: string, extra: string[]) =>
  cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "1", "--batch-size", "8", "--val-fraction", "0.25", "--embedding-dim", "6", "--hidden-size", "5", "--checkpoint", dir, "--quiet", ...extra]);
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

beforeAll(() => {
  const t = train(ckpt, ["--tokenizer", "whitespace", "--max-len", "12"]);
  expect(t.status, t.stderr).toBe(0);
  const r = cli(["export", "--checkpoint", ckpt, "--format", "pytorch", "--out", out, "--data", fixture("en-reviews.csv"), "--json"]);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ out, format: "pytorch", tensors: 11 });
}, 60_000);

describe("seqtorch export --format pytorch", () => {
  test("writes the weights under the keys PyTorch's model.py uses, with PyTorch's shapes", async () => {
    expect(readdirSync(out).sort()).toEqual(["config.json", "data.jsonl", "model.py", "model.safetensors", "train_ddp.py", "vocab.json"]);
    const { tensors, metadata } = await loadSafetensorsFile(join(out, "model.safetensors"));
    // The same model (bidirectional one-layer LSTM) in tools/golden/torch_export.py: keys of model.py's state_dict().
    expect(Object.keys(tensors).sort()).toEqual(golden.cases.find((c) => c.name === "lstm_bidirectional_last_whitespace")!.keys);
    const V = (readJson(join(out, "vocab.json")).tokens as string[]).length;
    const shapes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));
    expect(shapes).toMatchObject({
      "encoder.embedding.weight": [V, 6], "encoder.rnn.weight_ih_l0": [20, 6], "encoder.rnn.weight_hh_l0_reverse": [20, 5],
      "encoder.rnn.bias_ih_l0": [20], "head.weight": [2, 10], "head.bias": [2],
    });
    expect(metadata).toMatchObject({ format: "pt" });
    const original = await loadCheckpoint(ckpt);
    for (const [k, t] of Object.entries(original.stateDict)) expect(Array.from(tensors[k]!.data), k).toEqual(Array.from(t.data));
  });

  test("model.py rebuilds the architecture with torch.nn and reads safetensors without the package", () => {
    const py = readFileSync(join(out, "model.py"), "utf8");
    expect(py).toBe(readFileSync(join(root, "python/model.py"), "utf8"));
    for (const s of ["nn.Embedding(", "nn.LSTM", "nn.GRU", "nn.RNN", "pack_padded_sequence(", "pad_packed_sequence(", "nn.Linear(", "nn.Dropout(", "torch.frombuffer(", "def load(directory)", "padding_idx=paddingIdx", "batch_first=True", "enforce_sorted=False"]) {
      expect(py, s).toContain(s);
    }
    expect(py).not.toMatch(/^\s*(import|from) safetensors/m);
    const ddp = readFileSync(join(out, "train_ddp.py"), "utf8");
    for (const s of ["DistributedDataParallel(", "DistributedSampler(", "init_process_group(", "sampler.set_epoch(", "\"gloo\", \"nccl\"", "write_safetensors("]) expect(ddp, s).toContain(s);
  });

  test("vocab.json holds the vocabulary and the tokenizer, and reads back to the same ids", async () => {
    const bundle = await loadBundle(ckpt);
    const vocab = readJson(join(out, "vocab.json"));
    expect(vocab).toMatchObject({ tokenizer: { kind: "whitespace", lowercase: true, keepPunctuation: true }, maxLen: 12, padIndex: 0 });
    const back = { tokenizer: text.tokenizerFromJSON(vocab.tokenizer), vocab: text.Vocab.fromJSON(vocab), maxLen: vocab.maxLen as number };
    expect(back.vocab.tokens).toEqual(bundle.vocab.tokens);
    const texts = ["A wonderful film, the acting was superb", "zzz unknown", "", "one two three four five six seven eight nine ten eleven twelve thirteen"];
    expect(models.encodeTexts(back, texts)).toEqual(models.encodeTexts(bundle, texts));
    // data.jsonl: the file's rows as seqtorch's ids, for train_ddp.py.
    const rows = readFileSync(join(out, "data.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { ids: number[]; label: string });
    expect(rows).toHaveLength(16);
    expect(rows[0]).toEqual({ ids: models.encodeTexts(bundle, ["A wonderful film, the acting was superb"])[0], label: "pos" });
  });

  test("the export is itself a checkpoint seqtorch predicts with", () => {
    const a = cli(["predict", "--checkpoint", ckpt, "--json", "a wonderful film"]);
    const b = cli(["predict", "--checkpoint", out, "--json", "a wonderful film"]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  test("refuses a non-empty --out and leaves it untouched; a failed export leaves nothing behind", () => {
    const before = readFileSync(join(out, "model.safetensors"));
    expectCleanError(cli(["export", "--checkpoint", ckpt, "--format", "pytorch", "--out", out]), /export.*exists and is not empty; choose a new --out/);
    expect(readFileSync(join(out, "model.safetensors")).equals(before)).toBe(true);
    const fresh = join(work, "fresh");
    expectCleanError(cli(["export", "--checkpoint", ckpt, "--format", "pytorch", "--out", fresh, "--data", fixture("en-reviews.csv"), "--label-col", "nope"]), /nope/);
    expect(existsSync(fresh)).toBe(false);
    mkdirSync(join(work, "empty"));
    expect(cli(["export", "--checkpoint", ckpt, "--format", "pytorch", "--out", join(work, "empty")]).status).toBe(0);
    writeFileSync(join(work, "file"), "x");
    expect(cli(["export", "--checkpoint", ckpt, "--format", "pytorch", "--out", join(work, "file", "sub")]).status).not.toBe(0);
    expect(readdirSync(work).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expectCleanError(cli(["export", "--checkpoint", ckpt, "--format", "tflite", "--out", fresh]), /--format.*'tflite' is invalid/);
  });

  test("a seqtorch extension cell has no torch.nn layer and is refused", () => {
    const dir = join(work, "jordan");
    expect(train(dir, ["--cell", "jordan", "--no-bidirectional"]).status).toBe(0);
    expectCleanError(cli(["export", "--checkpoint", dir, "--format", "pytorch", "--out", join(work, "jordan-out")]), /cannot export cell "jordan" to PyTorch.*exportable: rnn, rnn-relu, lstm, gru/);
    expect(existsSync(join(work, "jordan-out"))).toBe(false);
  }, 30_000);
});

describe("recorded with PyTorch by tools/golden/torch_export.py", () => {
  test("covers LSTM, GRU and RNN; classification and regression; the whitespace, char and word tokenizers; the current model.py", () => {
    expect(golden.cases.map((c) => [c.task, c.cell, c.tokenizer])).toEqual([
      ["classification", "lstm", "whitespace"], ["classification", "gru", "char"], ["regression", "lstm", "whitespace"], ["classification", "rnn", "word"],
    ]);
    const sha = createHash("sha256").update(readFileSync(join(root, "python/model.py"))).digest("hex");
    for (const c of golden.cases) expect(c.modelPySha, `${c.name}: rerun tools/golden/torch_export.py after changing python/model.py`).toBe(sha);
  });

  test.each(golden.cases.map((c) => [c.name, c] as const))("%s: PyTorch's logits match, model.py's tokenizer gives seqtorch's ids", (_, c) => {
    expect(c.logitsMatch).toBe(true);
    expect(c.logitsMaxAbsDiff).toBeLessThan(golden.meta.tolerance);
    expect(c.idsMatch).toBe(c.tokenizer === "word" ? null : true);
    expect(c.files).toContain("model.py");
  });

  test.each(golden.cases.map((c) => [c.name, c] as const))("%s: torchrun DDP on 2 processes lowered the loss, and seqtorch loads the result", (_, c) => {
    expect(c.ddp).toMatchObject({ nproc: 2, lossDecreased: true, replicasInSync: true });
    expect(c.ddp.steps).toBeGreaterThan(10);
    expect(c.ddp.fullLossAfter).toBeLessThan(c.ddp.fullLossBefore);
    expect(c.roundTrip.match).toBe(true);
    expect(c.roundTrip.maxAbsDiff).toBeLessThan(golden.meta.tolerance);
  });
});

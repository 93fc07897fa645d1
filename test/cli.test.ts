/**
 * The `seqtorch` command end to end, as a user runs it: a child process on the TypeScript sources.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cli, expectCleanError, fixture, main, root } from "./cli-helpers.js";

const work = mkdtempSync(join(tmpdir(), "seqtorch-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const enCkpt = join(work, "en");

describe("train, predict, eval, params on a user's CSV", () => {
  test("train writes a checkpoint and reports metrics", () => {
    const r = cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "4", "--batch-size", "4", "--val-fraction", "0.25", "--checkpoint", enCkpt, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(summary.checkpoint).toBe(enCkpt);
    expect(summary.labels).toEqual(["neg", "pos"]);
    expect(summary.valAccuracy).toBeGreaterThanOrEqual(0);
    expect(summary.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(4);
    expect(readdirSync(enCkpt).sort()).toEqual(["config.json", "curves.svg", "model.safetensors", "run.json", "training-state.json", "training-state.safetensors", "vocab.json"]);
    expect(readFileSync(join(enCkpt, "curves.svg"), "utf8")).toMatch(/^<svg[^>]*xmlns=/);
    const config = JSON.parse(readFileSync(join(enCkpt, "config.json"), "utf8"));
    expect(config.format).toBe("seqtorch-text-model");
    expect(config.tokenizer.kind).toBe("word");
  });

  test("text output shows epochs, a confusion matrix and the accuracy line", () => {
    const r = cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "2", "--batch-size", "8", "--val-fraction", "0.25", "--checkpoint", join(work, "en-text")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch 1\/2 .*train loss .*val loss/);
    expect(r.stdout).toMatch(/true \\ pred\s+neg\s+pos/);
    expect(r.stdout).toMatch(/validation accuracy \d+\.\d% \(majority baseline 50\.0%\)/);
  });

  test("--scheduler sets the learning rate per epoch; a bad choice is a clean error", () => {
    const r = cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "3", "--batch-size", "8", "--lr", "0.01", "--scheduler", "step", "--step-size", "1", "--gamma", "0.5", "--checkpoint", join(work, "en-sched"), "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").pop()!).lrs).toEqual([0.01, 0.005, 0.0025]);
    const t = cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "1", "--batch-size", "8", "--scheduler", "onecycle", "--checkpoint", join(work, "en-sched"), "--overwrite"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/\(onecycle schedule\)/);
    expect(t.stdout).toMatch(/epoch 1\/1 .*\|  lr \d/);
    expectCleanError(cli(["train", "--scheduler", "warm"]), /--scheduler.*'warm' is invalid. Allowed choices are none, step, cosine, plateau, onecycle/);
  });

  test("predict labels arguments and standard input", () => {
    const r = cli(["predict", "--checkpoint", enCkpt, "a wonderful and moving film", "dirty and slow"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^(neg|pos)\t0\.\d{3}\t/);
    const j = cli(["predict", "--checkpoint", enCkpt, "--json"], "great food\nterrible service\n");
    const rows = j.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((x) => x.text)).toEqual(["great food", "terrible service"]);
    for (const row of rows) {
      expect(["neg", "pos"]).toContain(row.label);
      expect(row.probability).toBeCloseTo(row.scores[row.label], 6);
      expect(row.scores.neg + row.scores.pos).toBeCloseTo(1, 5);
    }
  });

  test("eval and params", () => {
    const e = cli(["eval", "--checkpoint", enCkpt, "--data", fixture("en-reviews.csv"), "--json"]);
    expect(e.status, e.stderr).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.examples).toBe(16);
    expect(m.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(16);
    const p = cli(["params", "--checkpoint", enCkpt]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/encoder\.rnn\.weight_ih_l0_reverse/);
    expect(p.stdout).toMatch(/PyTorch counts [\d,]+; the one-bias formula G\(\(X\+H\)H\+H\) gives [\d,]+/);
  });
});

describe("a Chinese example through word segmentation", () => {
  test("trains, evaluates and predicts on segmented Chinese text", () => {
    const dir = join(work, "zh");
    const t = cli(["train", "--data", fixture("zh-reviews.csv"), "--locale", "zh", "--epochs", "15", "--batch-size", "4", "--val-fraction", "0.2", "--checkpoint", dir, "--json", "--seed", "1"]);
    expect(t.status, t.stderr).toBe(0);
    const vocab = JSON.parse(readFileSync(join(dir, "vocab.json"), "utf8")).tokens as string[];
    // Words, not characters: the segmenter keeps 电影 and 质量 whole.
    expect(vocab.some((w) => w.length >= 2 && /\p{Script=Han}/u.test(w))).toBe(true);
    const e = cli(["eval", "--checkpoint", dir, "--data", fixture("zh-reviews.csv"), "--json"]);
    expect(JSON.parse(e.stdout).accuracy).toBeGreaterThanOrEqual(0.75);
    const p = cli(["predict", "--checkpoint", dir, "服务态度很差，非常失望"]);
    expect(p.stdout).toMatch(/^(好评|差评)\t0\.\d{3}\t服务态度很差，非常失望\n$/);
  });
});

describe("bad input gets one line and a non-zero exit", () => {
  test("missing file", () => expectCleanError(cli(["train", "--data", join(work, "nope.csv")]), /file not found: .*nope\.csv/));
  test("empty file", () => {
    const f = join(work, "empty.csv");
    writeFileSync(f, "");
    expectCleanError(cli(["train", "--data", f]), /file is empty/);
  });
  test("missing column", () =>
    expectCleanError(cli(["train", "--data", fixture("en-reviews.csv"), "--label-col", "sentiment"]), /column "sentiment" not found; available columns: text, label/));
  test("a label column with one class", () => {
    const f = join(work, "one.csv");
    writeFileSync(f, "text,label\nhello,a\nworld,a\n");
    expectCleanError(cli(["train", "--data", f]), /only one class \("a"\)/);
  });
  test("undecodable text", () => {
    const f = join(work, "bad.csv");
    writeFileSync(f, Buffer.from([0x74, 0x65, 0x78, 0x74, 0x0a, 0xff, 0xfe, 0xc3, 0x28]));
    expectCleanError(cli(["train", "--data", f]), /not valid UTF-8/);
  });
  test("a checkpoint from a different model", () => {
    const dir = join(work, "changed");
    cpSync(enCkpt, dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    config.model.hiddenSize += 1;
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    expectCleanError(cli(["predict", "--checkpoint", dir, "hello"]), /weights do not fit the model .*size mismatch/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ hello: 1 }));
    expectCleanError(cli(["predict", "--checkpoint", dir, "hello"]), /not a seqtorch text model/);
  });
  test("a missing checkpoint and a bad option", () => {
    expectCleanError(cli(["predict", "--checkpoint", join(work, "none"), "x"]), /does not exist/);
    expectCleanError(cli(["train", "--epochs", "zero"]), /--epochs must be an integer/);
  });
  test("a diverging run fails cleanly and leaves the saved checkpoint untouched", () => {
    const dir = join(work, "keep");
    cpSync(enCkpt, dir, { recursive: true });
    const before = readFileSync(join(dir, "model.safetensors"));
    const r = cli(["train", "--data", fixture("en-reviews.csv"), "--epochs", "3", "--batch-size", "2", "--val-fraction", "0.25", "--lr", "1e300", "--checkpoint", dir, "--overwrite"]);
    expectCleanError(r, /training diverged at epoch \d+, batch \d+: .*(non-finite loss or gradient|times its reference|weight reached).*; the checkpoint in .*keep is intact \(run [0-9a-f]{8}, epoch \d, validation accuracy \d+\.\d%\)$/);
    expect(readFileSync(join(dir, "model.safetensors")).equals(before)).toBe(true);
  });
});

test("Ctrl-C stops training and leaves the best checkpoint intact", async () => {
  const dir = join(work, "interrupted");
  const child = spawn(process.execPath, ["--import", "tsx", main, "train", "--data", fixture("en-reviews.csv"), "--epochs", "100000", "--batch-size", "2", "--checkpoint", dir], { cwd: root });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const status = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if ((out.match(/\* best, saved/g) ?? []).length >= 1 && /epoch\s+3\//.test(out) && !child.killed) child.kill("SIGINT");
    });
    child.on("exit", (code) => resolve(code));
  });
  expect(status, err).toBe(0);
  expect(out).toMatch(/stopped by Ctrl-C; the best checkpoint \(run [0-9a-f]{8}, epoch \d+, validation accuracy .*\) is intact, and the run's state is saved: continue it with seqtorch train --resume .*interrupted$/m);
  expect(existsSync(join(dir, "model.safetensors"))).toBe(true);
  expect(readdirSync(join(dir, "..")).filter((n) => n.includes(".tmp-") || n.includes(".old-"))).toEqual([]);
  const p = cli(["predict", "--checkpoint", dir, "great"]);
  expect(p.status, p.stderr).toBe(0);
}, 60_000);

test("the default job (npm start) learns the embedded names: over 80% after two epochs", () => {
  const r = cli(["train", "--epochs", "2", "--json", "--checkpoint", join(work, "names")]);
  expect(r.status, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout.trim().split("\n").pop()!);
  expect(summary.labels).toEqual(["female", "male"]);
  expect(summary.majorityBaseline).toBeCloseTo(0.559, 3);
  expect(summary.valAccuracy).toBeGreaterThan(0.8);
}, 120_000);

describe("the gradient lab commands", () => {
  test("gradflow writes the plot and the numbers: the tanh RNN's gradient vanishes, the LSTM's does not", () => {
    const out = join(work, "gradflow");
    const r = cli(["gradflow", "--cells", "rnn,lstm,gru", "--length", "100", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rnn\s+at the loss .*\(-\d+\.\d orders of magnitude\)/m);
    const svg = readFileSync(join(out, "gradflow.svg"), "utf8");
    expect(svg).toMatch(/^<svg/);
    expect((svg.match(/<polyline/g) ?? []).length).toBeGreaterThanOrEqual(3);
    const data = JSON.parse(readFileSync(join(out, "gradflow.json"), "utf8"));
    const byCell = Object.fromEntries(data.cells.map((c: { cell: string; decay: number }) => [c.cell, c.decay]));
    expect(byCell.rnn).toBeLessThan(1e-10);
    expect(byCell.lstm).toBeGreaterThan(1e-3);
  });

  test("gradflow shows explosion and what clipping does to the update", () => {
    const r = cli(["gradflow", "--cells", "rnn", "--length", "60", "--init-scale", "3", "--clip-norm", "1", "--json", "--out", join(work, "gf-explode")]);
    expect(r.status, r.stderr).toBe(0);
    const [cell] = JSON.parse(r.stdout).cells;
    expect(cell.decay).toBeGreaterThan(10);
    expect(cell.gradNormClipped).toBeCloseTo(1, 3);
  });

  test("lab trains on the adding problem and reports against the baseline", () => {
    const r = cli(["lab", "adding", "--cell", "gru", "--length", "10", "--hidden-size", "16", "--steps", "60", "--threads", "1", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.steps).toBe(60);
    expect(s.baseline).toBeCloseTo(1 / 6, 10);
    expect(Number.isFinite(s.testLoss)).toBe(true);
    expectCleanError(cli(["lab", "sorting"]), /the task must be adding or copy/);
    expectCleanError(cli(["gradflow", "--cells", "rnn,tcn"]), /unknown cell "tcn"/);
  });
});

describe("the cell table on the command line", () => {
  test("seqtorch cells lists every kind of the table, and --cell takes exactly those", () => {
    const r = cli(["cells", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { kind: string; layer: string; fused: boolean; parameters: string[] }[];
    expect(rows.map((x) => x.kind)).toEqual(["rnn", "rnn-relu", "rnn-leaky", "lstm", "gru", "jordan"]);
    expect(rows.find((x) => x.kind === "jordan")).toMatchObject({ layer: "JordanRNN", fused: false, parameters: ["weight_ih", "weight_hy", "bias_ih", "bias_hy", "weight_o", "bias_o"] });
    expect(rows.find((x) => x.kind === "lstm")).toMatchObject({ layer: "LSTM", fused: true });
    const bad = cli(["train", "--cell", "peephole", "--epochs", "1"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are rnn, rnn-relu, rnn-leaky, lstm, gru, jordan/);
    const lab = cli(["gradflow", "--cells", "lstm,peephole"]);
    expectCleanError(lab, /unknown cell "peephole"; choose from rnn, rnn-relu, rnn-leaky, lstm, gru, jordan/);
  });
});

describe("a checkpoint is checked before it is used", () => {
  /** A copy of the trained checkpoint with config.json edited; returns its directory. */
  function edited(name: string, edit: (config: any) => void): string {
    const dir = join(work, `checked-${name}`);
    cpSync(enCkpt, dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    edit(config);
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    return dir;
  }
  const configLine = (dir: string, detail: string): RegExp => new RegExp(`^seqtorch: ${join(dir, "config.json").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${detail}$`);

  test("sizes that do not fit the weights fail fast, naming the tensor, without building the model", () => {
    const cases: [string, (c: any) => void, RegExp][] = [
      ["hidden", (c) => (c.model.hiddenSize = 20000), /model\.safetensors: the weights do not fit the model described by config\.json: size mismatch for "encoder\.rnn\.weight_ih_l0".*\(check .*hiddenSize/],
      ["embed", (c) => (c.model.embeddingDim = 1e8), /size mismatch for "encoder\.embedding\.weight"/],
      ["layers", (c) => (c.model.numLayers = 1e9), /missing tensor "encoder\.rnn\.weight_ih_l1"/],
      ["classes", (c) => (c.model.numClasses = 1e8), /config\.json: numClasses must be the number of labels \(2\), got 100000000/],
      ["labels", (c) => { c.labels = Array.from({ length: 1e4 }, (_, i) => `l${i}`); c.model.numClasses = 1e4; }, /size mismatch for "head\.weight": the file has \[2, \d+\], config\.json implies \[10000, \d+\]/],
    ];
    for (const [name, edit, message] of cases) {
      const t0 = performance.now();
      const r = cli(["predict", "--checkpoint", edited(name, edit), "hello"]);
      expectCleanError(r, message);
      expect(performance.now() - t0).toBeLessThan(15_000);
    }
  }, 120_000);

  test("bad fields are one line naming config.json and the field", () => {
    const cases: [string, (c: any) => void, string][] = [
      ["str", (c) => (c.model.hiddenSize = "8"), `hiddenSize must be a positive integer, got "8"`],
      ["huge", (c) => (c.model.hiddenSize = 1e300), `hiddenSize must be a positive integer, got 1e\\+300`],
      ["nolabels", (c) => (c.labels = []), `labels must be a list of at least 2 distinct non-empty strings, got \\[\\]`],
      ["duplabels", (c) => (c.labels = ["pos", "pos"]), `labels\\[1\\] must be distinct from the others \\("pos" appears twice\\)`],
      ["negmax", (c) => (c.maxLen = -1), `maxLen must be a positive integer, got -1`],
    ];
    for (const [name, edit, detail] of cases) {
      const dir = edited(name, edit);
      expectCleanError(cli(["predict", "--checkpoint", dir, "hello"]), configLine(dir, detail));
    }
    const dir = edited("evalmax", (c) => (c.maxLen = "10"));
    expectCleanError(cli(["eval", "--checkpoint", dir, "--data", fixture("en-reviews.csv")]), configLine(dir, `maxLen must be a positive integer, got "10"`));
  }, 120_000);

  test("a NaN weight is refused by predict and eval, naming the tensor and the index", () => {
    const dir = edited("nan", () => undefined);
    const file = join(dir, "model.safetensors");
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
    const [first] = Object.entries(header).find(([k, v]: [string, any]) => k !== "__metadata__" && v.data_offsets[0] === 0)!;
    bytes.writeFloatLE(NaN, 8 + n + 4 * 5);
    writeFileSync(file, bytes);
    const message = new RegExp(`model\\.safetensors: tensor "${first.replace(/\./g, "\\.")}" contains NaN at flat index 5; the weights are unusable$`);
    expectCleanError(cli(["predict", "--checkpoint", dir, "--json", "hello"]), message);
    expectCleanError(cli(["eval", "--checkpoint", dir, "--data", fixture("en-reviews.csv")]), message);
  });
});

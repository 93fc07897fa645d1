/**
 * `seqtorch train` across runs: a directory holding a model is refused, resumed or competed for,
 * never replaced by a worse model, owned by one run at a time, and repaired after a killed save.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cli, expectCleanError, fixture, main, root, summaryOf } from "./cli-helpers.js";

const work = mkdtempSync(join(tmpdir(), "seqtorch-runs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const data = ["--data", fixture("en-reviews.csv"), "--batch-size", "4", "--val-fraction", "0.25", "--hidden-size", "16", "--embedding-dim", "8"];
const train = (dir: string, ...more: string[]) => cli(["train", ...data, "--checkpoint", dir, "--json", ...more]);
const bytes = (dir: string, name = "model.safetensors"): Buffer => readFileSync(join(dir, name));
const leftovers = (dir: string): string[] => readdirSync(join(dir, "..")).filter((n) => /\.(tmp|old)-|\.lock/.test(n));

describe("a directory that holds a model", () => {
  const first = join(work, "first");

  test("is refused without --resume or --overwrite, naming both and what it holds", () => {
    expect(train(first, "--epochs", "2").status).toBe(0);
    const r = train(first, "--epochs", "2");
    expect(r.status).toBe(2);
    expectCleanError(r, /first already holds a model \(run [0-9a-f]{8}, epoch \d, validation accuracy \d+\.\d%\); continue its run with --resume, start a new run there with --overwrite \(the model is replaced only by a better one\), or choose another --checkpoint directory$/);
    expectCleanError(train(first, "--resume", "--overwrite"), /--resume and --overwrite exclude each other/);
    expectCleanError(train(join(work, "empty"), "--resume"), /cannot resume: .*empty holds no checkpoint/);
  });

  test("--resume after epoch k gives the uninterrupted run's model and state, byte for byte", () => {
    const whole = join(work, "whole");
    const parts = join(work, "parts");
    const w = train(whole, "--epochs", "4", "--dropout", "0.2", "--scheduler", "step", "--step-size", "1");
    expect(w.status, w.stderr).toBe(0);
    expect(train(parts, "--epochs", "2", "--dropout", "0.2", "--scheduler", "step", "--step-size", "1").status).toBe(0);
    // The run's options come from the directory; only --epochs (and output options) may change.
    const r = cli(["train", "--resume", parts, "--epochs", "4", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ["model.safetensors", "training-state.safetensors", "training-state.json"]) expect(bytes(parts, f).equals(bytes(whole, f)), f).toBe(true);
    const [a, b] = [summaryOf(w), summaryOf(r)];
    expect(b.runId).toBe(JSON.parse(readFileSync(join(parts, "run.json"), "utf8")).runId);
    expect([b.bestEpoch, b.valAccuracy, b.lrs, b.epochs]).toEqual([a.bestEpoch, a.valAccuracy, a.lrs, 4]);
    expectCleanError(cli(["train", "--resume", parts, "--lr", "0.5"]), /--resume continues the run with its own options, but --lr 0\.5 differs from the run's 0\.003/);
    expectCleanError(cli(["train", "--resume", parts]), /has finished its 4 epochs; give --epochs above 4/);
  });

  test("--overwrite: a worse or diverging run never replaces the better model; a better one does", () => {
    const dir = join(work, "best");
    expect(train(dir, "--epochs", "6", "--lr", "0.01").status).toBe(0);
    const saved = bytes(dir);
    const diverging = train(dir, "--overwrite", "--epochs", "3", "--lr", "1e6", "--optimizer", "sgd");
    expectCleanError(diverging, /training diverged .*; the checkpoint in .*best is intact \(run [0-9a-f]{8}, epoch \d/);
    expect(bytes(dir).equals(saved)).toBe(true);
    const worse = train(dir, "--overwrite", "--epochs", "1", "--lr", "1e-5");
    expect(worse.status, worse.stderr).toBe(0);
    const s = summaryOf(worse);
    expect(s.bestRunId).not.toBe(s.runId);
    expect(bytes(dir).equals(saved)).toBe(true);
    // The directory now holds the new run's resumable state beside the kept model.
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).runId).toBe(s.runId);
    expect(leftovers(dir)).toEqual([]);
    // On other data the scores are not comparable, so the new run's model replaces the old one.
    const other = cli(["train", "--data", fixture("en-reviews.csv"), "--val-fraction", "0.5", "--batch-size", "4", "--epochs", "1", "--checkpoint", dir, "--overwrite"]);
    expect(other.status, other.stderr).toBe(0);
    expect(other.stdout).toMatch(/was scored on other data; this run replaces it/);
    expect(bytes(dir).equals(saved)).toBe(false);
  });

  test("a folder of other files is never replaced", () => {
    const dir = join(work, "mine");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "keep me");
    expectCleanError(train(dir, "--epochs", "1", "--overwrite"), /mine holds other files \(notes\.txt\), not a seqtorch checkpoint; choose another --checkpoint directory/);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("keep me");
  });
});

describe("output locations and interrupted saves", () => {
  test("a checkpoint path under a file fails at once, before any data is read", () => {
    const file = join(work, "a-file");
    writeFileSync(file, "x");
    expectCleanError(train(join(file, "ckpt"), "--epochs", "1"), /^seqtorch: cannot write the checkpoint to .*a-file\/ckpt: .*a-file is a file, not a directory$/);
    expectCleanError(train(file, "--epochs", "1"), /a-file is a file, not a directory$/);
  });

  test.skipIf(process.getuid?.() === 0)("a read-only parent fails at once", () => {
    const ro = join(work, "ro");
    mkdirSync(ro, { mode: 0o555 });
    expectCleanError(train(join(ro, "ckpt"), "--epochs", "1"), /cannot write the checkpoint to .*ro\/ckpt: .*ro is not writable$/);
  });

  test("a save killed between its renames is recovered by the next run, and stale folders are removed", () => {
    const src = join(work, "src");
    expect(train(src, "--epochs", "1").status).toBe(0);
    const dir = join(work, "killed");
    const deadPid = 2 ** 22 + 12345; // above the default pid_max: no process has it
    cpSync(src, `${dir}.old-${deadPid}-0a0b0c`, { recursive: true });
    mkdirSync(`${dir}.tmp-${deadPid}-0d0e0f`);
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), started: "2026-01-01T00:00:00.000Z" }));
    const r = cli(["train", "--resume", dir, "--epochs", "2"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recovered .*killed from killed\.old-\d+-0a0b0c, left by a save that was interrupted/);
    expect(r.stdout).toMatch(/removed 1 temporary folder left by interrupted runs/);
    expect(r.stdout).toMatch(/resuming run [0-9a-f]{8} after epoch 1/);
    expect(leftovers(dir)).toEqual([]);
  });
});

test("a second run into a directory in use fails at once, naming the owner; Ctrl-C leaves a resumable state", async () => {
  const dir = join(work, "busy");
  const child = spawn(process.execPath, ["--import", "tsx", main, "train", ...data, "--epochs", "100000", "--checkpoint", dir], { cwd: root });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => /epoch\s+2\//.test(out) && (clearInterval(poll), resolve()), 50);
  });
  expectCleanError(train(dir, "--epochs", "1", "--overwrite"), new RegExp(`busy is in use by another run \\(pid ${child.pid} on .*\\); wait for it to finish, or choose another directory$`));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(out).toMatch(/continue it with seqtorch train --resume .*busy$/m);
  const state = JSON.parse(readFileSync(join(dir, "training-state.json"), "utf8"));
  expect(state.epoch).toBeGreaterThanOrEqual(2);
  expect(existsSync(`${dir}.lock`)).toBe(false);
  // Wherever Ctrl-C landed (mid-epoch, usually), the resumed run ends as an uninterrupted one.
  const epochs = String(state.epoch + 1);
  expect(cli(["train", "--resume", dir, "--epochs", epochs, "--quiet"]).status).toBe(0);
  const whole = join(work, "busy-whole");
  expect(train(whole, "--epochs", epochs).status).toBe(0);
  expect(bytes(dir).equals(bytes(whole))).toBe(true);
}, 60_000);

test("a bare `seqtorch` (npm start) runs again over its own earlier model", () => {
  const cwd = join(work, "start");
  mkdirSync(cwd);
  // An earlier model of the main job in cwd/checkpoints/names.
  const r = cli(["train", "--epochs", "1", "--json", "--checkpoint", join(cwd, "checkpoints", "names")]);
  expect(r.status, r.stderr).toBe(0);
  const again = cli([], undefined, cwd);
  expect(again.status, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/keeping the model in .*names \(run [0-9a-f]{8}, epoch 1, .*\) unless this run beats it/);
  expect(again.stdout).toMatch(/validation accuracy/);
}, 120_000);

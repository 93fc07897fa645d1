// The kill test (`npm run test:kill`): SIGKILLs `seqtorch train` at random moments, mid-save among
// them, and checks after every kill that the checkpoint directory loads (after the recovery the
// next run does), holds a model and the state of the last epoch the run reported as saved, and that
// the next run resumes it. At the end no temporary folder, old copy or lock may be left.
//
//   node tools/kill-test.mjs [--rounds 50] [--seed 1] [--keep]
//
// Runs against the built package (dist/; `npm run build` first). Exits 1 on any failed round.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: "string", default: "50" }, seed: { type: "string", default: "1" }, keep: { type: "boolean", default: false } } });
const rounds = Number(values.rounds);
const { loadCheckpoint, recoverCheckpoint } = await import(join(root, "dist/io/node.js"));
const { models, train: tr, io } = await import(join(root, "dist/index.js"));

// A small seeded generator for the kill moments (mulberry32), so a failing schedule can be rerun.
let s = Number(values.seed) >>> 0;
const random = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const work = mkdtempSync(join(tmpdir(), "seqtorch-kill-"));
const dir = join(work, "ckpt");
const leftovers = () => readdirSync(work).filter((n) => n !== "ckpt");
const data = join(root, "test/fixtures/en-reviews.csv");
const options = ["--data", data, "--epochs", "1000000", "--batch-size", "4", "--hidden-size", "16", "--embedding-dim", "8", "--val-fraction", "0.25"];

/** Starts a run, kills it `delayMs` after its first epoch line (or at `delayMs` if it never prints one), returns what it printed. */
function runAndKill(args, delayMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "dist/cli/main.js"), "train", ...args], { cwd: work });
    let out = "";
    let err = "";
    let timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    // The kill comes delayMs after the run took its directory (its lock file exists).
    const poll = setInterval(() => {
      if (existsSync(`${dir}.lock`)) {
        clearInterval(poll);
        clearTimeout(timer);
        timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    }, 2);
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

const savedEpoch = () => {
  try {
    return JSON.parse(readFileSync(join(dir, "training-state.json"), "utf8")).epoch;
  } catch {
    return 0;
  }
};

const failures = [];
const counts = { killed: 0, midSave: 0, betweenRenames: 0, beforeFirstSave: 0, resumed: 0 };
let lastEpoch = 0; // the epoch of the state after the previous round
for (let round = 1; round <= rounds; round++) {
  const resume = existsSync(join(dir, "config.json")) || leftovers().some((n) => n.startsWith("ckpt.old-"));
  const delay = Math.floor(random() * 1500);
  const r = await runAndKill(resume ? ["--resume", dir] : ["--checkpoint", dir, ...options], delay);
  if (r.signal !== "SIGKILL") {
    failures.push(`round ${round}: the run ended by itself (code ${r.code}): ${r.err.trim().split("\n").pop()}`);
    continue;
  }
  counts.killed++;
  if (resume) counts.resumed++;
  const left = leftovers();
  if (left.some((n) => /^ckpt\.(tmp|old)-/.test(n))) counts.midSave++;
  if (!existsSync(dir)) {
    if (!left.some((n) => n.startsWith("ckpt.old-"))) {
      if (lastEpoch > 0) failures.push(`round ${round}: the checkpoint is gone and no old copy is left (${left.join(", ")})`);
      counts.beforeFirstSave++;
      continue;
    }
    counts.betweenRenames++;
    await recoverCheckpoint(dir); // what the next run does first
  }
  try {
    const check = (config, shapes) => models.checkWeightShapes(models.checkBundleConfig(config), shapes);
    const bundle = models.bundleFromParts(await loadCheckpoint(dir, { check }));
    if (!bundle.model) throw new Error("no model");
    const state = tr.unpackTrainingState(readFileSync(join(dir, "training-state.json"), "utf8"), io.parseSafetensors(new Uint8Array(readFileSync(join(dir, "training-state.safetensors")))).tensors);
    // An epoch line is printed after its save completed: the state holds that epoch, or the next
    // one when the kill came between a save and its line.
    const reported = Math.max(lastEpoch, ...[...r.out.matchAll(/^epoch\s+(\d+)\//gm)].map((m) => Number(m[1])));
    if (state.epoch < reported || state.epoch > reported + 1) throw new Error(`the state holds epoch ${state.epoch}, but the last epoch reported saved was ${reported}`);
    lastEpoch = state.epoch;
  } catch (e) {
    failures.push(`round ${round} (killed ${delay} ms in): ${e.message}`);
  }
}

// A last run that finishes: it must recover whatever is left and leave nothing behind.
const last = await new Promise((resolve) => {
  const child = spawn(process.execPath, [join(root, "dist/cli/main.js"), "train", "--resume", dir, "--epochs", String(Math.max(savedEpoch(), 0) + 1), "--quiet"], { cwd: work });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  child.on("exit", (code) => resolve({ code, err }));
});
if (last.code !== 0) failures.push(`the final resumed run failed: ${last.err.trim()}`);
const stale = leftovers();
if (stale.length) failures.push(`left behind: ${stale.join(", ")}`);

console.log(`kill test: ${rounds} rounds (seed ${values.seed}); ${counts.killed} SIGKILLs, ${counts.resumed} of them into resumed runs; ` +
  `${counts.midSave} mid-save (${counts.betweenRenames} between the two renames), ${counts.beforeFirstSave} before the first save; ` +
  `the state reached epoch ${lastEpoch}; final run ${last.code === 0 ? "resumed and finished" : "FAILED"}; ${stale.length} stale folders left`);
for (const f of failures) console.log(`FAIL ${f}`);
if (!values.keep) rmSync(work, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);

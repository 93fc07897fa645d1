/**
 * `npm run fuzz`: feeds malformed inputs to every parser, loader and CLI path, in worker threads
 * with a watchdog, and reports per target how many were accepted, rejected with a clean error, or
 * FAILED (a crash of another kind, a wrong acceptance, a hang over --timeout, an allocation over
 * 10x the input). Failing inputs are saved under fuzz/failures/. Exits 1 on any failure.
 *
 *   npm run fuzz                                   120,000 inputs with a random seed, then 200 CLI processes
 *   npm run fuzz -- --seed 7 --count 5000          a short, reproducible run
 *   npm run fuzz -- --seconds 600                  as many inputs as fit in ten minutes
 *   npm run fuzz -- --seed 7 --target cli/eval --index 123   one input again
 *
 * Flags: --seed N, --count N | --seconds S, --jobs N (worker threads; default 2), --target NAME
 * (only targets whose name contains NAME), --index I (only input I), --spawns N (processes of
 * `node dist/cli/main.js`; default 200, 0 to skip), --timeout MS (default 5000), --self-test (targets
 * that fail on purpose, one per kind of failure: the run passes when each is caught).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Rng } from "./rng.js";
import { makeCheckpoint, makeText, makeTableText, SELF_TEST_TARGETS, targetNamed, TARGETS, writeParts, type Parts, type Target } from "./targets.js";
import { utf8 } from "./mutate.js";
import { uncleanReason } from "./outcome.js";
import { SLOT, type Failure, type Job, type JobResult, type WorkerMessage } from "./worker.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const failuresDir = join(root, "fuzz", "failures");

interface Options { seed: number; count: number; seconds: number | null; jobs: number; target: string | null; index: number | null; spawns: number; timeout: number; selfTest: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { seed: (Date.now() ^ (process.pid << 16)) >>> 0, count: 120_000, seconds: null, jobs: Math.max(1, Math.min(2, availableParallelism())), target: null, index: null, spawns: 200, timeout: 5000, selfTest: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--self-test") {
      Object.assign(o, { selfTest: true, count: 8, spawns: 0, timeout: 2000 });
      continue;
    }
    const value = argv[++i];
    const num = (min: number): number => {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < min) throw new Error(`fuzz: ${flag} needs an integer >= ${min}, got ${value}`);
      return n;
    };
    if (flag === "--seed") o.seed = num(0) >>> 0;
    else if (flag === "--count") o.count = num(1);
    else if (flag === "--seconds") o.seconds = num(1);
    else if (flag === "--jobs") o.jobs = num(1);
    else if (flag === "--target") o.target = value ?? "";
    else if (flag === "--index") o.index = num(0);
    else if (flag === "--spawns") o.spawns = num(0);
    else if (flag === "--timeout") o.timeout = num(100);
    else throw new Error(`fuzz: unknown flag ${flag} (see the comment at the top of fuzz/run.ts)`);
  }
  return o;
}

interface Tally { tried: number; accepted: number; rejected: number; failed: number; ms: number; slowest: { index: number; ms: number } }
const newTally = (): Tally => ({ tried: 0, accepted: 0, rejected: 0, failed: 0, ms: 0, slowest: { index: -1, ms: 0 } });

/** Saves a failing input and what went wrong; returns the folder. */
function saveFailure(seed: number, f: Failure, parts: Parts | null): string {
  const dir = join(failuresDir, `${f.target.replaceAll("/", "_")}-seed${seed}-${f.index}`);
  if (parts) writeParts(dir, parts);
  else mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "failure.txt"), `${f.kind}: ${f.message}\n${f.stack ? f.stack + "\n" : ""}reproduce: npm run fuzz -- --seed ${seed} --target ${f.target} --index ${f.index} --spawns 0\n`);
  return dir;
}

/** Runs the jobs on `jobs` worker threads; a watchdog terminates a worker stuck on one input. */
async function runWorkers(o: Options, nextJob: () => Job | null, tallies: Map<string, Tally>, failures: Failure[]): Promise<void> {
  const scratchRoot = mkdtempSync(join(tmpdir(), "seqtorch-fuzz-"));
  const record = (f: Failure): void => {
    const t = tallies.get(f.target)!;
    t.failed++;
    t.tried++;
    const target = targetNamed(f.target)!;
    let parts: Parts | null = null;
    try {
      parts = target.make(Rng.for(o.seed, target.name, f.index));
    } catch {
      parts = null;
    }
    failures.push(f);
    console.error(`FAILED ${f.target} #${f.index}: ${f.kind}: ${f.message.slice(0, 400)} (saved in ${saveFailure(o.seed, f, parts)})`);
  };
  const lane = (id: number): Promise<void> => new Promise((resolve) => {
    let worker: Worker;
    let state: Int32Array;
    let job: Job | null = null;
    // The clock runs from the first beat after a dispatch: a new worker first loads the library.
    let last = { beat: -1, at: 0, armed: false };
    const start = (): void => {
      const shared = new SharedArrayBuffer(16);
      state = new Int32Array(shared);
      const w = new Worker(new URL("./worker-boot.mjs", import.meta.url), {
        workerData: { shared, seed: o.seed, scratch: join(scratchRoot, `w${id}`) },
        resourceLimits: { maxOldGenerationSizeMb: 1024 },
      });
      worker = w;
      w.on("message", (m: WorkerMessage) => {
        if (w !== worker) return;
        if (m.type === "failure") record(m.failure);
        else if (m.type === "error") {
          record({ target: job!.target, index: Atomics.load(state, SLOT.index), kind: "crash", message: `fuzz harness: ${m.error.split("\n").slice(0, 3).join(" | ")}` });
          finishJob(null);
        } else finishJob(m.result);
      });
      w.on("error", (e) => w === worker && died(`the worker died: ${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}`, (e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY" ? "alloc" : "crash"));
      w.on("exit", (code) => w === worker && code !== 0 && job && died(`the worker exited with code ${code}`, "crash"));
    };
    const finishJob = (r: JobResult | null): void => {
      if (job && r) {
        const t = tallies.get(job.target)!;
        t.accepted += r.accepted;
        t.rejected += r.rejected;
        t.tried += r.accepted + r.rejected;
        t.ms += r.ms;
        if (r.slowest.ms > t.slowest.ms) t.slowest = r.slowest;
      }
      next();
    };
    /** The worker is gone in the middle of a job: count what it did, blame the input in progress, go on after it. */
    const died = (message: string, kind: Failure["kind"]): void => {
      if (!job) return;
      const dead = job;
      job = null;
      const index = Atomics.load(state, SLOT.index);
      const t = tallies.get(dead.target)!;
      t.accepted += Atomics.load(state, SLOT.accepted);
      t.rejected += Atomics.load(state, SLOT.rejected);
      t.tried += Atomics.load(state, SLOT.accepted) + Atomics.load(state, SLOT.rejected);
      record({ target: dead.target, index, kind, message });
      void worker.terminate();
      start();
      if (index + 1 < dead.end) dispatch({ ...dead, start: index + 1 });
      else next();
    };
    const dispatch = (j: Job): void => {
      job = j;
      last = { beat: Atomics.load(state, SLOT.beat), at: Date.now(), armed: false };
      worker.postMessage(j);
    };
    const next = (): void => {
      const j = nextJob();
      if (j) return dispatch(j);
      job = null;
      clearInterval(watchdog);
      void worker.terminate().then(() => resolve());
    };
    const watchdog = setInterval(() => {
      if (!job) return;
      const beat = Atomics.load(state, SLOT.beat);
      if (beat !== last.beat) last = { beat, at: Date.now(), armed: true };
      else if (last.armed && Date.now() - last.at > o.timeout) died(`no result after ${o.timeout} ms (the worker was terminated)`, "hang");
      else if (!last.armed && Date.now() - last.at > 120_000) died("the worker did not start within 120 s", "crash");
    }, 100);
    start();
    next();
  });
  await Promise.all(Array.from({ length: o.jobs }, (_, i) => lane(i)));
  rmSync(scratchRoot, { recursive: true, force: true });
}

/** The job queue: a fixed count split by weight, or round-robin until a deadline, in batches. */
function planner(o: Options, targets: Target[]): () => Job | null {
  const BATCH = 200;
  if (o.index !== null) {
    const queue = targets.map((t) => ({ target: t.name, start: o.index!, end: o.index! + 1 }));
    return () => queue.shift() ?? null;
  }
  const total = targets.reduce((s, t) => s + t.weight, 0);
  const quota = new Map(targets.map((t) => [t.name, o.seconds === null ? Math.max(1, Math.round((o.count * t.weight) / total)) : Infinity]));
  const done = new Map(targets.map((t) => [t.name, 0]));
  const deadline = o.seconds === null ? Infinity : Date.now() + o.seconds * 1000;
  let turn = 0;
  return () => {
    if (Date.now() > deadline) return null;
    for (let k = 0; k < targets.length; k++) {
      const t = targets[turn++ % targets.length]!;
      const start = done.get(t.name)!;
      const end = Math.min(quota.get(t.name)!, start + Math.max(1, Math.round((BATCH * t.weight) / 3)));
      if (start < end) {
        done.set(t.name, end);
        return { target: t.name, start, end };
      }
    }
    return null;
  };
}

// ---------------------------------------------------------------------------------------------
// Real processes: `node dist/cli/main.js predict|eval` on damaged checkpoints and data files.

interface Spawned { status: number | null; signal: NodeJS.Signals | null; stderr: string; timedOut: boolean }

function run(args: string[], timeout: number): Promise<Spawned> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, SEQTORCH_DEBUG: "" } });
    let stderr = "";
    let timedOut = false;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr, timedOut });
    });
  });
}

/** The problem with a finished CLI process, or null: it succeeded, or failed with exactly one `seqtorch: ` line on stderr. */
function spawnProblem(r: Spawned): string | null {
  if (r.timedOut) return "hang: the process was killed after the timeout";
  if (r.signal) return `killed by ${r.signal}`;
  if (r.status === 0) return null;
  const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("(run with --help"));
  if (lines.length !== 1 || !lines[0]!.startsWith("seqtorch: ") || /\n\s+at /.test(r.stderr)) return `exit ${r.status} with stderr ${JSON.stringify(r.stderr.slice(0, 400))}`;
  const line = lines[0]!.slice("seqtorch: ".length);
  return uncleanReason(new Error(line));
}

async function runSpawns(o: Options, tally: Tally, failures: Failure[]): Promise<void> {
  const main = join(root, "dist", "cli", "main.js");
  if (!existsSync(main)) {
    console.error("cli/spawn: skipped, dist/cli/main.js is not built (npm run build)");
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "seqtorch-fuzz-cli-"));
  const indices = o.index !== null ? [o.index] : Array.from({ length: o.spawns }, (_, i) => i);
  const one = async (i: number): Promise<void> => {
    const rng = Rng.for(o.seed, "cli/spawn", i);
    const { files, seed } = makeCheckpoint(rng);
    const dir = join(work, `c${i}`);
    const command = rng.pick(["eval", "predict", "train"] as const);
    const data = rng.pick(["csv", "jsonl"] as const);
    const parts: Parts = { ...files };
    if (command !== "predict") parts[`data.${data}`] = rng.chance(0.5) ? utf8(data === "csv" ? seed.csv : seed.jsonl) : makeTableText(rng, data);
    writeParts(dir, parts);
    const texts = rng.chance(0.8) ? seed.texts : [makeText(rng).replaceAll("\u0000", "")];
    const dataFile = join(dir, `data.${data}`);
    // train: a tiny model for one epoch on the (malformed) table, into a fresh directory.
    const tiny = ["--epochs", "1", "--hidden-size", "4", "--embedding-dim", "4", "--quiet", "--checkpoint", join(dir, "trained")];
    const args = command === "eval"
      ? [main, "eval", "--checkpoint", dir, "--data", dataFile, ...(rng.chance(0.5) ? ["--json"] : [])]
      : command === "train"
        ? [main, "train", "--data", dataFile, ...tiny, ...(rng.chance(0.3) ? ["--task", "regression"] : [])]
        : [main, "predict", "--checkpoint", dir, ...(rng.chance(0.5) ? ["--json"] : []), "--", ...texts];
    const t0 = performance.now();
    const r = await run(args, Math.max(o.timeout, 10_000));
    const ms = performance.now() - t0;
    tally.ms += ms;
    if (ms > tally.slowest.ms) tally.slowest = { index: i, ms };
    const problem = spawnProblem(r);
    tally.tried++;
    if (problem) {
      tally.failed++;
      const f: Failure = { target: "cli/spawn", index: i, kind: problem.startsWith("hang") ? "hang" : "crash", message: `${args.slice(1, 2).join(" ")}: ${problem}` };
      failures.push(f);
      console.error(`FAILED cli/spawn #${i}: ${f.message.slice(0, 400)} (saved in ${saveFailure(o.seed, f, parts)})`);
    } else if (r.status === 0) tally.accepted++;
    else tally.rejected++;
    rmSync(dir, { recursive: true, force: true });
  };
  let k = 0;
  await Promise.all(Array.from({ length: o.jobs }, async () => {
    while (k < indices.length) await one(indices[k++]!);
  }));
  rmSync(work, { recursive: true, force: true });
}

function report(tallies: Map<string, Tally>, seconds: number): void {
  const rows = [...tallies].filter(([, t]) => t.tried > 0);
  const width = Math.max(...rows.map(([n]) => n.length), "total".length);
  const line = (name: string, t: Tally, slow = ""): string =>
    `${name.padEnd(width)}  ${String(t.tried).padStart(8)}  ${String(t.accepted).padStart(8)}  ${String(t.rejected).padStart(8)}  ${String(t.failed).padStart(6)}${slow}`;
  console.log(`${"target".padEnd(width)}  ${"tried".padStart(8)}  ${"accepted".padStart(8)}  ${"rejected".padStart(8)}  ${"FAILED".padStart(6)}  mean, slowest input`);
  const total = newTally();
  for (const [name, t] of rows) {
    console.log(line(name, t, `  ${(t.ms / Math.max(1, t.tried)).toFixed(2)} ms, ${t.slowest.ms.toFixed(0)} ms (#${t.slowest.index})`));
    total.tried += t.tried;
    total.accepted += t.accepted;
    total.rejected += t.rejected;
    total.failed += t.failed;
  }
  console.log(line("total", total));
  console.log(`${total.tried} inputs in ${seconds.toFixed(0)} s: ${total.accepted} accepted, ${total.rejected} rejected with a clean error, ${total.failed} FAILED`);
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const targets = (o.selfTest ? SELF_TEST_TARGETS : TARGETS).filter((t) => o.target === null || t.name.includes(o.target));
  const spawnTarget = o.spawns > 0 && (o.target === null || "cli/spawn".includes(o.target));
  if (targets.length === 0 && !spawnTarget) throw new Error(`fuzz: no target matches ${o.target} (targets: ${TARGETS.map((t) => t.name).join(", ")}, cli/spawn)`);
  const plan = o.seconds === null ? `${o.index !== null ? "input " + o.index : o.count + " inputs"}` : `${o.seconds} s`;
  const spawns = spawnTarget ? `${o.index !== null ? 1 : o.spawns} CLI processes` : "";
  const threads = targets.length ? `${plan} over ${targets.length} targets on ${o.jobs} worker threads` : "";
  console.log(`seqtorch fuzz: seed ${o.seed}, ${[threads, spawns].filter(Boolean).join(", then ")}; failing inputs go to fuzz/failures/`);
  const t0 = performance.now();
  const tallies = new Map(targets.map((t) => [t.name, newTally()]));
  const failures: Failure[] = [];
  const progress = setInterval(() => {
    const n = [...tallies.values()].reduce((s, t) => s + t.tried, 0);
    console.error(`... ${n} inputs, ${failures.length} failures, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }, 15_000);
  if (targets.length) await runWorkers(o, planner(o, targets), tallies, failures);
  clearInterval(progress);
  if (spawnTarget) {
    const t = newTally();
    tallies.set("cli/spawn", t);
    await runSpawns(o, t, failures);
  }
  report(tallies, (performance.now() - t0) / 1000);
  if (o.selfTest) {
    // Each self-test target must fail every input, with the kind its name says.
    const ok = targets.every((t) => tallies.get(t.name)!.tried > 0 && failures.filter((f) => f.target === t.name && t.name.endsWith(`/${f.kind}`)).length === tallies.get(t.name)!.tried);
    console.log(ok ? "self-test passed: every kind of failure was caught" : "self-test FAILED: a failure went unnoticed or was misclassified");
    if (!ok) console.log(JSON.stringify(failures.map((f) => [f.target, f.kind, f.index])));
    return ok ? 0 : 1;
  }
  if (failures.length) console.log(`failing inputs saved under ${failuresDir}`);
  return failures.length ? 1 : 0;
}

main().then((code) => (process.exitCode = code), (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});

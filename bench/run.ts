/**
 * `npm run bench`: the benchmark suite. Runs every workload of bench/workloads.ts on each seqtorch
 * backend, on PyTorch and (forward steps) on ONNX Runtime, each measurement in a fresh child process
 * (bench/child.ts, bench/torch_workloads.py or bench/ort_child.ts), one at a time, and prints a
 * table. The ONNX models are exported by PyTorch into a temporary folder. See bench/README.md.
 *
 *   npx tsx bench/run.ts [--quick] [--only W2,W4] [--backends wasm,torch] [--markdown] [--threads 1,2] [--timeout 120]
 *
 * A child that fails or times out is reported as "failed: <reason>" and the run goes on.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuModel, simdFlags } from "./machine.js";
import { measureMicroKernel, measurePeak, peakProbe } from "./peak.js";
import {
  FULL_PROTOCOL, PHASE_LABEL, QUICK_PROTOCOL, SINGLE_THREADED_BACKENDS, WORKLOADS, allCases, caseFlops, onnxCase,
  type Case, type ChildArgs, type MeasureArgs, type MeasureResult, type Protocol,
} from "./workloads.js";

/** The Python with PyTorch (Debian's python3-torch); BENCH_PYTHON overrides it. */
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const root = fileURLToPath(new URL("..", import.meta.url));
const childScript = fileURLToPath(new URL("./child.ts", import.meta.url));
const torchScript = fileURLToPath(new URL("./torch_workloads.py", import.meta.url));
const ortScript = fileURLToPath(new URL("./ort_child.ts", import.meta.url));

interface Options { quick: boolean; markdown: boolean; only: string[] | null; backends: string[] | null; threads: number[]; timeoutSec: number }

const USAGE = "usage: npx tsx bench/run.ts [--quick] [--only W2,W4] [--backends wasm,torch] [--markdown] [--threads 1,2] [--timeout SECONDS]";

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, markdown: process.env.BENCH_MARKDOWN === "1", only: null, backends: null, threads: [1, 2], timeoutSec: 120 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const numbers = (v: string): number[] => v.split(",").map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected positive integers, got "${v}"`);
      return n;
    });
    switch (flag) {
      case "--quick": o.quick = true; break;
      case "--markdown": o.markdown = true; break;
      case "--only": o.only = value().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--backends": o.backends = value().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--threads": o.threads = numbers(value()); break;
      case "--timeout": o.timeoutSec = numbers(value())[0]!; break;
      case "--help": case "-h": console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument "${argv[i]}"\n${USAGE}`);
    }
  }
  return o;
}

/** Cases selected by --only: a workload id ("W2"), or one step ("W2/trainStep" or "W2/train"). */
function selectCases(only: string[] | null): Case[] {
  const cases = allCases();
  if (!only) return cases;
  const matches = (c: Case, token: string): boolean => {
    const t = token.toLowerCase();
    return [c.workload.id, c.key, `${c.workload.id}/${PHASE_LABEL[c.phase]}`].some((name) => name.toLowerCase() === t);
  };
  for (const token of only) {
    if (!cases.some((c) => matches(c, token))) throw new Error(`--only: unknown workload "${token}"; known: ${WORKLOADS.map((w) => w.id).join(", ")} (or e.g. W2/train)`);
  }
  return cases.filter((c) => only.some((t) => matches(c, t)));
}

type ChildOutcome = { ok: true; value: unknown } | { ok: false; reason: string };

/** Runs one child to completion (or the timeout) and parses the JSON of its last stdout line. */
function runChild(command: string, args: string[], timeoutSec: number): ChildOutcome {
  const r = spawnSync(command, args, { cwd: root, encoding: "utf8", timeout: timeoutSec * 1000, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === "ETIMEDOUT") return { ok: false, reason: `timed out after ${timeoutSec} s` };
  if (err) return { ok: false, reason: err.message };
  if (r.signal) return { ok: false, reason: `killed by ${r.signal}${r.signal === "SIGKILL" ? " (out of memory?)" : ""}` };
  if (r.status !== 0) {
    const lines = r.stderr.split("\n").map((l) => l.trim()).filter(Boolean);
    const reason = [...lines].reverse().find((l) => l.startsWith("failed: "))?.slice("failed: ".length) ?? lines.at(-1) ?? `exit status ${r.status}`;
    return { ok: false, reason: reason.length > 160 ? `${reason.slice(0, 157)}...` : reason };
  }
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return { ok: true, value: JSON.parse(last) };
  } catch {
    return { ok: false, reason: `no JSON result line (stdout ended with "${last.slice(0, 80)}")` };
  }
}

const seqtorchChild = (args: ChildArgs, timeoutSec: number): ChildOutcome =>
  runChild(process.execPath, ["--import", "tsx", childScript, JSON.stringify(args)], timeoutSec);
const torchChild = (args: ChildArgs, timeoutSec: number): ChildOutcome =>
  runChild(PYTHON, [torchScript, JSON.stringify(args)], timeoutSec);
const ortChild = (args: ChildArgs, timeoutSec: number): ChildOutcome =>
  runChild(process.execPath, ["--import", "tsx", ortScript, JSON.stringify(args)], timeoutSec);


interface Row {
  c: Case; impl: string; backend: string; threads: number; result: (MeasureResult & { maxAbsDiff?: number }) | null; failure?: string;
  /** A seqtorch kernel row's limit: the one-thread FMA loop's GFLOP/s right before and after it, averaged. */
  peakNear?: number;
}

const MiB = 1024 * 1024;

function fmtMs(ms: number): string {
  return ms.toFixed(ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0);
}

/** The table cells of one row (also used for the torch reference rows). */
function cells(row: Row, torchRows: Map<string, Row>, minReps: number): string[] {
  const head = [row.c.workload.id, PHASE_LABEL[row.c.phase], row.impl, String(row.threads)];
  const r = row.result;
  if (!r) return [...head, `failed: ${row.failure ?? "unknown"}`, "", "", "", "", "", ""];
  const torch = torchRows.get(`${row.c.key}@${row.threads}`)?.result;
  const ratio = row.backend === "torch" ? "ref" : torch ? `${(r.medianMs / torch.medianMs).toFixed(2)}x` : "n/a";
  const short = r.truncated || r.reps < minReps;
  const gflops = caseFlops(row.c) / r.medianMs / 1e6;
  return [
    ...head,
    fmtMs(r.medianMs),
    gflops.toFixed(2),
    row.peakNear ? `${((100 * gflops) / (row.peakNear * row.threads)).toFixed(0)}%` : "",
    ratio,
    ((r.peakRssBytes - r.baselineRssBytes) / MiB).toFixed(0),
    (r.peakRssBytes / MiB).toFixed(0),
    `${r.reps}${short ? "*" : ""}`,
  ];
}

const HEADER = ["workload", "step", "impl", "thr", "ms/step", "GFLOP/s", "of peak", "vs torch", "peak-base MiB", "peak MiB", "reps"];
const RIGHT = new Set([3, 4, 5, 6, 7, 8, 9, 10]);

function textTable(rows: string[][]): string {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i]!.startsWith("failed") ? 0 : r[i]!.length))));
  const line = (r: string[]): string => {
    const failed = r[4]!.startsWith("failed");
    const cols = failed ? r.slice(0, 5) : r;
    return cols.map((c, i) => (i === cols.length - 1 && failed ? c : RIGHT.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  };
  return [line(HEADER), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function markdownTable(rows: string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  return [
    `| ${HEADER.join(" | ")} |`,
    `|${HEADER.map((_, i) => (RIGHT.has(i) ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/** What the ONNX Runtime rows are, with how far each one's output was from PyTorch's. */
function ortLegend(rows: Row[]): string {
  const diffs = rows.filter((r) => r.backend === "ort" && r.result?.maxAbsDiff !== undefined)
    .map((r) => `${r.c.workload.id} ${PHASE_LABEL[r.c.phase]} ${r.threads}t ${r.result!.maxAbsDiff!.toExponential(1)}`);
  return [
    "ONNX Runtime: the PyTorch row's module (seed 0) exported by torch.onnx.export (opset 17, fixed shapes), run by onnxruntime-node's CPU provider",
    "with intraOpNumThreads = thr, interOpNumThreads 1 and every graph optimisation; ms/step is one awaited session.run (forward steps only; W6p, packed, is not exported).",
    `Each row first checks its output against PyTorch's; max |ONNX Runtime - PyTorch|: ${diffs.length ? diffs.join(", ") : "none measured"}.`,
  ].join(" ");
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const cases = selectCases(opts.only);
  const base = opts.quick ? QUICK_PROTOCOL : FULL_PROTOCOL;
  const protocol: Protocol = { ...base, budgetSec: Math.max(opts.timeoutSec - 10, opts.timeoutSec * 0.8) };
  const log = (s: string): void => void process.stderr.write(`${s}\n`);

  // Which seqtorch backends exist (asked of a child, so a library that fails to load is reported, not fatal).
  let backends = ["cpu"];
  const notes: string[] = [];
  const probe = seqtorchChild({ mode: "probe" }, 60);
  if (probe.ok) {
    const p = probe.value as { backends: string[]; loadErrors: Record<string, string> };
    backends = p.backends;
    for (const [name, reason] of Object.entries(p.loadErrors)) notes.push(`seqtorch backend "${name}" did not load: ${reason}`);
  } else {
    notes.push(`seqtorch probe failed (${probe.reason}); trying the cpu backend anyway`);
  }

  // --backends: only these (a seqtorch backend's name, or "torch" for PyTorch).
  const unknown = (opts.backends ?? []).filter((b) => b !== "torch" && !backends.includes(b));
  if (unknown.length) throw new Error(`--backends: unknown backend "${unknown[0]}"; known: ${[...backends, "torch"].join(", ")}`);
  if (opts.backends) backends = backends.filter((b) => opts.backends!.includes(b));
  const wantTorch = !opts.backends || opts.backends.includes("torch");
  const torchProbe: ChildOutcome = wantTorch ? torchChild({ mode: "probe" }, 60) : { ok: false, reason: "not in --backends" };
  const torchVersion = torchProbe.ok ? (torchProbe.value as { torch_version: string }).torch_version : null;
  if (!torchProbe.ok && wantTorch) {
    notes.push(`PyTorch skipped: ${PYTHON} cannot import torch (${torchProbe.reason}). Install it with: apt-get install -y python3-torch libopenblas0-pthread`);
  }

  // ONNX Runtime rows need onnxruntime-node (a devDependency) and PyTorch, which exports their models.
  const ortProbe = ortChild({ mode: "probe" }, 60);
  const ortVersion = ortProbe.ok && torchVersion ? (ortProbe.value as { version: string }).version : null;
  if (!ortProbe.ok) notes.push(`ONNX Runtime skipped: onnxruntime-node did not load (${ortProbe.reason}); it is a devDependency: npm install`);
  else if (!torchVersion) notes.push("ONNX Runtime skipped: its models are exported by PyTorch, which is missing");

  // The limit: the register-only FMA loop on one thread, at the start, and again beside each kernel row.
  log("measuring the FMA peak (bench/peak.ts)");
  const peaks = await measurePeak();
  const micro = await measureMicroKernel();
  const peakNow = await peakProbe();
  const coretype = process.env.OPENBLAS_CORETYPE;
  const env = [
    `date: ${new Date().toISOString()}`,
    `CPU: ${cpuModel()}, ${os.cpus().length} logical CPUs, load average ${os.loadavg()[0]!.toFixed(2)} at start; SIMD flags: ${simdFlags().join(" ") || "unknown"}`,
    `peak at the start (one thread, a register-only FMA loop): ${peaks.map((p) => `${p.target} ${p.gflops === null ? `- (${p.note})` : p.gflops.toFixed(1)}`).join("; ")} GFLOP/s`,
    `the products' ceiling (one thread, seqtorch's GEMM micro-kernel on panels in L1, bench/peak/microkernel.c): ${micro.map((p) => `${p.target} ${p.gflops === null ? `- (${p.note})` : p.gflops.toFixed(1)}`).join("; ")} GFLOP/s`,
    `Node ${process.version}, seqtorch backends: ${backends.join(", ")}`,
    `PyTorch: ${torchVersion ?? "skipped"} (${PYTHON})`,
    `ONNX Runtime: ${ortVersion ? `onnxruntime-node ${ortVersion}, CPU execution provider` : "skipped"}`,
    `OPENBLAS_CORETYPE: ${coretype === undefined ? "absent" : `present (${coretype || "empty"})`}`,
    `protocol${opts.quick ? " (--quick)" : ""}: ${protocol.warmup} warmup(s), then reps until they take ${protocol.targetSec} s (at least ${protocol.minReps}, at most ${protocol.maxReps}), median; one fresh process per row, timeout ${opts.timeoutSec} s`,
  ];

  // The plan: per case, PyTorch first (the reference of the ratios), then each backend at each thread
  // count, then ONNX Runtime (forward steps).
  type Job = Omit<Row, "result">;
  const jobs: Job[] = [];
  for (const c of cases) {
    if (torchVersion) for (const t of opts.threads) jobs.push({ c, impl: "PyTorch", backend: "torch", threads: t });
    for (const b of backends) {
      for (const t of SINGLE_THREADED_BACKENDS.has(b) ? [1] : opts.threads) jobs.push({ c, impl: `seqtorch ${b}`, backend: b, threads: t });
    }
    if (ortVersion && onnxCase(c)) for (const t of opts.threads) jobs.push({ c, impl: "ONNX Runtime", backend: "ort", threads: t });
  }

  // Each ONNX model is exported once, before its case's first ONNX Runtime row, into a temporary folder.
  const onnxRoot = ortVersion ? mkdtempSync(join(os.tmpdir(), "seqtorch-bench-onnx-")) : null;
  const exported = new Map<string, ChildOutcome>();
  const exportModel = (c: Case): ChildOutcome => {
    let out = exported.get(c.workload.id);
    if (!out) {
      out = torchChild({ mode: "export", workload: c.workload, dir: join(onnxRoot!, c.workload.id) }, opts.timeoutSec);
      exported.set(c.workload.id, out);
    }
    return out;
  };
  const measureOrt = (c: Case, args: MeasureArgs): ChildOutcome => {
    const ex = exportModel(c);
    if (!ex.ok) return { ok: false, reason: `ONNX export failed: ${ex.reason}` };
    return ortChild({ ...args, modelDir: join(onnxRoot!, c.workload.id) }, opts.timeoutSec);
  };

  log(`${jobs.length} measurements, one at a time${torchVersion ? "" : " (PyTorch skipped)"}`);
  const rows: Row[] = [];
  try {
    jobs.forEach((job, i) => {
      const args: MeasureArgs = { mode: "measure", case: job.c.key, workload: job.c.workload, phase: job.c.phase, backend: job.backend, threads: job.threads, protocol };
      const label = `[${i + 1}/${jobs.length}] ${job.c.workload.id} ${PHASE_LABEL[job.c.phase]} ${job.impl} ${job.threads}t`;
      const limit = job.backend === "native" ? peakNow.native : job.backend === "wasm" ? peakNow.wasm : null;
      const before = limit?.measure();
      const t0 = performance.now();
      const out = job.backend === "torch" ? torchChild(args, opts.timeoutSec) : job.backend === "ort" ? measureOrt(job.c, args) : seqtorchChild(args, opts.timeoutSec);
      const wall = ((performance.now() - t0) / 1000).toFixed(1);
      const peakNear = limit && before !== undefined ? (before + limit.measure()) / 2 : undefined;
      if (out.ok) {
        const result = out.value as MeasureResult;
        rows.push({ ...job, result, peakNear });
        log(`${label}: ${fmtMs(result.medianMs)} ms (${result.reps} reps, ${wall} s)`);
      } else {
        rows.push({ ...job, result: null, failure: out.reason });
        log(`${label}: failed: ${out.reason} (${wall} s)`);
      }
    });
  } finally {
    if (onnxRoot) rmSync(onnxRoot, { recursive: true, force: true });
    peakNow.close();
  }

  const torchRows = new Map(rows.filter((r) => r.backend === "torch").map((r) => [`${r.c.key}@${r.threads}`, r]));
  const table = rows.map((r) => cells(r, torchRows, protocol.minReps));
  const used = WORKLOADS.filter((w) => cases.some((c) => c.workload === w));
  const truncated = rows.some((r) => r.result && (r.result.truncated || r.result.reps < protocol.minReps));
  const legend = [
    "ms/step: median step time. GFLOP/s: recurrent FLOPs / ms/step, counting 2·T·N·G·H·(I_l+H) per layer and direction for a forward pass (G = 4 LSTM, 3 GRU; I_l = input size, H·dirs above layer 0) and 3x that for fwd+bwd and train.",
    `of peak: a seqtorch row's GFLOP/s over thr × the one-thread FMA loop's (${peakNow.native?.target ?? "no native loop"} for native rows, ${peakNow.wasm?.target ?? "no wasm loop"} for wasm rows), measured right before and after the row and averaged: the clock moves between rows on this machine kind.`,
    "vs torch: ms / PyTorch ms at the same thread count (above 1x is slower). The cpu backend is single-threaded, so it is run once, at 1 thread.",
    ...(ortVersion ? [ortLegend(rows)] : []),
    "peak-base: peak RSS (VmHWM; ru_maxrss for PyTorch) minus the RSS right after imports and setup, in the same child; peak: the absolute peak RSS.",
    ...(truncated ? ["*: fewer reps than the protocol's minimum: the child stopped before its timeout."] : []),
  ];

  if (opts.markdown) {
    console.log("### seqtorch benchmark\n");
    console.log(env.map((l) => `- ${l}`).join("\n"));
    console.log("\nWorkloads:\n");
    console.log(used.map((w) => `- **${w.id}** ${w.title}`).join("\n"));
    console.log(`\n${markdownTable(table)}\n`);
    console.log([...legend, ...notes].map((l) => `- ${l}`).join("\n"));
  } else {
    console.log(env.join("\n"));
    console.log();
    console.log(used.map((w) => `${w.id}  ${w.title}`).join("\n"));
    console.log();
    console.log(textTable(table));
    console.log();
    console.log([...legend, ...notes].join("\n"));
  }
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
}

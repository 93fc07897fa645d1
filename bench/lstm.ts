/**
 * `npm run bench`: nn.LSTM(128, 256) over a [64, 32, 128] input (T=64, N=32), forward and
 * forward+backward, on seqtorch's backends and on PyTorch in the same run (one thread each).
 * PyTorch is skipped with a message when `/usr/bin/python3` cannot import torch.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { listBackends, manualSeed, nn, noGrad, randn, setBackend } from "../src/index.js";

const I = 128, H = 256, T = 64, N = 32;
const REPS = Number(process.env.BENCH_REPS ?? 5);

function medianMs(fn: () => void, reps: number): number {
  fn();
  fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

// Multiply-adds of the four gate products per step, times two for FLOPs; backward does about twice that.
const forwardFlops = 2 * T * N * 4 * H * (I + H);

interface Row { name: string; forwardMs: number; forwardBackwardMs: number }

function benchSeqtorch(backend: string): Row {
  setBackend(backend);
  manualSeed(0);
  const lstm = new nn.LSTM(I, H);
  const x = randn([T, N, I]);
  const up = randn([T, N, H]);
  const forwardMs = medianMs(() => noGrad(() => lstm.forward(x)), REPS);
  const forwardBackwardMs = medianMs(() => {
    lstm.zeroGrad();
    const xg = x.detach().requiresGrad_();
    const [out] = lstm.forward(xg);
    out.mul(up).sum().backward();
  }, REPS);
  return { name: `seqtorch ${backend}`, forwardMs, forwardBackwardMs };
}

function benchTorch(): Row | string {
  const script = fileURLToPath(new URL("./torch_lstm.py", import.meta.url));
  const r = spawnSync("/usr/bin/python3", [script, String(I), String(H), String(T), String(N), String(REPS)], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return `PyTorch skipped: /usr/bin/python3 with torch is not available (${(r.error?.message ?? r.stderr).trim().split("\n").pop()}). Install it with: apt-get install -y python3-torch libopenblas0-pthread`;
  }
  const j = JSON.parse(r.stdout.trim().split("\n").pop()!) as { torch_version: string; threads: number; forward_ms: number; forward_backward_ms: number; openblas_coretype: string };
  const blas = j.openblas_coretype ? `, OPENBLAS_CORETYPE=${j.openblas_coretype}` : "";
  return { name: `PyTorch ${j.torch_version} (${j.threads} thread${blas})`, forwardMs: j.forward_ms, forwardBackwardMs: j.forward_backward_ms };
}

const rows = listBackends().map(benchSeqtorch);
const torch = benchTorch();
console.log(`nn.LSTM(${I}, ${H}), input [${T}, ${N}, ${I}], median of ${REPS} runs, single thread`);
console.log(`${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log();
const all = typeof torch === "string" ? rows : [...rows, torch];
const nameW = Math.max(...all.map((r) => r.name.length));
const fmt = (v: number): string => v.toFixed(1).padStart(9);
console.log(`${"".padEnd(nameW)}  ${"fwd ms".padStart(9)}  ${"GFLOP/s".padStart(8)}  ${"fwd+bwd ms".padStart(10)}  ${"GFLOP/s".padStart(8)}${typeof torch === "string" ? "" : "  vs PyTorch fwd / fwd+bwd"}`);
for (const r of all) {
  let line = `${r.name.padEnd(nameW)}  ${fmt(r.forwardMs)}  ${(forwardFlops / r.forwardMs / 1e6).toFixed(2).padStart(8)}  ${fmt(r.forwardBackwardMs).padStart(10)}  ${((3 * forwardFlops) / r.forwardBackwardMs / 1e6).toFixed(2).padStart(8)}`;
  if (typeof torch !== "string") line += `  ${(r.forwardMs / torch.forwardMs).toFixed(2)}x / ${(r.forwardBackwardMs / torch.forwardBackwardMs).toFixed(2)}x`;
  console.log(line);
}
if (typeof torch === "string") console.log(`\n${torch}`);

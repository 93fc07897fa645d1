/**
 * `npm run bench:peak`: the FMA throughput of a register-only loop (bench/peak/fma.c) on one
 * thread, natively (gcc: SSE 4-wide, AVX2 + FMA 8-wide, AVX-512 16-wide, each as far as the CPU
 * has it) and in WebAssembly under this Node (clang-16: SIMD128 multiply + add, and relaxed SIMD's
 * fused madd). Every kernel row of `npm run bench` reads as a fraction of these numbers.
 *
 *   npx tsx bench/peak.ts [--json]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { cpuModel, simdFlags } from "./machine.js";

const source = fileURLToPath(new URL("peak/fma.c", import.meta.url));
const microSource = fileURLToPath(new URL("peak/microkernel.c", import.meta.url));

export interface PeakRow { target: string; gflops: number | null; note?: string }

/** Whether `command --version` runs here. */
export function has(command: string): boolean {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Best of five timed runs of the native loop built with `flags`, in GFLOP/s. */
function native(dir: string, name: string, flags: string[]): number {
  const exe = join(dir, name);
  execFileSync("gcc", ["-O2", "-ffp-contract=fast", ...flags, source, "-o", exe]);
  return Number(execFileSync(exe, ["100000000"], { encoding: "utf8" }).trim());
}

/** The best of five timed calls of `run`, in GFLOP/s for `flops` floating-point operations a call. */
function bestRate(run: () => unknown, flops: number): number {
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    run();
    best = Math.max(best, flops / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

/** Best of five timed calls of the wasm loop, in GFLOP/s. */
async function wasm(dir: string, name: string, flags: string[]): Promise<number> {
  const out = join(dir, `${name}.wasm`);
  execFileSync("clang-16", ["--target=wasm32", "-O2", "-DVW=4", "-msimd128", ...flags, "-nostdlib", "-Wl,--no-entry", source, "-o", out]);
  const { instance } = await WebAssembly.instantiate(readFileSync(out));
  const { peak, flopsPerIteration } = instance.exports as { peak(n: number): number; flopsPerIteration(): number };
  const iterations = 50_000_000;
  return bestRate(() => peak(iterations), iterations * flopsPerIteration());
}

/**
 * The limit at one moment, for a row measured then: the widest native loop this CPU runs and the
 * relaxed-SIMD wasm loop, built once, each timed in a fraction of a second (best of five short runs).
 * This machine kind's clock moved by a fifth within minutes, so `npm run bench` reads each kernel row
 * against the limit measured right before and after it, besides the peak lines of the run's start.
 */
export interface PeakProbe {
  native: { target: string; measure(): number } | null;
  wasm: { target: string; measure(): number } | null;
  close(): void;
}

export async function peakProbe(): Promise<PeakProbe> {
  const dir = mkdtempSync(join(os.tmpdir(), "seqtorch-peak-probe-"));
  const flags = simdFlags();
  let nativeProbe: PeakProbe["native"] = null;
  let wasmProbe: PeakProbe["wasm"] = null;
  if (has("gcc")) {
    const widest = flags.includes("avx512f") ? ["avx512", "native AVX-512", ["-DVW=16", "-mavx512f"]] as const
      : flags.includes("avx2") && flags.includes("fma") ? ["avx2", "native AVX2 + FMA", ["-DVW=8", "-mavx2", "-mfma"]] as const
      : ["sse", "native SSE", ["-DVW=4", "-msse2"]] as const;
    const exe = join(dir, widest[0]);
    execFileSync("gcc", ["-O2", "-ffp-contract=fast", ...widest[2], source, "-o", exe]);
    nativeProbe = { target: widest[1], measure: () => Number(execFileSync(exe, ["20000000"], { encoding: "utf8" }).trim()) };
  }
  if (has("clang-16")) {
    const out = join(dir, "relaxed.wasm");
    execFileSync("clang-16", ["--target=wasm32", "-O2", "-DVW=4", "-msimd128", "-DRELAXED", "-mrelaxed-simd", "-nostdlib", "-Wl,--no-entry", source, "-o", out]);
    if (Number(process.versions.node.split(".")[0]) < 22) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    const { instance } = await WebAssembly.instantiate(readFileSync(out));
    const { peak, flopsPerIteration } = instance.exports as { peak(n: number): number; flopsPerIteration(): number };
    wasmProbe = {
      target: "wasm relaxed SIMD",
      measure: () => bestRate(() => peak(10_000_000), 10_000_000 * flopsPerIteration()),
    };
  }
  return { native: nativeProbe, wasm: wasmProbe, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Measures every target this machine can build and run. */
export async function measurePeak(): Promise<PeakRow[]> {
  const dir = mkdtempSync(join(os.tmpdir(), "seqtorch-peak-"));
  const flags = simdFlags();
  const rows: PeakRow[] = [];
  try {
    const gcc = has("gcc");
    const nativeTargets: [string, string, string[]][] = [
      ["native SSE (4 wide, multiply + add)", "sse", ["-DVW=4", "-msse2"]],
      ["native AVX2 + FMA (8 wide)", "avx2", ["-DVW=8", "-mavx2", "-mfma"]],
      ["native AVX-512 (16 wide)", "avx512", ["-DVW=16", "-mavx512f"]],
    ];
    for (const [target, name, f] of nativeTargets) {
      const needs = name === "avx2" ? ["avx2", "fma"] : name === "avx512" ? ["avx512f"] : [];
      if (!gcc) rows.push({ target, gflops: null, note: "no gcc" });
      else if (!needs.every((n) => flags.includes(n))) rows.push({ target, gflops: null, note: "not on this CPU" });
      else rows.push({ target, gflops: native(dir, name, f) });
    }
    const clang = has("clang-16");
    rows.push(clang ? { target: "wasm SIMD128 (4 wide, multiply + add)", gflops: await wasm(dir, "simd", []) } : { target: "wasm SIMD128", gflops: null, note: "no clang-16" });
    if (Number(process.versions.node.split(".")[0]) < 22) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    rows.push(clang ? { target: "wasm relaxed SIMD (fused madd)", gflops: await wasm(dir, "relaxed", ["-DRELAXED", "-mrelaxed-simd"]) } : { target: "wasm relaxed SIMD", gflops: null, note: "no clang-16" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * The ceiling of seqtorch's own products (bench/peak/microkernel.c): its GEMM micro-kernel, built
 * with the flags the library's builds use, on panels that stay in L1, natively (the widest
 * instruction set this CPU has) and in WebAssembly with relaxed SIMD. Read next to the FMA loop:
 * a product can reach at most this much of it, however little packing and memory cost.
 */
/** Refuses a probe whose micro-kernel tile differs from plain loops (it would not be timing products). */
function checkTile(target: string, worst: number): void {
  if (!(worst <= 1e-6)) throw new Error(`${target}: the micro-kernel's tile differs from plain loops by ${worst}`);
}

export async function measureMicroKernel(): Promise<PeakRow[]> {
  const dir = mkdtempSync(join(os.tmpdir(), "seqtorch-microkernel-"));
  const flags = simdFlags();
  const rows: PeakRow[] = [];
  const common = ["-std=c11", "-O3", "-ffp-contract=fast", "-fno-math-errno"];
  try {
    if (!has("gcc")) rows.push({ target: "micro-kernel, native", gflops: null, note: "no gcc" });
    else {
      // As binding.gyp builds each instruction set.
      const [target, isa] = flags.includes("avx512f") && flags.includes("avx512bw") && flags.includes("avx512vl")
        ? ["micro-kernel, native AVX-512", ["-DVW=16", "-DST_SUFFIX=_avx512", "-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mfma"]]
        : flags.includes("avx2") && flags.includes("fma") ? ["micro-kernel, native AVX2 + FMA", ["-DVW=8", "-DST_SUFFIX=_avx2", "-mavx2", "-mfma"]]
        : ["micro-kernel, native SSE", ["-DVW=4", "-DST_SUFFIX=_generic"]];
      const exe = join(dir, "microkernel");
      execFileSync("gcc", [...common, ...isa, microSource, "-o", exe]);
      checkTile(target, Number(execFileSync(exe, ["check"], { encoding: "utf8" }).trim()));
      rows.push({ target, gflops: Number(execFileSync(exe, ["400000"], { encoding: "utf8" }).trim()) });
    }
    if (!has("clang-16")) rows.push({ target: "micro-kernel, wasm relaxed SIMD", gflops: null, note: "no clang-16" });
    else {
      // The compile flags of tools/build-wasm.mjs's relaxed variant, without its link flags.
      const { variants } = (await import("../tools/build-wasm.mjs")) as { variants: Record<string, string[]> };
      const out = join(dir, "microkernel.wasm");
      execFileSync("clang-16", [...variants.relaxed!.filter((f) => !f.startsWith("-Wl,")), "-Wl,--no-entry", microSource, "-o", out]);
      if (Number(process.versions.node.split(".")[0]) < 22) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      const { instance } = await WebAssembly.instantiate(readFileSync(out));
      const { run, check, flopsPerCall } = instance.exports as { run(reps: number): number; check(): number; flopsPerCall(): number };
      checkTile("micro-kernel, wasm relaxed SIMD", check());
      const reps = 100_000;
      rows.push({ target: "micro-kernel, wasm relaxed SIMD", gflops: bestRate(() => run(reps), reps * flopsPerCall()) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = [...(await measurePeak()), ...(await measureMicroKernel())];
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ cpu: cpuModel(), simd: simdFlags(), rows }));
  } else {
    console.log(`CPU: ${cpuModel()}; SIMD: ${simdFlags().join(" ") || "unknown"}; load average ${os.loadavg()[0]!.toFixed(2)}; one thread`);
    for (const r of rows) console.log(`${r.target.padEnd(40)} ${r.gflops === null ? `- (${r.note})` : `${r.gflops.toFixed(1)} GFLOP/s`}`);
  }
}

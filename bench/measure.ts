/**
 * The measurement side shared by the Node children (bench/child.ts for seqtorch, bench/ort_child.ts
 * for ONNX Runtime): resident memory, the timing protocol and the result line. bench/torch_workloads.py
 * follows the same protocol in Python.
 */
import { readFileSync } from "node:fs";
import type { MeasureResult, Protocol } from "./workloads.js";

/** Current and peak resident set size in bytes: /proc/self/status on Linux, else Node's own counters. */
export function rss(): { current: number; peak: number; peakSource: string } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kb = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const current = kb("VmRSS"), peak = kb("VmHWM");
    if (current !== undefined && peak !== undefined) return { current, peak, peakSource: "VmHWM" };
  } catch {
    // not Linux: fall through
  }
  return { current: process.memoryUsage().rss, peak: process.resourceUsage().maxRSS * 1024, peakSource: "maxRSS" };
}

export interface Timing { times: number[]; warmups: number; truncated: boolean }

/**
 * The shared protocol (see Protocol in workloads.ts); `start` is when this process started, in
 * performance.now() ms. A step that returns a promise is awaited inside its timing; a synchronous
 * step is timed with no await in the loop.
 */
export async function measure(step: () => void | Promise<unknown>, p: Protocol, start: number): Promise<Timing> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const pending = step();
    if (pending) await pending;
    return performance.now() - t0;
  };
  let warmups = 0;
  while (warmups < Math.max(1, p.warmup)) {
    const last = await once();
    warmups++;
    if (last > p.targetSec * 1000) break;
  }
  const deadline = start + p.budgetSec * 1000;
  const times: number[] = [];
  let truncated = false, elapsed = 0;
  while (times.length < p.maxReps && (times.length < p.minReps || elapsed < p.targetSec * 1000)) {
    if (times.length > 0 && performance.now() + times[times.length - 1]! > deadline) {
      truncated = true;
      break;
    }
    const dt = await once();
    times.push(dt);
    elapsed += dt;
  }
  return { times, warmups, truncated };
}

/** The result line of one measurement: median and fastest step, reps, and the memory readings. */
export function summarize(
  head: Pick<MeasureResult, "case" | "backend" | "threads">, t: Timing, baselineRssBytes: number,
): MeasureResult {
  const end = rss();
  const sorted = [...t.times].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    ...head,
    medianMs: n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2,
    minMs: sorted[0]!, reps: n, warmups: t.warmups, truncated: t.truncated,
    // Linux keeps RSS in per-thread counters that it folds in lazily, so VmHWM may trail an RSS
    // read earlier by some pages; the peak is at least every RSS this child has seen.
    baselineRssBytes, peakRssBytes: Math.max(end.peak, end.current, baselineRssBytes), peakSource: end.peakSource,
  };
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

/** Runs a child's main and prints its line, or `failed: <message>` on stderr with exit status 1. */
export function runMain(main: () => Promise<string>): void {
  main().then(
    // Exit explicitly (once the line is written): worker threads must not keep the process alive.
    (line) => process.stdout.write(`${line}\n`, () => process.exit(0)),
    (e: unknown) => {
      if (process.env.BENCH_DEBUG) console.error(e);
      process.stderr.write(`failed: ${firstLine(e)}\n`);
      process.exit(1);
    },
  );
}

/**
 * A fuzz worker thread: runs batches of one target's inputs and reports their outcomes. It writes
 * the index of the input in progress into shared memory, so that the main thread's watchdog can
 * name an input that hangs, and counts outcomes there too, so that they survive a terminate.
 *
 * Memory, from process.memoryUsage() (this thread's V8 heap, and the ArrayBuffers it holds: typed
 * arrays, Buffers, tensors), with limit = max(FLOOR, FACTOR × the input's size in bytes):
 * - the growth of `arrayBuffers` across the call must stay under the limit: storage sized from
 *   what an input declares, such as a tensor shape, is where a parser over-allocates;
 * - when the growth of `heapUsed + arrayBuffers` passes the limit, the input is run again between
 *   two full garbage collections (three times, after a warm-up run), and what it still holds then
 *   (its result, not an error it threw; the least of the three) must stay under HEAP_FACTOR × the
 *   input's size (and the floor). Short-lived garbage is not counted: turning 300 KB of one-letter
 *   CSV fields into records makes some 20 MB of it, all collectable. And V8's own form of parsed
 *   JSON costs more than 10 times its text: `{"a":` nested 100,000 deep (500 KB) is 10.7 MB of
 *   objects, so the JS heap gets HEAP_FACTOR.
 * Past that, the worker's heap cap (resourceLimits) turns a runaway allocation into a failure.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { join } from "node:path";
import { Rng } from "./rng.js";
import { targetNamed, writeParts, type Parts } from "./targets.js";
import { uncleanReason } from "./outcome.js";

/** Allocation allowed whatever the input's size. */
export const FLOOR = 8 * 2 ** 20;
/** ArrayBuffer allocation allowed per byte of input. */
export const FACTOR = 10;
/** JS heap still held after the call, allowed per byte of input. */
export const HEAP_FACTOR = 32;

export interface Job { target: string; start: number; end: number }
export interface Failure { target: string; index: number; kind: "crash" | "wrong" | "hang" | "alloc"; message: string; stack?: string }
export interface JobResult { accepted: number; rejected: number; ms: number; slowest: { index: number; ms: number } }
/** What a worker posts: a failure as soon as it is found, then the job's counts. */
export type WorkerMessage = { type: "failure"; failure: Failure } | { type: "done"; result: JobResult } | { type: "error"; error: string };

/** Shared counters: the input in progress, outcomes so far, and a beat that each run of an input (a re-run too) advances. */
export const SLOT = { index: 0, accepted: 1, rejected: 2, beat: 3 } as const;

const memory = (): { heap: number; buffers: number } => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
};
const MiB = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

let gc: (() => void) | undefined;

/**
 * What running the input again leaves held (its result referenced), between two full collections:
 * the least of three runs, after a warm-up run. What V8 builds once and keeps (compiled code, caches,
 * hidden classes; some 10 MiB once after a value nested 100,000 deep) shows in one run, not in all.
 */
async function held(run: () => unknown, state: Int32Array): Promise<number> {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  try {
    await run();
  } catch {
    // the outcome is known already
  }
  return Math.min(await heldOnce(run, state), await heldOnce(run, state), await heldOnce(run, state));
}

async function heldOnce(run: () => unknown, state: Int32Array): Promise<number> {
  Atomics.add(state, SLOT.beat, 1);
  await new Promise((resolve) => setImmediate(resolve)); // let work queued by the last run (compilation) land first
  gc!();
  const before = memory();
  const keep: unknown[] = [];
  Atomics.add(state, SLOT.beat, 1);
  try {
    keep.push(await run());
  } catch {
    // An error is dropped, as a caller would: its stack trace can hold the frames' arguments.
  }
  gc!();
  const after = memory();
  keep.length = 0;
  return after.heap + after.buffers - before.heap - before.buffers;
}

export const sizeOf = (parts: Parts): number => Object.values(parts).reduce((n, b) => n + b.length, 0);

async function runJob(job: Job, seed: number, dir: string, state: Int32Array, report: (f: Failure) => void): Promise<JobResult> {
  const target = targetNamed(job.target);
  if (!target) throw new Error(`no fuzz target ${job.target}`);
  const out: JobResult = { accepted: 0, rejected: 0, ms: 0, slowest: { index: -1, ms: 0 } };
  Atomics.store(state, SLOT.accepted, 0);
  Atomics.store(state, SLOT.rejected, 0);
  for (let i = job.start; i < job.end; i++) {
    Atomics.store(state, SLOT.index, i);
    Atomics.add(state, SLOT.beat, 1);
    let parts: Parts;
    try {
      parts = target.make(Rng.for(seed, target.name, i));
    } catch (e) {
      report({ target: target.name, index: i, kind: "crash", message: `fuzz harness: making the input threw ${String(e)}`, stack: (e as Error).stack });
      continue;
    }
    if (target.files) writeParts(dir, parts);
    const size = sizeOf(parts);
    const t0 = performance.now();
    const before = memory();
    let result: unknown;
    let error: unknown;
    let threw = false;
    try {
      result = await target.run(parts, dir);
    } catch (e) {
      threw = true;
      error = e;
    }
    const after = memory();
    const ms = performance.now() - t0;
    result = undefined;
    out.ms += ms;
    if (ms > out.slowest.ms) out.slowest = { index: i, ms };
    const limit = Math.max(FLOOR, FACTOR * size);
    const buffers = after.buffers - before.buffers;
    let alloc: string | null = null;
    if (buffers > limit) alloc = `allocated ${MiB(buffers)} of ArrayBuffers for a ${size}-byte input (limit ${MiB(limit)})`;
    else if (after.heap + after.buffers - before.heap - before.buffers > limit) {
      const kept = await held(() => target.run(parts, dir), state);
      const heapLimit = Math.max(FLOOR, HEAP_FACTOR * size);
      if (kept > heapLimit) alloc = `holds ${MiB(kept)} after the call for a ${size}-byte input (limit ${MiB(heapLimit)})`;
    }
    const reason = threw ? uncleanReason(error) : null;
    if (reason) {
      const stack = error instanceof Error ? (error.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 6).join("\n") : "";
      report({ target: target.name, index: i, kind: reason.startsWith("accepted wrongly") ? "wrong" : "crash", message: reason, stack });
    } else if (alloc) {
      report({ target: target.name, index: i, kind: "alloc", message: alloc });
    } else if (threw) {
      Atomics.add(state, SLOT.rejected, 1);
      out.rejected++;
    } else {
      Atomics.add(state, SLOT.accepted, 1);
      out.accepted++;
    }
  }
  return out;
}

if (parentPort) {
  const { shared, seed, scratch } = workerData as { shared: SharedArrayBuffer; seed: number; scratch: string };
  const state = new Int32Array(shared);
  const port = parentPort;
  const post = (m: WorkerMessage): void => port.postMessage(m);
  port.on("message", (job: Job) => {
    runJob(job, seed, join(scratch, "input"), state, (failure) => post({ type: "failure", failure })).then(
      (result) => post({ type: "done", result }),
      (e: unknown) => post({ type: "error", error: e instanceof Error ? e.stack ?? e.message : String(e) }),
    );
  });
}

/**
 * What the wasm backend takes from its host when that host is Node: worker threads, and V8's switch
 * for relaxed SIMD. A worker instantiates the same module over the same shared memory, sets its own
 * stack, and then lives inside `st_wasm_worker` (src/backend/wasm/pool.c), woken by the kernels
 * themselves through atomics, so a parallel product costs no message passing. In browsers the
 * kernels run on one thread (shared memory there needs cross-origin isolation) and relaxed SIMD is
 * used where the browser ships it.
 */

type WorkerThreads = typeof import("node:worker_threads");
type V8 = typeof import("node:v8");
type OS = typeof import("node:os");

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
let workerThreads: WorkerThreads | null = null;
let v8: V8 | null = null;
let os: OS | null = null;
if (isNode) {
  try {
    workerThreads = await import("node:worker_threads");
    v8 = await import("node:v8");
    os = await import("node:os");
  } catch {
    workerThreads = null;
  }
}

let cores = 0;

/** Logical cores of the host (at least 1), asked once: kernels read it on every call. */
export function hostCores(): number {
  if (cores === 0) {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
    cores = Math.max(1, os ? os.availableParallelism() : (nav?.hardwareConcurrency ?? 1));
  }
  return cores;
}

/**
 * Lets V8 compile relaxed-SIMD code where it ships behind a flag (Node 20; Node 22 has it on).
 * NOTE: this sets a process-wide V8 flag, which only makes a finished, standard WebAssembly feature
 * available; set SEQTORCH_WASM_RELAXED=0 to keep Node 20's defaults.
 */
export function allowRelaxedSimd(): void {
  if (!v8 || process.env.SEQTORCH_WASM_RELAXED === "0") return;
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
}

/** Whether kernels here can share memory with worker threads. */
export function threadsSupported(): boolean {
  return workerThreads !== null && typeof SharedArrayBuffer === "function";
}

// Runs in the worker (CommonJS, evaluated from this string): its own instance on its own stack.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, id, stack } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.__stack_pointer.value = stack;
instance.exports.st_wasm_worker(id);
`;

/**
 * Starts one worker per entry of `stacks` (the top of its stack in the shared memory), with ids
 * `firstId`, `firstId + 1`, ..., and waits (up to 10 s) until every worker is ready, as counted by
 * `ready()`. Workers do not keep the process alive.
 */
export function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, firstId: number, stacks: number[], ready: () => number): void {
  if (!workerThreads) throw new Error("wasm backend: worker threads are not available here");
  const target = firstId - 1 + stacks.length;
  stacks.forEach((stack, i) => {
    const worker = new workerThreads!.Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, id: firstId + i, stack } });
    worker.unref();
  });
  const deadline = Date.now() + 10_000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (ready() < target) {
    if (Date.now() > deadline) throw new Error(`wasm backend: only ${ready()} of ${target} worker threads started within 10 s`);
    Atomics.wait(nap, 0, 0, 1);
  }
}

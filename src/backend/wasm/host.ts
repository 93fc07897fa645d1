/**
 * What the wasm backend takes from its host when that host is Node: worker threads, and V8's switch
 * for relaxed SIMD. A worker instantiates the same module over the same shared memory, sets its own
 * stack, and then lives inside `st_wasm_worker` (src/backend/wasm/pool.c), woken by the kernels
 * themselves through atomics, so a parallel product costs no message passing. In browsers the same
 * happens with Web Workers inside a worker of a cross-origin isolated page (shared memory needs the
 * isolation, and starting the threads waits with Atomics.wait, which a page's main thread may not
 * call); elsewhere the kernels run on one thread. Relaxed SIMD is used where the engine ships it.
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

interface BrowserScope {
  crossOriginIsolated?: boolean;
  WorkerGlobalScope?: unknown;
  Worker?: new (url: string) => { postMessage(message: unknown): void };
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL?(blob: unknown): string };
}
const browser = globalThis as unknown as BrowserScope;

/** A browser worker (not a page) of a cross-origin isolated page, which may start workers of its own. */
function browserWorkerThreads(): boolean {
  return !isNode && browser.crossOriginIsolated === true && browser.WorkerGlobalScope !== undefined && typeof browser.Worker === "function" &&
    typeof browser.Blob === "function" && typeof browser.URL.createObjectURL === "function";
}

/** Whether kernels here can share memory with worker threads. */
export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === "function" && (workerThreads !== null || browserWorkerThreads());
}

// Runs in the worker (CommonJS, evaluated from this string): its own instance on its own stack.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, id, stack } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.__stack_pointer.value = stack;
instance.exports.st_wasm_worker(id);
`;

// The same in a browser's Web Worker (a classic script from a blob URL), given its start by message.
const BROWSER_WORKER_SOURCE = `
onmessage = (event) => {
  const { module, memory, id, stack } = event.data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  instance.exports.__stack_pointer.value = stack;
  instance.exports.st_wasm_worker(id);
};
`;
let browserWorkerUrl: string | null = null;

/** Whether this host may block while its worker threads start (Node); a browser's may not. */
export function canWaitForWorkers(): boolean {
  return workerThreads !== null;
}

/** Starts one worker per entry of `stacks` (the top of its stack in the shared memory), with ids `firstId`, `firstId + 1`, .... */
function spawnWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, firstId: number, stacks: number[]): void {
  if (!workerThreads && !browserWorkerThreads()) throw new Error("wasm backend: worker threads are not available here");
  stacks.forEach((stack, i) => {
    const workerData = { module, memory, id: firstId + i, stack };
    if (workerThreads) {
      new workerThreads.Worker(WORKER_SOURCE, { eval: true, workerData }).unref();
      return;
    }
    browserWorkerUrl ??= browser.URL.createObjectURL!(new browser.Blob!([BROWSER_WORKER_SOURCE], { type: "text/javascript" }));
    new browser.Worker!(browserWorkerUrl).postMessage(workerData);
  });
}

const START_TIMEOUT_MS = 10_000;
const startError = (ready: number, target: number): Error => new Error(`wasm backend: only ${ready} of ${target} worker threads started within ${START_TIMEOUT_MS / 1000} s`);

/**
 * Starts workers as `spawnWorkers` does and blocks (up to 10 s) until every one is ready, as counted
 * by `ready()`. Node only: workers do not keep the process alive.
 */
export function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, firstId: number, stacks: number[], ready: () => number): void {
  const target = firstId - 1 + stacks.length;
  spawnWorkers(module, memory, firstId, stacks);
  const deadline = Date.now() + START_TIMEOUT_MS;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (ready() < target) {
    if (Date.now() > deadline) throw startError(ready(), target);
    Atomics.wait(nap, 0, 0, 1);
  }
}

/**
 * The same without blocking: resolves once every worker is ready. A browser's workers start only
 * while the thread that made them goes on running its event loop, so there this is the only way.
 */
export async function startWorkersAsync(module: WebAssembly.Module, memory: WebAssembly.Memory, firstId: number, stacks: number[], ready: () => number): Promise<void> {
  const target = firstId - 1 + stacks.length;
  spawnWorkers(module, memory, firstId, stacks);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (ready() < target) {
    if (Date.now() > deadline) throw startError(ready(), target);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

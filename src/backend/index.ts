/**
 * The backend registry and the thread budget: the one place backends are registered and chosen.
 * The reference CPU backend is always there and is the default; importing this module registers
 * nothing else. The WebAssembly backend registers itself from `seqtorch` (the package entry) or
 * on request from `seqtorch/wasm` (`backend/wasm/register.ts`).
 */
import type { Backend } from "./backend.js";
import { cpuBackend } from "./cpu/index.js";

const registry = new Map<string, Backend>([[cpuBackend.name, cpuBackend]]);
let active: Backend = cpuBackend;
let numThreads = 1;

/** Makes a backend available to `setBackend` under its name (replacing one of the same name). */
export function registerBackend(backend: Backend): void {
  if (registry.get(backend.name) === active) active = backend;
  registry.set(backend.name, backend);
}

/** Chooses the backend every op runs on from now on. */
export function setBackend(name: string): Backend {
  const be = registry.get(name);
  if (!be) throw new Error(`setBackend: unknown backend "${name}". Registered: ${[...registry.keys()].join(", ")}`);
  active = be;
  return be;
}

export function getBackend(): Backend {
  return active;
}

export function listBackends(): string[] {
  return [...registry.keys()];
}

/**
 * How many threads backends may use for large work (default 1), like `torch.set_num_threads`.
 * Each backend uses up to `min(n, backend.maxThreads)`: the reference backend is single-threaded.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  numThreads = n;
}

export function getNumThreads(): number {
  return numThreads;
}

/** The threads `backend` may use now: the budget, capped by what the backend can run. */
export function threadsFor(backend: Pick<Backend, "maxThreads">): number {
  return Math.max(1, Math.min(numThreads, backend.maxThreads));
}

export * from "./backend.js";
export { cpuBackend };

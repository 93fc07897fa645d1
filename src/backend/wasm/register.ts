/**
 * `seqtorch/wasm`: registering the WebAssembly SIMD backend. Nothing here runs at import; the
 * package entry (`seqtorch`) calls `registerWasmBackend()` once, and code that imports only
 * `seqtorch/core` calls it (or `initWasmBackend()`) when it wants the backend.
 */
import { getBackend, listBackends, registerBackend, setBackend } from "../index.js";
import { createWasmBackend, createWasmBackendAsync, supportedVariants, type WasmBackend, type WasmBackendInfo } from "./index.js";

let unavailable: string | null = null;

/** Why the wasm backend could not be registered, or null when it is (or was never tried). */
export function wasmUnavailableReason(): string | null {
  return unavailable;
}

/**
 * Compiles the kernels synchronously, registers the backend and (by default) selects it. Returns
 * false, leaving the reference backend active, where WebAssembly SIMD is missing or the engine
 * refuses a synchronous compile (a browser's main thread: use `initWasmBackend` there).
 */
export function registerWasmBackend(options: { select?: boolean } = {}): boolean {
  try {
    if (!listBackends().includes("wasm")) {
      if (supportedVariants().length === 0) throw new Error("this engine does not support WebAssembly SIMD");
      registerBackend(createWasmBackend());
    }
    if (options.select ?? true) setBackend("wasm");
    unavailable = null;
    return true;
  } catch (e) {
    unavailable = (e as Error).message;
    return false;
  }
}

/**
 * Makes sure the wasm backend is registered and active, compiling it asynchronously where a
 * synchronous compile was refused (a browser's main thread). Resolves to false where WebAssembly
 * SIMD is missing; the reference backend then stays active. With `threads`, also starts worker
 * threads up to that many in all where memory can be shared (a browser worker of a cross-origin
 * isolated page, or Node); `setNumThreads` then chooses how many each call uses.
 */
export async function initWasmBackend(options: { threads?: number } = {}): Promise<boolean> {
  if (!listBackends().includes("wasm")) {
    if (supportedVariants().length === 0) {
      unavailable = "this engine does not support WebAssembly SIMD";
      return false;
    }
    registerBackend(await createWasmBackendAsync());
    unavailable = null;
  }
  setBackend("wasm");
  if (options.threads && options.threads > 1) await (getBackend() as WasmBackend).startThreads(options.threads);
  return true;
}

export { createWasmBackend, createWasmBackendAsync, supportedVariants as wasmVariants, type WasmBackend, type WasmBackendInfo };

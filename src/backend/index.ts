/**
 * The backend registry. The reference CPU backend is always registered; the WebAssembly SIMD
 * backend is registered too where the engine supports SIMD, and is then the default.
 */
import { listBackends, registerBackend, setBackend } from "./backend.js";
import { cpuBackend } from "./cpu/index.js";
import { createWasmBackend, createWasmBackendAsync, supportedVariants } from "./wasm/index.js";

registerBackend(cpuBackend);

/** Why the wasm backend is not available, or null when it is registered. */
export let wasmUnavailableReason: string | null = null;
try {
  if (supportedVariants().length === 0) throw new Error("this engine does not support WebAssembly SIMD");
  registerBackend(createWasmBackend());
  setBackend("wasm");
} catch (e) {
  // NOTE: browsers refuse to compile large modules synchronously on the main thread; there the
  // reference backend stays active.
  wasmUnavailableReason = (e as Error).message;
}

/**
 * Makes sure the wasm backend is registered and active, compiling it asynchronously where a
 * synchronous compile was refused (a browser's main thread). Resolves to false where WebAssembly
 * SIMD is missing; the reference backend then stays active.
 */
export async function initWasmBackend(): Promise<boolean> {
  if (listBackends().includes("wasm")) {
    setBackend("wasm");
    return true;
  }
  if (supportedVariants().length === 0) return false;
  registerBackend(await createWasmBackendAsync());
  setBackend("wasm");
  wasmUnavailableReason = null;
  return true;
}

export * from "./backend.js";
export { cpuBackend };

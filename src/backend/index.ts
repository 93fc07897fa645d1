/**
 * The backend registry. The reference CPU backend is always registered; the WebAssembly SIMD
 * backend is registered too where the engine supports SIMD, and is then the default.
 */
import { registerBackend, setBackend } from "./backend.js";
import { cpuBackend } from "./cpu/index.js";
import { createWasmBackend, supportedVariants } from "./wasm/index.js";

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

export * from "./backend.js";
export { cpuBackend };

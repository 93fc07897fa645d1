/**
 * The debug kernels: the C compiled with its bounds checks (ST_DEBUG), which the runtime pairs with
 * guards around every block it hands a kernel. Nothing in the package's entry points imports this
 * file, so bundles do not carry them; tests run them with `createWasmBackend("debug", debugKernels())`.
 */
import { threadsSupported } from "./host.js";
import * as binaries from "./kernels-wasm-debug.js";
import { decode } from "./runtime.js";

/** The debug kernels' module, with shared memory where worker threads can join them. */
export function debugKernels(): WebAssembly.Module {
  return new WebAssembly.Module(decode(threadsSupported() ? binaries.debugShared : binaries.debug));
}

/**
 * `seqtorch/native`: the native kernels for Node (Node only). The addon is built from
 * `src/backend/c` at `npm install` (`tools/build-native.mjs`); where it could not be built or
 * loaded, `nativeUnavailableReason()` says why and nothing is registered. So far the native backend
 * runs matrix products in C (packed GEMM, vectorised for the CPU's widest instruction set); every
 * other op, and the recurrent layers, run on the reference backend's code.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "../backend.js";
import { cpuBackend, listBackends, registerBackend, setBackend } from "../index.js";

/** The addon's exports (native/addon.cc). */
export interface NativeAddon {
  gemm(A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean): void;
  /** The instruction sets this CPU can run kernels for, narrowest first. */
  isas(): string[];
  /** The instruction set in use (the widest, unless `setIsa` chose another). */
  isa(): string;
  setIsa(name: string): void;
}

// src/backend/native or dist/backend/native: the package root is three folders up.
const root = fileURLToPath(new URL("../../..", import.meta.url));
let addon: NativeAddon | null = null;
let unavailable: string | null = null;

/** Loads the addon once; null (with a reason) where it was not built or does not load. */
export function loadNativeAddon(): NativeAddon | null {
  if (addon || unavailable) return addon;
  try {
    addon = (createRequire(import.meta.url)("node-gyp-build") as (dir: string) => NativeAddon)(root);
  } catch (e) {
    const note = join(root, "build", "native-unavailable.txt");
    unavailable = existsSync(note) ? readFileSync(note, "utf8").trim() : `the addon did not load: ${(e as Error).message.split("\n")[0]}`;
  }
  return addon;
}

/** Why the native backend is not available, or null when it is. */
export function nativeUnavailableReason(): string | null {
  loadNativeAddon();
  return unavailable;
}

/** The native backend over a loaded addon: the reference backend with C matrix products (float32). */
export function createNativeBackend(native: NativeAddon): Backend {
  return {
    ...cpuBackend,
    name: "native",
    matmul(a, b, out, m, k, n, transA, transB, batch, aStride, bStride) {
      if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
        cpuBackend.matmul(a, b, out, m, k, n, transA, transB, batch, aStride, bStride);
        return;
      }
      for (let i = 0; i < batch; i++) native.gemm(a, i * aStride, b, i * bStride, out, i * m * n, m, k, n, transA, transB, false);
    },
  };
}

/** Registers the native backend (and selects it, unless `select: false`); false where it is unavailable. */
export function registerNativeBackend(options: { select?: boolean } = {}): boolean {
  const native = loadNativeAddon();
  if (!native) return false;
  if (!listBackends().includes("native")) registerBackend(createNativeBackend(native));
  if (options.select ?? true) setBackend("native");
  return true;
}

/**
 * The WebAssembly SIMD backend. It runs the matrix products and the fused recurrent layers in
 * wasm kernels and takes everything else (cheap elementwise work, float64 gradient checks) from the
 * reference CPU backend, which stays the oracle its kernels are tested against.
 */
import { CELLS, carriesCell, gateCount, savedBuffers, unhandledKind, type FusedCellKind, type SavedSpec } from "../../cells/spec.js";
import type { FloatBuf } from "../../dtype.js";
import type {
  Backend, RecurrentKernels, RecurrentBackwardArgs, RecurrentBackwardResult, RecurrentForwardArgs, RecurrentForwardResult, RecurrentSaved,
} from "../backend.js";
import { cpuBackend } from "../cpu/index.js";
import { compileKernels, supportedVariants, WasmRuntime, type Variant } from "./runtime.js";

/**
 * The kernels' id of a fused kind, from the cell table, for the kinds the AssemblyScript kernels
 * implement: a fused kind added to the table is a compile error here until they do.
 */
function kernelId(kind: FusedCellKind): number {
  switch (kind) {
    case "lstm": case "gru": case "rnn": case "rnn-relu": case "rnn-leaky": return CELLS[kind].kernel;
    default: return unhandledKind(kind);
  }
}

type SavedName = SavedSpec["name"];

/** Products smaller than this many multiply-adds stay in JavaScript: copying in and out costs more. */
const SMALL_MATMUL = 4096;

/** Saved activations stay in wasm memory (no copy out and back in): offsets of persistent blocks. */
interface WasmSaved extends RecurrentSaved {
  readonly runtime: WasmRuntime;
  /** Offsets of the saved buffers the cell table lists (0 for one this layer does not keep). */
  readonly blocks: Record<SavedName, number>;
  readonly base: number;
  readonly bytes: number;
  /** Set once backward has consumed (and freed) the blocks. */
  released: boolean;
}

/** A saved record that is dropped without a backward pass gives its blocks back when collected. */
interface Held { runtime: WasmRuntime; base: number; bytes: number }
const unreleased = new FinalizationRegistry<Held>((h) => h.runtime.release(h.base, h.bytes));

const isF32 = (...bufs: (FloatBuf | null)[]): boolean => bufs.every((b) => b === null || b instanceof Float32Array);

export interface WasmBackendInfo {
  /** "relaxed" uses fused multiply-add (relaxed SIMD); "simd" plain SIMD128. */
  variant: Variant;
  /** Whether kernels can share memory with worker threads here (Node). */
  sharedMemory: boolean;
  /** Worker threads started so far (they start on the first call with `setNumThreads(n > 1)`). */
  workers: number;
  /** Bytes of WebAssembly memory reserved; it grows to the largest call and is reused. */
  memoryBytes: number;
}

export type WasmBackend = Backend & { readonly recurrent: RecurrentKernels; info(): WasmBackendInfo };

function chooseVariant(variant?: Variant): Variant {
  const available = supportedVariants();
  const chosen = variant ?? (available.includes("relaxed") ? "relaxed" : "simd");
  if (!available.includes(chosen)) {
    throw new Error(`wasm backend: this engine cannot run the ${chosen === "relaxed" ? "relaxed-SIMD" : "SIMD"} kernels (WebAssembly SIMD is required)`);
  }
  return chosen;
}

/**
 * Builds the backend asynchronously. A browser's main thread refuses to compile the kernels
 * synchronously, so there the wasm backend is not registered at import; `await initWasmBackend()`
 * compiles, registers and selects it.
 */
export async function createWasmBackendAsync(variant?: Variant): Promise<WasmBackend> {
  const chosen = chooseVariant(variant);
  return createWasmBackend(chosen, await compileKernels(chosen));
}

export function createWasmBackend(variant?: Variant, module?: WebAssembly.Module): WasmBackend {
  const chosen = chooseVariant(variant);
  const rt = new WasmRuntime(chosen, module);
  const k = rt.kernels;
  const cpu = cpuBackend.recurrent!;

  function matmul(a: FloatBuf, b: FloatBuf, out: FloatBuf, m: number, kk: number, n: number, transA: boolean, transB: boolean, batch: number, aStride: number, bStride: number): void {
    if (!isF32(a, b, out) || m * kk * n < SMALL_MATMUL) {
      cpuBackend.matmul(a, b, out, m, kk, n, transA, transB, batch, aStride, bStride);
      return;
    }
    rt.begin(kk);
    const pa = rt.put(a as Float32Array);
    const pb = rt.put(b as Float32Array);
    const pc = rt.allocF32(batch * m * n);
    const scratch = rt.alloc(k.gemmScratchBytes(m, kk, n));
    for (let i = 0; i < batch; i++) {
      k.gemm(pa + i * aStride * 4, pb + i * bStride * 4, pc + i * m * n * 4, m, kk, n, transA ? 1 : 0, transB ? 1 : 0, 0, scratch);
    }
    (out as Float32Array).set(rt.read(pc, batch * m * n));
  }

  function recurrentForward(a: RecurrentForwardArgs): RecurrentForwardResult {
    const { kind, T, N, I, H, P, save } = a;
    if (!isF32(a.x, a.h0, a.c0, a.wIh, a.wHh, a.bIh, a.bHh, a.wHr)) return cpu.forward(a);
    const Hr = P > 0 ? P : H;
    const lstm = carriesCell(kind);
    // What backward needs (the cell table's saved buffers) goes in one persistent block, allocated
    // before the call's arena.
    const sizes = save ? savedBuffers(kind, { I, H, P }).map((b) => ({ name: b.name, floats: T * N * b.size })) : [];
    const savedBytes = 4 * sizes.reduce((x, b) => x + ((b.floats + 3) & ~3), 0);
    const base = save ? rt.allocPersistent(savedBytes) : 0;
    let cursor = base;
    const blocks: Record<SavedName, number> = { gates: 0, hPrev: 0, cPrev: 0, c: 0, m: 0, ghn: 0 };
    for (const b of sizes) {
      blocks[b.name] = cursor;
      // Steps past a sequence's length are never written; keep them finite for the weight products.
      if (a.lengths) rt.zero(cursor, b.floats);
      cursor += ((b.floats + 3) & ~3) * 4;
    }
    rt.begin(Math.max(I, Hr, H));
    const put = (x: FloatBuf | null): number => (x ? rt.put(x as Float32Array) : 0);
    const px = put(a.x), ph0 = put(a.h0), pc0 = lstm ? put(a.c0 ?? new Float32Array(N * H)) : 0;
    const pwIh = put(a.wIh), pwHh = put(a.wHh), pbIh = put(a.bIh), pbHh = put(a.bHh), pwHr = put(a.wHr);
    const plen = a.lengths ? rt.putI32(a.lengths) : 0;
    const py = rt.allocF32(T * N * Hr), phN = rt.allocF32(N * Hr), pcN = lstm ? rt.allocF32(N * H) : 0;
    const scratch = rt.alloc(k.recurrentForwardScratchBytes(kernelId(kind), T, N, I, H, P, save ? 1 : 0));
    k.recurrentForward(
      kernelId(kind), T, N, I, H, P, a.reverse ? 1 : 0, plen,
      px, ph0, pc0, pwIh, pwHh, pbIh, pbHh, pwHr,
      py, phN, pcN,
      blocks.gates, blocks.hPrev, blocks.cPrev, blocks.c, blocks.m, blocks.ghn,
      scratch, a.slope ?? 0,
    );
    let saved: WasmSaved | null = null;
    if (save) {
      saved = { kind, runtime: rt, blocks, base, bytes: savedBytes, released: false };
      unreleased.register(saved, { runtime: rt, base, bytes: savedBytes }, saved);
    }
    return { y: rt.read(py, T * N * Hr), hN: rt.read(phN, N * Hr), cN: lstm ? rt.read(pcN, N * H) : null, saved };
  }

  function recurrentBackward(args: RecurrentBackwardArgs): RecurrentBackwardResult {
    const a = args.forward;
    const sv = args.saved as WasmSaved;
    if (!isF32(a.x, a.wIh) || sv.runtime !== rt) return cpu.backward(args);
    if (sv.released) {
      throw new Error("Trying to backward through the graph a second time: a recurrent layer's saved activations were freed after the first backward (pass retainGraph: true to the first backward, or run the forward pass again)");
    }
    const { kind, T, N, I, H, P } = a;
    const G = gateCount(kind);
    const GH = G * H;
    const Hr = P > 0 ? P : H;
    const lstm = carriesCell(kind);
    const hasBias = a.bIh !== null || a.bHh !== null;
    rt.begin(Math.max(GH, T * N, P));
    const put = (x: FloatBuf | null): number => (x ? rt.put(x as Float32Array) : 0);
    const px = put(a.x), pwIh = put(a.wIh), pwHh = put(a.wHh), pwHr = put(a.wHr);
    const plen = a.lengths ? rt.putI32(a.lengths) : 0;
    // The kernel overwrites the saved gates with their gradients: to keep them (retainGraph), it works on a copy.
    const shift = args.retain ? rt.put(rt.read(sv.base, sv.bytes >> 2)) - sv.base : 0;
    const at = (p: number): number => (p ? p + shift : 0);
    const [sg, shp, scp, sc, sm, sgh] = [sv.blocks.gates, sv.blocks.hPrev, sv.blocks.cPrev, sv.blocks.c, sv.blocks.m, sv.blocks.ghn].map(at) as [number, number, number, number, number, number];
    const pdy = put(args.dy), pdhN = put(args.dhN), pdcN = put(args.dcN);
    const pdx = rt.allocF32(T * N * I), pdh0 = rt.allocF32(N * Hr), pdc0 = lstm ? rt.allocF32(N * H) : 0;
    const pdwIh = rt.allocF32(GH * I), pdwHh = rt.allocF32(GH * Hr);
    const pdbIh = hasBias ? rt.allocF32(GH) : 0, pdbHh = hasBias ? rt.allocF32(GH) : 0;
    const pdwHr = P > 0 ? rt.allocF32(P * H) : 0;
    const scratch = rt.alloc(k.recurrentBackwardScratchBytes(kernelId(kind), T, N, I, H, P));
    k.recurrentBackward(
      kernelId(kind), T, N, I, H, P, a.reverse ? 1 : 0, plen,
      px, pwIh, pwHh, pwHr, hasBias ? 1 : 0,
      sg, shp, scp, sc, sm, sgh,
      pdy, pdhN, pdcN,
      pdx, pdh0, pdc0, pdwIh, pdwHh, pdbIh, pdbHh, pdwHr,
      // The last argument (per-step state gradients) is unused: diagnostics run the composed cells.
      scratch, a.slope ?? 0, 0,
    );
    if (!args.retain) {
      // The kernel overwrote the saved gates with their gradients; the block is done with.
      sv.released = true;
      unreleased.unregister(sv);
      rt.release(sv.base, sv.bytes);
    }
    return {
      dx: rt.read(pdx, T * N * I),
      dh0: rt.read(pdh0, N * Hr),
      dc0: lstm ? rt.read(pdc0, N * H) : null,
      dwIh: rt.read(pdwIh, GH * I),
      dwHh: rt.read(pdwHh, GH * Hr),
      dbIh: a.bIh ? rt.read(pdbIh, GH) : null,
      dbHh: a.bHh ? rt.read(pdbHh, GH) : null,
      dwHr: P > 0 ? rt.read(pdwHr, P * H) : null,
    };
  }

  const info = (): WasmBackendInfo => ({ variant: chosen, sharedMemory: rt.shared, workers: rt.workerCount, memoryBytes: rt.reservedBytes });
  // Every member is named: a primitive added to the Backend interface is a compile error here until
  // the wasm backend runs it (or says that the reference loop serves).
  const ref = cpuBackend;
  return {
    name: "wasm",
    maxThreads: rt.maxThreads,
    // Cheap elementwise and indexing work: the reference loops are as fast as a copy into wasm memory.
    unary: ref.unary,
    leakyRelu: ref.leakyRelu,
    binary: ref.binary,
    reduce: ref.reduce,
    argReduce: ref.argReduce,
    permute: ref.permute,
    copyAxis: ref.copyAxis,
    gather: ref.gather,
    scatterAdd: ref.scatterAdd,
    cast: ref.cast,
    matmul,
    recurrent: { forward: recurrentForward, backward: recurrentBackward },
    info,
  };
}

export { supportedVariants, type Variant };

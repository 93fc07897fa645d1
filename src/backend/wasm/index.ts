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
import { SAVED_FREED } from "../backend.js";
import { cpuBackend } from "../cpu/index.js";
import { layoutOf, type Values } from "./abi.js";
import { compileKernels, supportedVariants, WasmRuntime, type Variant } from "./runtime.js";

/**
 * The kernels' id of a fused kind, from the cell table, for the kinds the C kernels implement: a
 * fused kind added to the table is a compile error here until they do.
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
  /** Whether kernels can share memory with worker threads here (Node, or a browser worker of a cross-origin isolated page). */
  sharedMemory: boolean;
  /** The most threads `setNumThreads` can give the kernels here: the host's cores with shared memory, else 1. */
  maxThreads: number;
  /** Worker threads started so far (they start on the first call with `setNumThreads(n > 1)`). */
  workers: number;
  /** Bytes of WebAssembly memory reserved; it grows to the largest call and is reused. */
  memoryBytes: number;
}

export type WasmBackend = Backend & {
  readonly recurrent: RecurrentKernels;
  info(): WasmBackendInfo;
  /**
   * Starts worker threads, up to `threads` in all, without blocking the caller, and resolves to the
   * threads the kernels can now use. Node starts them on the first call that needs them anyway; a
   * browser worker must call this (or `initWasmBackend({ threads })`) before `setNumThreads(n > 1)` helps.
   */
  startThreads(threads: number): Promise<number>;
}

function chooseVariant(variant?: Variant): Variant {
  const available = supportedVariants();
  const chosen = variant ?? (available.includes("relaxed") ? "relaxed" : "simd");
  // The debug kernels are SIMD128 too.
  if (!available.includes(chosen === "debug" ? "simd" : chosen)) {
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
    rt.begin();
    const pa = rt.put(a as Float32Array);
    const pb = rt.put(b as Float32Array);
    const pc = rt.allocF32(batch * m * n);
    const floats = k.st_gemm_scratch_floats(m, kk, n);
    const scratch = rt.allocF32(floats);
    // A thread's task is a block of the product, which needs no more scratch than the whole.
    rt.useThreads(floats);
    for (let i = 0; i < batch; i++) {
      k.st_gemm(pa + i * aStride * 4, pb + i * bStride * 4, pc + i * m * n * 4, m, kk, n, transA ? 1 : 0, transB ? 1 : 0, 0, scratch);
    }
    rt.end();
    (out as Float32Array).set(rt.read(pc, batch * m * n));
  }

  /** Runs a recurrent kernel on the argument block at `args`: scratch from its layout, each thread's the layout's product scratch. */
  function runRecurrent(args: number, backward: boolean): void {
    const lay = rt.alloc(layoutOf("st_rec_layout").bytes);
    (backward ? k.st_rec_backward_layout : k.st_rec_forward_layout)(args, lay);
    const L = rt.readStruct(lay, "st_rec_layout");
    const scratch = rt.allocF32(L.total!);
    rt.useThreads(L.total! - L.gemm!);
    (backward ? k.st_rec_backward : k.st_rec_forward)(args, scratch);
    rt.end();
  }

  const put = (x: FloatBuf | null | undefined): number => (x ? rt.put(x as Float32Array) : 0);

  /**
   * The forward call's argument block: sizes, and the inputs copied into the arena (for backward,
   * only the ones it reads: not the initial state or the biases).
   */
  function forwardValues(a: RecurrentForwardArgs, save: boolean, forBackward = false): Values {
    const v: Values = {
      kind: kernelId(a.kind), T: a.T, N: a.N, I: a.I, H: a.H, P: a.P, reverse: a.reverse, save, batch_first: a.batchFirst ? 1 : 0, slope: a.slope ?? 0,
      lengths: a.lengths ? rt.putI32(a.lengths) : 0, x: put(a.x), wIh: put(a.wIh), wHh: put(a.wHh), wHr: put(a.wHr),
    };
    if (!forBackward) Object.assign(v, { h0: put(a.h0), c0: put(a.c0), bIh: put(a.bIh), bHh: put(a.bHh) });
    return v;
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
      cursor += ((b.floats + 3) & ~3) * 4;
    }
    rt.begin();
    const y = rt.allocF32(T * N * Hr), hN = rt.allocF32(N * Hr), cN = lstm ? rt.allocF32(N * H) : 0;
    runRecurrent(rt.putStruct("st_rec_forward_args", Object.assign(forwardValues(a, save), { y, hN, cN }, blocks)), false);
    let saved: WasmSaved | null = null;
    if (save) {
      saved = { kind, runtime: rt, blocks, base, bytes: savedBytes, released: false };
      unreleased.register(saved, { runtime: rt, base, bytes: savedBytes }, saved);
    }
    const o = a.out && [a.out.y, a.out.hN, a.out.cN].every((b) => b === null || b instanceof Float32Array) ? a.out : null;
    return { y: rt.read(y, T * N * Hr, o?.y), hN: rt.read(hN, N * Hr, o?.hN), cN: lstm ? rt.read(cN, N * H, o?.cN) : null, saved };
  }

  function recurrentBackward(args: RecurrentBackwardArgs): RecurrentBackwardResult {
    const a = args.forward;
    const sv = args.saved as WasmSaved;
    if (!isF32(a.x, a.wIh) || sv.runtime !== rt) return cpu.backward(args);
    if (sv.released) {
      throw new Error(SAVED_FREED);
    }
    const { kind, T, N, I, H, P } = a;
    const GH = gateCount(kind) * H;
    const Hr = P > 0 ? P : H;
    const lstm = carriesCell(kind);
    rt.begin();
    // The kernel reads the saved activations where the forward pass left them; the last backward to
    // read them (not retained) may write the gate gradients over the saved gates.
    const f = { ...forwardValues(a, true, true), ...sv.blocks };
    const out = {
      dx: rt.allocF32(T * N * I), dh0: rt.allocF32(N * Hr), dc0: lstm ? rt.allocF32(N * H) : 0,
      dwIh: rt.allocF32(GH * I), dwHh: rt.allocF32(GH * Hr),
      dbIh: a.bIh ? rt.allocF32(GH) : 0, dbHh: a.bHh ? rt.allocF32(GH) : 0, dwHr: P > 0 ? rt.allocF32(P * H) : 0,
    };
    runRecurrent(rt.putStruct("st_rec_backward_args", { f, dy: put(args.dy), dhN: put(args.dhN), dcN: put(args.dcN), ...out, reuse_gates: args.retain ? 0 : 1 }), true);
    if (!args.retain) {
      // Freed as PyTorch frees a graph's buffers after backward.
      sv.released = true;
      unreleased.unregister(sv);
      rt.release(sv.base, sv.bytes);
    }
    const read = (p: number, n: number): Float32Array | null => (p ? rt.read(p, n) : null);
    return {
      dx: rt.read(out.dx, T * N * I), dh0: rt.read(out.dh0, N * Hr), dc0: read(out.dc0, N * H),
      dwIh: rt.read(out.dwIh, GH * I), dwHh: rt.read(out.dwHh, GH * Hr),
      dbIh: read(out.dbIh, GH), dbHh: read(out.dbHh, GH), dwHr: read(out.dwHr, P * H),
    };
  }

  const info = (): WasmBackendInfo => ({ variant: chosen, sharedMemory: rt.shared, maxThreads: rt.maxThreads, workers: rt.workerCount, memoryBytes: rt.reservedBytes });
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
    takeRows: ref.takeRows,
    addRows: ref.addRows,
    gather: ref.gather,
    scatterAdd: ref.scatterAdd,
    cast: ref.cast,
    matmul,
    recurrent: { forward: recurrentForward, backward: recurrentBackward },
    info,
    startThreads: (threads: number) => rt.startThreads(threads),
  };
}

export { supportedVariants, type Variant };

/**
 * `seqtorch/native`: the native kernels for Node (Node only). The addon is built from
 * `src/backend/c` at `npm install` (`tools/build-native.mjs`); where it could not be built or
 * loaded, `nativeUnavailableReason()` says why and nothing is registered. The native backend runs
 * matrix products, the fused recurrent layers, Adam's update and large float32 add, sub, mul and div
 * (same shape or one value broadcast) in C (vectorised for the CPU's widest instruction set,
 * threaded by `setNumThreads`); other elementwise ops, reductions and copies run the reference
 * backend's loops.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CELLS, gateCount, savedBuffers } from "../../cells/spec.js";
import type { Backend, BinaryOp, Buf, FloatBuf, RecurrentBackwardArgs, RecurrentBackwardResult, RecurrentForwardArgs, RecurrentForwardResult, RecurrentSaved } from "../backend.js";
import { SAVED_FREED } from "../backend.js";
import { allocBuf, float32ForOverwrite, setUnclearedFloat32 } from "../../dtype.js";
import { availableParallelism } from "node:os";
import { cpuBackend, listBackends, registerBackend, setBackend, threadsFor } from "../index.js";

/** The addon's exports (native/addon.cc). */
export interface NativeAddon {
  gemm(A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean): void;
  /**
   * One recurrent layer and direction (see `RECURRENT_BUFFERS` for the buffers' order): dims are
   * `[kind, T, N, I, H, P, reverse, save, batchFirst, reuseGates, yStride]`, followed by the 17 forward buffers (backward:
   * then the 11 backward buffers) as arguments: reading them from an array cost more than the kernel
   * at small sizes. Every buffer is checked against its size first.
   */
  recurrentForward(dims: Int32Array, slope: number, lengths: Int32Array | null, ...buffers: (Float32Array | null)[]): void;
  recurrentBackward(dims: Int32Array, slope: number, lengths: Int32Array | null, ...buffers: (Float32Array | null)[]): void;
  /** The buffer order the addon reads, to check against `RECURRENT_BUFFERS`. */
  bufferNames(): { forward: string[]; backward: string[] };
  /** One Adam/AdamW step in place; hyper = [lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, decoupled, maximize]. */
  adam(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vMax: Float32Array | null, hyper: Float64Array): void;
  /** `out = a op b` (op: 0 add, 1 sub, 2 mul, 3 div) over Float32Arrays; a and b hold out's length or one value; out may be a or b. */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  rows(x: Float32Array, width: number, index: Int32Array, out: Float32Array, add: boolean, skip: number): void;
  /** The thread budget of the kernels that follow (a pool inside the addon; the caller works too). */
  setThreads(n: number): void;
  /** Pool threads started and the tasks they have run, to see that threads ran. */
  poolStats(): { threads: number; tasks: number };
  /** The instruction sets this CPU can run kernels for, narrowest first. */
  isas(): string[];
  /** The instruction set in use (the widest, unless `setIsa` chose another). */
  isa(): string;
  setIsa(name: string): void;
  /**
   * Returns the C heap's free pages to the system (glibc's malloc_trim); true when some were. Freed
   * tensor buffers otherwise stay resident as fragments over a long run.
   */
  trimMemory(): boolean;
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

/**
 * Returns memory freed by tensors to the system, where the native addon is loaded (glibc keeps
 * freed buffers resident otherwise); false where nothing was returned or there is no addon. It
 * costs about a millisecond: call it between training steps now and then, not after each.
 */
export function releaseFreedMemory(): boolean {
  pool.length = 0;
  blocks.clear();
  pooledFloats = 0;
  return loadNativeAddon()?.trimMemory() ?? false;
}

/**
 * Saved activations that a backward has used for the last time (it was not asked to retain
 * them), kept for the next forward: a fresh buffer's pages must be faulted in and zeroed again,
 * which for W4's 91 MB of saved activations took longer than its gate math. A kept buffer serves
 * any request from half its length up to its length (batches of text vary in length from step to
 * step). At most 256 MB is kept, in buffers from 1 MiB up and small blocks (below). With a floor of
 * 4 MiB, W5's 2 MiB buffers (c, cPrev and hPrev of each layer and direction) came fresh at every
 * step, and its training step took 243 ms against 224 ms with them kept (medians, one process);
 * training on a 100 MB CSV (bench/bigcsv.ts, one epoch) took 2:18 instead of 2:27 and peaked at
 * 292 MB instead of 280.
 */
const pool: Float32Array[] = [];
const POOL_MAX_FLOATS = 64 << 20;
const POOL_MIN_FLOATS = 1 << 18;
let pooledFloats = 0;
/** The whole kept buffer behind each piece handed out. */
const wholeOf = new WeakMap<Float32Array, Float32Array>();
/**
 * Smaller saved blocks (one call's saved buffers in one allocation, or one buffer under the pool's
 * floor), kept by exact length: a cell loop saves the same sizes at every step (W7: 2 cells × 999
 * steps × 80 KB), and an allocation of that size cost about 25 us, as much as the step's kernel.
 * They share the 256 MB, and only blocks under 256 KB, of the 8 lengths used last, are kept: batches
 * of text vary in length, and kept larger blocks of lengths not asked for again raised the peak of
 * a 100 MB CSV's training run by 30 MB.
 */
const blocks = new Map<number, Float32Array[]>();
const BLOCK_MIN_FLOATS = 1 << 10;
const BLOCK_MAX_FLOATS = 64 << 10;
const BLOCK_LENGTHS = 8;

/** A saved block of exactly n floats: a kept one (its old contents are written over), or a fresh one. */
function savedBlock(n: number): Float32Array {
  const kept = n >= BLOCK_MIN_FLOATS && n < BLOCK_MAX_FLOATS ? blocks.get(n)?.pop() : undefined;
  if (!kept) return new Float32Array(n);
  pooledFloats -= n;
  return kept;
}

function pooledBuffer(n: number): Float32Array {
  // Below the pool's floor, a fresh buffer, or a small one kept by its exact length.
  if (n < POOL_MIN_FLOATS) return savedBlock(n);
  let best = -1;
  pool.forEach((b, i) => {
    if (b.length >= n && b.length <= 2 * n && (best < 0 || b.length < pool[best]!.length)) best = i;
  });
  if (best < 0) return new Float32Array(n);
  const whole = pool.splice(best, 1)[0]!;
  pooledFloats -= whole.length;
  const piece = whole.length === n ? whole : whole.subarray(0, n);
  wholeOf.set(piece, whole);
  return piece;
}

function keepForReuse(piece: Float32Array): void {
  const b = wholeOf.get(piece) ?? piece;
  if (pooledFloats + b.length > POOL_MAX_FLOATS) return;
  if (b.length < POOL_MIN_FLOATS) {
    if (b.length < BLOCK_MIN_FLOATS || b.length >= BLOCK_MAX_FLOATS) return;
    const list = blocks.get(b.length) ?? [];
    blocks.delete(b.length); // re-inserted last: the lengths are kept in the order of their last use
    if (list.length === 0 && blocks.size >= BLOCK_LENGTHS) {
      const [oldest, dropped] = blocks.entries().next().value as [number, Float32Array[]];
      blocks.delete(oldest);
      pooledFloats -= oldest * dropped.length;
    }
    list.push(b);
    blocks.set(b.length, list);
    pooledFloats += b.length;
    return;
  }
  pool.push(b);
  pooledFloats += b.length;
}

/**
 * Small buffers that live and die together (one call's outputs, one layer's saved activations) as
 * views of one allocation, null for a size of 0. On the virtual machines this was measured on, each
 * Float32Array past V8's 64-byte on-heap limit costs 1.2–4 us to allocate (calloc racing the garbage
 * collector's background sweeper for the heap lock), against 0.03 us for a view: a small layer's
 * call made four of them. Past 64 KB in all (callers may keep one output), each buffer gets its own
 * allocation, so that one kept output never holds a large neighbour alive.
 */
function carve(sizes: readonly number[]): (Float32Array | null)[] {
  const total = carvedLength(sizes);
  if (total > CARVE_MAX_FLOATS) return sizes.map((n) => (n > 0 ? new Float32Array(n) : null));
  return piecesOf(new Float32Array(total), sizes);
}

/** Views of `whole` (of carvedLength(sizes) floats) of the given sizes, 16-float aligned, null for 0. */
function piecesOf(whole: Float32Array, sizes: readonly number[]): (Float32Array | null)[] {
  let at = 0;
  return sizes.map((n) => {
    if (n <= 0) return null;
    const piece = whole.subarray(at, at + n);
    at += n + 15 & ~15;
    return piece;
  });
}
const CARVE_MAX_FLOATS = 16 << 10;
const carvedLength = (sizes: readonly number[]): number => sizes.reduce((sum, n) => sum + (n > 0 ? n + 15 & ~15 : 0), 0);

/** Why the native backend is not available, or null when it is. */
export function nativeUnavailableReason(): string | null {
  loadNativeAddon();
  return unavailable;
}

/** The order of the fused recurrent kernels' buffers: the argument block, described once here and in native/addon.cc. */
export const RECURRENT_BUFFERS = {
  forward: ["x", "h0", "c0", "wIh", "wHh", "bIh", "bHh", "wHr", "y", "hN", "cN", "gates", "hPrev", "cPrev", "c", "m", "ghn"],
  backward: ["dy", "dhN", "dcN", "dx", "dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh", "dwHr"],
} as const;

type SavedName = "gates" | "hPrev" | "cPrev" | "c" | "m" | "ghn";
interface NativeSaved extends RecurrentSaved {
  native: Partial<Record<SavedName, Float32Array>>;
  /** The saved buffers this forward allocated (not aliases of its inputs and outputs); null once freed. */
  owned: Float32Array[] | null;
}

const f32 = (b: Buf | null | undefined): b is Float32Array => b instanceof Float32Array;

/** The dims block the addon reads (one array, refilled per call: the addon reads it before returning). */
const dimsBlock = new Int32Array(11);
function dims(a: RecurrentForwardArgs, save: boolean, reuseGates = false, yStride = 0): Int32Array {
  const d = dimsBlock;
  d[0] = CELLS[a.kind].kernel, d[1] = a.T, d[2] = a.N, d[3] = a.I, d[4] = a.H, d[5] = a.P, d[6] = a.reverse ? 1 : 0, d[7] = save ? 1 : 0, d[8] = a.batchFirst ? 1 : 0, d[9] = reuseGates ? 1 : 0, d[10] = yStride;
  return d;
}

type OutBuffers = Partial<Record<"y" | "hN" | "cN" | SavedName, Float32Array | null>>;
/** The forward buffers in RECURRENT_BUFFERS.forward's order (this runs for every layer and cell step). */
export function forwardBuffers(a: RecurrentForwardArgs, o: OutBuffers): (Float32Array | null)[] {
  const f = (b: Buf | null | undefined): Float32Array | null => (b as Float32Array | null | undefined) ?? null;
  return [
    f(a.x), f(a.h0), f(a.c0), f(a.wIh), f(a.wHh), f(a.bIh), f(a.bHh), f(a.wHr),
    o.y ?? null, o.hN ?? null, o.cN ?? null, o.gates ?? null, o.hPrev ?? null, o.cPrev ?? null, o.c ?? null, o.m ?? null, o.ghn ?? null,
  ];
}

/**
 * For a cell's step (one step, no lengths), what backward reads that is already elsewhere: the
 * states entering the step are the inputs, and the LSTM cell after it is the output cN. The kernel
 * still writes its copies, into `sink`, which nothing reads.
 */
function cellAliases(a: RecurrentForwardArgs, cN: Float32Array | null): Partial<Record<SavedName, Float32Array>> | null {
  if (!a.cell || a.T !== 1 || a.lengths || !f32(a.h0)) return null;
  if (a.kind === "lstm") return f32(a.c0) && cN ? { hPrev: a.h0, cPrev: a.c0, c: cN } : null;
  return { hPrev: a.h0 };
}
const f32alloc = (n: number): Float32Array => allocBuf("float32", n) as Float32Array;
let sink = new Float32Array(0);
let scratch = new Float32Array(0);
/** Reused for weight gradients that are added into a `.grad` right after the kernel writes them. */
function scratchOf(size: number): Float32Array {
  if (scratch.length < size) scratch = new Float32Array(size);
  return scratch;
}
function sinkOf(size: number): Float32Array {
  if (sink.length < size) sink = new Float32Array(size);
  return sink.subarray(0, size);
}

/** The fused recurrent kernels in C for float32; float64 (gradient checks) runs the reference's. */
function nativeRecurrent(native: NativeAddon, budget: () => void, backend: Pick<Backend, "binary">): NonNullable<Backend["recurrent"]> {
  const ref = cpuBackend.recurrent!;
  return {
    forward(a: RecurrentForwardArgs): RecurrentForwardResult {
      const inputs = [a.x, a.h0, a.c0, a.wIh, a.wHh, a.bIh, a.bHh, a.wHr];
      if (!inputs.every((b) => b === null || f32(b))) return ref.forward(a);
      const Hr = a.P > 0 ? a.P : a.H;
      const lstm = a.kind === "lstm";
      // A cell's step reads hN only, so y (the same values) may be hN itself.
      const cellStep = a.save && a.cell === true && a.T === 1 && !a.lengths;
      const given = a.out && [a.out.y, a.out.hN, a.out.cN].every((b) => b === null || f32(b)) ? a.out : null;
      // A large y of its own is not cleared first: the kernel writes every row (zeros past a sequence's length).
      const ySize = cellStep ? 0 : a.T * a.N * Hr;
      const [hN, cN, yOwn] = given
        ? [given.hN as Float32Array, given.cN as Float32Array | null, given.y as Float32Array]
        : ySize > CARVE_MAX_FLOATS ? [...carve([a.N * Hr, lstm ? a.N * a.H : 0]), float32ForOverwrite(ySize)]
        : carve([a.N * Hr, lstm ? a.N * a.H : 0, ySize]);
      const aliases = a.save ? cellAliases(a, lstm ? cN! : null) : null;
      const y = aliases ? hN! : (yOwn ?? new Float32Array(0));
      const saved: Partial<Record<SavedName, Float32Array>> = {};
      const written: Partial<Record<SavedName, Float32Array>> = {};
      const owned: Float32Array[] = [];
      if (a.save) {
        const specs = savedBuffers(a.kind, { I: a.I, H: a.H, P: a.P }).filter((b) => {
          const alias = aliases?.[b.name];
          if (alias) {
            written[b.name] = sinkOf(a.T * a.N * b.size);
            saved[b.name] = alias;
          }
          return !alias;
        });
        const sizes = specs.map((b) => a.T * a.N * b.size);
        // Small saved buffers share one block (they are freed together), kept for reuse by its length;
        // large ones come from the pool one by one.
        const total = carvedLength(sizes);
        if (total < POOL_MIN_FLOATS) {
          const block = savedBlock(total);
          owned.push(block);
          const bufs = piecesOf(block, sizes);
          specs.forEach((b, i) => (written[b.name] = saved[b.name] = bufs[i]!));
        } else {
          const bufs = sizes.map(pooledBuffer);
          specs.forEach((b, i) => owned.push((written[b.name] = saved[b.name] = bufs[i]!)));
        }
      }
      budget();
      native.recurrentForward(dims(a, a.save, false, given?.yStride ?? 0), a.slope ?? 0, a.lengths, ...forwardBuffers(a, { y, hN, cN, ...written }));
      const kept: NativeSaved | null = a.save ? { kind: a.kind, native: saved, owned } : null;
      return { y, hN: hN!, cN: lstm ? cN! : null, saved: kept };
    },
    backward(args: RecurrentBackwardArgs): RecurrentBackwardResult {
      const sv = args.saved as NativeSaved;
      if (!sv.native) return ref.backward(args);
      if (!sv.owned) throw new Error(SAVED_FREED);
      const a = args.forward;
      const G = gateCount(a.kind);
      const Hr = a.P > 0 ? a.P : a.H;
      const bias = a.bIh !== null || a.bHh !== null;
      const GH = G * a.H;
      // Weight gradients with a float32 `.grad` to add into are written to scratch, then added there.
      const into = args.into ?? {};
      const sizes = { dwIh: GH * a.I, dwHh: GH * Hr, dbIh: bias ? GH : 0, dbHh: bias ? GH : 0, dwHr: a.P * a.H };
      const added = (Object.keys(sizes) as (keyof typeof sizes)[]).filter((k) => sizes[k] > 0 && f32(into[k]));
      const scratch = scratchOf(added.reduce((sum, k) => sum + sizes[k], 0));
      let at = 0;
      const weight = (k: keyof typeof sizes): Float32Array | null =>
        sizes[k] === 0 ? null : added.includes(k) ? scratch.subarray(at, (at += sizes[k])) : new Float32Array(sizes[k]);
      const out = {
        // State-sized gradients come from the buffers autograd gives back (dtype.ts releaseBuf).
        dx: f32alloc(a.T * a.N * a.I), dh0: f32alloc(a.N * Hr), dc0: a.kind === "lstm" ? f32alloc(a.N * a.H) : null,
        dwIh: weight("dwIh")!, dwHh: weight("dwHh")!, dbIh: weight("dbIh"), dbHh: weight("dbHh"), dwHr: weight("dwHr"),
      };
      const grads = { dy: args.dy, dhN: args.dhN, dcN: args.dcN, ...out } as Record<string, FloatBuf | null>;
      budget();
      native.recurrentBackward(
        // Not retained: this backward is the last to read the saved activations, and may write over them.
        dims(a, true, !args.retain), a.slope ?? 0, a.lengths,
        ...forwardBuffers(a, { y: null, hN: null, cN: null, ...sv.native }),
        ...RECURRENT_BUFFERS.backward.map((name) => grads[name] as Float32Array | null),
      );
      if (!args.retain) {
        // This backward was the last to read them (autograd frees the node after it).
        for (const b of sv.owned) keepForReuse(b);
        sv.owned = null;
        sv.native = {};
      }
      for (const k of added) {
        const g = into[k] as Float32Array;
        backend.binary("add", g, [g.length], out[k]!, [g.length], g, [g.length]);
      }
      const given = (k: keyof typeof sizes, present: boolean): FloatBuf | null => (present && !added.includes(k) ? out[k] : null);
      return { ...out, dwIh: given("dwIh", true), dwHh: given("dwHh", true), dbIh: given("dbIh", a.bIh !== null), dbHh: given("dbHh", a.bHh !== null), dwHr: given("dwHr", true) };
    },
  };
}

/** The binary ops the addon runs (its ST_BIN_* codes): the ones whose float32 results it gives bit for bit. */
const BINARY_CODES: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
/** Below this many elements a JavaScript loop beats the call into the addon (about half a microsecond). */
export const NATIVE_BINARY_MIN = 512;

/** The native backend over a loaded addon: the reference backend with C matrix products, fused recurrent layers and large binary ops (float32). */
export function createNativeBackend(native: NativeAddon): Backend {
  /** Hands the addon this backend's share of the thread budget (`setNumThreads`); the addon's setting is global. */
  const budget = (): void => native.setThreads(threadsFor(backend));
  const backend: Backend = {
    ...cpuBackend,
    name: "native",
    maxThreads: availableParallelism(),
    recurrent: nativeRecurrent(native, budget, { binary: (...args) => backend.binary(...args) }),
    adam(x, g, m, v, vMax, s) {
      if (!(f32(x) && f32(g) && f32(m) && f32(v) && (vMax === null || f32(vMax)))) return false;
      const hyper = Float64Array.of(s.lr, s.beta1, s.beta2, s.eps, s.weightDecay, s.stepSize, s.bc2Sqrt, s.decoupled ? 1 : 0, s.maximize ? 1 : 0);
      native.adam(x, g, m, v, vMax, hyper);
      return true;
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const code = BINARY_CODES[op];
      const n = out.length;
      // An operand of out's length has out's layout (broadcasting only adds elements).
      if (code !== undefined && n >= NATIVE_BINARY_MIN && f32(a) && f32(b) && f32(out) && (a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
        native.binary(code, a, b, out);
      } else {
        cpuBackend.binary(op, a, aShape, b, bShape, out, outShape);
      }
    },
    // Row lookups in C, which reads the scattered rows of a table ahead of their copies.
    takeRows(x, width, index, out) {
      if (f32(x) && f32(out) && index.length * width >= NATIVE_BINARY_MIN) native.rows(x, width, index, out, false, -1);
      else cpuBackend.takeRows(x, width, index, out);
    },
    addRows(src, width, index, out, skip) {
      if (f32(src) && f32(out) && index.length * width >= NATIVE_BINARY_MIN) native.rows(src, width, index, out, true, skip);
      else cpuBackend.addRows(src, width, index, out, skip);
    },
    matmul(a, b, out, m, k, n, transA, transB, batch, aStride, bStride) {
      if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
        cpuBackend.matmul(a, b, out, m, k, n, transA, transB, batch, aStride, bStride);
        return;
      }
      budget();
      for (let i = 0; i < batch; i++) native.gemm(a, i * aStride, b, i * bStride, out, i * m * n, m, k, n, transA, transB, false);
    },
  };
  return backend;
}

/** Registers the native backend (and selects it, unless `select: false`); false where it is unavailable. */
export function registerNativeBackend(options: { select?: boolean } = {}): boolean {
  const native = loadNativeAddon();
  if (!native) return false;
  if (!listBackends().includes("native")) registerBackend(createNativeBackend(native));
  // Outputs that kernels write whole come from memory Node does not clear first (dtype.ts).
  setUnclearedFloat32((n) => {
    const bytes = Buffer.allocUnsafeSlow(n * 4);
    return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  });
  if (options.select ?? true) setBackend("native");
  return true;
}

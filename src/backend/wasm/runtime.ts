/**
 * Loading the WebAssembly kernels and managing their linear memory: a bump arena that is reset at
 * the start of every kernel call. Inputs are copied in, results copied out, so tensors stay ordinary
 * garbage-collected typed arrays and nothing ever needs disposing.
 */
import { threadsFor } from "../index.js";
import * as binaries from "./kernels-wasm.js";
import { allowRelaxedSimd, hostCores, startWorkers, threadsSupported } from "./host.js";

/** The kernels' exports (see assembly/kernels.ts). Pointers are byte offsets; booleans are 0/1. */
export interface KernelExports {
  threadScratchBytes(maxK: number): number;
  configureThreads(threads: number, scratch: number, stride: number): void;
  readyWorkers(): number;
  workerLoop(id: number): void;
  gemmScratchBytes(m: number, k: number, n: number): number;
  gemm(A: number, B: number, C: number, m: number, k: number, n: number, transA: number, transB: number, accumulate: number, packedB: number): void;
  recurrentForwardScratchBytes(kind: number, T: number, N: number, I: number, H: number, P: number, save: number): number;
  recurrentForward(
    kind: number, T: number, N: number, I: number, H: number, P: number, reverse: number, lengths: number,
    x: number, h0: number, c0: number, wIh: number, wHh: number, bIh: number, bHh: number, wHr: number,
    y: number, hN: number, cN: number,
    sGates: number, sHPrev: number, sCPrev: number, sC: number, sM: number, sGhn: number,
    scratch: number, slope: number,
  ): void;
  recurrentBackwardScratchBytes(kind: number, T: number, N: number, I: number, H: number, P: number): number;
  recurrentBackward(
    kind: number, T: number, N: number, I: number, H: number, P: number, reverse: number, lengths: number,
    x: number, wIh: number, wHh: number, wHr: number, hasBias: number,
    sGates: number, sHPrev: number, sCPrev: number, sC: number, sM: number, sGhn: number,
    dy: number, dhN: number, dcN: number,
    dx: number, dh0: number, dc0: number, dwIh: number, dwHh: number, dbIh: number, dbHh: number, dwHr: number,
    scratch: number, slope: number, dHidden: number,
  ): void;
}

export type Variant = "simd" | "relaxed";

const PAGE = 65536;
// The kernels' own static data lives in the first page; the arena starts after it.
const ARENA_BASE = PAGE;
const MAX_PAGES = 65536;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(s.length));
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

function kernelBytes(variant: Variant): Uint8Array<ArrayBuffer> {
  const name = `${variant === "relaxed" ? "relaxed" : "simd"}${threadsSupported() ? "Shared" : ""}` as keyof typeof binaries;
  return decode(binaries[name]);
}

/** Compiles a variant's module asynchronously (what a browser's main thread needs). */
export function compileKernels(variant: Variant): Promise<WebAssembly.Module> {
  return WebAssembly.compile(kernelBytes(variant));
}

/** Which variants this engine can run: SIMD128 is required; relaxed SIMD (FMA) is optional. */
export function supportedVariants(): Variant[] {
  if (typeof WebAssembly !== "object") return [];
  allowRelaxedSimd();
  const out: Variant[] = [];
  try {
    if (WebAssembly.validate(decode(binaries.simd))) out.push("simd");
    // NOTE: relaxed SIMD (fused multiply-add) is used only where the engine validates it (Node 20
    // needs --experimental-wasm-relaxed-simd); its results can differ from the reference in the last bit.
    if (WebAssembly.validate(decode(binaries.relaxed))) out.push("relaxed");
  } catch {
    return [];
  }
  return out;
}

export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  /** Shared memory: worker threads can join the kernels. */
  readonly shared: boolean;
  private readonly module: WebAssembly.Module;
  private workers = 0;
  // Linear memory: [ARENA_BASE, heapEnd) holds blocks that outlive a call (what a forward pass saves
  // for its backward), managed with a first-fit free list; the per-call arena starts at heapEnd.
  private heapEnd = ARENA_BASE;
  private freeBlocks: { ptr: number; size: number }[] = [];
  private top = ARENA_BASE;
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);

  /** `module`: a module compiled ahead by `compileKernels` (browsers refuse large synchronous compiles). */
  constructor(readonly variant: Variant, module?: WebAssembly.Module) {
    this.shared = threadsSupported();
    this.memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: this.shared });
    this.module = module ?? new WebAssembly.Module(kernelBytes(variant));
    const instance = new WebAssembly.Instance(this.module, { env: { memory: this.memory, abort: abortKernel } });
    this.kernels = instance.exports as unknown as KernelExports;
    this.refresh();
  }

  /** Worker threads started so far. */
  get workerCount(): number {
    return this.workers;
  }

  /** Bytes of linear memory currently reserved (it grows and never shrinks). */
  get reservedBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** The most threads the kernels can use here: the host's cores with shared memory, else 1. */
  get maxThreads(): number {
    return this.shared ? hostCores() : 1;
  }

  /** Threads the next call will use: the seam's thread budget, capped by `maxThreads`. */
  get threads(): number {
    return threadsFor(this);
  }

  private refresh(): void {
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }

  /**
   * Starts a kernel call: frees the arena, starts workers if more threads were asked for, and
   * gives every thread scratch for products with inner size up to `maxK`.
   */
  begin(maxK: number): void {
    this.top = this.heapEnd;
    const threads = this.threads;
    if (threads - 1 > this.workers) {
      startWorkers(this.module, this.memory, this.workers + 1, threads - 1 - this.workers, () => this.kernels.readyWorkers());
      this.workers = threads - 1;
    }
    const stride = this.kernels.threadScratchBytes(maxK);
    const base = this.alloc(threads * stride);
    this.kernels.configureThreads(threads, base, stride);
  }

  /**
   * Reserves a block that survives later calls until `release`. Call it before `begin`, never
   * during a call: the arena lives just above the heap.
   */
  allocPersistent(bytes: number): number {
    const size = (bytes + 15) & ~15;
    for (let i = 0; i < this.freeBlocks.length; i++) {
      const b = this.freeBlocks[i]!;
      if (b.size < size) continue;
      const ptr = b.ptr;
      if (b.size === size) this.freeBlocks.splice(i, 1);
      else this.freeBlocks[i] = { ptr: b.ptr + size, size: b.size - size };
      return ptr;
    }
    const ptr = this.heapEnd;
    this.ensure(ptr + size);
    this.heapEnd = ptr + size;
    return ptr;
  }

  /** Returns a block from `allocPersistent`, merging it with free neighbours. */
  release(ptr: number, bytes: number): void {
    const size = (bytes + 15) & ~15;
    const blocks = this.freeBlocks;
    let i = blocks.findIndex((b) => b.ptr > ptr);
    if (i < 0) i = blocks.length;
    blocks.splice(i, 0, { ptr, size });
    if (i + 1 < blocks.length && blocks[i]!.ptr + blocks[i]!.size === blocks[i + 1]!.ptr) {
      blocks[i]!.size += blocks[i + 1]!.size;
      blocks.splice(i + 1, 1);
    }
    if (i > 0 && blocks[i - 1]!.ptr + blocks[i - 1]!.size === blocks[i]!.ptr) {
      blocks[i - 1]!.size += blocks[i]!.size;
      blocks.splice(i, 1);
      i--;
    }
    const last = blocks[blocks.length - 1];
    if (last && last.ptr + last.size === this.heapEnd) {
      this.heapEnd = last.ptr;
      blocks.pop();
    }
  }

  /** Bytes held by live persistent blocks (for tests and diagnostics). */
  get persistentBytes(): number {
    return this.heapEnd - ARENA_BASE - this.freeBlocks.reduce((a, b) => a + b.size, 0);
  }

  private ensure(end: number): void {
    if (end > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      if (this.memory.buffer.byteLength / PAGE + pages > MAX_PAGES) {
        throw new RangeError(`wasm backend: a kernel needs ${Math.ceil(end / 2 ** 20)} MiB, above the 4 GiB limit of WebAssembly memory`);
      }
      this.memory.grow(pages);
      this.refresh();
    }
  }

  /** Reserves `bytes` (16-byte aligned) in the arena and returns the offset. */
  alloc(bytes: number): number {
    const ptr = (this.top + 15) & ~15;
    const end = ptr + bytes;
    this.ensure(end);
    this.top = end;
    return ptr;
  }

  allocF32(n: number): number {
    return this.alloc(n * 4);
  }

  /** Copies a float32 array in; returns its offset. */
  put(a: Float32Array): number {
    const ptr = this.alloc(a.length * 4);
    this.f32.set(a, ptr >> 2);
    return ptr;
  }

  putI32(a: Int32Array): number {
    const ptr = this.alloc(a.length * 4);
    this.i32.set(a, ptr >> 2);
    return ptr;
  }

  /** Zeroes `n` floats at `ptr`. */
  zero(ptr: number, n: number): void {
    this.f32.fill(0, ptr >> 2, (ptr >> 2) + n);
  }

  /** A fresh copy of `n` floats at `ptr` (never a view of shared memory). */
  read(ptr: number, n: number): Float32Array {
    const out = new Float32Array(n);
    out.set(this.f32.subarray(ptr >> 2, (ptr >> 2) + n));
    return out;
  }
}

function abortKernel(): never {
  throw new Error("wasm kernel aborted");
}

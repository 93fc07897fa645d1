/**
 * Loading the WebAssembly kernels and managing their linear memory: a bump arena that is reset at
 * the start of every kernel call. Inputs are copied in, results copied out, so tensors stay ordinary
 * garbage-collected typed arrays and nothing ever needs disposing.
 */
import { threadsFor } from "../index.js";
import * as binaries from "./kernels-wasm.js";
import { allowRelaxedSimd, canWaitForWorkers, hostCores, startWorkers, startWorkersAsync, threadsSupported } from "./host.js";
import { layoutOf, readStruct, writeStruct, type StructName, type Values } from "./abi.js";
import { allocBuf, type FloatBuf } from "../../dtype.js";

/**
 * The kernels' exports: the C functions of src/backend/c (pointers are byte offsets, booleans 0/1,
 * size_t a number) and the threading side in src/backend/wasm/pool.c.
 */
export interface KernelExports {
  /** First free byte after the stack and static data; the JavaScript side owns memory from here. */
  __heap_base: WebAssembly.Global;
  __stack_pointer: WebAssembly.Global;
  st_gemm_scratch_floats(m: number, k: number, n: number): number;
  st_gemm(A: number, B: number, C: number, m: number, k: number, n: number, transA: number, transB: number, accumulate: number, scratch: number): void;
  /** Writes the scratch layout (an st_rec_layout) of a call's arguments (an st_rec_forward_args / st_rec_backward_args). */
  st_rec_forward_layout(args: number, layout: number): void;
  st_rec_backward_layout(args: number, layout: number): void;
  st_rec_forward(args: number, scratch: number): void;
  st_rec_backward(args: number, scratch: number): void;
  st_adam(args: number): void;
  /** The next calls' thread budget, and `threads` scratch regions of `strideFloats` floats from `scratch`. */
  st_wasm_threads(threads: number, scratch: number, strideFloats: number): void;
  /** A worker's life (never returns); a no-op in the variants without shared memory. */
  st_wasm_worker(id: number): void;
  st_wasm_ready_workers(): number;
  /** The C's offsets of the argument blocks' fields (see abi.ts); the count is written at `countPtr`. */
  st_wasm_fields(countPtr: number): number;
}

/**
 * "simd": SIMD128; "relaxed": with relaxed SIMD's fused multiply-add; "debug": SIMD128 with the C's
 * bounds checks (ST_ASSERT) and guards around every block, whose module is not bundled (see debug.ts).
 */
export type Variant = "simd" | "relaxed" | "debug";

const PAGE = 65536;
// The main stack (64 KiB) and the static data come first: the module declares 2 pages (tools/build-wasm.mjs).
const INITIAL_PAGES = 2;
const MAX_PAGES = 65536;
/** Each worker thread's stack, in memory the runtime reserves when it starts the worker. */
const WORKER_STACK = 65536;
/** The debug variant's guard after every block: bytes of a pattern that no kernel may overwrite. */
const GUARD = 64;
const GUARD_WORD = 0x5eedf00d;

export function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(s.length));
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

function kernelBytes(variant: Variant): Uint8Array<ArrayBuffer> {
  if (variant === "debug") throw new Error("wasm backend: the debug kernels are not bundled; pass their module (debugKernels() in src/backend/wasm/debug.ts)");
  return decode(binaries[`${variant}${threadsSupported() ? "Shared" : ""}`]);
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
  /** Where the runtime's memory starts: after the C's stack and static data. */
  private readonly heapBase: number;
  // Linear memory: [heapBase, heapEnd) holds blocks that outlive a call (what a forward pass saves
  // for its backward, worker stacks), managed with a first-fit free list; the per-call arena starts
  // at heapEnd.
  private heapEnd: number;
  private freeBlocks: { ptr: number; size: number }[] = [];
  private top: number;
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  /** Debug variant: where the guards of the call's blocks and of the persistent blocks (by block) start. */
  private readonly debug: boolean;
  private arenaGuards: number[] = [];
  private persistentGuards = new Map<number, number>();

  /** `module`: a module compiled ahead by `compileKernels` (browsers refuse large synchronous compiles). */
  constructor(readonly variant: Variant, module?: WebAssembly.Module) {
    this.shared = threadsSupported();
    this.memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: this.shared });
    this.module = module ?? new WebAssembly.Module(kernelBytes(variant));
    const instance = new WebAssembly.Instance(this.module, { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as KernelExports;
    this.heapBase = this.heapEnd = this.top = ((this.kernels.__heap_base.value as number) + 63) & ~63;
    this.debug = variant === "debug";
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

  /**
   * Threads the next call will use: the seam's thread budget, capped by `maxThreads`, and in a
   * browser (which cannot wait for a worker to start) by the workers `startThreads` started.
   */
  get threads(): number {
    const budget = threadsFor(this);
    return canWaitForWorkers() ? budget : Math.min(budget, this.workers + 1);
  }

  /** Starts worker threads up to `threads` in all (capped by `maxThreads`) without blocking; resolves to the threads available. */
  async startThreads(threads: number): Promise<number> {
    const want = Math.min(threads, this.maxThreads) - 1;
    if (want > this.workers) {
      const stacks = Array.from({ length: want - this.workers }, () => this.allocPersistent(WORKER_STACK) + WORKER_STACK);
      await startWorkersAsync(this.module, this.memory, this.workers + 1, stacks, () => this.kernels.st_wasm_ready_workers());
      this.workers = want;
    }
    return this.workers + 1;
  }

  private refresh(): void {
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }

  /** Starts a kernel call: frees the arena and starts worker threads if more were asked for. */
  begin(): void {
    const threads = this.threads;
    if (threads - 1 > this.workers) {
      const count = threads - 1 - this.workers;
      const stacks = Array.from({ length: count }, () => this.allocPersistent(WORKER_STACK) + WORKER_STACK);
      startWorkers(this.module, this.memory, this.workers + 1, stacks, () => this.kernels.st_wasm_ready_workers());
      this.workers = threads - 1;
    }
    this.top = this.heapEnd;
    this.arenaGuards = [];
  }

  /**
   * Ends a kernel call. The debug variant checks every block's guard here: a kernel that wrote past
   * the end of a block it was given is an error, not a silent corruption.
   */
  end(): void {
    if (!this.debug) return;
    for (const at of [...this.arenaGuards, ...this.persistentGuards.values()]) {
      for (let i = at >> 2; i < (at + GUARD) >> 2; i++) {
        if (this.i32[i] !== GUARD_WORD) throw new Error(`wasm backend (debug): a kernel wrote past the end of a block, at byte ${i * 4 - at} after it`);
      }
    }
  }

  /** Where a guard goes after a block of `bytes` at `ptr` (debug variant), filled with its pattern. */
  private guard(ptr: number, bytes: number): number {
    const at = (ptr + bytes + 3) & ~3;
    this.i32.fill(GUARD_WORD, at >> 2, (at + GUARD) >> 2);
    return at;
  }

  /**
   * Gives the call's threads their scratch: one region of `floats` floats each (what the largest
   * task of the call needs, from its layout), in the arena. Call it after the call's other blocks.
   */
  useThreads(floats: number): void {
    const threads = this.threads;
    const stride = (floats + 15) & ~15;
    this.kernels.st_wasm_threads(threads, this.allocF32(threads * stride), stride);
  }

  /** Writes an argument block into the arena; returns its offset. */
  putStruct(struct: StructName, values: Values): number {
    const ptr = this.alloc(layoutOf(struct).bytes);
    writeStruct(this.memory.buffer, ptr, struct, values);
    return ptr;
  }

  /** Reads a block the kernels wrote (its u32 fields). */
  readStruct(ptr: number, struct: StructName): Record<string, number> {
    return readStruct(this.memory.buffer, ptr, struct);
  }

  /**
   * Reserves a block that survives later calls until `release`. Call it before `begin`, never
   * during a call: the arena lives just above the heap.
   */
  allocPersistent(bytes: number): number {
    const ptr = this.reservePersistent(this.persistentSize(bytes));
    if (this.debug) this.persistentGuards.set(ptr, this.guard(ptr, bytes));
    return ptr;
  }

  private persistentSize(bytes: number): number {
    return ((bytes + 15) & ~15) + (this.debug ? GUARD : 0);
  }

  private reservePersistent(size: number): number {
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
    const size = this.persistentSize(bytes);
    this.persistentGuards.delete(ptr);
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
    return this.heapEnd - this.heapBase - this.freeBlocks.reduce((a, b) => a + b.size, 0);
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
    const end = ptr + bytes + (this.debug ? GUARD + 4 : 0);
    this.ensure(end);
    this.top = end;
    if (this.debug) this.arenaGuards.push(this.guard(ptr, bytes));
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
  /** n floats from ptr, copied into `into` (of n floats) or a new array. */
  read(ptr: number, n: number, into?: FloatBuf | null): Float32Array {
    const out = into instanceof Float32Array && into.length === n ? into : (allocBuf("float32", n) as Float32Array);
    out.set(this.f32.subarray(ptr >> 2, (ptr >> 2) + n));
    return out;
  }
}

import { describe, expect, test } from "vitest";
import { createWasmBackend } from "./index.js";
import { debugKernels } from "./debug.js";
import { supportedVariants, WasmRuntime } from "./runtime.js";

describe.runIf(supportedVariants().length > 0)("WasmRuntime memory", () => {
  test("persistent blocks are reused after release and neighbours merge", () => {
    const rt = new WasmRuntime("simd");
    const a = rt.allocPersistent(1000);
    const b = rt.allocPersistent(3000);
    const c = rt.allocPersistent(500);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(rt.persistentBytes).toBe(1008 + 3008 + 512);
    rt.release(b, 3000);
    expect(rt.allocPersistent(2000)).toBe(b); // first fit, inside the freed block
    rt.release(b, 2000);
    rt.release(a, 1000);
    rt.release(c, 500);
    expect(rt.persistentBytes).toBe(0);
    expect(rt.allocPersistent(16)).toBe(a); // everything merged back: the heap is empty again
  });

  test("the arena starts above live persistent blocks", () => {
    const rt = new WasmRuntime("simd");
    const keep = rt.allocPersistent(4096);
    rt.begin();
    const scratch = rt.alloc(64);
    expect(scratch).toBeGreaterThanOrEqual(keep + 4096);
  });

  test("the debug variant guards every block: a write past one's end is an error when the call ends", () => {
    const rt = new WasmRuntime("debug", debugKernels());
    const keep = rt.allocPersistent(40);
    rt.begin();
    const block = rt.allocF32(10);
    const f32 = new Float32Array(rt.memory.buffer);
    f32[(block >> 2) + 9] = 1; // the last float is the block's own
    f32[(keep >> 2) + 9] = 1;
    expect(() => rt.end()).not.toThrow();
    f32[(block >> 2) + 10] = 1;
    expect(() => rt.end()).toThrow(/wrote past the end of a block, at byte 0 after it/);
    rt.begin();
    f32[(keep >> 2) + 12] = 1;
    expect(() => rt.end()).toThrow(/at byte 8 after it/);
  });

  test("a forward pass keeps its saved activations in wasm memory until backward frees them", () => {
    const be = createWasmBackend("simd");
    const f = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const args = {
      kind: "gru" as const, T: 5, N: 3, I: 4, H: 6, P: 0, x: f(60), h0: f(18), c0: null, wIh: f(72), wHh: f(108),
      bIh: f(18), bHh: f(18), wHr: null, reverse: false, lengths: null, save: true,
    };
    const before = be.info().memoryBytes;
    const out = be.recurrent.forward(args);
    expect(out.saved).not.toBeNull();
    be.recurrent.backward({ forward: args, saved: out.saved!, dy: f(90), dhN: null, dcN: null });
    // A second identical round reuses the same memory: nothing leaked.
    const grown = be.info().memoryBytes;
    const again = be.recurrent.forward(args);
    be.recurrent.backward({ forward: args, saved: again.saved!, dy: f(90), dhN: null, dcN: null });
    expect(be.info().memoryBytes).toBe(grown);
    expect(grown).toBeGreaterThanOrEqual(before);
  });
});

test.runIf(supportedVariants().length > 0)("the asynchronously compiled backend computes the same products", async () => {
  const { createWasmBackendAsync } = await import("./index.js");
  const be = await createWasmBackendAsync("simd");
  const a = Float32Array.from({ length: 40 * 30 }, (_, i) => Math.cos(i));
  const b = Float32Array.from({ length: 30 * 20 }, (_, i) => Math.sin(i));
  const sync = createWasmBackend("simd");
  const x = new Float32Array(800);
  const y = new Float32Array(800);
  be.matmul(a, b, x, 40, 30, 20, false, false, 1, 0, 0);
  sync.matmul(a, b, y, 40, 30, 20, false, false, 1, 0, 0);
  expect(Array.from(x)).toEqual(Array.from(y));
});

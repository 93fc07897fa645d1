import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { cpuBackend, getBackend, registerBackend, setBackend } from "../index.js";
import { Generator } from "../../random.js";
import { CELLS } from "../../cells/spec.js";
import { tensor, type Tensor } from "../../tensor.js";
import { embedding } from "../../ops/indexing.js";
import { Adam, AdamW } from "../../optim/adam.js";
import { expectAllClose } from "../../../test/helpers.js";
import * as ids from "../../cells/kernel-ids.js";
import { createNativeBackend, forwardBuffers, loadNativeAddon, releaseFreedMemory, nativeUnavailableReason, RECURRENT_BUFFERS, type NativeAddon } from "./index.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const hasCompiler = spawnSync("g++", ["--version"]).status === 0 && process.env.SEQTORCH_NATIVE !== "0";
const native = loadNativeAddon();

test("the addon is built and loads wherever a compiler is present", () => {
  if (!hasCompiler) {
    expect(nativeUnavailableReason()).toMatch(/\S/);
    return;
  }
  expect(nativeUnavailableReason()).toBeNull();
  expect(native!.isas()[0]).toBe("generic");
  expect(native!.isa()).toBe(native!.isas().at(-1));
});

const glibc = Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

test.skipIf(!native || !glibc)("releaseFreedMemory returns freed buffers that glibc keeps as heap fragments", () => {
  // Rounds of 2.4 MB buffers freed while small ones stay: after the first large free, glibc serves
  // them from its heap, where the freed memory stays resident until it is trimmed.
  const script = `
    import { createRequire } from "node:module";
    const addon = createRequire(${JSON.stringify(join(root, "package.json"))})("node-gyp-build")(${JSON.stringify(root)});
    const rss = () => process.memoryUsage().rss / 2 ** 20;
    const start = rss(), big = [], small = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) { big.push(new Float32Array(600000).fill(1)); small.push(new Float32Array(20000).fill(1)); }
      big.length = 0;
      globalThis.gc();
    }
    // V8 frees array buffers' memory off the main thread: give it a moment.
    await new Promise((done) => setTimeout(done, 100));
    globalThis.gc();
    const kept = rss() - start;
    addon.trimMemory();
    console.log(JSON.stringify([kept, rss() - start]));`;
  const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  const [kept, trimmed] = JSON.parse(run.stdout) as [number, number];
  expect(kept).toBeGreaterThan(60); // about 100 MiB of fragments
  expect(trimmed).toBeLessThan(40);
});

test("the C kernels' cell constants are the cell table's kernel ids", () => {
  const header = readFileSync(join(root, "src/backend/c/cells.h"), "utf8");
  const defined = Object.fromEntries([...header.matchAll(/#define ST_(KERNEL_\w+) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  expect(defined).toEqual({ ...ids });
});

test.skipIf(!native)("the addon reads the recurrent buffers in the order the TypeScript side passes them", () => {
  expect(native!.bufferNames()).toEqual({ forward: [...RECURRENT_BUFFERS.forward], backward: [...RECURRENT_BUFFERS.backward] });
  // And the TypeScript side passes them in that order.
  const named = Object.fromEntries(RECURRENT_BUFFERS.forward.map((n) => [n, new Float32Array(1)]));
  const args = { ...named, kind: "lstm", T: 1, N: 1, I: 1, H: 1, P: 0, reverse: false, lengths: null, slope: 0, save: true } as unknown as Parameters<typeof forwardBuffers>[0];
  expect(forwardBuffers(args, named)).toEqual(RECURRENT_BUFFERS.forward.map((n) => named[n]));
  expect(forwardBuffers(args, named).every((b, i) => b === named[RECURRENT_BUFFERS.forward[i]!])).toBe(true);
});

const gen = new Generator(5);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => gen.normal());

/** C (+)= op(A) op(B) by the triple loop in float64, with the stored layouts gemm documents. */
function reference(A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, m: number, k: number, n: number, tA: boolean, tB: boolean, acc: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = acc ? C[cOff + i * n + j]! : 0;
      for (let p = 0; p < k; p++) s += A[aOff + (tA ? p * m + i : i * k + p)]! * B[bOff + (tB ? j * k + p : p * n + j)]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

describe.skipIf(!native)("native gemm", () => {
  afterEach(() => native!.setIsa(native!.isas().at(-1)!));

  // Shapes around every blocking edge: the 6-row and 2-vector tiles, KC = 256, MC = 120, NC.
  const shapes = [[1, 1, 1], [5, 7, 3], [6, 16, 16], [7, 257, 33], [13, 300, 37], [121, 64, 1025], [7, 300, 2049], [3, 0, 4]] as const;
  test.each(native ? native.isas() : [])("%s kernels equal the float64 triple loop on odd shapes, transposes, offsets and accumulation", (isa) => {
    native!.setIsa(isa);
    for (const [m, k, n] of shapes) {
      for (const [tA, tB, acc] of [[false, false, false], [true, false, true], [false, true, false], [true, true, true]] as const) {
        const A = rand(3 + m * k), B = rand(5 + k * n), C = rand(2 + m * n + 4);
        const want = reference(A, 3, B, 5, C, 2, m, k, n, tA, tB, acc);
        const before = C.slice();
        native!.gemm(A, 3, B, 5, C, 2, m, k, n, tA, tB, acc);
        expectAllClose(C.subarray(2, 2 + m * n), want, `${isa} ${m}x${k}x${n} tA=${tA} tB=${tB} acc=${acc}`, { atol: 1e-5 * (k + 1), rtol: 1e-4 });
        expect(C[0], "before the output").toBe(before[0]);
        expect(Array.from(C.subarray(2 + m * n)), "after the output").toEqual(Array.from(before.subarray(2 + m * n)));
      }
    }
  });

  test("two threads give the one-thread result bit for bit, split by rows or by columns, and really run", () => {
    for (const [m, k, n, tA, tB] of [[300, 200, 90, false, true], [90, 200, 301, true, false], [64, 1024, 4096, false, true]] as const) {
      const A = rand(m * k), B = rand(k * n);
      const one = new Float32Array(m * n), two = new Float32Array(m * n);
      native!.setThreads(1);
      native!.gemm(A, 0, B, 0, one, 0, m, k, n, tA, tB, false);
      const before = native!.poolStats().tasks;
      native!.setThreads(2);
      native!.gemm(A, 0, B, 0, two, 0, m, k, n, tA, tB, false);
      native!.setThreads(1);
      // The pool thread starts on the first call and may find the work done on small products.
      if (k === 1024) expect(native!.poolStats().tasks, `${m}x${k}x${n}`).toBeGreaterThan(before);
      expect(two.every((v, i) => Object.is(v, one[i])), `${m}x${k}x${n}`).toBe(true);
    }
  });

  test("arguments are checked against the arrays before any kernel runs", () => {
    const a = new Float32Array(6);
    expect(() => native!.gemm(a, 0, a, 0, new Float32Array(3), 0, 2, 3, 2, false, false, false)).toThrow("gemm: C holds 3 floats, too few for 4 from offset 0");
    expect(() => native!.gemm(a, 4, a, 0, a, 0, 2, 3, 2, false, false, false)).toThrow("gemm: A holds 6 floats, too few for 6 from offset 4");
    expect(() => native!.gemm(new Float64Array(6) as never, 0, a, 0, a, 0, 2, 3, 2, false, false, false)).toThrow("gemm: A must be a Float32Array");
    expect(() => native!.gemm(a, -1, a, 0, a, 0, 1, 1, 1, false, false, false)).toThrow("gemm: A out of range");
    expect(() => native!.setIsa("sse9")).toThrow("setIsa: sse9 is not available on this CPU");
  });

  test.each([
    ["Adam", {}], ["Adam with weight decay, amsgrad and maximize", { weightDecay: 0.1, amsgrad: true, maximize: true }],
    ["AdamW", { decoupled: true }], ["AdamW with amsgrad", { decoupled: true, amsgrad: true }],
  ] as const)("%s: the C update follows the reference loop within float32 rounding", (_, o) => {
    const before = getBackend().name;
    const be = createNativeBackend(native!);
    let calls = 0;
    registerBackend({ ...be, adam: (...args) => (calls++, be.adam!(...args)) });
    const run = (backend: string): number[] => {
      setBackend(backend);
      const gen2 = new Generator(9);
      const p = tensor(Array.from({ length: 1001 }, () => gen2.normal()), [7, 143]);
      p.requiresGrad = true;
      const { decoupled, ...opts } = o as { decoupled?: boolean; weightDecay?: number; amsgrad?: boolean; maximize?: boolean };
      const opt = decoupled ? new AdamW([p], { lr: 0.01, ...opts }) : new Adam([p], { lr: 0.01, ...opts });
      for (let step = 0; step < 5; step++) {
        opt.zeroGrad();
        p.grad = tensor(Array.from({ length: 1001 }, () => gen2.normal()), [7, 143]) as Tensor;
        opt.step();
      }
      return Array.from(p.data);
    };
    try {
      expectAllClose(run("native"), run("cpu"), "parameters after 5 steps", { atol: 1e-6, rtol: 1e-5 });
      expect(calls).toBe(5);
    } finally {
      setBackend(before);
    }
  });

  test("as a backend: matmul and batched matmul match the reference backend; float64 falls back to it", () => {
    const before = getBackend().name;
    try {
      const x = tensor(Array.from(rand(2 * 37 * 65)), [2, 37, 65]);
      const w = tensor(Array.from(rand(65 * 70)), [65, 70]);
      setBackend("cpu");
      const want = x.matmul(w).tolist();
      const want64 = x.double().matmul(w.double()).tolist();
      registerBackend(createNativeBackend(native!));
      setBackend("native");
      expectAllClose(x.matmul(w).data, tensor(want as number[][][]).data, "batched matmul", { atol: 1e-4 });
      expect(x.double().matmul(w.double()).tolist()).toEqual(want64);
    } finally {
      setBackend(before);
    }
  });
});

describe.skipIf(!native)("native recurrent layers", () => {
  test("saved activations a backward is done with are reused by the next forward, whatever they held, and a second backward is refused", () => {
    const rec = createNativeBackend(native!).recurrent!;
    const { T, N, I, H } = { T: 64, N: 32, I: 4, H: 512 }; // the gates, T * N * 4H floats (16 MiB), are large enough to be kept
    const gen = new Generator(11);
    const r = (n: number): Float32Array => Float32Array.from({ length: n }, () => gen.random() - 0.5);
    const base = { kind: "lstm" as const, T, N, I, H, P: 0, wIh: r(4 * H * I), wHh: r(4 * H * H).map((v) => v / 16), bIh: r(4 * H), bHh: r(4 * H), wHr: null, reverse: false, slope: 0, save: true };
    type Native = { native: Record<string, Float32Array> };
    const inputs = [null, Int32Array.from({ length: N }, (_, b) => 1 + ((b * 7) % T))].map((lengths) => ({
      args: { ...base, x: r(T * N * I), h0: r(N * H), c0: r(N * H), lengths },
      up: { dy: r(T * N * H), dhN: r(N * H), dcN: r(N * H) },
    }));
    // Each step on fresh buffers, then on buffers a previous step left dirty: the same bits.
    const step = ({ args, up }: (typeof inputs)[number]) => {
      const f = rec.forward(args);
      const saved = { ...(f.saved as unknown as Native).native };
      const g = rec.backward({ forward: args, saved: f.saved!, ...up });
      expect(() => rec.backward({ forward: args, saved: f.saved!, ...up })).toThrow(/backward through the graph a second time/);
      return { saved, values: [f.y, f.hN, f.cN!, g.dx, g.dh0, g.dc0!, g.dwIh!, g.dwHh!, g.dbIh!] };
    };
    const fresh = inputs.map((s) => {
      releaseFreedMemory();
      return step(s);
    });
    const first = step(inputs[0]!);
    const packed = step(inputs[1]!); // a packed batch writes only its real rows of the kept buffers
    expect(Object.values(packed.saved).includes(first.saved.gates!)).toBe(true);
    const bytes = (v: Float32Array | Float64Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    [first, packed].forEach((s, i) => s.values.forEach((v, k) => expect(Buffer.compare(bytes(v), bytes(fresh[i]!.values[k]!)), `${i}:${k}`).toBe(0)));
    // A shorter batch (48 steps of 64) is served from the same memory.
    const shorter = rec.forward({ ...base, T: 48, x: r(48 * N * I), h0: r(N * H), c0: r(N * H), lengths: null });
    rec.backward({ forward: { ...base, T: 48, x: r(48 * N * I), h0: r(N * H), c0: r(N * H), lengths: null }, saved: shorter.saved!, dy: null, dhN: r(N * H), dcN: null });
    const again = rec.forward({ ...base, T: 40, x: r(40 * N * I), h0: r(N * H), c0: r(N * H), lengths: null });
    const kept = Object.values((again.saved as unknown as Native).native);
    expect(kept.some((b) => b.length === 40 * N * 4 * H && b.buffer === first.saved.gates!.buffer)).toBe(true);
  });

  test("a layer's saved buffers from 1 MiB up are kept and served again at every step (W5's 2 MiB ones), and nothing piles up", () => {
    const rec = createNativeBackend(native!).recurrent!;
    const { T, N, I, H } = { T: 64, N: 32, I: 4, H: 256 }; // gates 2M floats; c, cPrev, hPrev 512K each
    const gen = new Generator(3);
    const r = (n: number): Float32Array => Float32Array.from({ length: n }, () => gen.random() - 0.5);
    const args = { kind: "lstm" as const, T, N, I, H, P: 0, x: r(T * N * I), h0: r(N * H), c0: r(N * H), wIh: r(4 * H * I), wHh: r(4 * H * H).map((v) => v / 16), bIh: null, bHh: null, wHr: null, reverse: false, lengths: null, slope: 0, save: true };
    type Native = { native: Record<string, Float32Array> };
    const step = () => {
      const f = rec.forward(args);
      const saved = { ...(f.saved as unknown as Native).native };
      rec.backward({ forward: args, saved: f.saved!, dy: null, dhN: r(N * H), dcN: null });
      return saved;
    };
    releaseFreedMemory();
    const first = step();
    const names = ["gates", "c", "cPrev", "hPrev"];
    const buffers = new Set(names.map((n) => first[n]!.buffer));
    expect(buffers.size).toBe(4);
    for (let i = 0; i < 3; i++) {
      const next = step();
      for (const n of names) expect(buffers.has(next[n]!.buffer), n).toBe(true);
    }
    // Under the floor (and over a kept block's ceiling): 512 KiB each, not kept.
    const small = { ...args, H: 64, h0: r(N * 64), c0: r(N * 64), wIh: r(4 * 64 * I), wHh: r(4 * 64 * 64).map((v) => v / 16) };
    const stepSmall = () => {
      const f = rec.forward(small);
      const saved = { ...(f.saved as unknown as Native).native };
      rec.backward({ forward: small, saved: f.saved!, dy: null, dhN: r(N * 64), dcN: null });
      return saved;
    };
    releaseFreedMemory();
    const a = stepSmall(), b = stepSmall();
    expect(b.gates!.buffer === a.gates!.buffer).toBe(true); // 512K floats: kept
    expect(["c", "cPrev", "hPrev"].some((n) => b[n]!.buffer === a[n]!.buffer)).toBe(false);
    releaseFreedMemory();
  });

  test("kept blocks are held for the 8 lengths used last: a ninth length drops the oldest", () => {
    const rec = createNativeBackend(native!).recurrent!;
    const { N, I, H } = { N: 4, I: 3, H: 16 }; // T · 4 · (64 + 16 · 3) floats: 1792 at T = 4
    const gen = new Generator(8);
    const r = (n: number): Float32Array => Float32Array.from({ length: n }, () => gen.random() - 0.5);
    const w = { wIh: r(4 * H * I), wHh: r(4 * H * H), bIh: r(4 * H), bHh: r(4 * H), wHr: null };
    type Native = { native: Record<string, Float32Array> };
    const step = (T: number): ArrayBufferLike => {
      const args = { kind: "lstm" as const, T, N, I, H, P: 0, x: r(T * N * I), h0: r(N * H), c0: r(N * H), ...w, reverse: false, lengths: null, slope: 0, save: true };
      const f = rec.forward(args);
      const block = (f.saved as unknown as Native).native.gates!.buffer;
      rec.backward({ forward: args, saved: f.saved!, dy: null, dhN: r(N * H), dcN: null });
      return block;
    };
    releaseFreedMemory();
    const blocksOf = [4, 5, 6, 7, 8, 9, 10, 11].map(step); // eight lengths, all kept
    expect(step(4)).toBe(blocksOf[0]); // and served again (now the most recent)
    step(12); // a ninth length: the oldest, T = 5's, is dropped
    expect(step(6)).toBe(blocksOf[2]);
    expect(step(5)).not.toBe(blocksOf[1]);
    releaseFreedMemory();
  });

  test("a forward writes y rows a given stride apart (each direction's half of a shared output), and refuses a stride below a row", () => {
    const rec = createNativeBackend(native!).recurrent!;
    const { T, N, I, H } = { T: 4, N: 3, I: 5, H: 6 };
    const gen = new Generator(9);
    const r = (n: number): Float32Array => Float32Array.from({ length: n }, () => gen.random() - 0.5);
    const args = { kind: "gru" as const, T, N, I, H, P: 0, x: r(T * N * I), h0: r(N * H), c0: null, wIh: r(3 * H * I), wHh: r(3 * H * H), bIh: r(3 * H), bHh: r(3 * H), wHr: null, reverse: true, lengths: Int32Array.from([4, 2, 1]), slope: 0, save: false };
    const plain = rec.forward(args);
    const wide = new Float32Array(T * N * 2 * H).fill(7);
    const hN = new Float32Array(N * H);
    const res = rec.forward({ ...args, out: { y: wide.subarray(H), hN, cN: null, yStride: 2 * H } });
    expect(res.y.buffer).toBe(wide.buffer);
    for (let row = 0; row < T * N; row++) {
      expect(Array.from(wide.subarray(row * 2 * H, row * 2 * H + H)), `row ${row}, the other half`).toEqual(new Array(H).fill(7));
      expect(Array.from(wide.subarray(row * 2 * H + H, (row + 1) * 2 * H)), `row ${row}`).toEqual(Array.from(plain.y.subarray(row * H, (row + 1) * H)));
    }
    expect(Array.from(hN)).toEqual(Array.from(plain.hN));
    const dims = new Int32Array([CELLS.gru.kernel, T, N, I, H, 0, 0, 0, 0, 0, H - 1]);
    const bufs = [args.x, args.h0, null, args.wIh, args.wHh, args.bIh, args.bHh, null, wide, hN, null, null, null, null, null, null, null];
    expect(() => native!.recurrentForward(dims, 0, null, ...bufs)).toThrow(/y's row stride 5 is below its row of 6 floats/);
  });

  test("a small layer's saved buffers are one block, kept by its exact length for the next forward of that size, with the same results", () => {
    const rec = createNativeBackend(native!).recurrent!;
    const { T, N, I, H } = { T: 3, N: 5, I: 4, H: 24 }; // gates, c, cPrev, hPrev: 3 * 5 * (96 + 24 + 24 + 24) floats
    const gen = new Generator(5);
    const r = (n: number): Float32Array => Float32Array.from({ length: n }, () => gen.random() - 0.5);
    const args = { kind: "lstm" as const, T, N, I, H, P: 0, x: r(T * N * I), h0: r(N * H), c0: r(N * H), wIh: r(4 * H * I), wHh: r(4 * H * H), bIh: r(4 * H), bHh: r(4 * H), wHr: null, reverse: false, lengths: null, slope: 0, save: true };
    const up = { dy: r(T * N * H), dhN: r(N * H), dcN: r(N * H) };
    type Native = { native: Record<string, Float32Array> };
    const step = () => {
      const f = rec.forward(args);
      const saved = Object.values((f.saved as unknown as Native).native);
      const g = rec.backward({ forward: args, saved: f.saved!, ...up });
      return { block: saved[0]!.buffer, shared: saved.every((b) => b.buffer === saved[0]!.buffer), values: [f.y, f.hN, g.dx, g.dh0, g.dwHh!].map((v) => Array.from(v)) };
    };
    releaseFreedMemory();
    const first = step();
    const second = step();
    expect(first.shared).toBe(true);
    expect(second.block).toBe(first.block);
    expect(second.values).toEqual(first.values);
    releaseFreedMemory();
    expect(step().block).not.toBe(first.block);
  });
});

describe.skipIf(!native)("native binary ops", () => {
  afterEach(() => native!.setIsa(native!.isas().at(-1)!));
  const ops = ["add", "sub", "mul", "div"] as const;

  test.each(native ? native.isas() : [])("%s kernels give the reference backend's float32 results bit for bit, in place too, every length around the vector width", (isa) => {
    native!.setIsa(isa);
    const backend = createNativeBackend(native!);
    for (const n of [512, 513, 527, 1000, 1031]) {
      const a = rand(n), b = rand(n), one = rand(1);
      b[3] = 0; // division by zero: the same infinities
      for (const op of ops) {
        for (const [x, y] of [[a, b], [a, one], [one, b]] as const) {
          const want = new Float32Array(n), got = new Float32Array(n);
          cpuBackend.binary(op, x, [x.length], y, [y.length], want, [n]);
          backend.binary(op, x, [x.length], y, [y.length], got, [n]);
          expect(Array.from(got), `${isa} ${op} n=${n} lengths ${x.length}, ${y.length}`).toEqual(Array.from(want));
        }
        const inPlace = a.slice();
        backend.binary(op, inPlace, [n], b, [n], inPlace, [n]);
        const want = new Float32Array(n);
        cpuBackend.binary(op, a, [n], b, [n], want, [n]);
        expect(Array.from(inPlace), `${isa} ${op} in place`).toEqual(Array.from(want));
      }
    }
  });

  test("from a million elements the op is split across two threads (the pool runs tasks), with the same values", () => {
    const backend = createNativeBackend(native!);
    const n = (4 << 20) + 37;
    const a = rand(n), b = rand(n), one = rand(1);
    native!.setThreads(2);
    const before = native!.poolStats().tasks;
    try {
      for (const op of ops) {
        for (const [x, y] of [[a, b], [a, one], [one, b]] as const) {
          const want = new Float32Array(n), got = new Float32Array(n);
          cpuBackend.binary(op, x, [x.length], y, [y.length], want, [n]);
          backend.binary(op, x, [x.length], y, [y.length], got, [n]);
          expect(got.every((v, i) => Object.is(v, want[i])), `${op} lengths ${x.length}, ${y.length}`).toBe(true);
        }
      }
      // The caller takes tasks too; over twelve ops of 4M elements the pool's thread takes some.
      expect(native!.poolStats().tasks).toBeGreaterThan(before);
    } finally {
      native!.setThreads(1);
    }
  });

  test("row lookups of an embedding run in C from 512 floats, with every index checked there too", () => {
    const before = getBackend().name;
    const calls: boolean[] = [];
    const counting = { ...native!, rows: (...args: Parameters<NativeAddon["rows"]>) => (calls.push(args[4]), native!.rows(...args)) };
    try {
      const weight = tensor(Array.from(rand(40 * 16)), [40, 16]);
      const ids = tensor(Array.from({ length: 8 }, () => [3, 0, 39, 3, 7, 7, 1, 2]), { dtype: "int32" });
      setBackend("cpu");
      const want = embedding(ids, weight.detach().requiresGrad_(), 7);
      registerBackend(createNativeBackend(counting));
      setBackend("native");
      const leaf = weight.detach().requiresGrad_();
      const got = embedding(ids, leaf, 7);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      got.sum().backward();
      expect(calls).toEqual([false, true]);
      // Row 7 (padding) gets no gradient; row 3 one per use, 16 uses.
      expect(Array.from(leaf.grad!.data.subarray(7 * 16, 8 * 16)).every((v) => v === 0)).toBe(true);
      expect(Array.from(leaf.grad!.data.subarray(3 * 16, 4 * 16)).every((v) => v === 16)).toBe(true);
      expect(Array.from(leaf.grad!.data.subarray(5 * 16, 6 * 16)).every((v) => v === 0)).toBe(true);
      const table = new Float32Array(40);
      expect(() => native!.rows(table, 4, Int32Array.from([9, 10]), new Float32Array(8), false, -1)).toThrow("rows: index 10 is out of range [0, 10)");
      expect(() => native!.rows(table, 4, Int32Array.from([-1]), new Float32Array(4), false, -1)).toThrow("rows: index -1 is out of range [0, 10)");
      expect(() => native!.rows(table, 4, Int32Array.from([1, 2]), new Float32Array(5), false, -1)).toThrow("rows: 2 rows of 4 do not fit arrays of 40 and 5 floats");
      expect(() => native!.rows(table, 4, new Float32Array(2) as never, new Float32Array(8), false, -1)).toThrow("rows: index must be an Int32Array");
    } finally {
      registerBackend(createNativeBackend(native!));
      setBackend(before);
    }
  });

  test("ops on the native backend: large float32 ones run in C (a broadcast row stays in TypeScript), with the reference's values", () => {
    const before = getBackend().name;
    const calls: number[] = [];
    const counting = { ...native!, binary: (...args: Parameters<NativeAddon["binary"]>) => (calls.push(args[3].length), native!.binary(...args)) };
    try {
      const x = tensor(Array.from(rand(600)), [20, 30]), y = tensor(Array.from(rand(600)), [20, 30]), row = tensor(Array.from(rand(30)), [30]);
      const small = tensor([1, 2, 3]);
      setBackend("cpu");
      const want = [x.add(y), x.mul(2), x.sub(row), small.div(small), x.double().div(y.double())].map((t) => Array.from(t.data));
      registerBackend(createNativeBackend(counting));
      setBackend("native");
      const got = [x.add(y), x.mul(2), x.sub(row), small.div(small), x.double().div(y.double())].map((t) => Array.from(t.data));
      expect(got).toEqual(want);
      expect(calls).toEqual([600, 600]);
      expect(() => native!.binary(0, x.data as Float32Array, new Float32Array(2), new Float32Array(600))).toThrow(/neither the output's length nor one value/);
      expect(() => native!.binary(9, x.data as Float32Array, x.data as Float32Array, new Float32Array(600))).toThrow(/unknown op/);
    } finally {
      registerBackend(createNativeBackend(native!));
      setBackend(before);
    }
  });
});

test("without a working compiler the install step still succeeds and says why", () => {
  // A copy of what the build needs, built with a compiler that always fails.
  const dir = mkdtempSync(join(tmpdir(), "seqtorch-nobuild-"));
  for (const p of ["binding.gyp", "native", "src/backend/c", "tools/build-native.mjs"]) cpSync(join(root, p), join(dir, p), { recursive: true });
  mkdirSync(join(dir, "node_modules"));
  for (const m of ["node-addon-api", "node-gyp-build"]) symlinkSync(join(root, "node_modules", m), join(dir, "node_modules", m));
  const r = spawnSync(process.execPath, [join(dir, "tools/build-native.mjs")], { cwd: dir, encoding: "utf8", env: { ...process.env, CC: "/bin/false", CXX: "/bin/false" } });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^seqtorch: native kernels not built \(the build failed: .*\); the wasm backend will be used$/m);
  expect(readFileSync(join(dir, "build/native-unavailable.txt"), "utf8")).toMatch(/^the build failed/);
  expect(existsSync(join(dir, "build/Release/seqtorch.node"))).toBe(false);
  const off = spawnSync(process.execPath, [join(dir, "tools/build-native.mjs")], { cwd: dir, encoding: "utf8", env: { ...process.env, SEQTORCH_NATIVE: "0" } });
  expect(off.stdout.trim()).toBe("seqtorch: native kernels not built (SEQTORCH_NATIVE=0); the wasm backend will be used");
}, 60_000);

test("seqtorch --version names the backends, the native kernels' instruction set or why there are none", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "--version"], { cwd: root, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stdout.trim();
  if (native) expect(line).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+ \\(backends: cpu, wasm, native ${native.isa()}; default native\\)$`));
  else expect(line).toMatch(/^\d+\.\d+\.\d+ \(backends: cpu, wasm; native kernels unavailable: .+; default wasm\)$/);
});

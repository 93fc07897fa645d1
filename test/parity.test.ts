/**
 * Every kernel of every fast backend against the reference CPU backend, on odd shapes that cross
 * the tile (5 x 8 in WebAssembly, 6 x 16 with AVX2, 8 x 32 with AVX-512), panel and block (20 tiles
 * of rows) edges: matrix products in all transpose variants, and
 * the fused recurrent layers forward and backward for every cell, direction, bias, projection and
 * packed lengths.
 */
import { describe, expect, test } from "vitest";
import { availableParallelism } from "node:os";
import { cpuBackend, getBackend, listBackends, setBackend, type Backend, type RecurrentKernels } from "../src/backend/index.js";
import { FUSED_KINDS, gateCount, type FusedCellKind } from "../src/cells/spec.js";
import { Generator } from "../src/random.js";
import { createWasmBackend, supportedVariants, type Variant } from "../src/backend/wasm/index.js";
import { debugKernels } from "../src/backend/wasm/debug.js";
import { createNativeBackend, loadNativeAddon } from "../src/backend/native/index.js";
import { setNumThreads } from "../src/index.js";
import { expectAllClose, relTol } from "./helpers.js";

// The registered fast backends, plus every wasm variant this engine runs (and the debug kernels,
// with their bounds checks), on one thread and on two, and the native kernels of every instruction
// set this CPU has.
const registered = listBackends().filter((n) => n !== "cpu");
const variants = [...supportedVariants(), ...(supportedVariants().includes("simd") ? ["debug" as const] : [])];
const native = loadNativeAddon();
const fast = [
  ...registered, ...variants.map((v) => `wasm-${v}`), ...variants.map((v) => `wasm-${v} 2 threads`),
  ...(native ? [...native.isas().map((isa) => `native-${isa}`), `native-${native.isas().at(-1)} 2 threads`] : []),
];
const made = new Map<string, Backend>();
const backendOf = (name: string): Backend => {
  if (name.startsWith("native-")) {
    // The native kernels with this instruction set for each call.
    const be = createNativeBackend(native!);
    const isa = name.slice("native-".length).replace(/ 2 threads$/, "");
    const threads = name.endsWith("2 threads") ? 2 : 1;
    const wrap = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
      native!.setIsa(isa);
      setNumThreads(threads);
      try {
        return f(...a);
      } finally {
        native!.setIsa(native!.isas().at(-1)!);
        setNumThreads(1);
      }
    };
    return { ...be, matmul: wrap(be.matmul), recurrent: { forward: wrap(be.recurrent!.forward), backward: wrap(be.recurrent!.backward) } };
  }
  if (registered.includes(name)) {
    const prev = getBackend().name;
    const be = setBackend(name);
    setBackend(prev);
    return be;
  }
  const variant = name.replace(/^wasm-/, "").replace(/ 2 threads$/, "") as Variant;
  if (!made.has(variant)) made.set(variant, createWasmBackend(variant, variant === "debug" ? debugKernels() : undefined));
  const be = made.get(variant)!;
  if (!name.endsWith("2 threads")) return be;
  // The same kernels with a thread budget of two for each call.
  const wrap = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    setNumThreads(2);
    try {
      return f(...a);
    } finally {
      setNumThreads(1);
    }
  };
  return { ...be, matmul: wrap(be.matmul), recurrent: { forward: wrap(be.recurrent!.forward), backward: wrap(be.recurrent!.backward) } };
};

const g = new Generator(2024);
const rand = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (g.random() * 2 - 1) * scale);

/** |actual - reference| <= tol·(1 + |reference|); both may be absent together. */
const near = (tol = 2e-5) => ({ ...relTol(tol), allowNull: true });

test("there is a fast backend to test", () => {
  expect(fast.length).toBeGreaterThan(0);
});

describe.each(fast)("%s backend against the reference", (name) => {
  const be = backendOf(name);
  const cpu = cpuBackend.recurrent!;
  const rec = (): RecurrentKernels => {
    if (!be.recurrent) throw new Error(`${name} has no fused recurrent kernels`);
    return be.recurrent;
  };

  test("row lookups and their adjoint: an embedding's forward and backward, padding row skipped", () => {
    for (const width of [1, 7, 64, 130]) {
      const rows = 50, n = 300;
      const table = rand(rows * width);
      const index = Int32Array.from({ length: n }, (_, i) => (i * 37 + (i >> 3)) % rows);
      const want = new Float32Array(n * width), got = new Float32Array(n * width);
      cpuBackend.takeRows(table, width, index, want);
      be.takeRows(table, width, index, got);
      expect(Array.from(got)).toEqual(Array.from(want));
      const dy = rand(n * width);
      for (const skip of [-1, 3]) {
        const wantG = rand(rows * width), gotG = wantG.slice();
        cpuBackend.addRows(dy, width, index, wantG, skip);
        be.addRows(dy, width, index, gotG, skip);
        expect(Array.from(gotG)).toEqual(Array.from(wantG));
      }
    }
  });

  const shapes: [number, number, number][] = [
    [1, 1, 1], [1, 3, 17], [3, 17, 5], [17, 33, 9], [33, 1, 65], [65, 300, 17], [130, 20, 33], [5, 513, 8], [129, 64, 129], [70, 90, 260],
    // A recurrent step's 64 rows: in WebAssembly 12 tiles of 5 rows and one of 4, over two KC-deep blocks.
    [64, 300, 24],
    // Split by rows on two threads, with op(B) wider than one block of columns (2048 with AVX-512).
    [2056, 3, 2050],
  ];
  test.each(shapes)("matmul %i x %i x %i, every transpose, batched", (m, k, n) => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const batch = 2;
        const a = rand(batch * m * k);
        const b = rand(k * n);
        const want = new Float32Array(batch * m * n);
        const got = new Float32Array(batch * m * n);
        cpuBackend.matmul(a, b, want, m, k, n, transA, transB, batch, m * k, 0);
        be.matmul(a, b, got, m, k, n, transA, transB, batch, m * k, 0);
        // float32 sums of k products differ from the reference's (float64) by about sqrt(k) roundings.
        expectAllClose(got, want, `${m}x${k}x${n} transA=${transA} transB=${transB}`, near(Math.max(1e-5, 3e-6 * Math.sqrt(k))));
      }
    }
  });

  // rnn-leaky is covered below with a slope of its own.
  const kinds = FUSED_KINDS.filter((k) => k !== "rnn-leaky");
  const cases: { T: number; N: number; I: number; H: number; P: number; bias: boolean; reverse: boolean; lengths: number[] | null; batchFirst?: boolean }[] = [
    { T: 1, N: 1, I: 1, H: 1, P: 0, bias: true, reverse: false, lengths: null },
    { T: 7, N: 3, I: 17, H: 5, P: 0, bias: true, reverse: false, lengths: null },
    { T: 5, N: 5, I: 3, H: 33, P: 0, bias: false, reverse: true, lengths: null },
    { T: 6, N: 4, I: 9, H: 7, P: 0, bias: true, reverse: true, lengths: [6, 2, 5, 1] },
    { T: 4, N: 9, I: 8, H: 16, P: 0, bias: true, reverse: false, lengths: [4, 4, 3, 3, 2, 2, 1, 1, 1] },
    // Unsorted, with ties and an empty sequence: kernels that sort rows by length must undo it.
    { T: 8, N: 6, I: 5, H: 7, P: 0, bias: true, reverse: true, lengths: [1, 8, 0, 3, 1, 8] },
    // Large enough for the products to be split across threads.
    { T: 3, N: 20, I: 40, H: 64, P: 0, bias: true, reverse: true, lengths: null },
    // Enough gate gradients (rows x G·H) for the bias sums to split their columns across threads.
    { T: 3, N: 40, I: 6, H: 200, P: 0, bias: true, reverse: false, lengths: null },
    // Batch-first rows read and written in place, padded and packed.
    { T: 7, N: 3, I: 17, H: 5, P: 0, bias: true, reverse: false, lengths: null, batchFirst: true },
    { T: 6, N: 4, I: 9, H: 7, P: 0, bias: true, reverse: true, lengths: [6, 2, 5, 1], batchFirst: true },
  ];
  const lstmProj = [
    { T: 5, N: 3, I: 6, H: 9, P: 4, bias: true, reverse: false, lengths: null },
    { T: 6, N: 3, I: 5, H: 8, P: 3, bias: false, reverse: true, lengths: [2, 6, 4], batchFirst: true },
    // A step's product split by columns across threads, its 4H = 2080 columns crossing the packed
    // weights' column blocks (512 wide in wasm, 1024 with AVX2, 2048 with AVX-512).
    { T: 2, N: 12, I: 8, H: 520, P: 0, bias: true, reverse: false, lengths: [2, 1, 2, 2, 1, 2, 2, 2, 1, 2, 2, 2] },
    // Enough rows times H at the first step (130 x 128) for the gate math to split its rows across threads.
    { T: 3, N: 130, I: 4, H: 128, P: 0, bias: true, reverse: true, lengths: Array.from({ length: 130 }, (_, b) => 1 + (b % 3)) },
  ];
  const all = [
    ...kinds.flatMap((kind) => [...cases, ...(kind === "lstm" ? lstmProj : [])].map((c) => ({ kind, slope: 0, ...c }))),
    // Leaky ReLU: the relu kernel with a slope for negative inputs.
    ...cases.map((c) => ({ kind: "rnn-leaky" as FusedCellKind, slope: 0.05, ...c })),
  ];

  test.each(all.map((c) => [`${c.kind}${c.slope ? ` slope ${c.slope}` : ""} T${c.T} N${c.N} I${c.I} H${c.H} P${c.P}${c.bias ? "" : " nobias"}${c.reverse ? " reverse" : ""}${c.lengths ? " packed" : ""}${c.batchFirst ? " batchFirst" : ""}`, c] as const))("recurrent layer %s", (_label, c) => {
    const G = gateCount(c.kind);
    const Hr = c.P > 0 ? c.P : c.H;
    const scale = 1 / Math.sqrt(c.H);
    const args = {
      kind: c.kind, T: c.T, N: c.N, I: c.I, H: c.H, P: c.P,
      x: rand(c.T * c.N * c.I),
      h0: rand(c.N * Hr),
      c0: c.kind === "lstm" ? rand(c.N * c.H) : null,
      wIh: rand(G * c.H * c.I, scale),
      wHh: rand(G * c.H * Hr, scale),
      bIh: c.bias ? rand(G * c.H, scale) : null,
      bHh: c.bias ? rand(G * c.H, scale) : null,
      wHr: c.P > 0 ? rand(c.P * c.H, scale) : null,
      reverse: c.reverse,
      lengths: c.lengths ? Int32Array.from(c.lengths) : null,
      batchFirst: c.batchFirst ?? false,
      save: true,
      slope: c.slope,
    };
    const ref = cpu.forward(args);
    const got = rec().forward(args);
    expectAllClose(got.y, ref.y, "y", near());
    expectAllClose(got.hN, ref.hN, "hN", near());
    expectAllClose(got.cN, ref.cN, "cN", near());
    const upstream = { dy: rand(c.T * c.N * Hr), dhN: rand(c.N * Hr), dcN: c.kind === "lstm" ? rand(c.N * c.H) : null };
    const refG = cpu.backward({ forward: args, saved: ref.saved!, ...upstream });
    const gotG = rec().backward({ forward: args, saved: got.saved!, ...upstream });
    for (const key of ["dx", "dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh", "dwHr"] as const) expectAllClose(gotG[key] ?? null, refG[key] ?? null, key, near(5e-5));
    // Only the final-state gradients, as when the output is not used (a fresh forward: backward
    // may consume what its forward saved).
    const refH = cpu.backward({ forward: args, saved: cpu.forward(args).saved!, dy: null, dhN: upstream.dhN, dcN: null });
    const gotH = rec().backward({ forward: args, saved: rec().forward(args).saved!, dy: null, dhN: upstream.dhN, dcN: null });
    expectAllClose(gotH.dwHh, refH.dwHh, "dwHh (hN only)", near(5e-5));
  });

  test("a NaN in the input reaches every later output of its sequence, and no other", () => {
    for (const kind of ["lstm", "gru", "rnn"] as const) {
      const G = gateCount(kind), T = 3, N = 2, I = 20, H = 33;
      const x = rand(T * N * I);
      x[0] = NaN; // step 0, sequence 0
      const args = {
        kind, T, N, I, H, P: 0, x, h0: rand(N * H), c0: kind === "lstm" ? rand(N * H) : null,
        wIh: rand(G * H * I, 0.2), wHh: rand(G * H * H, 0.2), bIh: null, bHh: null, wHr: null, reverse: false, lengths: null, save: false,
      };
      const y = rec().forward(args).y;
      for (let t = 0; t < T; t++) {
        const row = (n: number) => Array.from(y.subarray((t * N + n) * H, (t * N + n + 1) * H));
        expect(row(0).every(Number.isNaN), `${kind} step ${t}`).toBe(true);
        expect(row(1).every(Number.isFinite), `${kind} step ${t}`).toBe(true);
      }
    }
  });

  test("a second backward over the same saved activations is refused or right, never wrong", () => {
    if (name === "cpu") return;
    const args = {
      kind: "lstm" as const, T: 2, N: 1, I: 2, H: 3, P: 0, x: rand(4), h0: rand(3), c0: rand(3), wIh: rand(24), wHh: rand(36),
      bIh: null, bHh: null, wHr: null, reverse: false, lengths: null, save: true,
    };
    const f = rec().forward(args);
    const dhN = rand(3);
    const first = rec().backward({ forward: args, saved: f.saved!, dy: null, dhN, dcN: null });
    let second: ReturnType<RecurrentKernels["backward"]> | null = null;
    try {
      second = rec().backward({ forward: args, saved: f.saved!, dy: null, dhN, dcN: null });
    } catch (e) {
      expect((e as Error).message).toMatch(/second time/);
    }
    if (second) for (const key of ["dx", "dh0", "dwIh", "dwHh"] as const) expect(Array.from(second[key]!)).toEqual(Array.from(first[key]!));
  });

  test("threads really ran when two were asked for", () => {
    if (!name.endsWith("2 threads") || name.startsWith("native")) return;
    const variant = name.replace(/^wasm-/, "").replace(/ 2 threads$/, "");
    const info = (made.get(variant) as ReturnType<typeof createWasmBackend>).info();
    expect(info.sharedMemory).toBe(true);
    expect(info.maxThreads).toBe(availableParallelism());
    expect(info.workers).toBe(1);
  });

  test("float64 inputs fall back to the reference kernels", () => {
    const a = Float64Array.from(rand(6 * 40));
    const b = Float64Array.from(rand(40 * 7));
    const want = new Float64Array(42);
    const got = new Float64Array(42);
    cpuBackend.matmul(a, b, want, 6, 40, 7, false, false, 1, 0, 0);
    be.matmul(a, b, got, 6, 40, 7, false, false, 1, 0, 0);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

// WebAssembly SIMD kernels for seqtorch's wasm backend, in AssemblyScript.
//
// Every argument is a byte offset into linear memory or a size; JavaScript owns the memory layout.
// Matrices are row-major float32. Built by tools/build-wasm.mjs into ../kernels-wasm.ts.

import { KERNEL_GRU, KERNEL_LSTM, KERNEL_RNN_RELU } from "../../../cells/kernel-ids";

// Register tile of the matrix product: 4 rows of A times 8 columns of B, in eight f32x4
// accumulators. Larger tiles spill on x64 engines (16 vector registers).
const MR: i32 = 4;
const NR: i32 = 8;
// Rows of A packed at a time; A block MC x K stays in L2 while every B panel sweeps it.
const MC: i32 = 128;
const ONE: f32 = 1;

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function ld(p: usize): f32 {
  return load<f32>(p);
}
@inline function st(p: usize, v: f32): void {
  store<f32>(p, v);
}

/** Bytes of scratch `gemm` needs for packed B. */
export function gemmScratchBytes(m: i32, k: i32, n: i32): i32 {
  return packedBFloats(k, n) * 4;
}

export function packedBFloats(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * NR * k;
}
function packedAFloats(m: i32, k: i32): i32 {
  return ((m + MR - 1) / MR) * MR * k;
}

/**
 * Packs logical B [k, n] into column panels of NR: panel jp holds rows 0..k-1 of columns
 * jp*NR..jp*NR+NR-1 contiguously, zero-padded. B is stored [n, k] when transB.
 */
export function packB(B: usize, k: i32, n: i32, transB: bool, out: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NR;
    const w = min(NR, n - j0);
    let o = out + <usize>(jp * k * NR) * 4;
    if (!transB) {
      for (let p = 0; p < k; p++) {
        const src = B + <usize>(p * n + j0) * 4;
        if (w == NR) {
          v128.store(o, v128.load(src));
          v128.store(o + 16, v128.load(src + 16));
        } else {
          for (let jj = 0; jj < NR; jj++) st(o + <usize>jj * 4, jj < w ? ld(src + <usize>jj * 4) : 0);
        }
        o += <usize>NR * 4;
      }
    } else {
      for (let jj = 0; jj < NR; jj++) {
        const src = B + <usize>((j0 + jj) * k) * 4;
        const dst = out + <usize>(jp * k * NR + jj) * 4;
        if (jj < w) {
          for (let p = 0; p < k; p++) st(dst + <usize>(p * NR) * 4, ld(src + <usize>p * 4));
        } else {
          for (let p = 0; p < k; p++) st(dst + <usize>(p * NR) * 4, 0);
        }
      }
    }
  }
}

/** Packs rows i0..i0+rows-1 of logical A [m, k] into row panels of MR (A stored [k, m] when transA). */
function packA(A: usize, m: i32, k: i32, transA: bool, i0: i32, rows: i32, out: usize): void {
  const panels = (rows + MR - 1) / MR;
  for (let ip = 0; ip < panels; ip++) {
    const r0 = i0 + ip * MR;
    const h = min(MR, i0 + rows - r0);
    const dst = out + <usize>(ip * k * MR) * 4;
    if (transA) {
      for (let p = 0; p < k; p++) {
        const src = A + <usize>(p * m + r0) * 4;
        const o = dst + <usize>(p * MR) * 4;
        if (h == MR) v128.store(o, v128.load(src));
        else for (let ii = 0; ii < MR; ii++) st(o + <usize>ii * 4, ii < h ? ld(src + <usize>ii * 4) : 0);
      }
    } else if (h == MR) {
      // Four rows at a time: load a 4 x 4 block, transpose it in registers, store four columns.
      const s0 = A + <usize>(r0 * k) * 4;
      const s1 = s0 + <usize>k * 4, s2 = s1 + <usize>k * 4, s3 = s2 + <usize>k * 4;
      const k4 = k & ~3;
      for (let p = 0; p < k4; p += 4) {
        const q = <usize>p * 4;
        const a0 = v128.load(s0 + q), a1 = v128.load(s1 + q), a2 = v128.load(s2 + q), a3 = v128.load(s3 + q);
        const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
        const o = dst + <usize>(p * MR) * 4;
        v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
        v128.store(o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
        v128.store(o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      }
      for (let p = k4; p < k; p++) {
        const o = dst + <usize>(p * MR) * 4;
        const q = <usize>p * 4;
        st(o, ld(s0 + q)); st(o + 4, ld(s1 + q)); st(o + 8, ld(s2 + q)); st(o + 12, ld(s3 + q));
      }
    } else {
      for (let ii = 0; ii < MR; ii++) {
        const o = dst + <usize>ii * 4;
        if (ii < h) {
          const src = A + <usize>((r0 + ii) * k) * 4;
          for (let p = 0; p < k; p++) st(o + <usize>(p * MR) * 4, ld(src + <usize>p * 4));
        } else {
          for (let p = 0; p < k; p++) st(o + <usize>(p * MR) * 4, 0);
        }
      }
    }
  }
}

/**
 * C[4 x 8 tile] (+)= Apanel[k][4] times Bpanel[k][8]: the register-tiled inner loop. Writes only
 * `h` rows and `w` columns of the tile; an edge tile goes through the thread's `tile` buffer.
 */
function microKernel(Ap: usize, Bp: usize, k: i32, C: usize, ldc: i32, h: i32, w: i32, accumulate: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a = Ap;
  let b = Bp;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    const a1 = v128.load32_splat(a, 4);
    const a2 = v128.load32_splat(a, 8);
    const a3 = v128.load32_splat(a, 12);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    a += 16;
    b += 32;
  }
  const row = <usize>ldc * 4;
  if (h == MR && w == NR) {
    let c = C;
    if (accumulate) {
      v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += row;
      v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16); c += row;
      v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16); c += row;
      v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
    } else {
      v128.store(c, c00); v128.store(c, c01, 16); c += row;
      v128.store(c, c10); v128.store(c, c11, 16); c += row;
      v128.store(c, c20); v128.store(c, c21, 16); c += row;
      v128.store(c, c30); v128.store(c, c31, 16);
    }
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  for (let i = 0; i < h; i++) {
    const c = C + <usize>i * row;
    for (let j = 0; j < w; j++) {
      const v = ld(tile + <usize>(i * NR + j) * 4);
      const q = c + <usize>j * 4;
      st(q, accumulate ? ld(q) + v : v);
    }
  }
}

/** All rows of C against B panels [jp0, jp1): A is packed block by block into `scratch`. */
function gemmPanels(A: usize, transA: bool, Bp: usize, C: usize, m: i32, k: i32, n: i32, accumulate: bool, jp0: i32, jp1: i32, scratch: usize): void {
  const tile = scratch;
  const packed = scratch + <usize>(MR * NR) * 4;
  for (let ic = 0; ic < m; ic += MC) {
    const rows = min(MC, m - ic);
    packA(A, m, k, transA, ic, rows, packed);
    const panelsA = (rows + MR - 1) / MR;
    for (let jp = jp0; jp < jp1; jp++) {
      const j0 = jp * NR;
      const w = min(NR, n - j0);
      const bp = Bp + <usize>(jp * k * NR) * 4;
      for (let ip = 0; ip < panelsA; ip++) {
        const i0 = ic + ip * MR;
        microKernel(packed + <usize>(ip * k * MR) * 4, bp, k, C + <usize>(i0 * n + j0) * 4, n, min(MR, m - i0), w, accumulate, tile);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Threads. Workers sit in `workerLoop` (in their own instance over the same shared memory); a
// parallel product publishes its arguments in CTRL, bumps the generation and wakes them, then every
// thread takes chunks of B panels from an atomic counter until none are left.

const CTRL = memory.data(128, 64);
const GEN = 0, NEXT = 4, DONE = 8, THREADS = 12, SCRATCH = 16, STRIDE = 20, READY = 24;
const TA = 32, TTRANS = 36, TBP = 40, TC = 44, TM = 48, TK = 52, TN_ = 56, TACC = 60, TCHUNK = 64, TPANELS = 68;
// Below this many multiply-adds a product is not worth waking another thread for.
const PARALLEL_MIN = 1 << 17;
const SPIN = 200000;

/** Bytes of per-thread scratch for products with inner size up to `maxK`. */
export function threadScratchBytes(maxK: i32): i32 {
  return (MR * NR + packedAFloats(MC, max(maxK, 1))) * 4 + 64;
}

/** Sets the threads the next kernel calls may use and their scratch (`threads` regions of `stride` bytes). */
export function configureThreads(threads: i32, scratch: usize, stride: i32): void {
  store<i32>(CTRL + THREADS, threads);
  store<i32>(CTRL + SCRATCH, <i32>scratch);
  store<i32>(CTRL + STRIDE, stride);
}

/** Workers that have started and are waiting for work. */
export function readyWorkers(): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(CTRL + READY);
  return 0;
}

@inline function threadScratch(id: i32): usize {
  return ((<usize>load<i32>(CTRL + SCRATCH) + <usize>(id * load<i32>(CTRL + STRIDE))) + 15) & ~15;
}

function runChunks(id: i32): void {
  const A = <usize>load<i32>(CTRL + TA);
  const transA = load<i32>(CTRL + TTRANS) != 0;
  const Bp = <usize>load<i32>(CTRL + TBP);
  const C = <usize>load<i32>(CTRL + TC);
  const m = load<i32>(CTRL + TM), k = load<i32>(CTRL + TK), n = load<i32>(CTRL + TN_);
  const accumulate = load<i32>(CTRL + TACC) != 0;
  const chunk = load<i32>(CTRL + TCHUNK), panels = load<i32>(CTRL + TPANELS);
  const scratch = threadScratch(id);
  while (true) {
    let c: i32;
    if (ASC_FEATURE_THREADS) c = atomic.add<i32>(CTRL + NEXT, 1);
    else { c = load<i32>(CTRL + NEXT); store<i32>(CTRL + NEXT, c + 1); }
    const jp0 = c * chunk;
    if (jp0 >= panels) break;
    gemmPanels(A, transA, Bp, C, m, k, n, accumulate, jp0, min(panels, jp0 + chunk), scratch);
  }
}

/** A worker's life: wait for a generation, help with its chunks, report, repeat. */
export function workerLoop(id: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  let seen = atomic.load<i32>(CTRL + GEN);
  atomic.add<i32>(CTRL + READY, 1);
  while (true) {
    let spins = 0;
    while (atomic.load<i32>(CTRL + GEN) == seen) {
      if (++spins > SPIN) {
        atomic.wait<i32>(CTRL + GEN, seen, -1);
        spins = 0;
      }
    }
    seen = atomic.load<i32>(CTRL + GEN);
    if (id < load<i32>(CTRL + THREADS)) runChunks(id);
    atomic.add<i32>(CTRL + DONE, 1);
  }
}

/** C[m, n] (+)= op(A) @ Bpacked over every configured thread (or just this one when small). */
function pgemm(A: usize, transA: bool, Bp: usize, C: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) memory.fill(C, 0, <usize>(m * n) * 4);
    return;
  }
  const panels = (n + NR - 1) / NR;
  let threads = load<i32>(CTRL + THREADS);
  if (!ASC_FEATURE_THREADS || threads < 2 || <i64>m * <i64>k * <i64>n < PARALLEL_MIN || panels < 2) {
    gemmPanels(A, transA, Bp, C, m, k, n, accumulate, 0, panels, threadScratch(0));
    return;
  }
  if (ASC_FEATURE_THREADS) {
    const workers = atomic.load<i32>(CTRL + READY);
    store<i32>(CTRL + TA, <i32>A);
    store<i32>(CTRL + TTRANS, transA ? 1 : 0);
    store<i32>(CTRL + TBP, <i32>Bp);
    store<i32>(CTRL + TC, <i32>C);
    store<i32>(CTRL + TM, m);
    store<i32>(CTRL + TK, k);
    store<i32>(CTRL + TN_, n);
    store<i32>(CTRL + TACC, accumulate ? 1 : 0);
    // About four chunks per thread, so a slow thread does not hold the others up.
    store<i32>(CTRL + TCHUNK, max(1, (panels + threads * 4 - 1) / (threads * 4)));
    store<i32>(CTRL + TPANELS, panels);
    atomic.store<i32>(CTRL + NEXT, 0);
    atomic.store<i32>(CTRL + DONE, 0);
    atomic.add<i32>(CTRL + GEN, 1);
    atomic.notify(CTRL + GEN, workers);
    runChunks(0);
    while (atomic.load<i32>(CTRL + DONE) < workers) {}
  }
}

/** C[m, n] (+)= op(A) @ op(B); A stored [k, m] when transA, B stored [n, k] when transB. `Bp` is scratch for packed B. */
export function gemm(A: usize, B: usize, C: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool, accumulate: bool, Bp: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) memory.fill(C, 0, <usize>(m * n) * 4);
    return;
  }
  packB(B, k, n, transB, Bp);
  pgemm(A, transA, Bp, C, m, k, n, accumulate);
}

// ---------------------------------------------------------------------------------------------
// Fused recurrent layers: one layer, one direction, the whole sequence per call.

// The recurrence ids, from the cell table's own constants (src/cells/kernel-ids.ts).
const LSTM: i32 = KERNEL_LSTM;
const GRU: i32 = KERNEL_GRU;
const RNN_RELU: i32 = KERNEL_RNN_RELU;

@inline function gatesOf(kind: i32): i32 {
  return kind == LSTM ? 4 : kind == GRU ? 3 : 1;
}

@inline function sigmoid(x: f32): f32 {
  return x >= 0 ? ONE / (ONE + Mathf.exp(-x)) : Mathf.exp(x) / (ONE + Mathf.exp(x));
}

@inline function tanhf(x: f32): f32 {
  return Mathf.tanh(x);
}

// Vector exp by range reduction (x = n ln2 + r) and a degree-6 polynomial for exp(r) (the Cephes
// expf coefficients); ~1 ulp in the range that matters for gates. Saturates to 0 / Inf beyond +-88.
@inline function exp4(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, f32x4.splat(88.0)), f32x4.splat(-88.0));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(fx, f32x4.splat(2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = madd(y, r, f32x4.splat(1.3981999507e-3));
  y = madd(y, r, f32x4.splat(8.3334519073e-3));
  y = madd(y, r, f32x4.splat(4.1665795894e-2));
  y = madd(y, r, f32x4.splat(1.6666665459e-1));
  y = madd(y, r, f32x4.splat(5.0000001201e-1));
  y = madd(y, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2n);
}

@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

// tanh(x) = 1 - 2 / (exp(2x) + 1): absolute error ~1e-7, saturating cleanly at +-1.
@inline function tanh4(x: v128): v128 {
  const e = exp4(f32x4.add(x, x));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}

@inline function active(lengths: usize, b: i32, t: i32): bool {
  return lengths == 0 || t < load<i32>(lengths + <usize>b * 4);
}

/** Floats of scratch the forward kernel needs beyond its outputs. */
export function recurrentForwardScratchBytes(kind: i32, T: i32, N: i32, I: i32, H: i32, P: i32, save: bool): i32 {
  const G = gatesOf(kind);
  const GH = G * H;
  const Hr = P > 0 ? P : H;
  // The input projection lives in the saved gates buffer when there is one (and is overwritten
  // there by the activated gates step by step); inference needs its own.
  let floats = save ? 0 : T * N * GH;
  floats += packedBFloats(Hr, GH); // W_hh^T packed
  floats += N * GH; // GRU: the hidden-side products of one step
  if (P > 0) floats += packedBFloats(H, P) + 2 * N * H + N * P;
  floats += packedBFloats(I, GH); // W_ih^T packed for the input projection
  return floats * 4 + 64 * 4;
}

/**
 * Forward over the whole sequence. Inputs: x [T, N, I], h0 [N, Hr], c0 [N, H] (LSTM), weights as in
 * PyTorch; bias pointers may be 0 (no bias), wHr 0 without projection, lengths 0 for full length.
 * Outputs: y [T, N, Hr], hN [N, Hr], cN [N, H]. When `save` is set, also gates [T, N, G*H],
 * hPrev [T, N, Hr], and for the LSTM cPrev, c [T, N, H], m [T, N, H] (projection), for the GRU ghn [T, N, H].
 */
export function recurrentForward(
  kind: i32, T: i32, N: i32, I: i32, H: i32, P: i32, reverse: bool, lengths: usize,
  x: usize, h0: usize, c0: usize, wIh: usize, wHh: usize, bIh: usize, bHh: usize, wHr: usize,
  y: usize, hN: usize, cN: usize,
  sGates: usize, sHPrev: usize, sCPrev: usize, sC: usize, sM: usize, sGhn: usize,
  scratch: usize, slope: f32,
): void {
  const G = gatesOf(kind);
  const GH = G * H;
  const Hr = P > 0 ? P : H;
  const TN = T * N;
  // Scratch layout.
  let s = (scratch + 15) & ~15;
  const gx = sGates != 0 ? sGates : s;
  if (sGates == 0) s += <usize>(TN * GH) * 4;
  const whhP = s; s += <usize>packedBFloats(Hr, GH) * 4;
  const gh = s; s += <usize>(N * GH) * 4;
  let whrP: usize = 0, m: usize = 0, hp: usize = 0;
  if (P > 0) {
    whrP = s; s += <usize>packedBFloats(H, P) * 4;
    m = s; s += <usize>(N * H) * 4;
    hp = s; s += <usize>(N * P) * 4;
    s += <usize>(N * H) * 4;
  }
  const wihP = s;

  // Input projection of every step at once; b_hh folds in too except for the GRU's n gate.
  packB(wIh, I, GH, true, wihP);
  pgemm(x, false, wihP, gx, TN, I, GH, false);
  if (bIh != 0 || bHh != 0) {
    for (let r = 0; r < TN; r++) {
      const o = gx + <usize>(r * GH) * 4;
      for (let j = 0; j < GH; j++) {
        let v = ld(o + <usize>j * 4);
        if (bIh != 0) v += ld(bIh + <usize>j * 4);
        if (bHh != 0 && kind != GRU) v += ld(bHh + <usize>j * 4);
        st(o + <usize>j * 4, v);
      }
    }
  }
  packB(wHh, Hr, GH, true, whhP);
  if (P > 0) packB(wHr, H, P, true, whrP);

  memory.copy(hN, h0, <usize>(N * Hr) * 4);
  if (kind == LSTM) memory.copy(cN, c0, <usize>(N * H) * 4);
  const h = hN;
  const c = cN;

  for (let step = 0; step < T; step++) {
    const t = reverse ? T - 1 - step : step;
    const tN = t * N;
    if (sHPrev != 0) {
      memory.copy(sHPrev + <usize>(tN * Hr) * 4, h, <usize>(N * Hr) * 4);
      if (kind == LSTM) memory.copy(sCPrev + <usize>(tN * H) * 4, c, <usize>(N * H) * 4);
    }
    if (kind == GRU) {
      pgemm(h, false, whhP, gh, N, Hr, GH, false);
      for (let b = 0; b < N; b++) {
        if (!active(lengths, b, t)) continue;
        // Gates replace the input projection in place, entry by entry.
        const xo = gx + <usize>((tN + b) * GH) * 4;
        const go = xo;
        const hg = gh + <usize>(b * GH) * 4;
        const ho = h + <usize>(b * H) * 4;
        const H4 = bHh != 0 ? H & ~3 : 0;
        for (let j = 0; j < H4; j += 4) {
          const jr = <usize>j * 4, jz = <usize>(H + j) * 4, jn = <usize>(2 * H + j) * 4;
          const hn = f32x4.add(v128.load(hg + jn), v128.load(bHh + jn));
          const r = sigmoid4(f32x4.add(v128.load(xo + jr), f32x4.add(v128.load(hg + jr), v128.load(bHh + jr))));
          const z = sigmoid4(f32x4.add(v128.load(xo + jz), f32x4.add(v128.load(hg + jz), v128.load(bHh + jz))));
          const n = tanh4(madd(r, hn, v128.load(xo + jn)));
          const hv = madd(z, f32x4.sub(v128.load(ho + jr), n), n);
          v128.store(go + jr, r); v128.store(go + jz, z); v128.store(go + jn, n);
          if (sGhn != 0) v128.store(sGhn + <usize>((tN + b) * H + j) * 4, hn);
          v128.store(ho + jr, hv);
        }
        for (let j = H4; j < H; j++) {
          const jr = <usize>j * 4, jz = <usize>(H + j) * 4, jn = <usize>(2 * H + j) * 4;
          const hr = ld(hg + jr) + (bHh != 0 ? ld(bHh + jr) : 0);
          const hz = ld(hg + jz) + (bHh != 0 ? ld(bHh + jz) : 0);
          const hn = ld(hg + jn) + (bHh != 0 ? ld(bHh + jn) : 0);
          const r = sigmoid(ld(xo + jr) + hr);
          const z = sigmoid(ld(xo + jz) + hz);
          const n = tanhf(ld(xo + jn) + r * hn);
          const hv = (ONE - z) * n + z * ld(ho + jr);
          st(go + jr, r); st(go + jz, z); st(go + jn, n);
          if (sGhn != 0) st(sGhn + <usize>((tN + b) * H + j) * 4, hn);
          st(ho + jr, hv);
        }
      }
    } else {
      pgemm(h, false, whhP, gx + <usize>(tN * GH) * 4, N, Hr, GH, true);
      for (let b = 0; b < N; b++) {
        if (!active(lengths, b, t)) continue;
        const go = gx + <usize>((tN + b) * GH) * 4;
        if (kind == LSTM) {
          const co = c + <usize>(b * H) * 4;
          const out = P > 0 ? m + <usize>(b * H) * 4 : h + <usize>(b * Hr) * 4;
          const H4 = H & ~3;
          for (let j = 0; j < H4; j += 4) {
            const ji = <usize>j * 4, jf = <usize>(H + j) * 4, jg = <usize>(2 * H + j) * 4, jo = <usize>(3 * H + j) * 4;
            const ig = sigmoid4(v128.load(go + ji));
            const fg = sigmoid4(v128.load(go + jf));
            const gg = tanh4(v128.load(go + jg));
            const og = sigmoid4(v128.load(go + jo));
            const cv = madd(fg, v128.load(co + ji), f32x4.mul(ig, gg));
            v128.store(co + ji, cv);
            v128.store(go + ji, ig); v128.store(go + jf, fg); v128.store(go + jg, gg); v128.store(go + jo, og);
            v128.store(out + ji, f32x4.mul(og, tanh4(cv)));
          }
          for (let j = H4; j < H; j++) {
            const ji = <usize>j * 4, jf = <usize>(H + j) * 4, jg = <usize>(2 * H + j) * 4, jo = <usize>(3 * H + j) * 4;
            const ig = sigmoid(ld(go + ji));
            const fg = sigmoid(ld(go + jf));
            const gg = tanhf(ld(go + jg));
            const og = sigmoid(ld(go + jo));
            const cv = fg * ld(co + ji) + ig * gg;
            st(co + ji, cv);
            st(go + ji, ig); st(go + jf, fg); st(go + jg, gg); st(go + jo, og);
            const mv = og * tanhf(cv);
            if (P > 0) st(m + <usize>(b * H + j) * 4, mv);
            else st(h + <usize>(b * Hr + j) * 4, mv);
          }
        } else {
          const H4 = H & ~3;
          const hb = h + <usize>(b * H) * 4;
          for (let j = 0; j < H4; j += 4) {
            const v = v128.load(go + <usize>j * 4);
            const hv = kind == RNN_RELU ? v128.bitselect(v, f32x4.mul(v, f32x4.splat(slope)), f32x4.gt(v, f32x4.splat(0))) : tanh4(v);
            v128.store(go + <usize>j * 4, hv);
            v128.store(hb + <usize>j * 4, hv);
          }
          for (let j = H4; j < H; j++) {
            const v = ld(go + <usize>j * 4);
            const hv: f32 = kind == RNN_RELU ? (v > 0 ? v : slope * v) : tanhf(v);
            st(go + <usize>j * 4, hv);
            st(hb + <usize>j * 4, hv);
          }
        }
      }
      if (P > 0) {
        pgemm(m, false, whrP, hp, N, H, P, false);
        for (let b = 0; b < N; b++) {
          if (active(lengths, b, t)) memory.copy(h + <usize>(b * P) * 4, hp + <usize>(b * P) * 4, <usize>P * 4);
        }
      }
    }
    for (let b = 0; b < N; b++) {
      const tb = tN + b;
      if (!active(lengths, b, t)) {
        memory.fill(y + <usize>(tb * Hr) * 4, 0, <usize>Hr * 4);
        continue;
      }
      memory.copy(y + <usize>(tb * Hr) * 4, h + <usize>(b * Hr) * 4, <usize>Hr * 4);
      if (sGates != 0) {
        if (kind == LSTM) memory.copy(sC + <usize>(tb * H) * 4, c + <usize>(b * H) * 4, <usize>H * 4);
        if (P > 0) memory.copy(sM + <usize>(tb * H) * 4, m + <usize>(b * H) * 4, <usize>H * 4);
      }
    }
  }
}

/** Scratch bytes for `recurrentBackward` beyond its outputs. */
export function recurrentBackwardScratchBytes(kind: i32, T: i32, N: i32, I: i32, H: i32, P: i32): i32 {
  const G = gatesOf(kind);
  const GH = G * H;
  const Hr = P > 0 ? P : H;
  const TN = T * N;
  // dG overwrites the saved gates in place, step by step; the GRU's hidden side needs its own.
  let floats = 0;
  if (kind == GRU) floats += TN * GH; // dGh
  floats += packedBFloats(GH, Hr); // W_hh packed as [GH, Hr]
  floats += 2 * N * Hr + N * H; // dh, dhNext, dc
  if (P > 0) floats += TN * P + N * H + packedBFloats(P, H);
  const biggest = max(max(packedBFloats(TN, max(I, Hr)), packedBFloats(GH, I)), packedBFloats(TN, H));
  floats += biggest;
  return floats * 4 + 64 * 4;
}

/**
 * Backward through time for `recurrentForward` (same sizes and saved buffers). dy, dhN, dcN may be
 * 0 (zero gradient). Writes dx [T, N, I], dh0 [N, Hr], dc0 [N, H], dwIh, dwHh, dbIh, dbHh (0 when no
 * bias) and dwHr (0 without projection).
 */
export function recurrentBackward(
  kind: i32, T: i32, N: i32, I: i32, H: i32, P: i32, reverse: bool, lengths: usize,
  x: usize, wIh: usize, wHh: usize, wHr: usize, hasBias: bool,
  sGates: usize, sHPrev: usize, sCPrev: usize, sC: usize, sM: usize, sGhn: usize,
  dy: usize, dhN: usize, dcN: usize,
  dx: usize, dh0: usize, dc0: usize, dwIh: usize, dwHh: usize, dbIh: usize, dbHh: usize, dwHr: usize,
  scratch: usize, slope: f32, dHid: usize,
): void {
  const G = gatesOf(kind);
  const GH = G * H;
  const Hr = P > 0 ? P : H;
  const TN = T * N;
  let s = (scratch + 15) & ~15;
  const dG = sGates;
  let dGh = dG;
  if (kind == GRU) { dGh = s; s += <usize>(TN * GH) * 4; }
  const whhP = s; s += <usize>packedBFloats(GH, Hr) * 4;
  const dh = dh0; // the running state gradient ends as dh0
  const dhNext = s; s += <usize>(N * Hr) * 4;
  const dhz = s; s += <usize>(N * H) * 4; // GRU: dh * z, kept before dG overwrites z
  const dc = dc0;
  let dHall: usize = 0, dm: usize = 0, whrP: usize = 0;
  if (P > 0) {
    dHall = s; s += <usize>(TN * P) * 4;
    dm = s; s += <usize>(N * H) * 4;
    whrP = s; s += <usize>packedBFloats(P, H) * 4;
  }
  const gemmScratch = s;

  if (dhN != 0) memory.copy(dh, dhN, <usize>(N * Hr) * 4);
  else memory.fill(dh, 0, <usize>(N * Hr) * 4);
  if (kind == LSTM) {
    if (dcN != 0) memory.copy(dc, dcN, <usize>(N * H) * 4);
    else memory.fill(dc, 0, <usize>(N * H) * 4);
  }
  if (kind == GRU) memory.fill(dGh, 0, <usize>(TN * GH) * 4);
  if (P > 0) memory.fill(dHall, 0, <usize>(TN * P) * 4);
  // dh_{t-1} = dG_t @ W_hh: W_hh [GH, Hr] is B as stored.
  packB(wHh, GH, Hr, false, whhP);
  if (P > 0) packB(wHr, P, H, false, whrP);

  for (let step = T - 1; step >= 0; step--) {
    const t = reverse ? T - 1 - step : step;
    const tN = t * N;
    if (dy != 0) {
      for (let b = 0; b < N; b++) {
        if (!active(lengths, b, t)) continue;
        const d = dh + <usize>(b * Hr) * 4;
        const src = dy + <usize>((tN + b) * Hr) * 4;
        for (let j = 0; j < Hr; j++) st(d + <usize>j * 4, ld(d + <usize>j * 4) + ld(src + <usize>j * 4));
      }
    }
    if (dHid != 0) {
      // Diagnostics: the gradient with respect to this step's output state.
      for (let b = 0; b < N; b++) {
        if (active(lengths, b, t)) memory.copy(dHid + <usize>((tN + b) * Hr) * 4, dh + <usize>(b * Hr) * 4, <usize>Hr * 4);
      }
    }
    if (kind == LSTM) {
      if (P > 0) {
        for (let b = 0; b < N; b++) {
          if (active(lengths, b, t)) memory.copy(dHall + <usize>((tN + b) * P) * 4, dh + <usize>(b * P) * 4, <usize>P * 4);
        }
        pgemm(dh, false, whrP, dm, N, P, H, false);
      }
      for (let b = 0; b < N; b++) {
        const go = sGates + <usize>((tN + b) * GH) * 4;
        const dgo = dG + <usize>((tN + b) * GH) * 4;
        // A finished sequence contributes nothing at this step (its gate rows hold stale values).
        if (!active(lengths, b, t)) {
          memory.fill(dgo, 0, <usize>GH * 4);
          continue;
        }
        const co = <usize>((tN + b) * H) * 4;
        const H4 = H & ~3;
        const dmb = P > 0 ? dm + <usize>(b * H) * 4 : dh + <usize>(b * H) * 4;
        const one = f32x4.splat(1);
        for (let j = 0; j < H4; j += 4) {
          const ji = <usize>j * 4, jf = <usize>(H + j) * 4, jg = <usize>(2 * H + j) * 4, jo = <usize>(3 * H + j) * 4;
          const ig = v128.load(go + ji), fg = v128.load(go + jf), gg = v128.load(go + jg), og = v128.load(go + jo);
          const tc = tanh4(v128.load(sC + co + ji));
          const dmv = v128.load(dmb + ji);
          const dcp = dc + <usize>(b * H + j) * 4;
          const dct = madd(f32x4.mul(dmv, og), f32x4.sub(one, f32x4.mul(tc, tc)), v128.load(dcp));
          v128.store(dgo + ji, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(ig, f32x4.sub(one, ig))));
          v128.store(dgo + jf, f32x4.mul(f32x4.mul(dct, v128.load(sCPrev + co + ji)), f32x4.mul(fg, f32x4.sub(one, fg))));
          v128.store(dgo + jg, f32x4.mul(f32x4.mul(dct, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
          v128.store(dgo + jo, f32x4.mul(f32x4.mul(dmv, tc), f32x4.mul(og, f32x4.sub(one, og))));
          v128.store(dcp, f32x4.mul(dct, fg));
        }
        for (let j = H4; j < H; j++) {
          const ji = <usize>j * 4, jf = <usize>(H + j) * 4, jg = <usize>(2 * H + j) * 4, jo = <usize>(3 * H + j) * 4;
          const ig = ld(go + ji), fg = ld(go + jf), gg = ld(go + jg), og = ld(go + jo);
          const tc = tanhf(ld(sC + co + ji));
          const dmv = P > 0 ? ld(dm + <usize>(b * H + j) * 4) : ld(dh + <usize>(b * H + j) * 4);
          const dcp = dc + <usize>(b * H + j) * 4;
          const dct = ld(dcp) + dmv * og * (ONE - tc * tc);
          st(dgo + ji, dct * gg * ig * (ONE - ig));
          st(dgo + jf, dct * ld(sCPrev + co + ji) * fg * (ONE - fg));
          st(dgo + jg, dct * ig * (ONE - gg * gg));
          st(dgo + jo, dmv * tc * og * (ONE - og));
          st(dcp, dct * fg);
        }
      }
      pgemm(dG + <usize>(tN * GH) * 4, false, whhP, dhNext, N, GH, Hr, false);
    } else if (kind == GRU) {
      for (let b = 0; b < N; b++) {
        const go = sGates + <usize>((tN + b) * GH) * 4;
        const dgo = dG + <usize>((tN + b) * GH) * 4;
        // A finished sequence contributes nothing at this step (its gate rows hold stale values).
        if (!active(lengths, b, t)) {
          memory.fill(dgo, 0, <usize>GH * 4);
          continue;
        }
        const dgho = dGh + <usize>((tN + b) * GH) * 4;
        const ho = <usize>((tN + b) * H) * 4;
        for (let j = 0; j < H; j++) {
          const jr = <usize>j * 4, jz = <usize>(H + j) * 4, jn = <usize>(2 * H + j) * 4;
          const r = ld(go + jr), z = ld(go + jz), n = ld(go + jn);
          const dhv = ld(dh + <usize>(b * H + j) * 4);
          const dnp = dhv * (ONE - z) * (ONE - n * n);
          const dzp = dhv * (ld(sHPrev + ho + jr) - n) * z * (ONE - z);
          const drp = dnp * ld(sGhn + ho + jr) * r * (ONE - r);
          st(dhz + <usize>(b * H + j) * 4, dhv * z);
          st(dgo + jr, drp); st(dgo + jz, dzp); st(dgo + jn, dnp);
          st(dgho + jr, drp); st(dgho + jz, dzp); st(dgho + jn, dnp * r);
        }
      }
      pgemm(dGh + <usize>(tN * GH) * 4, false, whhP, dhNext, N, GH, Hr, false);
      for (let b = 0; b < N; b++) {
        if (!active(lengths, b, t)) continue;
        for (let j = 0; j < H; j++) {
          const q = dhNext + <usize>(b * H + j) * 4;
          st(q, ld(q) + ld(dhz + <usize>(b * H + j) * 4));
        }
      }
    } else {
      for (let b = 0; b < N; b++) {
        const go = sGates + <usize>((tN + b) * GH) * 4;
        const dgo = dG + <usize>((tN + b) * GH) * 4;
        // A finished sequence contributes nothing at this step (its gate rows hold stale values).
        if (!active(lengths, b, t)) {
          memory.fill(dgo, 0, <usize>GH * 4);
          continue;
        }
        for (let j = 0; j < H; j++) {
          const hv = ld(go + <usize>j * 4);
          const d = ld(dh + <usize>(b * H + j) * 4);
          st(dgo + <usize>j * 4, kind == RNN_RELU ? (hv > 0 ? d : d * slope) : d * (ONE - hv * hv));
        }
      }
      pgemm(dG + <usize>(tN * GH) * 4, false, whhP, dhNext, N, GH, Hr, false);
    }
    // Sequences already finished at this step pass their state gradient through untouched.
    for (let b = 0; b < N; b++) {
      if (active(lengths, b, t)) memory.copy(dh + <usize>(b * Hr) * 4, dhNext + <usize>(b * Hr) * 4, <usize>Hr * 4);
    }
  }

  // Weight and input gradients: one product each over all steps.
  gemm(dG, wIh, dx, TN, GH, I, false, false, false, gemmScratch);
  gemm(dG, x, dwIh, GH, TN, I, true, false, false, gemmScratch);
  gemm(dGh, sHPrev, dwHh, GH, TN, Hr, true, false, false, gemmScratch);
  if (hasBias) {
    memory.fill(dbIh, 0, <usize>GH * 4);
    memory.fill(dbHh, 0, <usize>GH * 4);
    for (let r = 0; r < TN; r++) {
      const a = dG + <usize>(r * GH) * 4;
      const b2 = dGh + <usize>(r * GH) * 4;
      for (let j = 0; j < GH; j++) {
        st(dbIh + <usize>j * 4, ld(dbIh + <usize>j * 4) + ld(a + <usize>j * 4));
        st(dbHh + <usize>j * 4, ld(dbHh + <usize>j * 4) + ld(b2 + <usize>j * 4));
      }
    }
  }
  if (P > 0) gemm(dHall, sM, dwHr, P, TN, H, true, false, false, gemmScratch);
}

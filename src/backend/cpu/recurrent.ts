/**
 * Fused recurrent layers for the reference backend: one call runs a whole layer and direction.
 * The input projection of every step is one gemm, each step adds one gemm with W_hh and the gate
 * math, and backward through time collects the gate gradients of all steps so that the weight
 * gradients are again one gemm each.
 */
import { gateCount, savedBuffers, unhandledKind, type FusedCellKind } from "../../cells/spec.js";
import { allocLike, type FloatBuf } from "../../dtype.js";
import type {
  RecurrentBackwardArgs, RecurrentBackwardResult, RecurrentForwardArgs, RecurrentForwardResult, RecurrentSaved,
} from "../backend.js";
import { gemm, transpose2d } from "./gemm.js";

/**
 * What forward keeps, `[T, N, size]` each, as the cell table lists them: gates (activated; GRU r, z,
 * n; RNN the new h), hPrev (state entering each step), cPrev and c (LSTM cell before and after),
 * m (LSTM output before projection), ghn (GRU: W_hn h + b_hn, which the reset gate multiplies).
 */
interface CpuSaved extends RecurrentSaved {
  gates: FloatBuf;
  hPrev: FloatBuf;
  cPrev: FloatBuf | null;
  c: FloatBuf | null;
  m: FloatBuf | null;
  ghn: FloatBuf | null;
}

/** The three recurrences the reference kernel implements, and which one each fused kind is. */
type Recurrence = "lstm" | "gru" | "elman";
function recurrenceOf(kind: FusedCellKind): Recurrence {
  switch (kind) {
    case "lstm": return "lstm";
    case "gru": return "gru";
    case "rnn": case "rnn-relu": case "rnn-leaky": return "elman";
    default: return unhandledKind(kind);
  }
}

/** Elman kinds: whether the activation is (leaky) ReLU rather than tanh. */
function isRelu(kind: FusedCellKind): boolean {
  switch (kind) {
    case "rnn-relu": case "rnn-leaky": return true;
    case "rnn": case "lstm": case "gru": return false;
    default: return unhandledKind(kind);
  }
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function isActive(lengths: Int32Array | null, b: number, t: number): boolean {
  return lengths === null || t < lengths[b]!;
}

function timeMajorForward(a: RecurrentForwardArgs): RecurrentForwardResult {
  const { kind, T, N, I, H, P, x, wIh, wHh, bIh, bHh, wHr, reverse, lengths, save } = a;
  const rec = recurrenceOf(kind);
  const G = gateCount(kind);
  const GH = G * H;
  const Hr = P > 0 ? P : H;
  const like = x;

  // Input projection of all steps at once; b_hh folds in too, except for the GRU's n gate.
  const gx = allocLike(like, T * N * GH);
  gemm(x, 0, wIh, 0, gx, 0, T * N, I, GH, false, true, false);
  for (let r = 0; r < T * N; r++) {
    const o = r * GH;
    if (bIh) for (let j = 0; j < GH; j++) gx[o + j] += bIh[j]!;
    if (bHh && rec !== "gru") for (let j = 0; j < GH; j++) gx[o + j] += bHh[j]!;
  }

  const y = allocLike(like, T * N * Hr);
  const h = allocLike(like, N * Hr);
  h.set(a.h0);
  const c = rec === "lstm" ? allocLike(like, N * H) : null;
  if (c && a.c0) c.set(a.c0);
  const g = allocLike(like, N * GH);
  const gh = rec === "gru" ? allocLike(like, N * GH) : null;
  const m = P > 0 ? allocLike(like, N * H) : null;
  const hp = P > 0 ? allocLike(like, N * P) : null;

  let saved: CpuSaved | null = null;
  if (save) {
    const bufs = new Map(savedBuffers(kind, { I, H, P }).map((b) => [b.name, allocLike(like, T * N * b.size)]));
    saved = { kind, gates: bufs.get("gates")!, hPrev: bufs.get("hPrev")!, cPrev: bufs.get("cPrev") ?? null, c: bufs.get("c") ?? null, m: bufs.get("m") ?? null, ghn: bufs.get("ghn") ?? null };
  }

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    if (saved) {
      saved.hPrev.set(h, t * N * Hr);
      if (c) saved.cPrev!.set(c, t * N * H);
    }
    if (rec === "gru") {
      gemm(h, 0, wHh, 0, gh!, 0, N, Hr, GH, false, true, false);
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const go = b * GH;
        const xo = (t * N + b) * GH;
        const ho = b * H;
        for (let j = 0; j < H; j++) {
          const hr = gh![go + j]! + (bHh ? bHh[j]! : 0);
          const hz = gh![go + H + j]! + (bHh ? bHh[H + j]! : 0);
          const hn = gh![go + 2 * H + j]! + (bHh ? bHh[2 * H + j]! : 0);
          const r = sigmoid(gx[xo + j]! + hr);
          const z = sigmoid(gx[xo + H + j]! + hz);
          const n = Math.tanh(gx[xo + 2 * H + j]! + r * hn);
          const hv = (1 - z) * n + z * h[ho + j]!;
          g[go + j] = r; g[go + H + j] = z; g[go + 2 * H + j] = n;
          if (saved) saved.ghn![(t * N + b) * H + j] = hn;
          h[ho + j] = hv;
        }
      }
    } else {
      g.set(gx.subarray(t * N * GH, (t + 1) * N * GH));
      gemm(h, 0, wHh, 0, g, 0, N, Hr, GH, false, true, true);
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const go = b * GH;
        if (rec === "lstm") {
          const co = b * H;
          for (let j = 0; j < H; j++) {
            const ig = sigmoid(g[go + j]!);
            const fg = sigmoid(g[go + H + j]!);
            const gg = Math.tanh(g[go + 2 * H + j]!);
            const og = sigmoid(g[go + 3 * H + j]!);
            const cv = fg * c![co + j]! + ig * gg;
            c![co + j] = cv;
            g[go + j] = ig; g[go + H + j] = fg; g[go + 2 * H + j] = gg; g[go + 3 * H + j] = og;
            const mv = og * Math.tanh(cv);
            if (m) m[co + j] = mv;
            else h[b * Hr + j] = mv;
          }
        } else {
          const relu = isRelu(kind);
          const slope = a.slope ?? 0;
          for (let j = 0; j < H; j++) {
            const v = g[go + j]!;
            const hv = relu ? (v > 0 ? v : slope * v) : Math.tanh(v);
            g[go + j] = hv;
            h[b * H + j] = hv;
          }
        }
      }
      if (m) {
        gemm(m, 0, wHr!, 0, hp!, 0, N, H, P, false, true, false);
        for (let b = 0; b < N; b++) if (isActive(lengths, b, t)) h.set(hp!.subarray(b * P, (b + 1) * P), b * P);
      }
    }
    for (let b = 0; b < N; b++) {
      if (!isActive(lengths, b, t)) continue;
      const tb = t * N + b;
      y.set(h.subarray(b * Hr, (b + 1) * Hr), tb * Hr);
      if (saved) {
        saved.gates.set(g.subarray(b * GH, (b + 1) * GH), tb * GH);
        if (c) saved.c!.set(c.subarray(b * H, (b + 1) * H), tb * H);
        if (m) saved.m!.set(m.subarray(b * H, (b + 1) * H), tb * H);
      }
    }
  }
  return { y, hN: h, cN: c, saved };
}

function timeMajorBackward(args: RecurrentBackwardArgs): RecurrentBackwardResult {
  const a = args.forward;
  const sv = args.saved as CpuSaved;
  const { kind, T, N, I, H, P, x, wIh, wHh, wHr, reverse, lengths } = a;
  const rec = recurrenceOf(kind);
  const G = gateCount(kind);
  const GH = G * H;
  const Hr = P > 0 ? P : H;
  const like = x;

  const dh = allocLike(like, N * Hr);
  if (args.dhN) dh.set(args.dhN);
  const dc = rec === "lstm" ? allocLike(like, N * H) : null;
  if (dc && args.dcN) dc.set(args.dcN);
  const dG = allocLike(like, T * N * GH); // gradient w.r.t. the input-side pre-activations
  const dGh = rec === "gru" ? allocLike(like, T * N * GH) : dG; // and the hidden-side ones
  const dHall = P > 0 ? allocLike(like, T * N * P) : null;
  const dm = P > 0 ? allocLike(like, N * H) : null;
  const dhNext = allocLike(like, N * Hr);
  const dy = args.dy;
  // Per-step products dG_t @ W_hh read W_hh column-wise; transpose it once, not at every step.
  const wHhT = allocLike(like, GH * Hr);
  transpose2d(wHh, 0, GH, Hr, wHhT);
  const wHrT = wHr ? allocLike(like, P * H) : null;
  if (wHr) transpose2d(wHr, 0, P, H, wHrT!);

  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const tN = t * N;
    if (dy) {
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const o = (tN + b) * Hr;
        for (let j = 0; j < Hr; j++) dh[b * Hr + j] += dy[o + j]!;
      }
    }
    if (rec === "lstm") {
      if (dm) {
        for (let b = 0; b < N; b++) {
          if (isActive(lengths, b, t)) dHall!.set(dh.subarray(b * P, (b + 1) * P), (tN + b) * P);
        }
        gemm(dh, 0, wHrT!, 0, dm, 0, N, P, H, false, true, false);
      }
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const go = (tN + b) * GH;
        const co = (tN + b) * H;
        for (let j = 0; j < H; j++) {
          const ig = sv.gates[go + j]!, fg = sv.gates[go + H + j]!, gg = sv.gates[go + 2 * H + j]!, og = sv.gates[go + 3 * H + j]!;
          const tc = Math.tanh(sv.c![co + j]!);
          const dmv = dm ? dm[b * H + j]! : dh[b * H + j]!;
          const dct = dc![b * H + j]! + dmv * og * (1 - tc * tc);
          dG[go + j] = dct * gg * ig * (1 - ig);
          dG[go + H + j] = dct * sv.cPrev![co + j]! * fg * (1 - fg);
          dG[go + 2 * H + j] = dct * ig * (1 - gg * gg);
          dG[go + 3 * H + j] = dmv * tc * og * (1 - og);
          dc![b * H + j] = dct * fg;
        }
      }
      gemm(dG, tN * GH, wHhT, 0, dhNext, 0, N, GH, Hr, false, true, false);
    } else if (rec === "gru") {
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const go = (tN + b) * GH;
        const ho = (tN + b) * H;
        for (let j = 0; j < H; j++) {
          const r = sv.gates[go + j]!, z = sv.gates[go + H + j]!, n = sv.gates[go + 2 * H + j]!;
          const dhv = dh[b * H + j]!;
          const dnp = dhv * (1 - z) * (1 - n * n);
          const dzp = dhv * (sv.hPrev[ho + j]! - n) * z * (1 - z);
          const drp = dnp * sv.ghn![ho + j]! * r * (1 - r);
          dG[go + j] = drp; dG[go + H + j] = dzp; dG[go + 2 * H + j] = dnp;
          dGh[go + j] = drp; dGh[go + H + j] = dzp; dGh[go + 2 * H + j] = dnp * r;
        }
      }
      gemm(dGh, tN * GH, wHhT, 0, dhNext, 0, N, GH, Hr, false, true, false);
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const go = (tN + b) * GH;
        for (let j = 0; j < H; j++) dhNext[b * H + j] += dh[b * H + j]! * sv.gates[go + H + j]!;
      }
    } else {
      const relu = isRelu(kind);
      const slope = a.slope ?? 0;
      for (let b = 0; b < N; b++) {
        if (!isActive(lengths, b, t)) continue;
        const go = (tN + b) * GH;
        for (let j = 0; j < H; j++) {
          const hv = sv.gates[go + j]!;
          dG[go + j] = dh[b * H + j]! * (relu ? (hv > 0 ? 1 : slope) : 1 - hv * hv);
        }
      }
      gemm(dG, tN * GH, wHhT, 0, dhNext, 0, N, GH, Hr, false, true, false);
    }
    // Sequences already finished at this step pass their state gradient through untouched.
    for (let b = 0; b < N; b++) {
      if (isActive(lengths, b, t)) dh.set(dhNext.subarray(b * Hr, (b + 1) * Hr), b * Hr);
    }
  }

  const TN = T * N;
  const dx = allocLike(like, TN * I);
  gemm(dG, 0, wIh, 0, dx, 0, TN, GH, I, false, false, false);
  const dwIh = allocLike(like, GH * I);
  gemm(dG, 0, x, 0, dwIh, 0, GH, TN, I, true, false, false);
  const dwHh = allocLike(like, GH * Hr);
  gemm(dGh, 0, sv.hPrev, 0, dwHh, 0, GH, TN, Hr, true, false, false);
  let dbIh: FloatBuf | null = null;
  let dbHh: FloatBuf | null = null;
  if (a.bIh || a.bHh) {
    dbIh = allocLike(like, GH);
    dbHh = allocLike(like, GH);
    for (let r = 0; r < TN; r++) {
      for (let j = 0; j < GH; j++) {
        dbIh[j] += dG[r * GH + j]!;
        dbHh[j] += dGh[r * GH + j]!;
      }
    }
  }
  let dwHr: FloatBuf | null = null;
  if (P > 0) {
    dwHr = allocLike(like, P * H);
    gemm(dHall!, 0, sv.m!, 0, dwHr, 0, P, TN, H, true, false, false);
  }
  return { dx, dh0: dh, dc0: dc, dwIh, dwHh, dbIh: a.bIh ? dbIh : null, dbHh: a.bHh ? dbHh : null, dwHr };
}

/** `[A, B, W]` rows as `[B, A, W]`. */
function swapLeading(src: FloatBuf, A: number, B: number, W: number): FloatBuf {
  const out = allocLike(src, A * B * W);
  for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) out.set(src.subarray((i * B + j) * W, (i * B + j + 1) * W), (j * A + i) * W);
  return out;
}

/** The reference's batch-first layer: the time-major one between transposes. */
const timeMajor = (a: RecurrentForwardArgs): RecurrentForwardArgs => ({ ...a, batchFirst: false, x: swapLeading(a.x, a.N, a.T, a.I) });

export function recurrentForward(a: RecurrentForwardArgs): RecurrentForwardResult {
  if (!a.batchFirst) return timeMajorForward(a);
  const r = timeMajorForward(timeMajor(a));
  return { ...r, y: swapLeading(r.y, a.T, a.N, a.P > 0 ? a.P : a.H) };
}

export function recurrentBackward(args: RecurrentBackwardArgs): RecurrentBackwardResult {
  const a = args.forward;
  if (!a.batchFirst) return timeMajorBackward(args);
  const Hr = a.P > 0 ? a.P : a.H;
  const g = timeMajorBackward({ ...args, forward: timeMajor(a), dy: args.dy && swapLeading(args.dy, a.N, a.T, Hr) });
  return { ...g, dx: swapLeading(g.dx, a.T, a.N, a.I) };
}

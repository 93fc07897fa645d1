/**
 * The fused recurrent op: one layer, one direction, the whole sequence, in one kernel call forward
 * and one backward, on a backend that has fused kernels. `cells/steps.ts` composes the same step
 * from primitive ops; tests assert the two agree.
 */
import { adoptableGradient, isGradEnabled, record } from "../autograd.js";
import { getBackend, type RecurrentBackwardArgs, type RecurrentBackwardResult, type RecurrentForwardArgs, type RecurrentKernels } from "../backend/index.js";
import { carriesCell, gateCount, type FusedCellKind } from "../cells/spec.js";
import { float32ForOverwrite, type FloatBuf } from "../dtype.js";
import { fmtShape, ShapeError, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";

export interface RecurrentWeights {
  wIh: Tensor; // [G*H, I]
  wHh: Tensor; // [G*H, Hr]
  bIh: Tensor | null; // [G*H]
  bHh: Tensor | null; // [G*H]
  wHr: Tensor | null; // [P, H]
}

export interface RecurrentLayerOptions {
  reverse?: boolean;
  /** Valid steps per batch element (packed sequences): later steps keep the state and output 0. */
  lengths?: Int32Array | null;
  /** rnn-relu, rnn-leaky: slope for negative inputs (0, the default, is ReLU; otherwise leaky ReLU). */
  slope?: number;
  /** x is `[N, T, I]` and y `[N, T, Hr]` (the kernels read and write those rows in place of a transpose). */
  batchFirst?: boolean;
}

/** The layer's sizes from its weights, after checking the weights and states against them. */
function checkLayer(op: string, kind: FusedCellKind, x: Tensor, N: number, I: number, h0: Tensor, c0: Tensor | null, w: RecurrentWeights): { H: number; P: number; Hr: number } {
  const G = gateCount(kind);
  const H = w.wIh.shape[0]! / G;
  const P = w.wHr ? w.wHr.shape[0]! : 0;
  const Hr = P > 0 ? P : H;
  const expect = (name: string, t: Tensor | null, shape: number[]): void => {
    if (t && !shapesEqual(t.shape, shape)) throw new ShapeError(op, `${name} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`, [shape, t.shape]);
    if (t && t.dtype !== x.dtype) throw new ShapeError(op, `${name} has dtype ${t.dtype} but input has ${x.dtype}`);
  };
  if (!Number.isInteger(H) || w.wIh.ndim !== 2) throw new ShapeError(op, `weight_ih must be [${G}*H, I], got ${fmtShape(w.wIh.shape)}`, [w.wIh.shape]);
  if (x.dtype === "int32") throw new ShapeError(op, "input must be floating point, got int32");
  expect("weight_ih", w.wIh, [G * H, I]);
  expect("weight_hh", w.wHh, [G * H, Hr]);
  expect("bias_ih", w.bIh, [G * H]);
  expect("bias_hh", w.bHh, [G * H]);
  expect("weight_hr", w.wHr, [P, H]);
  expect("h0", h0, [N, Hr]);
  if (carriesCell(kind)) {
    if (!c0) throw new ShapeError(op, "an LSTM needs c0");
    expect("c0", c0, [N, H]);
  }
  return { H, P, Hr };
}

const kernelsFor = (op: string, composedBy: string): RecurrentKernels => {
  const kernels = getBackend().recurrent;
  if (!kernels) throw new Error(`${op}: backend "${getBackend().name}" has no fused recurrent kernels; ${composedBy}, which composes the step from primitives`);
  return kernels;
};

/** The kernel's argument block over the tensors' storage. */
function forwardArgs(kind: FusedCellKind, dims: { T: number; N: number; I: number; H: number; P: number }, inputs: readonly (Tensor | null)[], slope: number): RecurrentForwardArgs {
  const [x, h0, c0, wIh, wHh, bIh, bHh, wHr] = inputs.map((t) => (t ? (t.data as FloatBuf) : null));
  return {
    kind, ...dims, x: x!, h0: h0!, c0, wIh: wIh!, wHh: wHh!, bIh, bHh, wHr,
    reverse: false, lengths: null, slope,
    save: isGradEnabled() && inputs.some((t) => t?.requiresGrad),
  };
}

const WEIGHT_GRADS = ["dwIh", "dwHh", "dbIh", "dbHh", "dwHr"] as const;

/**
 * The `.grad` buffers the backward kernel may add the weight gradients into (autograd's `into`,
 * which counts only the inputs present).
 */
function gradTargets(inputs: readonly (Tensor | null)[], into: (i: number) => Tensor | null): RecurrentBackwardArgs["into"] {
  const out: NonNullable<RecurrentBackwardArgs["into"]> = {};
  let present = 0;
  inputs.forEach((t, i) => {
    if (!t) return;
    const g = i >= 3 ? into(present) : null;
    if (g) out[WEIGHT_GRADS[i - 3]!] = g.data as FloatBuf;
    present++;
  });
  return out;
}

/**
 * The backward kernel's gradients as tensors, one per input present (in the kernels' input order):
 * null for a weight gradient the kernel added into its `.grad` (whose version that bumps).
 */
function gradTensors(g: RecurrentBackwardResult, inputs: readonly (Tensor | null)[], into: (i: number) => Tensor | null): (Tensor | null)[] {
  const bufs = [g.dx, g.dh0, g.dc0, g.dwIh, g.dwHh, g.dbIh, g.dbHh, g.dwHr];
  let present = 0;
  return inputs.flatMap((t, i) => {
    if (!t) return [];
    const index = present++;
    if (bufs[i]) return [adoptableGradient(new Tensor(bufs[i], t.shape))];
    const grad = into(index);
    if (grad) grad._version.value++;
    return [null];
  });
}

/**
 * Runs `x` `[T, N, I]` (`[N, T, I]` with batchFirst) through one recurrent layer from `h0` `[N, Hr]`
 * (and `c0` `[N, H]` for an LSTM). Returns `[y [T, N, Hr] ([N, T, Hr]), hN [N, Hr], cN [N, H] | null]`.
 */
export function recurrentLayer(kind: FusedCellKind, x: Tensor, h0: Tensor, c0: Tensor | null, w: RecurrentWeights, options: RecurrentLayerOptions = {}): [Tensor, Tensor, Tensor | null] {
  const op = `recurrentLayer(${kind})`;
  const batchFirst = options.batchFirst ?? false;
  if (x.ndim !== 3) throw new ShapeError(op, `expected input ${batchFirst ? "[N, T, I]" : "[T, N, I]"}, got ${fmtShape(x.shape)}`, [x.shape]);
  const [T, N, I] = (batchFirst ? [x.shape[1], x.shape[0], x.shape[2]] : x.shape) as [number, number, number];
  const { H, P, Hr } = checkLayer(op, kind, x, N, I, h0, c0, w);
  const lengths = options.lengths ?? null;
  if (lengths && lengths.length !== N) throw new ShapeError(op, `lengths has ${lengths.length} entries for a batch of ${N}`);

  const inputs = [x, h0, c0, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr];
  const args: RecurrentForwardArgs = { ...forwardArgs(kind, { T, N, I, H, P }, inputs, options.slope ?? 0), reverse: options.reverse ?? false, lengths, batchFirst };
  const kernels = kernelsFor(op, "run the layer through cells.cellLayer");
  const res = kernels.forward(args);
  const y = new Tensor(res.y, batchFirst ? [N, T, Hr] : [T, N, Hr]);
  const hN = new Tensor(res.hN, [N, Hr]);
  const cN = res.cN ? new Tensor(res.cN, [N, H]) : null;
  const present = inputs.filter((t): t is Tensor => t !== null);
  const outputs = cN ? [y, hN, cN] : [y, hN];
  record(`${kind}Layer`, present, outputs, ([dy, dhN, dcN], retainGraph, into) => {
    const g = kernels.backward({
      forward: args,
      saved: res.saved!,
      retain: retainGraph,
      dy: dy ? (dy.data as FloatBuf) : null,
      dhN: dhN ? (dhN.data as FloatBuf) : null,
      dcN: dcN ? (dcN.data as FloatBuf) : null,
      into: gradTargets(inputs, into),
    });
    return gradTensors(g, inputs, into);
  }, present);
  return [y, hN, cN];
}

/**
 * One step of a cell (what `nn.LSTMCell`, `nn.GRUCell` and `nn.RNNCell` run on a backend with fused
 * kernels): `x` `[N, I]` from `h` `[N, H]` (and `c` `[N, H]` for an LSTM), one kernel call forward
 * and one backward. Returns `[h', c' | null]`. `cells/steps.ts` composes the same step from ops.
 */
export function recurrentCell(kind: FusedCellKind, x: Tensor, h: Tensor, c: Tensor | null, w: Omit<RecurrentWeights, "wHr">, slope = 0): [Tensor, Tensor | null] {
  const op = `recurrentCell(${kind})`;
  if (x.ndim !== 2) throw new ShapeError(op, `expected input [N, I], got ${fmtShape(x.shape)}`, [x.shape]);
  const [N, I] = x.shape as [number, number];
  const { H } = checkLayer(op, kind, x, N, I, h, c, { ...w, wHr: null });
  const inputs = [x, h, c, w.wIh, w.wHh, w.bIh, w.bHh, null];
  const args: RecurrentForwardArgs = { ...forwardArgs(kind, { T: 1, N, I, H, P: 0 }, inputs, slope), cell: true };
  const kernels = kernelsFor(op, "run the cell's composed step (cells.cellStep)");
  const recompute = args.save && I + H <= recomputeWidth;
  const res = kernels.forward(recompute ? { ...args, save: false } : args);
  const h1 = new Tensor(res.hN, [N, H]);
  const c1 = res.cN ? new Tensor(res.cN, [N, H]) : null;
  const present = inputs.filter((t): t is Tensor => t !== null);
  // Saved: the inputs and outputs, whose storage the backend may keep for backward.
  record(`${kind}Cell`, present, c1 ? [h1, c1] : [h1], ([dh, dc], retainGraph, into) => {
    // A narrow cell's gates are computed again from the saved inputs, by the same kernel (so to the
    // same bits), with the step's outputs written over a scratch copy.
    const saved = recompute ? kernels.forward({ ...args, out: recomputeOut(args, N * H, c1 !== null) }).saved! : res.saved!;
    const g = kernels.backward({
      forward: args, saved, retain: retainGraph, dy: null,
      dhN: dh ? (dh.data as FloatBuf) : null,
      dcN: dc ? (dc.data as FloatBuf) : null,
      into: gradTargets(inputs, into),
    });
    return gradTensors(g, inputs, into);
  });
  return [h1, c1];
}

/**
 * A cell step whose I + H is at most `recomputeWidth` keeps no gates for backward (an LSTM's are twice its
 * outputs' size): backward computes them again, at I + H multiply-adds per float kept, which for
 * such cells costs less than the memory. A loop of small cells over long sequences (a thousand
 * steps of LSTMCell(51, 51)) otherwise keeps most of its memory in gates.
 */
let recomputeWidth = 256;

/**
 * Sets the widest cell (I + H) whose steps recompute their gates in backward (256 by default; 0
 * keeps every cell's gates, as the layers do). Returns the previous setting.
 */
export function setCellRecomputeWidth(width: number): number {
  if (!(Number.isInteger(width) && width >= 0)) throw new RangeError(`setCellRecomputeWidth: expected a whole number >= 0, got ${width}`);
  const was = recomputeWidth;
  recomputeWidth = width;
  return was;
}

/** Where a recomputed step writes the outputs nobody reads: one scratch buffer, in two halves. */
function recomputeOut(a: RecurrentForwardArgs, n: number, cell: boolean): NonNullable<RecurrentForwardArgs["out"]> {
  const scratch = tempOf(a.x instanceof Float64Array ? Float64Array : Float32Array, 2 * n);
  const hN = scratch.subarray(0, n);
  return { y: hN, hN, cN: cell ? scratch.subarray(n, 2 * n) : null };
}

let zeroF32 = new Float32Array(0);
let zeroF64 = new Float64Array(0);
/** A zero buffer of at least n floats, shared: nothing may write into it. */
function zerosOf(Ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number): FloatBuf {
  if (Ctor === Float64Array) return zeroF64.length >= n ? zeroF64 : (zeroF64 = new Float64Array(n));
  return zeroF32.length >= n ? zeroF32 : (zeroF32 = new Float32Array(n));
}

let tempF32 = new Float32Array(0);
/**
 * The stack's temporaries: one buffer kept between calls up to 16 MB (a fresh buffer's pages fault
 * in on first write, which for W5's 6 MB cost about as much as its gate math); larger ones, and
 * float64, are allocated per call. Every kernel writes its whole output, so nothing stale is read.
 */
function tempOf(Ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number): FloatBuf {
  if (Ctor === Float64Array || n > 4 << 20) return new Ctor(n);
  if (tempF32.length < n) tempF32 = new Float32Array(n);
  return tempF32.subarray(0, n);
}

export interface RecurrentStackOptions {
  layers: number;
  bidirectional: boolean;
  /** x is `[N, T, I]` and the output `[N, T, D·Hr]`. */
  batchFirst?: boolean;
  /** Valid steps per batch element, sorted longest first (packed sequences). */
  lengths?: Int32Array | null;
  slope?: number;
}

/**
 * A whole stack of fused layers forward, with nothing recorded for backward: what a stacked layer
 * runs for inference. Each layer writes into its slice of buffers allocated once for the stack (the
 * output, the final states and two alternating inputs for the layers between), a reverse direction
 * straight into the second half of each output row (where the backend takes a row stride; otherwise
 * its output is copied there), and zero initial states come from one shared buffer: no per-layer
 * tensors, state slices, concatenations or zero states, which at small sizes cost more than the
 * kernels. `initial`: per state, `[D·layers, N, size]` or null for zeros. `weights`: per layer and
 * direction, in that order. Returns the last layer's output and the final states, as `cellLayer`
 * over each layer would.
 */
export function recurrentStack(kind: FusedCellKind, x: Tensor, initial: readonly (Tensor | null)[], weights: readonly RecurrentWeights[], options: RecurrentStackOptions): [Tensor, Tensor[]] {
  const op = `recurrentStack(${kind})`;
  const { layers: L, batchFirst = false, lengths = null, slope = 0 } = options;
  const D = options.bidirectional ? 2 : 1;
  if (x.ndim !== 3) throw new ShapeError(op, `expected input ${batchFirst ? "[N, T, I]" : "[T, N, I]"}, got ${fmtShape(x.shape)}`, [x.shape]);
  if (weights.length !== L * D || L < 1) throw new Error(`${op}: expected ${L * D} layer weights (layers ${L} × directions ${D}), got ${weights.length}`);
  if (isGradEnabled()) {
    for (const t of [x, ...initial, ...weights.flatMap((w) => [w.wIh, w.wHh, w.bIh, w.bHh, w.wHr])]) {
      if (t?.requiresGrad) throw new Error(`${op}: records no gradient; run each layer through recurrentLayer when one is needed`);
    }
  }
  const [T, N] = (batchFirst ? [x.shape[1], x.shape[0]] : x.shape) as [number, number];
  if (lengths && lengths.length !== N) throw new ShapeError(op, `lengths has ${lengths.length} entries for a batch of ${N}`);
  const kernels = kernelsFor(op, "run each layer through cells.cellLayer");
  const lstm = carriesCell(kind);
  const w0 = weights[0]!;
  const H = w0.wIh.shape[0]! / gateCount(kind), Hr = w0.wHr ? w0.wHr.shape[0]! : H;
  // The kept buffers: output [T·N, D·Hr], final h [L·D, N, Hr] (and c [L·D, N, H]), one allocation
  // where small (64 KB), so that a kept state never holds a large output alive.
  const rows = T * N, outSize = rows * D * Hr, hSize = L * D * N * Hr, cSize = lstm ? L * D * N * H : 0;
  const Ctor = x.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor;
  const kept = outSize + hSize + cSize <= 16 << 10 ? new Ctor(outSize + hSize + cSize) : null;
  // Every row of the output is written (by the kernels, or copied from what they return), so it needs no clearing.
  const output = kept ? kept.subarray(0, outSize) : Ctor === Float32Array ? float32ForOverwrite(outSize) : new Ctor(outSize);
  const finalH = kept ? kept.subarray(outSize, outSize + hSize) : new Ctor(hSize);
  const finalC = !lstm ? null : kept ? kept.subarray(outSize + hSize) : new Ctor(cSize);
  // Temporaries: the inputs of layers 1 .. L-1 (two, alternating).
  const between = L > 1 ? (L > 2 ? 2 : 1) : 0;
  const temp = tempOf(Ctor, between * outSize);
  const zero = zerosOf(Ctor, N * Math.max(H, Hr));
  let input = x;
  for (let layer = 0; layer < L; layer++) {
    const I = input.shape[2]!;
    const last = layer === L - 1;
    const out = last ? output : temp.subarray(((L - 2 - layer) % 2) * outSize, ((L - 2 - layer) % 2 + 1) * outSize);
    for (let dir = 0; dir < D; dir++) {
      const idx = layer * D + dir;
      const w = weights[idx]!;
      const state = (i: number, size: number): Tensor => {
        const t = initial[i];
        return new Tensor(t ? (t.data as FloatBuf).subarray(idx * N * size, (idx + 1) * N * size) : zero.subarray(0, N * size), [N, size]);
      };
      const h0 = state(0, Hr), c0 = lstm ? state(1, H) : null;
      const sizes = checkLayer(op, kind, input, N, I, h0, c0, w);
      if (sizes.H !== H || sizes.Hr !== Hr) throw new ShapeError(op, `layer ${layer} has hidden size ${sizes.H} (output ${sizes.Hr}); layer 0 has ${H} (${Hr})`);
      // A reverse direction writes the second half of each output row: y is a view from there, rows 2·Hr apart.
      const y = D === 1 ? out : out.subarray(dir * Hr);
      const hN = finalH.subarray(idx * N * Hr, (idx + 1) * N * Hr), cN = finalC ? finalC.subarray(idx * N * H, (idx + 1) * N * H) : null;
      const res = kernels.forward({
        kind, T, N, I, H, P: sizes.P, x: input.data as FloatBuf, h0: h0.data as FloatBuf, c0: c0 ? (c0.data as FloatBuf) : null,
        wIh: w.wIh.data as FloatBuf, wHh: w.wHh.data as FloatBuf, bIh: w.bIh ? (w.bIh.data as FloatBuf) : null, bHh: w.bHh ? (w.bHh.data as FloatBuf) : null,
        wHr: w.wHr ? (w.wHr.data as FloatBuf) : null, reverse: dir === 1, lengths, save: false, batchFirst, slope,
        out: { y, hN, cN, yStride: D * Hr },
      });
      // A backend that ignored `out` returned its own buffers (y contiguous).
      if (res.hN !== hN) hN.set(res.hN);
      if (cN && res.cN && res.cN !== cN) cN.set(res.cN);
      if (res.y !== y && D === 1) y.set(res.y);
      else if (res.y !== y) {
        const from = res.y;
        for (let r = 0, at = 0; r < rows; r++, at += D * Hr) {
          if (Hr >= 64) y.set(from.subarray(r * Hr, (r + 1) * Hr), at);
          else for (let j = 0; j < Hr; j++) y[at + j] = from[r * Hr + j]!;
        }
      }
    }
    input = new Tensor(out, batchFirst ? [N, T, D * Hr] : [T, N, D * Hr]);
  }
  return [input, finalC ? [new Tensor(finalH, [L * D, N, Hr]), new Tensor(finalC, [L * D, N, H])] : [new Tensor(finalH, [L * D, N, Hr])]];
}

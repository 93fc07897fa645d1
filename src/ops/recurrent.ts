/**
 * The fused recurrent op: one layer, one direction, the whole sequence, in one kernel call forward
 * and one backward, on a backend that has fused kernels. `cells/steps.ts` composes the same step
 * from primitive ops; tests assert the two agree.
 */
import { isGradEnabled, record } from "../autograd.js";
import { getBackend, type RecurrentForwardArgs } from "../backend/index.js";
import { carriesCell, gateCount, type FusedCellKind } from "../cells/spec.js";
import type { FloatBuf } from "../dtype.js";
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
}

/**
 * Runs `x` `[T, N, I]` through one recurrent layer from `h0` `[N, Hr]` (and `c0` `[N, H]` for an LSTM).
 * Returns `[y [T, N, Hr], hN [N, Hr], cN [N, H] | null]`.
 */
export function recurrentLayer(kind: FusedCellKind, x: Tensor, h0: Tensor, c0: Tensor | null, w: RecurrentWeights, options: RecurrentLayerOptions = {}): [Tensor, Tensor, Tensor | null] {
  const op = `recurrentLayer(${kind})`;
  if (x.ndim !== 3) throw new ShapeError(op, `expected input [T, N, I], got ${fmtShape(x.shape)}`, [x.shape]);
  const [T, N, I] = x.shape as [number, number, number];
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
  const lengths = options.lengths ?? null;
  if (lengths && lengths.length !== N) throw new ShapeError(op, `lengths has ${lengths.length} entries for a batch of ${N}`);

  const inputs = [x, h0, c0, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr];
  const args: RecurrentForwardArgs = {
    kind, T, N, I, H, P,
    x: x.data as FloatBuf,
    h0: h0.data as FloatBuf,
    c0: c0 ? (c0.data as FloatBuf) : null,
    wIh: w.wIh.data as FloatBuf,
    wHh: w.wHh.data as FloatBuf,
    bIh: w.bIh ? (w.bIh.data as FloatBuf) : null,
    bHh: w.bHh ? (w.bHh.data as FloatBuf) : null,
    wHr: w.wHr ? (w.wHr.data as FloatBuf) : null,
    reverse: options.reverse ?? false,
    lengths,
    save: isGradEnabled() && inputs.some((t) => t?.requiresGrad),
    slope: options.slope ?? 0,
  };
  const kernels = getBackend().recurrent;
  if (!kernels) throw new Error(`${op}: backend "${getBackend().name}" has no fused recurrent kernels; run the layer through cells.cellLayer, which composes the step from primitives`);
  const res = kernels.forward(args);
  const y = new Tensor(res.y, [T, N, Hr]);
  const hN = new Tensor(res.hN, [N, Hr]);
  const cN = res.cN ? new Tensor(res.cN, [N, H]) : null;
  const present = inputs.filter((t): t is Tensor => t !== null);
  const outputs = cN ? [y, hN, cN] : [y, hN];
  record(`${kind}Layer`, present, outputs, ([dy, dhN, dcN], retainGraph) => {
    const g = kernels.backward({
      forward: args,
      saved: res.saved!,
      retain: retainGraph,
      dy: dy ? (dy.data as FloatBuf) : null,
      dhN: dhN ? (dhN.data as FloatBuf) : null,
      dcN: dcN ? (dcN.data as FloatBuf) : null,
    });
    const all = [
      new Tensor(g.dx, x.shape),
      new Tensor(g.dh0, h0.shape),
      g.dc0 && c0 ? new Tensor(g.dc0, c0.shape) : null,
      new Tensor(g.dwIh, w.wIh.shape),
      new Tensor(g.dwHh, w.wHh.shape),
      g.dbIh && w.bIh ? new Tensor(g.dbIh, w.bIh.shape) : null,
      g.dbHh && w.bHh ? new Tensor(g.dbHh, w.bHh.shape) : null,
      g.dwHr && w.wHr ? new Tensor(g.dwHr, w.wHr.shape) : null,
    ];
    return all.filter((_, i) => inputs[i] !== null);
  }, present);
  return [y, hN, cN];
}

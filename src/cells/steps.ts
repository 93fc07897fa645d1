/**
 * The composed step of every cell in the table: one time step from primitive ops, with autograd
 * for free. The single-step modules (`nn.LSTMCell`, ...) run these, recurrent layers run them on a
 * backend without fused kernels and while `gradientFlow` observes each step, and tests hold the
 * fused kernels equal to them. This is the one place each cell's equations are written in ops.
 */
import { linear } from "../ops/composite.js";
import type { Tensor } from "../tensor.js";
import { unhandledKind, type CellKind } from "./spec.js";

/** One layer and direction's parameters, keyed by the cell table's names (`weight_ih`, `bias_hh`, ...). */
export type CellWeights = Readonly<Record<string, Tensor | null | undefined>>;

/** The activation applied to a Jordan cell's output projection. */
export type OutputNonlinearity = "tanh" | "sigmoid" | "relu" | "identity";

/** Options a cell's maths depends on beyond its kind and weights. */
export interface CellOptions {
  /** rnn-leaky: the slope for negative inputs (default 0.01). */
  negativeSlope?: number;
  /** jordan: the hidden activation (default tanh). */
  nonlinearity?: "tanh" | "relu";
  /** jordan: the output activation (default tanh). */
  outputNonlinearity?: OutputNonlinearity;
}

/**
 * One step given the input projection `xp = x W_ih^T + b_ih` `[N, G·H]` (computed for all steps of a
 * layer at once) and the carried states in the table's order; returns the new states, whose first is
 * the step's output.
 */
export type CellStep = (xp: Tensor, states: readonly Tensor[], w: CellWeights, o: CellOptions) => Tensor[];

const need = (w: CellWeights, name: string): Tensor => {
  const t = w[name];
  if (!t) throw new Error(`cell step: missing parameter ${name}`);
  return t;
};
const opt = (w: CellWeights, name: string): Tensor | null => w[name] ?? null;

function elman(act: (pre: Tensor, o: CellOptions) => Tensor): CellStep {
  return (xp, [h], w, o) => [act(xp.add(linear(h!, need(w, "weight_hh"), opt(w, "bias_hh"))), o)];
}

/** PyTorch's LSTM: gates i, f, g, o; `c' = f c + i g`, `h' = o tanh(c')`, then `h' W_hr^T` with a projection. */
const lstmStep: CellStep = (xp, [h, c], w) => {
  const gates = xp.add(linear(h!, need(w, "weight_hh"), opt(w, "bias_hh")));
  const [i, f, g, o] = gates.chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
  const c1 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
  const m = o.sigmoid().mul(c1.tanh());
  const wHr = opt(w, "weight_hr");
  return [wHr ? linear(m, wHr) : m, c1];
};

/** PyTorch's GRU: gates r, z, n; the reset gate multiplies the projected state, bias included. */
const gruStep: CellStep = (xp, [h], w) => {
  const [xr, xz, xn] = xp.chunk(3, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = linear(h!, need(w, "weight_hh"), opt(w, "bias_hh")).chunk(3, 1) as [Tensor, Tensor, Tensor];
  const r = xr.add(hr).sigmoid();
  const z = xz.add(hz).sigmoid();
  const n = xn.add(r.mul(hn)).tanh();
  return [z.neg().add(1).mul(n).add(z.mul(h!))];
};

function outputActivation(z: Tensor, act: OutputNonlinearity): Tensor {
  switch (act) {
    case "tanh": return z.tanh();
    case "sigmoid": return z.sigmoid();
    case "relu": return z.relu();
    case "identity": return z;
  }
}

/**
 * A Jordan step from the input projection: `h = act(xp + y W_hy^T + b_hy)`, `y' = act_out(h W_o^T + b_o)`.
 * Returns `[y', h]`: the new output (the carried state) and the hidden activation.
 */
export function jordanFromProjection(xp: Tensor, yPrev: Tensor, w: CellWeights, o: CellOptions): [Tensor, Tensor] {
  const pre = xp.add(linear(yPrev, need(w, "weight_hy"), opt(w, "bias_hy")));
  const h = (o.nonlinearity ?? "tanh") === "tanh" ? pre.tanh() : pre.relu();
  return [outputActivation(linear(h, need(w, "weight_o"), opt(w, "bias_o")), o.outputNonlinearity ?? "tanh"), h];
}

/** The composed step of `kind`. */
export function cellStep(kind: CellKind): CellStep {
  switch (kind) {
    case "rnn": return elman((pre) => pre.tanh());
    case "rnn-relu": return elman((pre) => pre.relu());
    case "rnn-leaky": return elman((pre, o) => pre.leakyRelu(o.negativeSlope ?? 0.01));
    case "lstm": return lstmStep;
    case "gru": return gruStep;
    case "jordan": return (xp, [y], w, o) => [jordanFromProjection(xp, y!, w, o)[0]];
    default: return unhandledKind(kind);
  }
}

/** The input projection `x W_ih^T + b_ih` every cell starts from (over `[..., I]`). */
export function inputProjection(x: Tensor, w: CellWeights): Tensor {
  return linear(x, need(w, "weight_ih"), opt(w, "bias_ih"));
}

/**
 * Exact parameter counts, and the table `summary` prints. For recurrent layers the common tutorial
 * formula `G·((X + H)·H + H)` counts one bias vector per gate block; PyTorch has two (`b_ih` and
 * `b_hh`), so its count is higher by `G·H` per layer and direction: `LSTM(10, 20)` has 2560, not 2480.
 */
import { gateCount, unhandledKind, type CellKind } from "../cells/spec.js";
import { fmtShape } from "../shape.js";
import type { Module } from "./module.js";
import { RNNBase } from "./rnn.js";

/** Whether the one-bias formula describes the kind: the Elman-style cells, whose weights are W_ih, W_hh and bias per gate block. */
function hasTutorialFormula(kind: CellKind): boolean {
  switch (kind) {
    case "rnn": case "rnn-relu": case "rnn-leaky": case "lstm": case "gru": return true;
    case "jordan": return false;
    default: return unhandledKind(kind);
  }
}

/** The number of scalars in `module`'s parameters (shared ones once); buffers are not counted. */
export function countParameters(module: Module, options: { trainableOnly?: boolean } = {}): number {
  let n = 0;
  for (const p of module.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.numel();
  return n;
}

/**
 * What the one-bias formula `G·((X + H)·H + H)` gives for a recurrent layer, summed over layers and
 * directions (X = the layer's input size, G = the cell table's gate count: 4 for LSTM, 3 for GRU, 1 for
 * RNN). Null where that formula does not describe the layer: an LSTM with projection, a layer without
 * bias, a Jordan network.
 */
export function tutorialParameterCount(rnn: RNNBase): number | null {
  if (rnn.projSize > 0 || !rnn.bias || !hasTutorialFormula(rnn.cell)) return null;
  const G = gateCount(rnn.cell);
  const H = rnn.hiddenSize;
  const D = rnn.bidirectional ? 2 : 1;
  let total = 0;
  for (let k = 0; k < rnn.numLayers; k++) {
    const X = k === 0 ? rnn.inputSize : D * H;
    total += D * G * ((X + H) * H + H);
  }
  return total;
}

const fmtInt = (n: number): string => n.toLocaleString("en-US");

/**
 * A table of every parameter (name, shape, count) and the total, with the tutorial formula beside
 * PyTorch's count for each recurrent layer.
 */
export function summary(module: Module): string {
  const rows: [string, string, string][] = module.namedParameters().map(([name, p]) => [name, fmtShape(p.shape), fmtInt(p.numel())]);
  const total = countParameters(module);
  const trainable = countParameters(module, { trainableOnly: true });
  const head: [string, string, string] = ["parameter", "shape", "count"];
  const w = [0, 1, 2].map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length), i === 2 ? fmtInt(total).length : 0));
  const line = (r: [string, string, string]): string => `${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padStart(w[2]!)}`;
  const rule = "-".repeat(w[0]! + w[1]! + w[2]! + 4);
  const out = [`${module.constructor.name} parameters`, line(head), rule, ...rows.map(line), rule];
  out.push(line(["total", "", fmtInt(total)]));
  if (trainable !== total) out.push(line(["trainable", "", fmtInt(trainable)]));
  for (const [name, m] of module.namedModules()) {
    if (!(m instanceof RNNBase)) continue;
    const t = tutorialParameterCount(m);
    const exact = countParameters(m);
    const label = name ? `${name} (${m.constructor.name})` : m.constructor.name;
    if (t === null) continue;
    out.push(`${label}: PyTorch counts ${fmtInt(exact)}; the one-bias formula G((X+H)H+H) gives ${fmtInt(t)} (${fmtInt(exact - t)} fewer: it omits the second bias vector b_hh)`);
  }
  return out.join("\n");
}

/**
 * Every recurrent cell described once. The table below is what the backends' recurrent kernels,
 * the `nn` layers and cells, parameter counting and the command line derive from: gate names and
 * count, the states a cell carries, its parameters (names, shapes, which need `bias` or a
 * projection), the buffers a fused kernel saves for backward, and the kernel id the wasm kernels
 * use. It is data only and imports nothing, so every layer can read it.
 *
 * Adding a kind: add an entry here, then follow the compiler. Every dispatch on a kind is an
 * exhaustive `switch` ending in `unhandledKind`, so each place that must learn the new kind fails to
 * compile until it does (`test/cell-checklist.test.ts` holds the list): the composed step
 * (`cells/steps.ts`), the layer class (`nn/create.ts`), the tutorial count rule (`nn/count.ts`) and
 * the lab's gate bias (`train/lab.ts`); with a kernel id also the kernels' slope (below), the
 * reference kernel (`backend/cpu/recurrent.ts`) and the wasm backend (`backend/wasm/index.ts`).
 */
// The fused kernels' ids live in plain constants, which the C kernels' cells.h repeats (checked by a test).
import { KERNEL_GRU, KERNEL_LSTM, KERNEL_RNN_RELU, KERNEL_RNN_TANH } from "./kernel-ids.js";

/** The sizes a parameter shape is written in. */
export interface CellDims {
  /** Input features of this layer. */
  I: number;
  /** hiddenSize. */
  H: number;
  /** LSTM projection size (0: none). */
  P: number;
  /** Jordan output size (the fed-back output). */
  O: number;
  /** Gate blocks stacked in the weights. */
  G: number;
}

export interface ParamSpec {
  /** PyTorch's name without the layer suffix (`weight_ih`; the layers add `_l0`, `_l1_reverse`, ...). */
  readonly name: string;
  readonly shape: (d: CellDims) => number[];
  /** Present only with `bias: true`. */
  readonly bias?: true;
  /** Present only with a projection (`projSize > 0`). */
  readonly projection?: true;
}

export interface StateSpec {
  /** `h` (emitted and carried), `c` (LSTM cell), `y` (Jordan output, emitted and fed back). */
  readonly name: "h" | "c" | "y";
  /** What a layer's forward calls it (PyTorch's `h0`, `c0`, `hx`) and what a cell's forward calls it (`hx`, `cx`). */
  readonly layerArg: string;
  readonly cellArg: string;
  /** The symbol for its size in messages (`H`, `O`). */
  readonly sizeSymbol: string;
  /** The size of one row of this state. */
  readonly size: (d: CellDims) => number;
}

/** A buffer a fused kernel keeps for backward through time, `[T, N, size]`. */
export interface SavedSpec {
  readonly name: "gates" | "hPrev" | "cPrev" | "c" | "m" | "ghn";
  readonly size: (d: CellDims) => number;
  /** Kept only when the layer projects (`P > 0`). */
  readonly projection?: true;
}

export interface CellSpec {
  /** PyTorch's `mode` string where PyTorch has the cell (`LSTM`, `RNN_TANH`), else seqtorch's. */
  readonly mode: string;
  /** The layer's display name (`RNN` for every Elman kind). */
  readonly layer: string;
  readonly description: string;
  /** Gate blocks in the order they are stacked in `weight_ih` / `weight_hh`. */
  readonly gates: readonly string[];
  /** The carried states, in the order the layer takes and returns them; the first is the output. */
  readonly states: readonly StateSpec[];
  /** Parameters of one layer and direction, in PyTorch's registration order. */
  readonly params: readonly ParamSpec[];
  /** What a fused kernel saves for backward (empty for a cell that only runs composed). */
  readonly saved: readonly SavedSpec[];
  /** The fused kernels' id for this recurrence, or null: the cell runs composed from ops only. */
  readonly kernel: number | null;
  /** A seqtorch extension, not a PyTorch cell (`seqtorch cells` says so). */
  readonly extension?: true;
}

const GH = (d: CellDims): number => d.G * d.H;
/** Size of what an LSTM emits: the projection when there is one. */
const Hr = (d: CellDims): number => (d.P > 0 ? d.P : d.H);
const H = (d: CellDims): number => d.H;

/** The parameters every Elman-style cell (RNN, LSTM, GRU) has, PyTorch's four. */
const ELMAN_PARAMS: readonly ParamSpec[] = [
  { name: "weight_ih", shape: (d) => [GH(d), d.I] },
  { name: "weight_hh", shape: (d) => [GH(d), Hr(d)] },
  { name: "bias_ih", shape: (d) => [GH(d)], bias: true },
  { name: "bias_hh", shape: (d) => [GH(d)], bias: true },
];
const H_STATE: readonly StateSpec[] = [{ name: "h", size: Hr, layerArg: "hx", cellArg: "hx", sizeSymbol: "H" }];
const RNN_SAVED: readonly SavedSpec[] = [{ name: "gates", size: GH }, { name: "hPrev", size: Hr }];

export const CELLS = {
  rnn: {
    mode: "RNN_TANH", layer: "RNN", description: "Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh)",
    gates: ["h"], states: H_STATE, params: ELMAN_PARAMS, saved: RNN_SAVED, kernel: KERNEL_RNN_TANH,
  },
  "rnn-relu": {
    mode: "RNN_RELU", layer: "RNN", description: "Elman RNN with ReLU",
    gates: ["h"], states: H_STATE, params: ELMAN_PARAMS, saved: RNN_SAVED, kernel: KERNEL_RNN_RELU,
  },
  "rnn-leaky": {
    mode: "RNN_LEAKY_RELU", layer: "RNN", description: "Elman RNN with leaky ReLU (slope 0.01 by default)",
    gates: ["h"], states: H_STATE, params: ELMAN_PARAMS, saved: RNN_SAVED, kernel: KERNEL_RNN_RELU, extension: true,
  },
  lstm: {
    mode: "LSTM", layer: "LSTM", description: "long short-term memory (gates i, f, g, o; optional projection)",
    gates: ["i", "f", "g", "o"],
    states: [{ name: "h", size: Hr, layerArg: "h0", cellArg: "hx", sizeSymbol: "H" }, { name: "c", size: H, layerArg: "c0", cellArg: "cx", sizeSymbol: "H" }],
    params: [...ELMAN_PARAMS, { name: "weight_hr", shape: (d) => [d.P, d.H], projection: true }],
    saved: [
      { name: "gates", size: GH }, { name: "hPrev", size: Hr }, { name: "cPrev", size: H }, { name: "c", size: H },
      { name: "m", size: H, projection: true },
    ],
    kernel: KERNEL_LSTM,
  },
  gru: {
    mode: "GRU", layer: "GRU", description: "gated recurrent unit (gates r, z, n)",
    gates: ["r", "z", "n"], states: H_STATE, params: ELMAN_PARAMS,
    saved: [{ name: "gates", size: GH }, { name: "hPrev", size: Hr }, { name: "ghn", size: H }],
    kernel: KERNEL_GRU,
  },
  jordan: {
    mode: "JORDAN", layer: "JordanRNN", description: "Jordan network: the hidden state is fed the previous output",
    gates: ["h"],
    states: [{ name: "y", size: (d) => d.O, layerArg: "y0", cellArg: "y", sizeSymbol: "O" }],
    params: [
      { name: "weight_ih", shape: (d) => [d.H, d.I] },
      { name: "weight_hy", shape: (d) => [d.H, d.O] },
      { name: "bias_ih", shape: (d) => [d.H], bias: true },
      { name: "bias_hy", shape: (d) => [d.H], bias: true },
      { name: "weight_o", shape: (d) => [d.O, d.H] },
      { name: "bias_o", shape: (d) => [d.O], bias: true },
    ],
    saved: [],
    kernel: null,
    extension: true,
  },
} as const satisfies Record<string, CellSpec>;

/**
 * One name for the concept in every layer: which recurrence a cell, layer or kernel runs. The same
 * strings are what the command line (`--cell lstm`) and the ready-made models (`cell: "gru"`) take.
 */
export type CellKind = keyof typeof CELLS;

/** The kinds a fused recurrent kernel runs (the table's entries with a kernel id). */
export type FusedCellKind = { [K in CellKind]: (typeof CELLS)[K]["kernel"] extends number ? K : never }[CellKind];

export const CELL_KINDS = Object.keys(CELLS) as CellKind[];

export function cellSpec(kind: CellKind): CellSpec {
  return CELLS[kind];
}

/** Gate blocks stacked in the weight matrices: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), the others 1. */
export function gateCount(kind: CellKind): number {
  return CELLS[kind].gates.length;
}

/** Whether the cell carries a cell state `c` beside `h` (the LSTM). */
export function carriesCell(kind: CellKind): boolean {
  return (CELLS[kind].states as readonly StateSpec[]).some((s) => s.name === "c");
}

export function isFused(kind: CellKind): kind is FusedCellKind {
  return CELLS[kind].kernel !== null;
}

export function isCellKind(name: unknown): name is CellKind {
  return typeof name === "string" && Object.hasOwn(CELLS, name);
}

/** The kinds with a fused kernel: what the kernels and the layers `nn.RNN`, `nn.LSTM`, `nn.GRU` run. */
export const FUSED_KINDS = CELL_KINDS.filter(isFused);

/** A parameter list for one layer and direction: names without suffix and shapes, in registration order. */
export function cellParameters(kind: CellKind, d: Omit<CellDims, "G">, options: { bias: boolean }): [string, number[]][] {
  const dims: CellDims = { ...d, G: gateCount(kind) };
  const out: [string, number[]][] = [];
  for (const p of CELLS[kind].params as readonly ParamSpec[]) {
    if (p.bias && !options.bias) continue;
    if (p.projection && !(dims.P > 0)) continue;
    out.push([p.name, p.shape(dims)]);
  }
  return out;
}

/** The size of each carried state, in the spec's order. */
export function stateSizes(kind: CellKind, d: Omit<CellDims, "G">): number[] {
  const dims: CellDims = { ...d, G: gateCount(kind) };
  return (CELLS[kind].states as readonly StateSpec[]).map((s) => s.size(dims));
}

/** The saved buffers a fused kernel keeps for a layer, with their per-row sizes. */
export function savedBuffers(kind: FusedCellKind, d: Omit<CellDims, "G" | "O">): { name: SavedSpec["name"]; size: number }[] {
  const dims: CellDims = { ...d, O: 0, G: gateCount(kind) };
  return (CELLS[kind].saved as readonly SavedSpec[])
    .filter((s) => !s.projection || dims.P > 0)
    .map((s) => ({ name: s.name, size: s.size(dims) }));
}

/** The slope the fused kernels give negative pre-activations: 0 for ReLU, the option for leaky ReLU. */
export function kernelSlope(kind: FusedCellKind, negativeSlope: number | undefined): number {
  switch (kind) {
    case "rnn-leaky": return negativeSlope ?? 0.01;
    case "rnn": case "rnn-relu": case "lstm": case "gru": return 0;
    default: return unhandledKind(kind);
  }
}

/** For exhaustive switches: a kind the code does not handle is a compile error here. */
export function unhandledKind(kind: never): never {
  throw new Error(`unhandled cell kind ${String(kind)}`);
}

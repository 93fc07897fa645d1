/**
 * Recurrent layers and cells, faithful to PyTorch's `torch/nn/modules/rnn.py`: the same options,
 * gate order (LSTM i, f, g, o; GRU r, z, n), parameter names and shapes, initialisation, output
 * shapes and dropout placement. Layers run one fused op per layer and direction; cells compose
 * primitive ops for a single step.
 */
import type { CellKind } from "../backend/index.js";
import { dropout, linear } from "../ops/composite.js";
import { cat, stack } from "../ops/movement.js";
import { recurrentLayer } from "../ops/recurrent.js";
import { indexAdd, indexSelect } from "../ops/indexing.js";
import { PackedSequence, packedRowIndices } from "./utils/rnn.js";
import { fmtShape, ShapeError, shapesEqual, type Shape } from "../shape.js";
import { Tensor, zeros } from "../tensor.js";
import { uniform_ } from "./init.js";
import { Module } from "./module.js";

export type RNNMode = "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU" | "RNN_LEAKY_RELU";
/** "leakyRelu" is a seqtorch extension (PyTorch's RNN has tanh and relu). */
export type Nonlinearity = "tanh" | "relu" | "leakyRelu";

export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Use `b_ih` and `b_hh` (default true). */
  bias?: boolean;
  /** Input and output as `[N, L, *]` instead of `[L, N, *]` (default false, as in PyTorch). States keep `[D·numLayers, N, H]`. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Run a reverse direction too and concatenate the two outputs (default false). */
  bidirectional?: boolean;
  /**
   * Add each layer's input to its output from the second layer on (default false). A seqtorch
   * extension: PyTorch's stacked layers have no residual connections.
   */
  residual?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: Nonlinearity;
  /** Slope for negative inputs with `nonlinearity: "leakyRelu"` (default 0.01, PyTorch's LeakyReLU default). */
  negativeSlope?: number;
}
export interface LSTMOptions extends RNNBaseOptions {
  /** Project `h` to this size with `weight_hr` (0: off). Must be less than hiddenSize. */
  projSize?: number;
}

const KIND: Record<RNNMode, CellKind> = { LSTM: "lstm", GRU: "gru", RNN_TANH: "rnn_tanh", RNN_RELU: "rnn_relu", RNN_LEAKY_RELU: "rnn_relu" };
const GATES: Record<RNNMode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1, RNN_LEAKY_RELU: 1 };

/** Receives d loss / d h_t `[T, N, Hr]` for every layer and direction during backward (see `gradientFlow`). */
export type HiddenGradProbe = (module: RNNBase, layer: number, direction: number, dh: Tensor) => void;
let hiddenGradProbe: HiddenGradProbe | null = null;

/** Installs (or with null removes) the probe; returns the previous one. Diagnostics only. */
export function setHiddenGradProbe(probe: HiddenGradProbe | null): HiddenGradProbe | null {
  const prev = hiddenGradProbe;
  hiddenGradProbe = probe;
  return prev;
}

/** @internal a size option must be a positive integer. */
export function checkSize(name: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
}

/** @internal PyTorch's checks on a stack's depth and inter-layer dropout (with its one-layer warning). */
export function checkStack(name: string, numLayers: number, dropout: unknown): void {
  checkSize(name, "numLayers", numLayers);
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout <= 1)) {
    throw new Error(`${name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${String(dropout)}`);
  }
  if (dropout > 0 && numLayers === 1) {
    console.warn(`${name}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects numLayers greater than 1, but got dropout=${dropout} and numLayers=${numLayers}`);
  }
}

/**
 * What the stacked recurrent layers share. Use `RNN`, `LSTM` or `GRU`.
 */
export abstract class RNNBase extends Module {
  readonly mode: RNNMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly residual: boolean;
  /** Slope for negative inputs of a leaky-ReLU RNN (0 otherwise). */
  readonly negativeSlope: number;
  /** Parameter names per layer and direction, in registration order (PyTorch's `_flat_weights_names` grouped). */
  readonly allWeightNames: string[][] = [];

  constructor(mode: RNNMode, inputSize: number, hiddenSize: number, options: RNNBaseOptions & { projSize?: number }) {
    super();
    const name = mode.startsWith("RNN") ? "RNN" : mode;
    const { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, projSize = 0, residual = false } = options;
    const negativeSlope = mode === "RNN_LEAKY_RELU" ? ((options as RNNOptions).negativeSlope ?? 0.01) : 0;
    if (!Number.isFinite(negativeSlope)) throw new Error(`RNN: negativeSlope must be a finite number, got ${negativeSlope}`);
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    if (!Number.isInteger(projSize) || projSize < 0) throw new Error(`${name}: projSize should be a non-negative integer, got ${projSize}`);
    if (projSize > 0 && mode !== "LSTM") throw new Error(`${name}: projSize argument is only supported for LSTM, not RNN or GRU`);
    if (projSize >= hiddenSize) throw new Error(`${name}: projSize has to be smaller than hiddenSize, got projSize=${projSize}, hiddenSize=${hiddenSize}`);
    checkStack(name, numLayers, dropout);
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.projSize = projSize;
    this.residual = residual;
    this.negativeSlope = negativeSlope;

    const G = GATES[mode] * hiddenSize;
    const D = bidirectional ? 2 : 1;
    const realHidden = projSize > 0 ? projSize : hiddenSize;
    const stdv = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : realHidden * D;
      for (let dir = 0; dir < D; dir++) {
        const sfx = `_l${layer}${dir === 1 ? "_reverse" : ""}`;
        const shapes: [string, number[]][] = [[`weight_ih${sfx}`, [G, layerIn]], [`weight_hh${sfx}`, [G, realHidden]]];
        if (bias) shapes.push([`bias_ih${sfx}`, [G]], [`bias_hh${sfx}`, [G]]);
        if (projSize > 0) shapes.push([`weight_hr${sfx}`, [projSize, hiddenSize]]);
        // PyTorch's reset_parameters: every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), H = hiddenSize even with projection.
        for (const [n, s] of shapes) this.registerParameter(n, uniform_(zeros(s), -stdv, stdv));
        this.allWeightNames.push(shapes.map(([n]) => n));
      }
    }
  }

  /** The parameters per layer and direction, like PyTorch's `all_weights`. */
  get allWeights(): Tensor[][] {
    return this.allWeightNames.map((names) => names.map((n) => this.getParameter(n)!));
  }

  protected get displayName(): string {
    return this.mode.startsWith("RNN") ? "RNN" : this.mode;
  }

  /** Output size of one direction: projSize when projecting, else hiddenSize. */
  protected get outSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /**
   * Shared forward: validates `input` and states, runs the layers, returns the output and the
   * final states in PyTorch's shapes.
   */
  protected run(input: Tensor | PackedSequence, hx: Tensor | null, cx: Tensor | null): [Tensor | PackedSequence, Tensor, Tensor | null] {
    const probe = hiddenGradProbe;
    const name = this.displayName;
    const packed = input instanceof PackedSequence ? input : null;
    const data = packed ? packed.data : (input as Tensor);
    const shown = packed ? `packed data ${fmtShape(data.shape)}` : `input ${fmtShape(data.shape)}`;
    if (packed ? data.ndim !== 2 : data.ndim !== 2 && data.ndim !== 3) {
      throw new ShapeError(name, packed
        ? `Expected packed data to be 2D [sum(lengths), inputSize], got ${fmtShape(data.shape)}`
        : `Expected input to be 2D or 3D, got ${data.ndim}D instead (input ${fmtShape(data.shape)})`, [data.shape]);
    }
    if (data.dtype === "int32") throw new ShapeError(name, `input must be floating point, got int32 (embed token indices with nn.Embedding first)`, [data.shape]);
    const weightDtype = this.getParameter("weight_ih_l0")!.dtype;
    if (data.dtype !== weightDtype) throw new ShapeError(name, `input dtype ${data.dtype} does not match the parameters' dtype ${weightDtype}`, [data.shape]);
    if (data.shape[data.ndim - 1] !== this.inputSize) {
      throw new ShapeError(name, `input.shape[-1] must equal inputSize. Expected ${this.inputSize}, got ${data.shape[data.ndim - 1]} (${shown}, batchFirst=${this.batchFirst})`, [data.shape]);
    }
    const batched = packed !== null || data.ndim === 3;
    // To time-major [T, N, I]; a packed batch is unpacked into its sorted order.
    let x: Tensor;
    let lengths: Int32Array | null = null;
    if (packed) {
      const T = packed.batchSizes.length;
      const B = packed.batchSizes[0] ?? 0;
      x = indexAdd(data, 0, packedRowIndices(packed.batchSizes, B), T * B).reshape([T, B, this.inputSize]);
      lengths = packed.sortedLengths();
    } else {
      x = batched ? (this.batchFirst ? data.transpose(0, 1) : data) : data.unsqueeze(1);
    }
    const N = x.shape[1]!;
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const check = (label: string, t: Tensor | null, size: number): Tensor => {
      const expected = batched ? [D * L, N, size] : [D * L, size];
      if (!t) return zeros([D * L, N, size], { dtype: data.dtype });
      if (!shapesEqual(t.shape, expected)) {
        const what = batched ? "(D·numLayers, N, H)" : "(D·numLayers, H) for unbatched input";
        throw new ShapeError(name, `${label} must have shape ${what}. Expected ${fmtShape(expected)}, got ${fmtShape(t.shape)} (${shown})`, [expected, t.shape]);
      }
      if (t.dtype !== data.dtype) throw new ShapeError(name, `${label} has dtype ${t.dtype} but input has ${data.dtype}`);
      if (!batched) return t.unsqueeze(1);
      // States come in the caller's batch order; a packed batch runs in its sorted order.
      return packed?.sortedIndices ? t.indexSelect(1, packed.sortedIndices) : t;
    };
    const h0 = check(this.mode === "LSTM" ? "h0" : "hx", hx, this.outSize);
    const c0 = this.mode === "LSTM" ? check("c0", cx, this.hiddenSize) : null;

    const kind = KIND[this.mode];
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    for (let layer = 0; layer < L; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const idx = layer * D + dir;
        const names = this.allWeightNames[idx]!;
        const p = (prefix: string): Tensor | null => {
          const n = names.find((s) => s.startsWith(prefix));
          return n ? this.getParameter(n)! : null;
        };
        const [y, h, c] = recurrentLayer(
          kind, x, h0.select(0, idx), c0 ? c0.select(0, idx) : null,
          { wIh: p("weight_ih")!, wHh: p("weight_hh")!, bIh: p("bias_ih"), bHh: p("bias_hh"), wHr: p("weight_hr") },
          {
            reverse: dir === 1,
            lengths,
            slope: this.negativeSlope,
            onHiddenGrad: probe ? (dh) => probe(this, layer, dir, dh) : undefined,
          },
        );
        outs.push(y);
        hN.push(h);
        if (c) cN.push(c);
      }
      const layerInput = x;
      x = D === 2 ? cat(outs, 2) : outs[0]!;
      if (this.residual && layer > 0) x = x.add(layerInput);
      // ATen's stacked loop: dropout on each layer's whole output but the last, in training only.
      if (this.dropout > 0 && this.training && layer < L - 1) x = dropout(x, this.dropout, true);
    }
    let h = stack(hN, 0);
    let c = c0 ? stack(cN, 0) : null;
    if (packed) {
      const [T, B, F] = x.shape as [number, number, number];
      const out = indexSelect(x.reshape([T * B, F]), 0, packedRowIndices(packed.batchSizes, B));
      if (packed.unsortedIndices) {
        h = h.indexSelect(1, packed.unsortedIndices);
        c = c ? c.indexSelect(1, packed.unsortedIndices) : null;
      }
      return [packed.withData(out), h, c];
    }
    let output = x;
    if (!batched) {
      output = output.squeeze(1);
      h = h.squeeze(1);
      c = c ? c.squeeze(1) : null;
    } else if (this.batchFirst) {
      output = output.transpose(0, 1);
    }
    return [output, h, c];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, projSize=${this.projSize}`;
    if (this.numLayers !== 1) s += `, numLayers=${this.numLayers}`;
    // NOTE: PyTorch's repr omits the nonlinearity; seqtorch shows it, since it changes the layer.
    if (this.mode === "RNN_RELU") s += `, nonlinearity='relu'`;
    if (this.mode === "RNN_LEAKY_RELU") s += `, nonlinearity='leakyRelu', negativeSlope=${this.negativeSlope}`;
    if (!this.bias) s += `, bias=false`;
    if (this.batchFirst) s += `, batchFirst=true`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += `, bidirectional=true`;
    if (this.residual) s += `, residual=true`;
    return s;
  }
}

function layerOptions<O extends RNNBaseOptions>(numLayersOrOptions: number | O | undefined, options: O | undefined): O {
  if (typeof numLayersOrOptions === "number") return { ...(options ?? ({} as O)), numLayers: numLayersOrOptions };
  return numLayersOrOptions ?? options ?? ({} as O);
}

/**
 * Elman RNN: `h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`, act = tanh (default) or relu.
 *
 * Shapes (N batch, L length, D = 2 if bidirectional else 1):
 * - input `[L, N, H_in]` (`[N, L, H_in]` with batchFirst) or unbatched `[L, H_in]`
 * - hx `[D·numLayers, N, H]` (unbatched `[D·numLayers, H]`), zeros when omitted
 * - output `[L, N, D·H]` (`[N, L, D·H]` with batchFirst); hN `[D·numLayers, N, H]`
 *
 * Parameters `weight_ih_l{k}[_reverse]` `[H, in_k]`, `weight_hh_l{k}` `[H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[H]`,
 * all initialised from U(-1/√H, 1/√H).
 * @example
 * const rnn = new nn.RNN(10, 20, 2);
 * const [output, hN] = rnn.forward(randn([5, 3, 10]), randn([2, 3, 20]));
 * @see https://pytorch.org/docs/stable/generated/torch.nn.RNN.html
 */
export class RNN extends RNNBase {
  readonly nonlinearity: Nonlinearity;
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | RNNOptions, options?: RNNOptions) {
    const o = layerOptions(numLayersOrOptions, options);
    const nl = o.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu" && nl !== "leakyRelu") throw new Error(`RNN: unknown nonlinearity '${String(nl)}'. Select from 'tanh', 'relu' or 'leakyRelu'.`);
    super(nl === "tanh" ? "RNN_TANH" : nl === "relu" ? "RNN_RELU" : "RNN_LEAKY_RELU", inputSize, hiddenSize, o);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [out, h] = this.run(input, hx ?? null, null);
    return [out, h];
  }
}

/**
 * Long short-term memory, PyTorch's formulation (gate blocks i, f, g, o):
 * ```
 * i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 * c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')    (h' ← W_hr h' with projSize)
 * ```
 * Shapes (N batch, L length, D directions, H_out = projSize || hiddenSize):
 * - input `[L, N, H_in]` (`[N, L, H_in]` with batchFirst) or unbatched `[L, H_in]`
 * - h0 `[D·numLayers, N, H_out]`, c0 `[D·numLayers, N, hiddenSize]`, zeros when omitted
 * - output `[L, N, D·H_out]`; hN `[D·numLayers, N, H_out]`; cN `[D·numLayers, N, hiddenSize]`
 *
 * Parameters per layer k and direction: `weight_ih_l{k}` `[4H, in_k]`, `weight_hh_l{k}` `[4H, H_out]`,
 * `bias_ih_l{k}`, `bias_hh_l{k}` `[4H]`, `weight_hr_l{k}` `[projSize, H]`; all U(-1/√H, 1/√H).
 * Two bias vectors per layer: PyTorch's count is `4(H·in + H·H + 2H)`, above the common `4((in+H)H + H)`.
 * @example
 * const lstm = new nn.LSTM(10, 20, 2);
 * const [output, [hN, cN]] = lstm.forward(randn([5, 3, 10]), [randn([2, 3, 20]), randn([2, 3, 20])]);
 * // output [5, 3, 20], hN [2, 3, 20], cN [2, 3, 20]
 * @see https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | LSTMOptions, options?: LSTMOptions) {
    super("LSTM", inputSize, hiddenSize, layerOptions(numLayersOrOptions, options));
  }
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(input: Tensor | PackedSequence, hx?: [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx && (!Array.isArray(hx) || hx.length !== 2)) throw new Error("LSTM: expected hx as a pair [h0, c0]");
    const [out, h, c] = this.run(input, hx ? hx[0] : null, hx ? hx[1] : null);
    return [out, [h, c!]];
  }
}

/**
 * Gated recurrent unit, PyTorch's formulation (gate blocks r, z, n; the reset gate multiplies the
 * already projected hidden state, bias included):
 * ```
 * r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))    h' = (1 - z) ⊙ n + z ⊙ h
 * ```
 * Shapes as `RNN`; parameters `[3H, in_k]`, `[3H, H]`, `[3H]`, all U(-1/√H, 1/√H).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.GRU.html
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | RNNBaseOptions, options?: RNNBaseOptions) {
    super("GRU", inputSize, hiddenSize, layerOptions(numLayersOrOptions, options));
  }
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [out, h] = this.run(input, hx ?? null, null);
    return [out, h];
  }
}

/** The parameters and checks a single-step cell shares. */
abstract class RNNCellBase extends Module {
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;

  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly bias: boolean, gates: number) {
    super();
    const name = this.constructor.name;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    const stdv = 1 / Math.sqrt(hiddenSize);
    const u = (shape: number[]): Tensor => uniform_(zeros(shape), -stdv, stdv);
    this.weightIh = this.registerParameter("weight_ih", u([gates * hiddenSize, inputSize]));
    this.weightHh = this.registerParameter("weight_hh", u([gates * hiddenSize, hiddenSize]));
    this.biasIh = this.registerParameter("bias_ih", bias ? u([gates * hiddenSize]) : null);
    this.biasHh = this.registerParameter("bias_hh", bias ? u([gates * hiddenSize]) : null);
  }

  /** Validates input `[N, in]` or `[in]` and a state; returns them batched, plus whether input was. */
  protected prepare(input: Tensor, states: (Tensor | null | undefined)[]): [Tensor, Tensor[], boolean] {
    const name = this.constructor.name;
    if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(name, `Expected input to be 1D or 2D, got ${input.ndim}D instead (input ${fmtShape(input.shape)})`, [input.shape]);
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(name, `input.shape[-1] must equal inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (input ${fmtShape(input.shape)})`, [input.shape]);
    }
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    const N = x.shape[0]!;
    const expected: Shape = batched ? [N, this.hiddenSize] : [this.hiddenSize];
    const hs = states.map((s, i) => {
      if (!s) return zeros([N, this.hiddenSize], { dtype: input.dtype });
      if (!shapesEqual(s.shape, expected)) {
        throw new ShapeError(name, `${i === 0 ? "hx" : "cx"} must have shape ${fmtShape(expected)}, got ${fmtShape(s.shape)} (input ${fmtShape(input.shape)})`, [expected, s.shape]);
      }
      return batched ? s : s.unsqueeze(0);
    });
    return [x, hs, batched];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : ", bias=false"}`;
  }
}

/**
 * One Elman step: `h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`.
 * Shapes: input `[N, in]` or `[in]`, hx `[N, H]` or `[H]` (zeros when omitted), output like hx.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html
 */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: Nonlinearity;
  readonly negativeSlope: number;
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: Nonlinearity; negativeSlope?: number } = {}) {
    super(inputSize, hiddenSize, options.bias ?? true, 1);
    const nl = options.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu" && nl !== "leakyRelu") throw new Error(`RNNCell: unknown nonlinearity '${String(nl)}'. Select from 'tanh', 'relu' or 'leakyRelu'.`);
    this.nonlinearity = nl;
    this.negativeSlope = nl === "leakyRelu" ? (options.negativeSlope ?? 0.01) : 0;
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, [h], batched] = this.prepare(input, [hx]);
    const pre = linear(x, this.weightIh, this.biasIh).add(linear(h!, this.weightHh, this.biasHh));
    const out = this.nonlinearity === "tanh" ? pre.tanh() : this.nonlinearity === "relu" ? pre.relu() : pre.leakyRelu(this.negativeSlope);
    return batched ? out : out.squeeze(0);
  }
  override extraRepr(): string {
    if (this.nonlinearity === "leakyRelu") return `${super.extraRepr()}, nonlinearity='leakyRelu', negativeSlope=${this.negativeSlope}`;
    return super.extraRepr() + (this.nonlinearity === "relu" ? ", nonlinearity='relu'" : "");
  }
}

/**
 * One LSTM step with PyTorch's gate order i, f, g, o. Returns `[h', c']`.
 * Shapes: input `[N, in]` or `[in]`, hx and cx `[N, H]` or `[H]` (zeros when omitted).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.LSTMCell.html
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super(inputSize, hiddenSize, options.bias ?? true, 4);
  }
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [x, [h, c], batched] = this.prepare(input, [hx?.[0], hx?.[1]]);
    const gates = linear(x, this.weightIh, this.biasIh).add(linear(h!, this.weightHh, this.biasHh));
    const [i, f, g, o] = gates.chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c1 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
    const h1 = o.sigmoid().mul(c1.tanh());
    return batched ? [h1, c1] : [h1.squeeze(0), c1.squeeze(0)];
  }
}

/**
 * One GRU step with PyTorch's gate order r, z, n (reset applied after the hidden projection).
 * Shapes: input `[N, in]` or `[in]`, hx `[N, H]` or `[H]` (zeros when omitted), output like hx.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.GRUCell.html
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super(inputSize, hiddenSize, options.bias ?? true, 3);
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, [h], batched] = this.prepare(input, [hx]);
    const [xr, xz, xn] = linear(x, this.weightIh, this.biasIh).chunk(3, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = linear(h!, this.weightHh, this.biasHh).chunk(3, 1) as [Tensor, Tensor, Tensor];
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    const h1 = z.neg().add(1).mul(n).add(z.mul(h!));
    return batched ? h1 : h1.squeeze(0);
  }
}

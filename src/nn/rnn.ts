/**
 * Recurrent layers and cells, faithful to PyTorch's `torch/nn/modules/rnn.py`: the same options,
 * gate order (LSTM i, f, g, o; GRU r, z, n), parameter names and shapes, initialisation, output
 * shapes and dropout placement. Every layer is `RNNBase` over one kind from the cell table
 * (`cells/spec.ts`), run by one stacked-layer driver; every cell is `RNNCellBase` over the same table
 * and runs the kind's composed step.
 */
import { CELLS, cellParameters, isFused, kernelSlope, stateSizes, type CellKind, type StateSpec } from "../cells/spec.js";
import { getBackend } from "../backend/index.js";
import { recurrentCell, recurrentStack, type RecurrentWeights } from "../ops/recurrent.js";
import { isGradEnabled } from "../autograd.js";
import { cellLayer } from "../cells/layer.js";
import { cellStep, inputProjection, type CellOptions, type CellWeights } from "../cells/steps.js";
import { dropout } from "../ops/composite.js";
import { cat, stack } from "../ops/movement.js";
import { indexAdd, indexSelect } from "../ops/indexing.js";
import { PackedSequence, packedRowIndices } from "./utils/rnn.js";
import { fmtShape, ShapeError, shapesEqual, type Shape } from "../shape.js";
import { checkAlloc, Tensor, zeros } from "../tensor.js";
import { uniform_ } from "./init.js";
import { checkInputDtype, Module } from "./module.js";
import { boolOption, checkOptions, describeValue, type OptionKeys } from "../options.js";

/** PyTorch's `mode` of a layer (and seqtorch's for its extensions), from the cell table. */
export type RNNMode = (typeof CELLS)[CellKind]["mode"];
/** "leakyRelu" is a seqtorch extension (PyTorch's RNN has tanh and relu). */
export type Nonlinearity = "tanh" | "relu" | "leakyRelu";
/** What a layer takes and returns as its state: one tensor, or `[h, c]` for an LSTM. */
export type RecurrentState = Tensor | [Tensor, Tensor];

export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Use the bias vectors (default true). */
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

/** What a layer of any kind is built from: the shared options, the kind's sizes and its cell options. */
export interface StackOptions extends RNNBaseOptions {
  projSize?: number;
  /** Jordan: the output size O (default hiddenSize). */
  outputSize?: number;
  cell?: CellOptions;
}

/**
 * Receives, during backward, d loss / d h_t `[N, size]` of step t of `steps`, for one layer and
 * direction (see `gradientFlow`, which sets it while it measures).
 */
export type StepGradObserver = (layer: number, direction: number, t: number, steps: number, grad: Tensor) => void;

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

const statesOf = (kind: CellKind): readonly StateSpec[] => CELLS[kind].states;

/**
 * A stack of recurrent layers of one cell kind: `RNN`, `LSTM`, `GRU` and `JordanRNN` are this class
 * with their options. It owns the one stacked-layer driver (packed or padded input, batch-first,
 * unbatched input, state checks, the layer × direction loop, residual and dropout), and one typed
 * `forward`: `[output, state]`, where the state is a tensor, or `[h, c]` for an LSTM.
 */
export abstract class RNNBase<S extends RecurrentState = RecurrentState> extends Module {
  /** The cell kind every layer runs (a key of the cell table). */
  readonly cell: CellKind;
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
  /** What the cell's maths depends on beyond its kind (slope, Jordan activations). */
  readonly cellOptions: CellOptions;
  /** Parameter names per layer and direction, in registration order (PyTorch's `_flat_weights_names` grouped). */
  readonly allWeightNames: string[][] = [];
  /** Diagnostics: while set, the layers run their composed cells and report each step's state gradient. */
  stepGradObserver: StepGradObserver | null = null;
  /** Per layer and direction, the table's parameter names mapped to this module's. */
  private readonly weightKeys: [string, string][][] = [];
  /** Size of one direction's output and of each state (PyTorch's real hidden size, projSize, O). */
  protected readonly outSize: number;
  private readonly stateSizes: number[];

  protected constructor(cell: CellKind, inputSize: number, hiddenSize: number, options: StackOptions) {
    super();
    const spec = CELLS[cell];
    const name = spec.layer;
    const { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, projSize = 0, residual = false, outputSize = hiddenSize } = options;
    const negativeSlope = options.cell?.negativeSlope ?? 0;
    if (!Number.isFinite(negativeSlope)) throw new Error(`${name}: negativeSlope must be a finite number, got ${negativeSlope}`);
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    checkSize(name, "outputSize", outputSize);
    const projects = spec.params.some((p) => "projection" in p);
    if (!Number.isInteger(projSize) || projSize < 0) throw new Error(`${name}: projSize should be a non-negative integer, got ${projSize}`);
    if (projSize > 0 && !projects) throw new Error(`${name}: projSize argument is only supported for LSTM, not RNN or GRU`);
    if (projSize >= hiddenSize) throw new Error(`${name}: projSize has to be smaller than hiddenSize, got projSize=${projSize}, hiddenSize=${hiddenSize}`);
    checkStack(name, numLayers, dropout);
    for (const [k, v] of Object.entries({ bias, batchFirst, bidirectional, residual })) boolOption(name, k, v);
    this.cell = cell;
    this.mode = spec.mode;
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
    this.cellOptions = { ...options.cell, negativeSlope };

    const dims = { H: hiddenSize, P: projSize, O: outputSize };
    this.stateSizes = stateSizes(cell, { I: inputSize, ...dims });
    this.outSize = this.stateSizes[0]!;
    const D = bidirectional ? 2 : 1;
    // PyTorch's reset_parameters: every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), H = hiddenSize even with projection.
    const stdv = 1 / Math.sqrt(hiddenSize);
    // Refuse impossible sizes before allocating anything, naming the parameter and its bytes.
    for (let layer = 0; layer < Math.min(numLayers, 2); layer++) {
      for (const [n, s] of cellParameters(cell, { I: layer === 0 ? inputSize : this.outSize * D, ...dims }, { bias })) checkAlloc(name, s, "float32", `${n}_l${layer}`);
    }
    for (let layer = 0; layer < numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : this.outSize * D;
      for (let dir = 0; dir < D; dir++) {
        const sfx = `_l${layer}${dir === 1 ? "_reverse" : ""}`;
        const params = cellParameters(cell, { I: layerIn, ...dims }, { bias });
        for (const [n, s] of params) this.registerParameter(n + sfx, uniform_(zeros(s), -stdv, stdv));
        this.allWeightNames.push(params.map(([n]) => n + sfx));
        this.weightKeys.push(params.map(([n]) => [n, n + sfx]));
      }
    }
  }

  /** The parameters per layer and direction, like PyTorch's `all_weights`. */
  get allWeights(): Tensor[][] {
    return this.allWeightNames.map((names) => names.map((n) => this.getParameter(n)!));
  }

  /**
   * PyTorch's `flatten_parameters()`: compacts the weights for cuDNN there; here the weights are
   * always used where they are, so it does nothing (ported code that calls it keeps working).
   */
  flattenParameters(): void {}

  /** Layer `layer`, direction `dir`'s parameters under the cell table's names (`weight_ih`, ...). */
  layerWeights(layer: number, dir = 0): CellWeights {
    const keys = this.weightKeys[layer * (this.bidirectional ? 2 : 1) + dir];
    if (!keys) throw new Error(`${this.displayName}: no layer ${layer} direction ${dir} (numLayers=${this.numLayers}, bidirectional=${this.bidirectional})`);
    return Object.fromEntries(keys.map(([n, full]) => [n, this.getParameter(full) ?? null]));
  }

  protected get displayName(): string {
    return CELLS[this.cell].layer;
  }

  /**
   * Runs the stack. `input`: `[L, N, H_in]` (`[N, L, H_in]` with batchFirst), unbatched `[L, H_in]`,
   * or a `PackedSequence`. `hx`: the initial state, `[D·numLayers, N, size]` each (zeros when omitted).
   * Returns the output (`[L, N, D·out]`, or packed like the input) and the final state.
   */
  forward(input: Tensor, hx?: S | null): [Tensor, S];
  forward(input: PackedSequence, hx?: S | null): [PackedSequence, S];
  forward(input: Tensor | PackedSequence, hx?: S | null): [Tensor | PackedSequence, S];
  forward(input: Tensor | PackedSequence, hx?: S | null): [Tensor | PackedSequence, S] {
    const specs = statesOf(this.cell);
    const name = this.displayName;
    if (!(input instanceof Tensor) && !(input instanceof PackedSequence)) {
      throw new TypeError(`${name}: input must be a Tensor or a PackedSequence, got ${describeValue(input)}`);
    }
    let given: (Tensor | null)[] = specs.map(() => null);
    if (hx) {
      if (specs.length > 1) {
        if (!Array.isArray(hx) || hx.length !== specs.length) {
          throw new TypeError(`${name}: expected hx as a pair [${specs.map((s) => s.layerArg).join(", ")}], got ${hx instanceof Tensor ? `one tensor ${fmtShape(hx.shape)}` : describeValue(hx)}`);
        }
        given = [...hx];
      } else {
        if (!(hx instanceof Tensor)) throw new TypeError(`${name}: expects one hidden state tensor, got ${describeValue(hx)}`);
        given = [hx];
      }
      given.forEach((t, i) => {
        if (!(t instanceof Tensor)) throw new TypeError(`${name}: ${specs[i]!.layerArg} must be a Tensor, got ${describeValue(t)}`);
      });
    }
    const [out, states] = this.run(input, given);
    return [out, (states.length === 1 ? states[0]! : states) as S];
  }

  /** The stacked-layer driver: validates the input and states, runs every layer and direction. */
  private run(input: Tensor | PackedSequence, hx: readonly (Tensor | null)[]): [Tensor | PackedSequence, Tensor[]] {
    const name = this.displayName;
    const packed = input instanceof PackedSequence ? input : null;
    const data = packed ? packed.data : (input as Tensor);
    const shown = packed ? `packed data ${fmtShape(data.shape)}` : `input ${fmtShape(data.shape)}`;
    if (packed ? data.ndim !== 2 : data.ndim !== 2 && data.ndim !== 3) {
      throw new ShapeError(name, packed
        ? `Expected packed data to be 2D [sum(lengths), inputSize], got ${fmtShape(data.shape)}`
        : `Expected input to be 2D or 3D, got ${data.ndim}D instead (input ${fmtShape(data.shape)})`, [data.shape]);
    }
    if (data.shape[packed || !this.batchFirst || data.ndim === 2 ? 0 : 1] === 0) {
      throw new ShapeError(name, `Expected sequence length to be larger than 0 in RNN (${shown}, batchFirst=${this.batchFirst})`, [data.shape]);
    }
    if (data.dtype === "int32") throw new ShapeError(name, `input must be floating point, got int32 (embed token indices with nn.Embedding first)`, [data.shape]);
    checkInputDtype(name, data, this.getParameter(this.allWeightNames[0]![0]!));
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
      // Batch-first input stays as it is: the layers read and write [N, T, *] rows themselves.
      x = batched ? data : data.unsqueeze(1);
    }
    const batchFirst = this.batchFirst && batched && !packed;
    const N = x.shape[batchFirst ? 0 : 1]!;
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    // A state not given starts at zeros, made per layer and direction below.
    const initial = statesOf(this.cell).map((spec, i): Tensor | null => {
      const size = this.stateSizes[i]!;
      const t = hx[i] ?? null;
      const expected = batched ? [D * L, N, size] : [D * L, size];
      if (!t) return null;
      if (!shapesEqual(t.shape, expected)) {
        const what = batched ? `(D·numLayers, N, ${spec.sizeSymbol})` : `(D·numLayers, ${spec.sizeSymbol}) for unbatched input`;
        throw new ShapeError(name, `${spec.layerArg} must have shape ${what}. Expected ${fmtShape(expected)}, got ${fmtShape(t.shape)} (${shown})`, [expected, t.shape]);
      }
      if (t.dtype !== data.dtype) throw new ShapeError(name, `${spec.layerArg} has dtype ${t.dtype} but input has ${data.dtype}`);
      if (!batched) return t.unsqueeze(1);
      // States come in the caller's batch order; a packed batch runs in its sorted order.
      return packed?.sortedIndices ? t.indexSelect(1, packed.sortedIndices) : t;
    });

    const run = { batchFirst, lengths, N };
    const [output0, states0] = this.inference(x, initial, run) ?? this.layerByLayer(x, initial, run);
    let states = states0;
    x = output0;
    if (packed) {
      const [T, B, F] = x.shape as [number, number, number];
      const out = indexSelect(x.reshape([T * B, F]), 0, packedRowIndices(packed.batchSizes, B));
      if (packed.unsortedIndices) states = states.map((s) => s.indexSelect(1, packed.unsortedIndices!));
      return [packed.withData(out), states];
    }
    let output = x;
    if (!batched) {
      output = output.squeeze(1);
      states = states.map((s) => s.squeeze(1));
    }
    return [output, states];
  }

  /**
   * The stack in one op where nothing needs a gradient and every layer is the fused kernel with
   * nothing between layers (no dropout in training, no residual, no step observer); null otherwise.
   */
  private inference(x: Tensor, initial: readonly (Tensor | null)[], run: { batchFirst: boolean; lengths: Int32Array | null }): [Tensor, Tensor[]] | null {
    const kind = this.cell;
    if (!isFused(kind) || !getBackend().recurrent || this.stepGradObserver || this.residual || (this.dropout > 0 && this.training)) return null;
    const weights: RecurrentWeights[] = [];
    const grad = isGradEnabled();
    if (grad && (x.requiresGrad || initial.some((t) => t?.requiresGrad))) return null;
    for (const keys of this.weightKeys) {
      const w: Partial<Record<string, Tensor>> = {};
      for (const [n, full] of keys) {
        const p = this.getParameter(full);
        if (!p) continue;
        if (grad && p.requiresGrad) return null;
        w[n] = p;
      }
      weights.push({ wIh: w.weight_ih!, wHh: w.weight_hh!, bIh: w.bias_ih ?? null, bHh: w.bias_hh ?? null, wHr: w.weight_hr ?? null });
    }
    return recurrentStack(kind, x, initial, weights, {
      layers: this.numLayers, bidirectional: this.bidirectional, batchFirst: run.batchFirst, lengths: run.lengths,
      slope: kernelSlope(kind, this.cellOptions.negativeSlope),
    });
  }

  /** Each layer and direction as its own op (recorded for backward), with dropout and residual between layers. */
  private layerByLayer(x: Tensor, initial: readonly (Tensor | null)[], run: { batchFirst: boolean; lengths: Int32Array | null; N: number }): [Tensor, Tensor[]] {
    const { batchFirst, lengths, N } = run;
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const observer = this.stepGradObserver;
    const finals: Tensor[][] = initial.map(() => []);
    for (let layer = 0; layer < L; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const idx = layer * D + dir;
        const steps = x.shape[batchFirst ? 1 : 0]!;
        const states = initial.map((s, i) => (s ? s.select(0, idx) : zeros([N, this.stateSizes[i]!], { dtype: x.dtype })));
        const [y, last] = cellLayer(this.cell, x, states, this.layerWeights(layer, dir), {
          reverse: dir === 1,
          batchFirst,
          lengths,
          cell: this.cellOptions,
          onStepGrad: observer ? (t, g) => observer(layer, dir, t, steps, g) : undefined,
        });
        outs.push(y);
        last.forEach((s, i) => finals[i]!.push(s));
      }
      const layerInput = x;
      x = D === 2 ? cat(outs, 2) : outs[0]!;
      if (this.residual && layer > 0) x = x.add(layerInput);
      // ATen's stacked loop: dropout on each layer's whole output but the last, in training only.
      if (this.dropout > 0 && this.training && layer < L - 1) x = dropout(x, this.dropout, true);
    }
    return [x, finals.map((f) => stack(f, 0))];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}${this.sizeRepr()}`;
    if (this.numLayers !== 1) s += `, numLayers=${this.numLayers}`;
    s += this.cellRepr();
    if (!this.bias) s += `, bias=false`;
    if (this.batchFirst) s += `, batchFirst=true`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += `, bidirectional=true`;
    if (this.residual) s += `, residual=true`;
    return s;
  }

  /** The repr's size options after inputSize and hiddenSize. */
  protected sizeRepr(): string {
    return this.projSize !== 0 ? `, projSize=${this.projSize}` : "";
  }

  /** What a subclass adds to the repr after the sizes (its cell's options). */
  protected cellRepr(): string {
    return "";
  }
}

/** The option keys every stacked layer takes. */
export const BASE_OPTION_KEYS: OptionKeys<RNNBaseOptions> = { numLayers: true, bias: true, batchFirst: true, dropout: true, bidirectional: true, residual: true };
// RNN and GRU take projSize too, to refuse it with PyTorch's message rather than as unknown.
const RNN_KEYS: OptionKeys<RNNOptions & { projSize?: number }> = { ...BASE_OPTION_KEYS, nonlinearity: true, negativeSlope: true, projSize: true };
const GRU_KEYS: OptionKeys<RNNBaseOptions & { projSize?: number }> = { ...BASE_OPTION_KEYS, projSize: true };
const LSTM_KEYS: OptionKeys<LSTMOptions> = { ...BASE_OPTION_KEYS, projSize: true };

/**
 * @internal `(inputSize, hiddenSize, numLayers, options)` or `(inputSize, hiddenSize, options)`;
 * an option key the layer does not take is an error that names the key it probably meant.
 */
export function layerOptions<O extends RNNBaseOptions>(name: string, keys: OptionKeys<O>, numLayersOrOptions: number | O | undefined, options: O | undefined): O {
  const o = typeof numLayersOrOptions === "number" ? options : (numLayersOrOptions ?? options);
  checkOptions(name, o, keys);
  if (typeof numLayersOrOptions === "number") return { ...(options ?? ({} as O)), numLayers: numLayersOrOptions };
  return numLayersOrOptions ?? options ?? ({} as O);
}

function elmanKind(name: string, nl: unknown): CellKind {
  switch (nl ?? "tanh") {
    case "tanh": return "rnn";
    case "relu": return "rnn-relu";
    case "leakyRelu": return "rnn-leaky";
    default: throw new Error(`${name}: unknown nonlinearity '${String(nl)}'. Select from 'tanh', 'relu' or 'leakyRelu'.`);
  }
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
export class RNN extends RNNBase<Tensor> {
  readonly nonlinearity: Nonlinearity;
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | RNNOptions, options?: RNNOptions) {
    const o = layerOptions("RNN", RNN_KEYS, numLayersOrOptions, options);
    const negativeSlope = o.nonlinearity === "leakyRelu" ? (o.negativeSlope ?? 0.01) : 0;
    super(elmanKind("RNN", o.nonlinearity), inputSize, hiddenSize, { ...o, cell: { negativeSlope } });
    this.nonlinearity = o.nonlinearity ?? "tanh";
  }
  protected override cellRepr(): string {
    // NOTE: PyTorch's repr omits the nonlinearity; seqtorch shows it, since it changes the layer.
    if (this.nonlinearity === "relu") return `, nonlinearity='relu'`;
    if (this.nonlinearity === "leakyRelu") return `, nonlinearity='leakyRelu', negativeSlope=${this.negativeSlope}`;
    return "";
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
export class LSTM extends RNNBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | LSTMOptions, options?: LSTMOptions) {
    super("lstm", inputSize, hiddenSize, layerOptions("LSTM", LSTM_KEYS, numLayersOrOptions, options));
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
export class GRU extends RNNBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | RNNBaseOptions, options?: RNNBaseOptions) {
    super("gru", inputSize, hiddenSize, layerOptions("GRU", GRU_KEYS, numLayersOrOptions, options));
  }
}

/**
 * The parameters, checks and step every single-step cell shares: the kind's parameters without a
 * layer suffix (`weight_ih`, `bias_hh`, ...), and its composed step from `cells/steps.ts`.
 */
export abstract class RNNCellBase extends Module {
  readonly cell: CellKind;
  readonly cellOptions: CellOptions;
  private readonly stateSizes: number[];

  protected constructor(cell: CellKind, readonly inputSize: number, readonly hiddenSize: number, readonly bias: boolean, options: { outputSize?: number; cell?: CellOptions } = {}) {
    super();
    const name = this.constructor.name;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    const outputSize = options.outputSize ?? hiddenSize;
    checkSize(name, "outputSize", outputSize);
    this.cell = cell;
    this.cellOptions = options.cell ?? {};
    const dims = { I: inputSize, H: hiddenSize, P: 0, O: outputSize };
    this.stateSizes = stateSizes(cell, dims);
    const stdv = 1 / Math.sqrt(hiddenSize);
    // Every parameter the kind has, in order; the biases are recorded as absent with `bias: false`.
    boolOption(name, "bias", bias);
    for (const [n, s] of cellParameters(cell, dims, { bias: true })) checkAlloc(name, s, "float32", n);
    const kept = new Set(cellParameters(cell, dims, { bias }).map(([n]) => n));
    for (const [n, s] of cellParameters(cell, dims, { bias: true })) this.registerParameter(n, kept.has(n) ? uniform_(zeros(s), -stdv, stdv) : null);
  }

  /** The parameters under the cell table's names. */
  get weights(): CellWeights {
    return Object.fromEntries(this.namedParameters(false));
  }

  /** Validates input `[N, in]` or `[in]` and the states; returns them batched, plus whether input was. */
  protected prepare(input: Tensor, given: readonly (Tensor | null | undefined)[]): [Tensor, Tensor[], boolean] {
    const name = this.constructor.name;
    if (!(input instanceof Tensor)) throw new TypeError(`${name}: input must be a Tensor, got ${describeValue(input)}`);
    if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(name, `Expected input to be 1D or 2D, got ${input.ndim}D instead (input ${fmtShape(input.shape)})`, [input.shape]);
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(name, `input.shape[-1] must equal inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (input ${fmtShape(input.shape)})`, [input.shape]);
    }
    checkInputDtype(name, input, this.parameters(false)[0]);
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    const N = x.shape[0]!;
    const states = statesOf(this.cell).map((spec, i) => {
      const size = this.stateSizes[i]!;
      const s = given[i];
      if (!s) return zeros([N, size], { dtype: input.dtype });
      const expected: Shape = batched ? [N, size] : [size];
      if (!shapesEqual(s.shape, expected)) {
        throw new ShapeError(name, `${spec.cellArg} must have shape ${fmtShape(expected)}, got ${fmtShape(s.shape)} (input ${fmtShape(input.shape)})`, [expected, s.shape]);
      }
      return batched ? s : s.unsqueeze(0);
    });
    return [x, states, batched];
  }

  /**
   * One step: the new states, batched like the input. In float32 on a backend with fused kernels
   * for the kind, one fused op (`recurrentCell`); otherwise the kind's composed step.
   */
  protected step(input: Tensor, given: readonly (Tensor | null | undefined)[]): Tensor[] {
    const [x, states, batched] = this.prepare(input, given);
    const w = this.weights;
    const kind = this.cell;
    let next: Tensor[];
    if (isFused(kind) && getBackend().recurrent && x.dtype === "float32") {
      const wts = { wIh: w.weight_ih!, wHh: w.weight_hh!, bIh: w.bias_ih ?? null, bHh: w.bias_hh ?? null };
      const [h, c] = recurrentCell(kind, x, states[0]!, states[1] ?? null, wts, kernelSlope(kind, this.cellOptions.negativeSlope));
      next = c ? [h, c] : [h];
    } else {
      next = cellStep(kind)(inputProjection(x, w), states, w, this.cellOptions);
    }
    return batched ? next : next.map((s) => s.squeeze(0));
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : ", bias=false"}`;
  }
}

/** The Elman-style cells' four parameters under PyTorch's attribute names. */
abstract class ElmanCellBase extends RNNCellBase {
  get weightIh(): Tensor { return this.getParameter("weight_ih")!; }
  get weightHh(): Tensor { return this.getParameter("weight_hh")!; }
  get biasIh(): Tensor | null { return this.getParameter("bias_ih") ?? null; }
  get biasHh(): Tensor | null { return this.getParameter("bias_hh") ?? null; }
}

/**
 * One Elman step: `h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`.
 * Shapes: input `[N, in]` or `[in]`, hx `[N, H]` or `[H]` (zeros when omitted), output like hx.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html
 */
export class RNNCell extends ElmanCellBase {
  readonly nonlinearity: Nonlinearity;
  readonly negativeSlope: number;
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: Nonlinearity; negativeSlope?: number } = {}) {
    checkOptions("RNNCell", options, { bias: true, nonlinearity: true, negativeSlope: true });
    const negativeSlope = options.nonlinearity === "leakyRelu" ? (options.negativeSlope ?? 0.01) : 0;
    super(elmanKind("RNNCell", options.nonlinearity), inputSize, hiddenSize, options.bias ?? true, { cell: { negativeSlope } });
    this.nonlinearity = options.nonlinearity ?? "tanh";
    this.negativeSlope = negativeSlope;
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, [hx])[0]!;
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
export class LSTMCell extends ElmanCellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    checkOptions("LSTMCell", options, { bias: true });
    super("lstm", inputSize, hiddenSize, options.bias ?? true);
  }
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [h, c] = this.step(input, [hx?.[0], hx?.[1]]);
    return [h!, c!];
  }
}

/**
 * One GRU step with PyTorch's gate order r, z, n (reset applied after the hidden projection).
 * Shapes: input `[N, in]` or `[in]`, hx `[N, H]` or `[H]` (zeros when omitted), output like hx.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.GRUCell.html
 */
export class GRUCell extends ElmanCellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    checkOptions("GRUCell", options, { bias: true });
    super("gru", inputSize, hiddenSize, options.bias ?? true);
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, [hx])[0]!;
  }
}

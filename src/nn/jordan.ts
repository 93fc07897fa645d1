/**
 * Jordan networks, a seqtorch extension (PyTorch has no such layer): an Elman-style recurrence whose
 * hidden state is fed the previous *output* rather than the previous hidden state. The layer is
 * `RNNBase` over the cell table's `jordan` kind, so it shares the stacked-layer driver (packed input
 * included); the step is composed from primitive ops in `cells/steps.ts`, so it needs no kernel.
 */
import { cellLayer } from "../cells/layer.js";
import { jordanFromProjection, inputProjection, type CellWeights, type OutputNonlinearity } from "../cells/steps.js";
import type { Tensor } from "../tensor.js";
import { checkOptions, type OptionKeys } from "../options.js";
import { BASE_OPTION_KEYS, layerOptions, RNNBase, RNNCellBase, type Nonlinearity, type RNNBaseOptions } from "./rnn.js";

export type { OutputNonlinearity } from "../cells/steps.js";

export interface JordanRNNCellOptions {
  /** Size O of the output y, which is also what the next step receives (default hiddenSize). */
  outputSize?: number;
  /** Use `b_ih`, `b_hy` and `b_o` (default true). */
  bias?: boolean;
  /** Activation of the hidden state (default "tanh"). */
  nonlinearity?: Nonlinearity;
  /** Activation of the output (default "tanh", which keeps the fed-back output bounded). */
  outputNonlinearity?: OutputNonlinearity;
}

export interface JordanRNNOptions extends RNNBaseOptions, JordanRNNCellOptions {}

/** One layer and direction's parameters, as taken by `jordanRNNStep` and `jordanRNNLayer`. */
export interface JordanWeights {
  weightIh: Tensor;
  weightHy: Tensor;
  biasIh: Tensor | null;
  biasHy: Tensor | null;
  weightO: Tensor;
  biasO: Tensor | null;
}

export interface JordanActivations {
  nonlinearity?: Nonlinearity;
  outputNonlinearity?: OutputNonlinearity;
}

const CELL_KEYS: OptionKeys<JordanRNNCellOptions> = { outputSize: true, bias: true, nonlinearity: true, outputNonlinearity: true };
const LAYER_KEYS: OptionKeys<JordanRNNOptions> = { ...BASE_OPTION_KEYS, ...CELL_KEYS };

const OUTPUT_NONLINEARITIES: readonly OutputNonlinearity[] = ["tanh", "sigmoid", "relu", "identity"];

function checkActivations(name: string, nl: unknown, outNl: unknown): { nonlinearity: "tanh" | "relu"; outputNonlinearity: OutputNonlinearity } {
  if (nl !== "tanh" && nl !== "relu") throw new Error(`${name}: unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
  if (!OUTPUT_NONLINEARITIES.includes(outNl as OutputNonlinearity)) {
    throw new Error(`${name}: unknown outputNonlinearity '${String(outNl)}'. Select from 'tanh', 'sigmoid', 'relu' or 'identity'.`);
  }
  return { nonlinearity: nl, outputNonlinearity: outNl as OutputNonlinearity };
}

const cellWeights = (w: JordanWeights): CellWeights => ({
  weight_ih: w.weightIh, weight_hy: w.weightHy, bias_ih: w.biasIh, bias_hy: w.biasHy, weight_o: w.weightO, bias_o: w.biasO,
});

/**
 * One Jordan step on batched tensors, the maths of `JordanRNNCell` and of every layer step:
 * ```
 * h = act(x W_ih^T + b_ih + y_prev W_hy^T + b_hy)
 * y = act_out(h W_o^T + b_o)
 * ```
 * x `[N, in]`, yPrev `[N, O]`; returns `[y [N, O], h [N, H]]`. Any float dtype, so it can be gradchecked in float64.
 */
export function jordanRNNStep(x: Tensor, yPrev: Tensor, w: JordanWeights, acts: JordanActivations = {}): [Tensor, Tensor] {
  const cw = cellWeights(w);
  return jordanFromProjection(inputProjection(x, cw), yPrev, cw, checkActivations("jordanRNNStep", acts.nonlinearity ?? "tanh", acts.outputNonlinearity ?? "tanh"));
}

/**
 * One layer and direction over a time-major sequence: x `[L, N, in]`, y0 `[N, O]`; returns the
 * outputs `[L, N, O]` (at their time positions, also when `reverse`) and the last output `[N, O]`.
 */
export function jordanRNNLayer(x: Tensor, y0: Tensor, w: JordanWeights, acts: JordanActivations = {}, reverse = false): [Tensor, Tensor] {
  const cell = checkActivations("jordanRNNLayer", acts.nonlinearity ?? "tanh", acts.outputNonlinearity ?? "tanh");
  const [y, [yN]] = cellLayer("jordan", x, [y0], cellWeights(w), { reverse, cell });
  return [y, yN!];
}

const jordanWeights = (w: CellWeights): JordanWeights => ({
  weightIh: w.weight_ih!, weightHy: w.weight_hy!, biasIh: w.bias_ih ?? null, biasHy: w.bias_hy ?? null, weightO: w.weight_o!, biasO: w.bias_o ?? null,
});

/**
 * Stacked Jordan network, a seqtorch extension (PyTorch has no Jordan layer). Per layer and time step:
 * ```
 * h_t = act(x_t W_ih^T + b_ih + y_{t-1} W_hy^T + b_hy)      act = tanh (default) or relu
 * y_t = act_out(h_t W_o^T + b_o)                            act_out = tanh (default), sigmoid, relu or identity
 * ```
 * The hidden state receives the previous output y, not the previous hidden state; y is the layer's
 * output and the state carried between steps. Options, dropout placement, bidirectional layout and
 * unbatched input follow `nn.RNN`.
 *
 * Shapes (N batch, L length, D = 2 if bidirectional else 1, H hiddenSize, O outputSize):
 * - input `[L, N, H_in]` (`[N, L, H_in]` with batchFirst) or unbatched `[L, H_in]`
 * - y0 `[D·numLayers, N, O]` (unbatched `[D·numLayers, O]`), zeros when omitted
 * - output `[L, N, D·O]` (`[N, L, D·O]` with batchFirst); yN `[D·numLayers, N, O]`
 *
 * Parameters per layer k (suffix `_reverse` for the reverse direction): `weight_ih_l{k}` `[H, in_k]`
 * (in_0 = H_in, in_k = D·O), `weight_hy_l{k}` `[H, O]`, `bias_ih_l{k}`, `bias_hy_l{k}` `[H]`,
 * `weight_o_l{k}` `[O, H]`, `bias_o_l{k}` `[O]`; all initialised from U(-1/√H, 1/√H) as PyTorch's RNNs are.
 * @example
 * const jordan = new nn.JordanRNN(10, 20, { numLayers: 2, outputSize: 8, bidirectional: true });
 * const [output, yN] = jordan.forward(randn([5, 3, 10]));
 * // output [5, 3, 16], yN [4, 3, 8]
 * @see https://pytorch.org/docs/stable/generated/torch.nn.RNN.html (the conventions it follows)
 */
export class JordanRNN extends RNNBase<Tensor> {
  readonly outputSize: number;
  readonly nonlinearity: Nonlinearity;
  readonly outputNonlinearity: OutputNonlinearity;

  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | JordanRNNOptions, options?: JordanRNNOptions) {
    const o = layerOptions("JordanRNN", LAYER_KEYS, numLayersOrOptions, options);
    const cell = checkActivations("JordanRNN", o.nonlinearity ?? "tanh", o.outputNonlinearity ?? "tanh");
    super("jordan", inputSize, hiddenSize, { ...o, cell });
    this.outputSize = o.outputSize ?? hiddenSize;
    this.nonlinearity = cell.nonlinearity;
    this.outputNonlinearity = cell.outputNonlinearity;
  }

  /** The parameters of layer `layer` and direction `dir` (1: reverse), looked up by name. */
  weights(layer: number, dir = 0): JordanWeights {
    return jordanWeights(this.layerWeights(layer, dir));
  }

  protected override sizeRepr(): string {
    return this.outputSize !== this.hiddenSize ? `, outputSize=${this.outputSize}` : "";
  }

  protected override cellRepr(): string {
    let s = "";
    if (this.nonlinearity !== "tanh") s += `, nonlinearity='${this.nonlinearity}'`;
    if (this.outputNonlinearity !== "tanh") s += `, outputNonlinearity='${this.outputNonlinearity}'`;
    return s;
  }

}

/**
 * One Jordan step, a seqtorch extension (PyTorch has no Jordan cell). Returns both the new output
 * and the new hidden state `[y', h']`; feed y' back as the next step's `y`:
 * ```
 * h' = act(x W_ih^T + b_ih + y W_hy^T + b_hy)      act = tanh (default) or relu
 * y' = act_out(h' W_o^T + b_o)                     act_out = tanh (default), sigmoid, relu or identity
 * ```
 * Shapes (N batch, H hiddenSize, O outputSize): input `[N, in]` or `[in]`; y `[N, O]` or `[O]`
 * (zeros when omitted); returns y' `[N, O]` and h' `[N, H]` (unbatched `[O]`, `[H]`).
 *
 * Parameters `weight_ih` `[H, in]`, `weight_hy` `[H, O]`, `bias_ih`, `bias_hy` `[H]`, `weight_o` `[O, H]`,
 * `bias_o` `[O]` (biases absent with `bias: false`); all U(-1/√H, 1/√H).
 * @example
 * const cell = new nn.JordanRNNCell(10, 20, { outputSize: 5 });
 * let y = zeros([3, 5]);
 * for (const x of randn([6, 3, 10]).split(1, 0)) [y] = cell.forward(x.squeeze(0), y);
 * @see https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html (the conventions it follows)
 */
export class JordanRNNCell extends RNNCellBase {
  readonly outputSize: number;
  readonly nonlinearity: Nonlinearity;
  readonly outputNonlinearity: OutputNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: JordanRNNCellOptions = {}) {
    checkOptions("JordanRNNCell", options, CELL_KEYS);
    const cell = checkActivations("JordanRNNCell", options.nonlinearity ?? "tanh", options.outputNonlinearity ?? "tanh");
    super("jordan", inputSize, hiddenSize, options.bias ?? true, { outputSize: options.outputSize, cell });
    this.outputSize = options.outputSize ?? hiddenSize;
    this.nonlinearity = cell.nonlinearity;
    this.outputNonlinearity = cell.outputNonlinearity;
  }
  get weightIh(): Tensor { return this.getParameter("weight_ih")!; }
  get weightHy(): Tensor { return this.getParameter("weight_hy")!; }
  get biasIh(): Tensor | null { return this.getParameter("bias_ih") ?? null; }
  get biasHy(): Tensor | null { return this.getParameter("bias_hy") ?? null; }
  get weightO(): Tensor { return this.getParameter("weight_o")!; }
  get biasO(): Tensor | null { return this.getParameter("bias_o") ?? null; }

  /** Returns `[y', h']`: the new output (feed it back as `y`) and the hidden activation. */
  forward(input: Tensor, y?: Tensor | null): [Tensor, Tensor] {
    const [x, [yPrev], batched] = this.prepare(input, [y]);
    const w = this.weights;
    const [y1, h1] = jordanFromProjection(inputProjection(x, w), yPrev!, w, this.cellOptions);
    return batched ? [y1, h1] : [y1.squeeze(0), h1.squeeze(0)];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.outputSize !== this.hiddenSize) s += `, outputSize=${this.outputSize}`;
    if (!this.bias) s += ", bias=false";
    if (this.nonlinearity !== "tanh") s += `, nonlinearity='${this.nonlinearity}'`;
    if (this.outputNonlinearity !== "tanh") s += `, outputNonlinearity='${this.outputNonlinearity}'`;
    return s;
  }
}

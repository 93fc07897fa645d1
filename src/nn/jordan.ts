/**
 * Jordan networks, a seqtorch extension (PyTorch has no such layer): an Elman-style recurrence whose
 * hidden state is fed the previous *output* rather than the previous hidden state. The layer and the
 * cell are composed from primitive tensor ops one step at a time, so they need no kernel of their own.
 */
import { dropout, linear } from "../ops/composite.js";
import { cat, stack } from "../ops/movement.js";
import { fmtShape, ShapeError, shapesEqual, type Shape } from "../shape.js";
import { Tensor, zeros } from "../tensor.js";
import { uniform_ } from "./init.js";
import { Module } from "./module.js";
import { checkSize, checkStack, type Nonlinearity, type RNNBaseOptions } from "./rnn.js";

/** The activation applied to the output projection `h W_o^T + b_o`. */
export type OutputNonlinearity = "tanh" | "sigmoid" | "relu" | "identity";

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

const OUTPUT_NONLINEARITIES: readonly OutputNonlinearity[] = ["tanh", "sigmoid", "relu", "identity"];

function checkActivations(name: string, nl: unknown, outNl: unknown): void {
  if (nl !== "tanh" && nl !== "relu") throw new Error(`${name}: unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
  if (!OUTPUT_NONLINEARITIES.includes(outNl as OutputNonlinearity)) {
    throw new Error(`${name}: unknown outputNonlinearity '${String(outNl)}'. Select from 'tanh', 'sigmoid', 'relu' or 'identity'.`);
  }
}

function applyOutput(z: Tensor, act: OutputNonlinearity): Tensor {
  if (act === "tanh") return z.tanh();
  if (act === "sigmoid") return z.sigmoid();
  if (act === "relu") return z.relu();
  return z;
}

/** The recurrence given the input projection `xi = x W_ih^T + b_ih`: returns `[y, h]`. */
function stepFromProjection(xi: Tensor, yPrev: Tensor, w: JordanWeights, nl: Nonlinearity, outNl: OutputNonlinearity): [Tensor, Tensor] {
  const pre = xi.add(linear(yPrev, w.weightHy, w.biasHy));
  const h = nl === "tanh" ? pre.tanh() : pre.relu();
  return [applyOutput(linear(h, w.weightO, w.biasO), outNl), h];
}

/**
 * One Jordan step on batched tensors, the maths of `JordanRNNCell` and of every layer step:
 * ```
 * h = act(x W_ih^T + b_ih + y_prev W_hy^T + b_hy)
 * y = act_out(h W_o^T + b_o)
 * ```
 * x `[N, in]`, yPrev `[N, O]`; returns `[y [N, O], h [N, H]]`. Any float dtype, so it can be gradchecked in float64.
 */
export function jordanRNNStep(x: Tensor, yPrev: Tensor, w: JordanWeights, acts: JordanActivations = {}): [Tensor, Tensor] {
  return stepFromProjection(linear(x, w.weightIh, w.biasIh), yPrev, w, acts.nonlinearity ?? "tanh", acts.outputNonlinearity ?? "tanh");
}

/**
 * One layer and direction over a time-major sequence: x `[L, N, in]`, y0 `[N, O]`; returns the
 * outputs `[L, N, O]` (at their time positions, also when `reverse`) and the last output `[N, O]`.
 */
export function jordanRNNLayer(x: Tensor, y0: Tensor, w: JordanWeights, acts: JordanActivations = {}, reverse = false): [Tensor, Tensor] {
  const nl = acts.nonlinearity ?? "tanh";
  const outNl = acts.outputNonlinearity ?? "tanh";
  const T = x.shape[0]!;
  if (T === 0) return [zeros([0, y0.shape[0]!, y0.shape[1]!], { dtype: y0.dtype }), y0];
  // The input projection does not depend on the recurrence: one product for the whole sequence.
  const xi = linear(x, w.weightIh, w.biasIh);
  const outs: Tensor[] = new Array<Tensor>(T);
  let y = y0;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    [y] = stepFromProjection(xi.select(0, t), y, w, nl, outNl);
    outs[t] = y;
  }
  return [stack(outs, 0), y];
}

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
export class JordanRNN extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly nonlinearity: Nonlinearity;
  readonly outputNonlinearity: OutputNonlinearity;
  /** Parameter name suffixes per layer and direction, in order: `_l0`, `_l0_reverse`, `_l1`, … */
  readonly suffixes: string[] = [];

  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions?: number | JordanRNNOptions, options?: JordanRNNOptions) {
    super();
    const name = "JordanRNN";
    const o: JordanRNNOptions = typeof numLayersOrOptions === "number" ? { ...options, numLayers: numLayersOrOptions } : (numLayersOrOptions ?? options ?? {});
    const {
      numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false,
      outputSize = hiddenSize, nonlinearity = "tanh", outputNonlinearity = "tanh",
    } = o;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    checkSize(name, "outputSize", outputSize);
    checkStack(name, numLayers, dropout);
    checkActivations(name, nonlinearity, outputNonlinearity);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.outputSize = outputSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.nonlinearity = nonlinearity;
    this.outputNonlinearity = outputNonlinearity;

    const D = bidirectional ? 2 : 1;
    const stdv = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : outputSize * D;
      for (let dir = 0; dir < D; dir++) {
        const sfx = `_l${layer}${dir === 1 ? "_reverse" : ""}`;
        const shapes: [string, number[]][] = [[`weight_ih${sfx}`, [hiddenSize, layerIn]], [`weight_hy${sfx}`, [hiddenSize, outputSize]]];
        if (bias) shapes.push([`bias_ih${sfx}`, [hiddenSize]], [`bias_hy${sfx}`, [hiddenSize]]);
        shapes.push([`weight_o${sfx}`, [outputSize, hiddenSize]]);
        if (bias) shapes.push([`bias_o${sfx}`, [outputSize]]);
        for (const [n, s] of shapes) this.registerParameter(n, uniform_(zeros(s), -stdv, stdv));
        this.suffixes.push(sfx);
      }
    }
  }

  /** The parameters of layer `layer` and direction `dir` (1: reverse), looked up by name. */
  weights(layer: number, dir = 0): JordanWeights {
    const sfx = this.suffixes[layer * (this.bidirectional ? 2 : 1) + dir];
    if (sfx === undefined) throw new Error(`JordanRNN: no layer ${layer} direction ${dir} (numLayers=${this.numLayers}, bidirectional=${this.bidirectional})`);
    const p = (n: string): Tensor | null => this.getParameter(`${n}${sfx}`) ?? null;
    return { weightIh: p("weight_ih")!, weightHy: p("weight_hy")!, biasIh: p("bias_ih"), biasHy: p("bias_hy"), weightO: p("weight_o")!, biasO: p("bias_o") };
  }

  forward(input: Tensor, y0?: Tensor | null): [Tensor, Tensor] {
    const name = "JordanRNN";
    const shown = `input ${fmtShape(input.shape)}`;
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new ShapeError(name, `Expected input to be 2D or 3D, got ${input.ndim}D instead (${shown})`, [input.shape]);
    }
    if (input.dtype === "int32") throw new ShapeError(name, `input must be floating point, got int32 (embed token indices with nn.Embedding first)`, [input.shape]);
    const weightDtype = this.getParameter("weight_ih_l0")!.dtype;
    if (input.dtype !== weightDtype) throw new ShapeError(name, `input dtype ${input.dtype} does not match the parameters' dtype ${weightDtype}`, [input.shape]);
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(name, `input.shape[-1] must equal inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (${shown}, batchFirst=${this.batchFirst})`, [input.shape]);
    }
    const batched = input.ndim === 3;
    let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    const N = x.shape[1]!;
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const O = this.outputSize;
    let state: Tensor;
    if (!y0) {
      state = zeros([D * L, N, O], { dtype: input.dtype });
    } else {
      const expected = batched ? [D * L, N, O] : [D * L, O];
      if (!shapesEqual(y0.shape, expected)) {
        const what = batched ? "(D·numLayers, N, O)" : "(D·numLayers, O) for unbatched input";
        throw new ShapeError(name, `y0 must have shape ${what}. Expected ${fmtShape(expected)}, got ${fmtShape(y0.shape)} (${shown})`, [expected, y0.shape]);
      }
      if (y0.dtype !== input.dtype) throw new ShapeError(name, `y0 has dtype ${y0.dtype} but input has ${input.dtype}`);
      state = batched ? y0 : y0.unsqueeze(1);
    }

    const acts: JordanActivations = { nonlinearity: this.nonlinearity, outputNonlinearity: this.outputNonlinearity };
    const yN: Tensor[] = [];
    for (let layer = 0; layer < L; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const [out, y] = jordanRNNLayer(x, state.select(0, layer * D + dir), this.weights(layer, dir), acts, dir === 1);
        outs.push(out);
        yN.push(y);
      }
      x = D === 2 ? cat(outs, 2) : outs[0]!;
      // As in ATen's stacked RNN: dropout on each layer's whole output but the last, in training only.
      if (this.dropout > 0 && this.training && layer < L - 1) x = dropout(x, this.dropout, true);
    }
    let y = stack(yN, 0);
    let output = x;
    if (!batched) {
      output = output.squeeze(1);
      y = y.squeeze(1);
    } else if (this.batchFirst) {
      output = output.transpose(0, 1);
    }
    return [output, y];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.outputSize !== this.hiddenSize) s += `, outputSize=${this.outputSize}`;
    if (this.numLayers !== 1) s += `, numLayers=${this.numLayers}`;
    if (this.nonlinearity !== "tanh") s += `, nonlinearity='${this.nonlinearity}'`;
    if (this.outputNonlinearity !== "tanh") s += `, outputNonlinearity='${this.outputNonlinearity}'`;
    if (!this.bias) s += `, bias=false`;
    if (this.batchFirst) s += `, batchFirst=true`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += `, bidirectional=true`;
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
export class JordanRNNCell extends Module {
  readonly outputSize: number;
  readonly bias: boolean;
  readonly nonlinearity: Nonlinearity;
  readonly outputNonlinearity: OutputNonlinearity;
  readonly weightIh: Tensor;
  readonly weightHy: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHy: Tensor | null;
  readonly weightO: Tensor;
  readonly biasO: Tensor | null;

  constructor(readonly inputSize: number, readonly hiddenSize: number, options: JordanRNNCellOptions = {}) {
    super();
    const name = "JordanRNNCell";
    const { outputSize = hiddenSize, bias = true, nonlinearity = "tanh", outputNonlinearity = "tanh" } = options;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    checkSize(name, "outputSize", outputSize);
    checkActivations(name, nonlinearity, outputNonlinearity);
    this.outputSize = outputSize;
    this.bias = bias;
    this.nonlinearity = nonlinearity;
    this.outputNonlinearity = outputNonlinearity;
    const stdv = 1 / Math.sqrt(hiddenSize);
    const u = (shape: number[]): Tensor => uniform_(zeros(shape), -stdv, stdv);
    this.weightIh = this.registerParameter("weight_ih", u([hiddenSize, inputSize]));
    this.weightHy = this.registerParameter("weight_hy", u([hiddenSize, outputSize]));
    this.biasIh = this.registerParameter("bias_ih", bias ? u([hiddenSize]) : null);
    this.biasHy = this.registerParameter("bias_hy", bias ? u([hiddenSize]) : null);
    this.weightO = this.registerParameter("weight_o", u([outputSize, hiddenSize]));
    this.biasO = this.registerParameter("bias_o", bias ? u([outputSize]) : null);
  }

  forward(input: Tensor, y?: Tensor | null): [Tensor, Tensor] {
    const name = "JordanRNNCell";
    if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(name, `Expected input to be 1D or 2D, got ${input.ndim}D instead (input ${fmtShape(input.shape)})`, [input.shape]);
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(name, `input.shape[-1] must equal inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (input ${fmtShape(input.shape)})`, [input.shape]);
    }
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    const N = x.shape[0]!;
    let yPrev: Tensor;
    if (!y) {
      yPrev = zeros([N, this.outputSize], { dtype: input.dtype });
    } else {
      const expected: Shape = batched ? [N, this.outputSize] : [this.outputSize];
      if (!shapesEqual(y.shape, expected)) {
        throw new ShapeError(name, `y must have shape ${fmtShape(expected)}, got ${fmtShape(y.shape)} (input ${fmtShape(input.shape)})`, [expected, y.shape]);
      }
      yPrev = batched ? y : y.unsqueeze(0);
    }
    const w: JordanWeights = { weightIh: this.weightIh, weightHy: this.weightHy, biasIh: this.biasIh, biasHy: this.biasHy, weightO: this.weightO, biasO: this.biasO };
    const [y1, h1] = jordanRNNStep(x, yPrev, w, { nonlinearity: this.nonlinearity, outputNonlinearity: this.outputNonlinearity });
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

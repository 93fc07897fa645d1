/** The basic layers: Linear, Embedding, activations, Dropout, Identity, Flatten and Sequential. */
import { embedding } from "../ops/indexing.js";
import { dropout, linear } from "../ops/composite.js";
import { ShapeError } from "../shape.js";
import { checkAlloc, Tensor, zeros } from "../tensor.js";
import { kaimingUniform_, normal_, uniform_ } from "./init.js";
import { checkInputDtype, Module } from "./module.js";
import { boolOption, checkOptions, positiveInt } from "../options.js";

/** A module that maps one tensor to one tensor; what `Sequential` chains. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * `y = x W^T + b`.
 *
 * Shapes: input `[*, inFeatures]`, output `[*, outFeatures]`.
 * Init: weight from kaiming_uniform(a=√5), i.e. U(±1/√inFeatures); bias U(±1/√inFeatures), as PyTorch.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.Linear.html
 */
export class Linear extends Module implements TensorModule {
  /** Assignable, as in PyTorch: `decoder.weight = encoder.weight` ties the two (see `Module`). */
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    checkOptions("Linear", options, { bias: true });
    for (const [k, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      positiveInt("Linear", k, v, true);
    }
    boolOption("Linear", "bias", options.bias);
    checkAlloc("Linear", [outFeatures, inFeatures], "float32", "weight");
    this.weight = this.registerParameter("weight", kaimingUniform_(zeros([outFeatures, inFeatures]), Math.sqrt(5)));
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.bias = this.registerParameter("bias", options.bias === false ? null : uniform_(zeros([outFeatures]), -bound, bound));
  }
  forward(x: Tensor): Tensor {
    checkInputDtype("Linear", x, this.weight);
    return linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

export interface EmbeddingOptions {
  /** Index whose row stays zero-initialised and receives no gradient. Negative counts from the end. */
  paddingIdx?: number | null;
  /** Initial weight `[numEmbeddings, embeddingDim]` instead of N(0, 1). */
  weight?: Tensor;
}

/**
 * A lookup table: int32 indices of any shape to rows of `weight`.
 *
 * Shapes: input `[*]` (int32), output `[*, embeddingDim]`. Init: N(0, 1), the `paddingIdx` row zero.
 * NOTE: PyTorch's `maxNorm`, `scaleGradByFreq` and `sparse` options are not implemented.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html
 */
export class Embedding extends Module implements TensorModule {
  /** Assignable, as in PyTorch: `decoder.weight = encoder.weight` ties the two (see `Module`). */
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions("Embedding", options, { paddingIdx: true, weight: true });
    positiveInt("Embedding", "numEmbeddings", numEmbeddings, true);
    positiveInt("Embedding", "embeddingDim", embeddingDim, true);
    checkAlloc("Embedding", [numEmbeddings, embeddingDim], "float32", "weight");
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings) {
        throw new Error(`Embedding: paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    let w: Tensor;
    if (options.weight) {
      if (options.weight.ndim !== 2 || options.weight.shape[0] !== numEmbeddings || options.weight.shape[1] !== embeddingDim) {
        throw new ShapeError("Embedding", `weight must be [${numEmbeddings}, ${embeddingDim}], got [${options.weight.shape.join(", ")}]`, [options.weight.shape]);
      }
      w = options.weight.detach().contiguousCopy();
    } else {
      w = normal_(zeros([numEmbeddings, embeddingDim]));
      if (pad !== null) w.data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    }
    this.weight = this.registerParameter("weight", w);
  }
  /** An embedding initialised from `weights`, frozen unless `freeze` is false (as PyTorch). */
  static fromPretrained(weights: Tensor, options: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    const e = new Embedding(weights.shape[0]!, weights.shape[1]!, { weight: weights, paddingIdx: options.paddingIdx ?? null });
    e.weight.requiresGrad = !(options.freeze ?? true);
    return e;
  }
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ""}`;
  }
}

export class ReLU extends Module implements TensorModule {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** `max(0, x) + negativeSlope · min(0, x)`; the slope defaults to 0.01 as in PyTorch (Keras and TF.js use 0.3). */
export class LeakyReLU extends Module implements TensorModule {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class Sigmoid extends Module implements TensorModule {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

export class Tanh extends Module implements TensorModule {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class Softmax extends Module implements TensorModule {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module implements TensorModule {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class Identity extends Module implements TensorModule {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Flatten extends Module implements TensorModule {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Zeroes elements with probability `p` during training and scales the rest by `1/(1-p)`. */
export class Dropout extends Module implements TensorModule {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`Dropout: dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Chains modules; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Module implements TensorModule {
  private readonly layers: TensorModule[];
  constructor(...layers: TensorModule[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  get length(): number {
    return this.layers.length;
  }
  at(i: number): TensorModule {
    const m = this.layers.at(i);
    if (!m) throw new Error(`Sequential: index ${i} is out of range for ${this.layers.length} modules`);
    return m;
  }
  forward(x: Tensor): Tensor {
    for (const m of this.layers) x = m.forward(x);
    return x;
  }
}

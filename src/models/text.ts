/**
 * Ready-made sequence models built only from the public nn API: token ids go through an embedding,
 * a recurrent encoder (run on packed input, so padding never reaches the state), a pooling step and
 * a linear head.
 */
import { CELL_KINDS, isCellKind, type CellKind } from "../cells/spec.js";
import * as nn from "../nn/index.js";
import { cat } from "../ops/movement.js";
import { fmtShape, ShapeError } from "../shape.js";
import { Tensor } from "../tensor.js";
import { checkOptions, type OptionKeys } from "../options.js";

export type Pooling = "last" | "mean";

export interface SequenceEncoderOptions {
  vocabSize: number;
  embeddingDim?: number;
  hiddenSize?: number;
  /** The recurrent cell, a kind from the cell table (default "lstm"). */
  cell?: CellKind;
  numLayers?: number;
  bidirectional?: boolean;
  /** Dropout on the embeddings, between recurrent layers, and before the head (default 0). */
  dropout?: number;
  /** "last": the final hidden state (both directions concatenated); "mean": the mean output over real steps. */
  pooling?: Pooling;
  /** Token id used for padding (default 0, the vocabulary's `<pad>`). */
  paddingIdx?: number;
}

export type ResolvedEncoderOptions = Required<SequenceEncoderOptions>;

const ENCODER_KEYS: OptionKeys<SequenceEncoderOptions> = {
  vocabSize: true, embeddingDim: true, hiddenSize: true, cell: true, numLayers: true, bidirectional: true, dropout: true, pooling: true, paddingIdx: true,
};

function resolve(o: SequenceEncoderOptions): ResolvedEncoderOptions {
  const r: ResolvedEncoderOptions = {
    vocabSize: o.vocabSize,
    embeddingDim: o.embeddingDim ?? 64,
    hiddenSize: o.hiddenSize ?? 128,
    cell: o.cell ?? "lstm",
    numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? false,
    dropout: o.dropout ?? 0,
    pooling: o.pooling ?? "last",
    paddingIdx: o.paddingIdx ?? 0,
  };
  if (!isCellKind(r.cell)) throw new Error(`cell must be one of ${CELL_KINDS.map((k) => `"${k}"`).join(", ")}, got "${String(r.cell)}"`);
  if (r.pooling !== "last" && r.pooling !== "mean") throw new Error(`pooling must be "last" or "mean", got "${r.pooling}"`);
  return r;
}

/** Embedding, recurrent layers and pooling: `[N, L]` token ids to `[N, D·hiddenSize]` features. */
export class SequenceEncoder extends nn.Module {
  readonly options: ResolvedEncoderOptions;
  readonly embedding: nn.Embedding;
  readonly rnn: nn.RNNBase;
  readonly drop: nn.Dropout;

  constructor(options: SequenceEncoderOptions) {
    super();
    const o = resolve(options);
    this.options = o;
    this.embedding = this.registerModule("embedding", new nn.Embedding(o.vocabSize, o.embeddingDim, { paddingIdx: o.paddingIdx }));
    const rnnOptions = { numLayers: o.numLayers, bidirectional: o.bidirectional, batchFirst: true, dropout: o.numLayers > 1 ? o.dropout : 0 };
    const rnn = nn.createRecurrent(o.cell, o.embeddingDim, o.hiddenSize, rnnOptions);
    this.rnn = this.registerModule("rnn", rnn);
    this.drop = this.registerModule("dropout", new nn.Dropout(o.dropout));
  }

  /** Size of the pooled features. */
  get outputSize(): number {
    return this.options.hiddenSize * (this.options.bidirectional ? 2 : 1);
  }

  /**
   * `tokens` int32 `[N, L]` (padded with paddingIdx), `lengths` the true lengths (each at least 1).
   * Returns `[N, outputSize]`.
   */
  forward(tokens: Tensor, lengths: readonly number[] | Int32Array): Tensor {
    const name = this.constructor.name;
    if (tokens.ndim !== 2 || tokens.dtype !== "int32") {
      throw new ShapeError(name, `tokens must be an int32 [N, L] tensor, got ${tokens.dtype} ${fmtShape(tokens.shape)}`, [tokens.shape]);
    }
    const [N, L] = tokens.shape as [number, number];
    if (lengths.length !== N) throw new ShapeError(name, `expected ${N} lengths for tokens ${fmtShape(tokens.shape)}, got ${lengths.length}`, [tokens.shape]);
    const lens = Array.from(lengths, (l, i) => {
      if (!Number.isInteger(l) || l < 1 || l > L) throw new RangeError(`${name}: lengths[${i}] must be an integer in [1, ${L}] for tokens ${fmtShape(tokens.shape)}, got ${l}`);
      return l;
    });
    const emb = this.drop.forward(this.embedding.forward(tokens));
    const packed = nn.utils.packPaddedSequence(emb, lens, { batchFirst: true, enforceSorted: false });
    const [out, state] = this.rnn.forward(packed);
    const hN = Array.isArray(state) ? state[0] : state;
    if (this.options.pooling === "last") {
      const layers = hN.shape[0]!;
      // hN rows are layer·D + direction: the last layer's directions are the last D rows.
      return this.options.bidirectional ? cat([hN.select(0, layers - 2), hN.select(0, layers - 1)], 1) : hN.select(0, layers - 1);
    }
    const [padded] = nn.utils.padPackedSequence(out, { batchFirst: true, totalLength: L });
    const denom = new Tensor(Float32Array.from(lens), [N, 1]);
    return padded.sum(1).div(denom);
  }
}

export interface TextClassifierOptions extends SequenceEncoderOptions {
  numClasses: number;
}

/**
 * Embedding → RNN/LSTM/GRU (optionally stacked and bidirectional) → pooling → dropout → Linear.
 * `forward(tokens, lengths)` gives class scores `[N, numClasses]` for `CrossEntropyLoss`.
 */
export class TextClassifier extends nn.Module {
  readonly encoder: SequenceEncoder;
  readonly head: nn.Linear;
  readonly numClasses: number;
  constructor(options: TextClassifierOptions) {
    super();
    checkOptions("TextClassifier", options, { ...ENCODER_KEYS, numClasses: true });
    if (!Number.isInteger(options.numClasses) || options.numClasses < 2) throw new Error(`TextClassifier: numClasses must be an integer of at least 2, got ${options.numClasses}`);
    this.numClasses = options.numClasses;
    this.encoder = this.registerModule("encoder", new SequenceEncoder(options));
    this.head = this.registerModule("head", new nn.Linear(this.encoder.outputSize, options.numClasses));
  }
  forward(tokens: Tensor, lengths: readonly number[] | Int32Array): Tensor {
    return this.head.forward(this.encoder.drop.forward(this.encoder.forward(tokens, lengths)));
  }
  /** The options that rebuild this model (saved in a checkpoint's config). */
  config(): TextClassifierOptions {
    return { ...this.encoder.options, numClasses: this.numClasses };
  }
}

export interface SequenceRegressorOptions extends SequenceEncoderOptions {
  /** Number of targets predicted per sequence (default 1). */
  numOutputs?: number;
}

/** The same encoder with a linear head of `numOutputs` real values, for `MSELoss`. */
export class SequenceRegressor extends nn.Module {
  readonly encoder: SequenceEncoder;
  readonly head: nn.Linear;
  readonly numOutputs: number;
  constructor(options: SequenceRegressorOptions) {
    super();
    checkOptions("SequenceRegressor", options, { ...ENCODER_KEYS, numOutputs: true });
    this.numOutputs = options.numOutputs ?? 1;
    if (!Number.isInteger(this.numOutputs) || this.numOutputs < 1) throw new Error(`SequenceRegressor: numOutputs must be a positive integer, got ${this.numOutputs}`);
    this.encoder = this.registerModule("encoder", new SequenceEncoder(options));
    this.head = this.registerModule("head", new nn.Linear(this.encoder.outputSize, this.numOutputs));
  }
  /** `[N, numOutputs]`. */
  forward(tokens: Tensor, lengths: readonly number[] | Int32Array): Tensor {
    return this.head.forward(this.encoder.drop.forward(this.encoder.forward(tokens, lengths)));
  }
  config(): SequenceRegressorOptions {
    return { ...this.encoder.options, numOutputs: this.numOutputs };
  }
}

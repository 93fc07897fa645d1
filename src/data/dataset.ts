/**
 * `TensorDataset` and `DataLoader` with PyTorch's names and behaviour: a dataset of tensors that
 * share their first dimension, and an iterable of batches (shuffled per pass with a seeded
 * generator, the last short batch kept unless `dropLast`). Browser-safe.
 */
import { checkOptions } from "../options.js";
import { defaultGenerator, type Generator } from "../random.js";
import { fmtShape, ShapeError } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** Tensors indexed together along their first dimension, as `torch.utils.data.TensorDataset`. */
export class TensorDataset {
  readonly tensors: readonly Tensor[];
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error("TensorDataset: expected at least one tensor");
    const n = tensors[0]!.shape[0];
    for (const t of tensors) {
      if (t.ndim === 0 || t.shape[0] !== n) {
        throw new ShapeError("TensorDataset", `size mismatch between tensors: every tensor needs the same first dimension, got ${tensors.map((x) => fmtShape(x.shape)).join(", ")}`, tensors.map((x) => x.shape));
      }
    }
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }
  /** Item `i`: each tensor's row `i`. */
  at(i: number): Tensor[] {
    return this.tensors.map((t) => t.select(0, i));
  }
}

export interface DataLoaderOptions {
  /** Rows per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the rows at the start of every pass (default false). */
  shuffle?: boolean;
  /** Leave out the last batch when it is short (default false). */
  dropLast?: boolean;
  /** The generator shuffling draws from (default: the global one, seeded by `manualSeed`). */
  generator?: Generator;
}

/**
 * Batches of a `TensorDataset`, as `torch.utils.data.DataLoader`: each batch is one tensor per
 * dataset tensor, rows stacked along a new first dimension.
 * @example
 * const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true });
 * for (const [xb, yb] of loader) { ... }
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly generator: Generator;

  constructor(readonly dataset: TensorDataset, options: DataLoaderOptions = {}) {
    checkOptions("DataLoader", options, { batchSize: true, shuffle: true, dropLast: true, generator: true });
    const { batchSize = 1, shuffle = false, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize should be a positive integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = options.generator ?? defaultGenerator;
  }

  /** Batches per pass. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const order = Array.from({ length: n }, (_, i) => i);
    if (this.shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(this.generator.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (let b = 0; b < this.length; b++) {
      const idx = order.slice(b * this.batchSize, (b + 1) * this.batchSize);
      yield this.dataset.tensors.map((t) => t.indexSelect(0, idx));
    }
  }
}

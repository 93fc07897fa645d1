/**
 * Seeded shuffling, train/validation splits and a length-bucketing batch loader. Browser-safe.
 */
import { Generator } from "../random.js";

/**
 * A shuffled copy of `array` (Fisher–Yates), drawn from `generator` so a seed reproduces it.
 *
 * @example
 * shuffle([1, 2, 3, 4], new Generator(0)); // the same order on every run and engine
 * @see https://pytorch.org/docs/stable/generated/torch.randperm.html
 */
export function shuffle<T>(array: readonly T[], generator: Generator): T[] {
  const out = array.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = generator.randint(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

export interface TrainValSplitOptions {
  /** Share of the examples held out for validation, in [0, 1). Default 0.1. */
  valFraction?: number;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
  /** One label per example: each label keeps (as near as rounding allows) its share in both parts. */
  stratify?: ArrayLike<string | number>;
}

/** Indices (ascending) of the training and validation examples. */
export interface Split {
  train: number[];
  val: number[];
}

/**
 * Splits `n` example indices into training and validation sets, deterministically for a seed.
 * The validation set holds `round(n * valFraction)` examples, at least one when `valFraction > 0`
 * and `n >= 2`, and never all of them. With `stratify`, that total is shared out among the labels in
 * proportion to their counts (largest remainder), and each label's examples are drawn at random.
 *
 * NOTE: returns indices rather than datasets (PyTorch's `random_split` returns `Subset`s), so one
 * split can index texts, labels and any other parallel list.
 *
 * @example
 * const { train, val } = trainValSplit(texts.length, { valFraction: 0.2, seed: 42, stratify: labels });
 * const valTexts = val.map((i) => texts[i]);
 * @see https://pytorch.org/docs/stable/data.html#torch.utils.data.random_split
 */
export function trainValSplit(n: number, options: TrainValSplitOptions = {}): Split {
  const { valFraction = 0.1, seed = 0, stratify } = options;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`trainValSplit: invalid n: ${n} (must be an integer >= 0)`);
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`trainValSplit: invalid valFraction: ${valFraction} (must be in [0, 1))`);
  }
  if (stratify !== undefined && stratify.length !== n) {
    throw new RangeError(`trainValSplit: stratify has ${stratify.length} labels but n is ${n}; pass one label per example`);
  }
  const nVal = valFraction > 0 && n >= 2 ? Math.min(n - 1, Math.max(1, Math.round(n * valFraction))) : 0;
  const generator = new Generator(seed);
  const isVal = new Uint8Array(n);

  const groups = new Map<string | number, number[]>();
  if (stratify === undefined) groups.set(0, Array.from({ length: n }, (_, i) => i));
  else {
    for (let i = 0; i < n; i++) {
      const group = groups.get(stratify[i]!);
      if (group) group.push(i);
      else groups.set(stratify[i]!, [i]);
    }
  }

  const members = [...groups.values()];
  const quotas = members.map((m) => (nVal * m.length) / n);
  const counts = quotas.map(Math.floor);
  let left = nVal - counts.reduce((a, b) => a + b, 0);
  // Largest remainder; ties go to the label seen first, so the split does not depend on sort internals.
  const byRemainder = quotas.map((q, k) => k).sort((a, b) => quotas[b] - counts[b] - (quotas[a] - counts[a]) || a - b);
  for (const k of byRemainder) if (left-- > 0) counts[k]++;

  members.forEach((m, k) => {
    for (const i of shuffle(m, generator).slice(0, counts[k])) isVal[i] = 1;
  });
  const split: Split = { train: [], val: [] };
  isVal.forEach((v, i) => (v ? split.val : split.train).push(i));
  return split;
}

export interface BucketLoaderOptions<T> {
  /** Items per batch, a positive integer. */
  batchSize: number;
  /** The length used to group items, e.g. the number of tokens. Read once per item, in the constructor. */
  lengthOf: (item: T) => number;
  /** Shuffle the items before bucketing, and the order of the batches. Default true. */
  shuffle?: boolean;
  /** Seed of the loader's generator. Default 0. */
  seed?: number;
  /**
   * The generator to draw the order from instead of one seeded with `seed` (as PyTorch's
   * `DataLoader(generator=...)`): its state before an epoch (`getState()`) reproduces that epoch.
   */
  generator?: Generator;
  /** Bucket size in batches: items are sorted by length within runs of `batchSize * bucketSize`. Default 50. */
  bucketSize?: number;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
}

/**
 * Batches items of similar length together, so padded batches waste little work on padding, while
 * keeping epochs random. Each epoch: shuffle the items, sort them by length within buckets of
 * `batchSize * bucketSize` items, cut each bucket into batches, then shuffle the order of the batches.
 * Each `for..of` is one epoch and visits every item once (all but a final partial batch with
 * `dropLast`). Epochs draw from one generator seeded in the constructor, so they differ from each
 * other and a seed reproduces the whole run. With `shuffle: false` the order is fixed (still
 * bucketed), which suits evaluation.
 *
 * `bucketSize: 1` gives plain random batches; a larger bucket gives more uniform lengths per batch
 * and less randomness in which items share a batch.
 *
 * @example
 * const loader = new BucketLoader(examples, { batchSize: 32, lengthOf: (e) => e.ids.length, seed: 1 });
 * for (let epoch = 0; epoch < 10; epoch++) for (const batch of loader) train(batch);
 * @see https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader
 */
export class BucketLoader<T> implements Iterable<T[]> {
  readonly batchSize: number;
  readonly bucketSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly items: readonly T[];
  private readonly lengths: Float64Array;
  private readonly generator: Generator;

  constructor(items: readonly T[], options: BucketLoaderOptions<T>) {
    const { batchSize, lengthOf, shuffle = true, seed = 0, bucketSize = 50, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`BucketLoader: invalid batchSize: ${batchSize} (must be a positive integer)`);
    }
    if (!Number.isInteger(bucketSize) || bucketSize < 1) {
      throw new RangeError(`BucketLoader: invalid bucketSize: ${bucketSize} (must be a positive integer, counted in batches)`);
    }
    this.items = items;
    this.lengths = new Float64Array(items.length);
    items.forEach((item, i) => {
      const len = lengthOf(item);
      if (typeof len !== "number" || !Number.isFinite(len)) {
        throw new TypeError(`BucketLoader: lengthOf returned ${String(len)} for item ${i}; it must return a finite number`);
      }
      this.lengths[i] = len;
    });
    this.batchSize = batchSize;
    this.bucketSize = bucketSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = options.generator ?? new Generator(seed);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.items.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One epoch of batches. The epoch's order is drawn when iteration starts. */
  [Symbol.iterator](): Iterator<T[]> {
    // One Int32Array of positions, shuffled and sorted per bucket in place, and batches made as they
    // are asked for: a million items cost 4 MB here, not arrays of arrays. The draws are those of
    // `shuffle` (items, then batches), so a seed gives the same batches as it always has.
    const { batchSize, lengths, items } = this;
    const n = items.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = this.generator.randint(i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    const chunk = batchSize * this.bucketSize;
    for (let start = 0; start < n; start += chunk) order.subarray(start, Math.min(n, start + chunk)).sort((a, b) => lengths[a]! - lengths[b]!);
    // Buckets are whole numbers of batches, so batches start at multiples of batchSize; only the last can be short.
    const count = this.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
    let starts = Array.from({ length: count }, (_, b) => b * batchSize);
    if (this.shuffle) starts = shuffle(starts, this.generator);
    let k = 0;
    return {
      next: (): IteratorResult<T[]> => {
        if (k >= starts.length) return { value: undefined, done: true };
        const start = starts[k++]!;
        return { value: Array.from(order.subarray(start, Math.min(n, start + batchSize)), (i) => items[i]!), done: false };
      },
    };
  }
}

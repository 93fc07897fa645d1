/**
 * Variable-length batches, as `torch.nn.utils.rnn`: `PackedSequence` and the functions that pack
 * and pad. The recurrent layers accept a `PackedSequence` and then run each sequence only over its
 * own steps, so its final state comes from its last real token and padding never leaks in.
 */
import { indexAdd, indexSelect } from "../../ops/indexing.js";
import { fmtShape, ShapeError } from "../../shape.js";
import { cat, stack } from "../../ops/movement.js";
import { full, Tensor, tensor } from "../../tensor.js";
import { checkOptions } from "../../options.js";

/**
 * A batch of sequences stored time step by time step without padding: `data` holds, for each step
 * `t`, the rows of the `batchSizes[t]` sequences still running, longest first.
 *
 * Shapes: data `[sum(lengths), *]`, batchSizes `[maxLength]`.
 * `sortedIndices[i]` is the original batch position of the i-th longest sequence;
 * `unsortedIndices` is its inverse (both null when the batch was already sorted).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.PackedSequence.html
 */
export class PackedSequence {
  constructor(
    readonly data: Tensor,
    readonly batchSizes: Int32Array,
    readonly sortedIndices: Int32Array | null = null,
    readonly unsortedIndices: Int32Array | null = null,
  ) {}

  /** Lengths in sorted order (longest first), recovered from batchSizes. */
  sortedLengths(): Int32Array {
    const n = this.batchSizes[0] ?? 0;
    const lengths = new Int32Array(n);
    for (let t = 0; t < this.batchSizes.length; t++) for (let b = 0; b < this.batchSizes[t]!; b++) lengths[b]!++;
    return lengths;
  }

  /** The same batch with new data of `data.shape[0]` rows (e.g. a layer's output). */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }
}

/** Row positions in a time-major `[T·B]` flattening that hold the packed rows, in packed order. */
/** @internal */
export function packedRowIndices(batchSizes: Int32Array, B: number): Int32Array {
  const total = batchSizes.reduce((a, b) => a + b, 0);
  const rows = new Int32Array(total);
  let k = 0;
  for (let t = 0; t < batchSizes.length; t++) for (let b = 0; b < batchSizes[t]!; b++) rows[k++] = t * B + b;
  return rows;
}

function invertPermutation(p: Int32Array): Int32Array {
  const inv = new Int32Array(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
}

function toLengths(op: string, lengths: Tensor | readonly number[] | Int32Array): number[] {
  const arr = lengths instanceof Tensor ? Array.from(lengths.data) : Array.from(lengths);
  for (const l of arr) {
    if (!Number.isInteger(l)) throw new Error(`${op}: lengths must be integers, got ${l}`);
    if (l <= 0) throw new Error(`${op}: length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 (lengths ${JSON.stringify(arr)})`);
  }
  return arr;
}

export interface PackPaddedOptions {
  batchFirst?: boolean;
  /** Require lengths in decreasing order (PyTorch's default, needed only for ONNX export); false sorts internally. */
  enforceSorted?: boolean;
}

/**
 * Packs a padded batch `[T, B, *]` (`[B, T, *]` with batchFirst) whose sequence `b` has `lengths[b]`
 * valid steps.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pack_padded_sequence.html
 */
export function packPaddedSequence(input: Tensor, lengths: Tensor | readonly number[] | Int32Array, options: PackPaddedOptions = {}): PackedSequence {
  checkOptions("packPaddedSequence", options, { batchFirst: true, enforceSorted: true });
  const { batchFirst = false, enforceSorted = true } = options;
  const op = "packPaddedSequence";
  if (input.ndim < 2) throw new ShapeError(op, `input must be at least 2-D ([T, B, *] or [B, T, *]), got ${fmtShape(input.shape)}`, [input.shape]);
  const lens = toLengths(op, lengths);
  const x = batchFirst ? input.transpose(0, 1) : input;
  const [T, B] = x.shape as [number, number];
  if (lens.length !== B) throw new ShapeError(op, `expected ${B} lengths for a batch of ${B} (input ${fmtShape(input.shape)}, batchFirst=${batchFirst}), got ${lens.length}`, [input.shape]);
  const max = Math.max(...lens);
  if (max > T) throw new ShapeError(op, `a length of ${max} exceeds the ${T} time steps of input ${fmtShape(input.shape)} (batchFirst=${batchFirst})`, [input.shape]);
  let sortedIndices: Int32Array | null = null;
  let sorted = lens;
  if (enforceSorted) {
    for (let i = 1; i < lens.length; i++) {
      if (lens[i]! > lens[i - 1]!) {
        throw new Error(`${op}: 'lengths' must be sorted in decreasing order when enforceSorted is true (got ${JSON.stringify(lens)}). Pass enforceSorted: false to pack unsorted sequences.`);
      }
    }
  } else {
    // A stable sort, longest first.
    sortedIndices = Int32Array.from(lens.map((_, i) => i).sort((a, b) => lens[b]! - lens[a]! || a - b));
    sorted = Array.from(sortedIndices, (i) => lens[i]!);
  }
  const batchSizes = new Int32Array(max);
  for (let t = 0; t < max; t++) batchSizes[t] = sorted.filter((l) => l > t).length;
  const ordered = sortedIndices ? x.indexSelect(1, sortedIndices) : x;
  const flat = ordered.reshape([T * B, ...x.shape.slice(2)]);
  const data = indexSelect(flat, 0, packedRowIndices(batchSizes, B));
  return new PackedSequence(data, batchSizes, sortedIndices, sortedIndices ? invertPermutation(sortedIndices) : null);
}

export interface PadPackedOptions {
  batchFirst?: boolean;
  paddingValue?: number;
  /** Pad to this many steps instead of the longest sequence (must be at least that). */
  totalLength?: number;
}

/**
 * Inverts `packPaddedSequence`: returns the padded batch, in the original batch order, and the
 * lengths (int32).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pad_packed_sequence.html
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedOptions = {}): [Tensor, Tensor] {
  checkOptions("padPackedSequence", options, { batchFirst: true, paddingValue: true, totalLength: true });
  const { batchFirst = false, paddingValue = 0 } = options;
  const maxLen = sequence.batchSizes.length;
  const T = options.totalLength ?? maxLen;
  if (T < maxLen) {
    throw new Error(`padPackedSequence: expected totalLength to be at least the length of the longest sequence (${maxLen}), got ${T}`);
  }
  const B = sequence.batchSizes[0] ?? 0;
  const data = sequence.data;
  const feature = data.shape.slice(1);
  const rows = packedRowIndices(sequence.batchSizes, B);
  let padded = indexAdd(data, 0, rows, T * B);
  if (paddingValue !== 0) {
    const mask = new Float32Array(T * B).fill(1);
    for (const r of rows) mask[r] = 0;
    const m = tensor(mask, [T * B, ...feature.map(() => 1)], { dtype: data.dtype });
    padded = padded.add(m.mul(paddingValue));
  }
  padded = padded.reshape([T, B, ...feature]);
  let lengths = sequence.sortedLengths();
  if (sequence.unsortedIndices) {
    padded = padded.indexSelect(1, sequence.unsortedIndices);
    lengths = Int32Array.from(sequence.unsortedIndices, (i) => lengths[i]!);
  }
  return [batchFirst ? padded.transpose(0, 1) : padded, new Tensor(lengths, [B])];
}

export interface PadSequenceOptions {
  batchFirst?: boolean;
  paddingValue?: number;
  /** Pad at the end ("right", the default) or the start ("left"). */
  paddingSide?: "right" | "left";
}

/**
 * Stacks sequences `[L_i, *]` into `[maxL, B, *]` (`[B, maxL, *]` with batchFirst), padding with `paddingValue`.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pad_sequence.html
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  checkOptions("padSequence", options, { batchFirst: true, paddingValue: true, paddingSide: true });
  const { batchFirst = false, paddingValue = 0, paddingSide = "right" } = options;
  if (sequences.length === 0) throw new Error("padSequence: received an empty list of sequences");
  const rest = sequences[0]!.shape.slice(1);
  for (const s of sequences) {
    if (s.ndim < 1 || s.shape.slice(1).join() !== rest.join()) {
      throw new ShapeError("padSequence", `all sequences must be [L, ${rest.join(", ")}], got ${sequences.map((q) => fmtShape(q.shape)).join(", ")}`, sequences.map((q) => q.shape));
    }
  }
  const maxL = Math.max(...sequences.map((s) => s.shape[0]!));
  const parts = sequences.map((s) => {
    const pad = maxL - s.shape[0]!;
    if (pad === 0) return s;
    const fill = full([pad, ...rest], paddingValue, { dtype: s.dtype });
    return cat(paddingSide === "right" ? [s, fill] : [fill, s], 0);
  });
  const stacked = stack(parts, 0);
  return batchFirst ? stacked : stacked.transpose(0, 1);
}

/**
 * Packs a list of sequences `[L_i, *]` directly.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pack_sequence.html
 */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  checkOptions("packSequence", options, { enforceSorted: true });
  const lengths = sequences.map((s) => s.shape[0]!);
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted ?? true });
}

/** Stateless functions behind the modules, like `torch.nn.functional`. */
import { fmtShape, ShapeError, shapesEqual } from "../shape.js";
import { Tensor, zerosLike } from "../tensor.js";
import { checkOptions, describeValue } from "../options.js";

export { linear, dropout, softmax, logSoftmax } from "../ops/composite.js";
export { embedding } from "../ops/indexing.js";

export type Reduction = "mean" | "sum" | "none";

export function tanh(x: Tensor): Tensor {
  return x.tanh();
}

export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}

export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return x.leakyRelu(negativeSlope);
}
/** `log(1 + exp(x))`, computed without overflow. */
export function softplus(x: Tensor): Tensor {
  return x.relu().add(x.abs().neg().exp().add(1).log());
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "mean") return loss.mean();
  if (reduction === "sum") return loss.sum();
  return loss;
}

function checkReduction(op: string, reduction: string): void {
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new Error(`${op}: reduction must be "mean", "sum" or "none", got "${reduction}"`);
  }
}

export interface NllOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Moves the class dimension last and flattens: `[N, C, d...]` to `[N·d..., C]`, targets to `[N·d...]`. */
function flattenClasses(op: string, input: Tensor, target: Tensor): [Tensor, Tensor, number[]] {
  if (input.ndim === 1) {
    if (target.ndim !== 0) throw new ShapeError(op, `unbatched input ${fmtShape(input.shape)} needs a 0-d target, got ${fmtShape(target.shape)}`, [input.shape, target.shape]);
    return [input.unsqueeze(0), target.reshape([1]), []];
  }
  const expected = [input.shape[0]!, ...input.shape.slice(2)];
  if (!shapesEqual(expected, target.shape)) {
    throw new ShapeError(op, `target shape must be ${fmtShape(expected)} for input ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`, [input.shape, target.shape]);
  }
  const C = input.shape[1]!;
  const moved = input.ndim > 2 ? input.permute([0, ...input.shape.slice(2).map((_, i) => i + 2), 1]) : input;
  return [moved.reshape([-1, C]), target.reshape([-1]), expected];
}

/** Negative log-likelihood of log-probabilities `input` `[N, C, d...]` at int32 class `target` `[N, d...]`. */
export function nllLoss(input: Tensor, target: Tensor, options: NllOptions = {}): Tensor {
  return nll("nllLoss", input, target, options);
}

/** The negative log-likelihood, its errors named after `op`, the function the user called. */
function nll(op: string, input: Tensor, target: Tensor, options: NllOptions): Tensor {
  checkOptions(op, options, { weight: true, ignoreIndex: true, reduction: true });
  const { weight = null, ignoreIndex = -100, reduction = "mean" } = options;
  if (!Number.isSafeInteger(ignoreIndex)) throw new TypeError(`${op}: ignoreIndex must be an integer, got ${describeValue(ignoreIndex)}`);
  checkReduction(op, reduction);
  if (target.dtype !== "int32") throw new ShapeError(op, `target must hold int32 class indices, got ${target.dtype} (convert with .long())`);
  const [logp, tgt, outShape] = flattenClasses(op, input, target);
  const C = logp.shape[1]!;
  const t = tgt.data as Int32Array;
  const safe = new Int32Array(t.length);
  const keep = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === ignoreIndex) continue;
    if (c < 0 || c >= C) throw new ShapeError(op, `target ${c} is out of bounds for ${C} classes`, [input.shape, target.shape]);
    safe[i] = c;
    keep[i] = weight ? weight.data[c]! : 1;
  }
  const w = new Tensor(logp.dtype === "float64" ? keep : Float32Array.from(keep), [t.length]);
  const picked = logp.gather(1, new Tensor(safe, [t.length, 1])).reshape([t.length]);
  const losses = picked.neg().mul(w);
  if (reduction === "none") return losses.reshape(input.ndim === 1 ? [] : outShape);
  if (reduction === "sum") return losses.sum();
  return losses.sum().div(w.sum());
}

export interface CrossEntropyOptions extends NllOptions {
  labelSmoothing?: number;
}

/**
 * Cross-entropy of raw scores `input` `[N, C, d...]` against int32 class targets `[N, d...]`, or
 * against class probabilities of the input's shape.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkOptions("crossEntropy", options, { weight: true, ignoreIndex: true, reduction: true, labelSmoothing: true });
  const { labelSmoothing = 0, reduction = "mean" } = options;
  checkReduction("crossEntropy", reduction);
  if (typeof labelSmoothing !== "number" || !(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const logp = input.logSoftmax(classDim);
  if (target.dtype !== "int32") {
    // Class probabilities.
    if (!shapesEqual(target.shape, input.shape)) throw new ShapeError("crossEntropy", `probability targets must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`, [input.shape, target.shape]);
    const C = input.shape[classDim]!;
    const tgt = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / C) : target;
    let per = logp.mul(tgt);
    if (options.weight) per = per.mul(options.weight.reshape([C, ...new Array<number>(input.ndim - classDim - 1).fill(1)]));
    const loss = per.sum(classDim).neg();
    if (reduction === "mean") return loss.sum().div(input.ndim === 1 ? 1 : loss.numel());
    return reduce(loss, reduction);
  }
  const nllValue = nll("crossEntropy", logp, target, { weight: options.weight, ignoreIndex: options.ignoreIndex, reduction: options.reduction });
  if (labelSmoothing === 0) return nllValue;
  if (options.weight) throw new Error("crossEntropy: labelSmoothing together with class weights is not supported yet");
  // NOTE: smoothing mixes in the mean negative log-probability over classes, as PyTorch does.
  const ignoreIndex = options.ignoreIndex ?? -100;
  const C = input.shape[classDim]!;
  const mask = target.ne(ignoreIndex).to(logp.dtype);
  const smooth = logp.sum(classDim).neg().div(C).mul(mask);
  const smoothRed = reduction === "mean" ? smooth.sum().div(mask.sum()) : reduce(smooth, reduction);
  return nllValue.mul(1 - labelSmoothing).add(smoothRed.mul(labelSmoothing));
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  checkReduction("mseLoss", reduction);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError("mseLoss", `input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} must have the same shape`, [input.shape, target.shape]);
  }
  return reduce(input.sub(target).square(), reduction);
}

export interface BceOptions {
  weight?: Tensor | null;
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/** Binary cross-entropy on logits, stable for large |x|, with PyTorch's `posWeight`. */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  checkOptions("binaryCrossEntropyWithLogits", options, { weight: true, posWeight: true, reduction: true });
  const { weight = null, posWeight = null, reduction = "mean" } = options;
  checkReduction("binaryCrossEntropyWithLogits", reduction);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError("binaryCrossEntropyWithLogits", `target size ${fmtShape(target.shape)} must be the same as input size ${fmtShape(input.shape)}`, [input.shape, target.shape]);
  }
  const y = target.to(input.dtype);
  // (1 - y)·x + w_log·softplus(-x), where w_log = 1 + (posWeight - 1)·y
  let loss: Tensor;
  if (posWeight) {
    const logWeight = posWeight.sub(1).mul(y).add(1);
    loss = y.neg().add(1).mul(input).add(logWeight.mul(softplus(input.neg())));
  } else {
    loss = y.neg().add(1).mul(input).add(softplus(input.neg()));
  }
  if (weight) loss = loss.mul(weight);
  return reduce(loss, reduction);
}

export { zerosLike };

/** Loss modules: thin wrappers over `nn.functional` holding their options. */
import type { Tensor } from "../tensor.js";
import {
  binaryCrossEntropyWithLogits, crossEntropy, mseLoss, nllLoss,
  type BceOptions, type CrossEntropyOptions, type NllOptions, type Reduction,
} from "./functional.js";
import { Module } from "./module.js";

/**
 * Cross-entropy on raw scores: `logSoftmax` then negative log-likelihood.
 *
 * Shapes: input `[N, C]`, `[N, C, d1, ...]` or `[C]`; target int32 `[N]`, `[N, d1, ...]` or `[]`
 * (or class probabilities of the input's shape). Output a scalar, or the target's shape with `reduction: "none"`.
 * The mean is over targets not equal to `ignoreIndex` (weighted by `weight` when given).
 * @see https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html
 */
export class CrossEntropyLoss extends Module {
  constructor(readonly options: CrossEntropyOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

export class NLLLoss extends Module {
  constructor(readonly options: NllOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}

/** Mean squared error; `reduction` "mean" (default), "sum" or "none". */
export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(options: { reduction?: Reduction } = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.reduction);
  }
}

/** Sigmoid plus binary cross-entropy in one numerically stable step, with optional `posWeight`. */
export class BCEWithLogitsLoss extends Module {
  constructor(readonly options: BceOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }
}

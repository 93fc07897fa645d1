/** Batch normalization over `[N, C]` and `[N, C, L]` inputs: `BatchNorm1d` and its functional form. */
import { noGrad } from "../autograd.js";
import { fmtShape, ShapeError } from "../shape.js";
import { ones, Tensor, zeros } from "../tensor.js";
import type { TensorModule } from "./layers.js";
import { Module } from "./module.js";
import { checkOptions } from "../options.js";

/** Checks for a 2-D or 3-D input with `C` channels; returns the shape that broadcasts a `[C]` vector against it. */
function channelShape(op: string, x: Tensor, C: number, what: string): number[] {
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new ShapeError(op, `expected 2D or 3D input [N, C] or [N, C, L], got ${x.ndim}D input ${fmtShape(x.shape)}`, [x.shape]);
  }
  if (x.shape[1] !== C) {
    throw new ShapeError(op, `input.shape[1] must equal ${what}. Expected ${C}, got ${x.shape[1]} (input ${fmtShape(x.shape)})`, [x.shape]);
  }
  return x.ndim === 2 ? [1, C] : [1, C, 1];
}

/**
 * Batch normalization of `input` `[N, C]` or `[N, C, L]` per channel C, like `F.batch_norm`.
 *
 * With `training` it normalizes with the batch statistics over N (and L), the variance biased, and
 * (when given) updates `runningMean`/`runningVar` in place:
 * `running = (1 − momentum)·running + momentum·batch`, where the variance is the unbiased one
 * (`·n/(n−1)`, n = N·L). Without `training` it normalizes with the running statistics, which are
 * then required. `momentum` is the factor itself: `BatchNorm1d` passes `1/numBatchesTracked` for a
 * cumulative average. The gradient flows through the batch mean and variance exactly.
 * @see https://pytorch.org/docs/stable/generated/torch.nn.functional.batch_norm.html
 */
export function batchNorm1d(
  input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null, bias: Tensor | null = null,
  training = false, momentum = 0.1, eps = 1e-5,
): Tensor {
  if ((runningMean === null) !== (runningVar === null)) throw new Error("batchNorm1d: runningMean and runningVar must both be given or both be null");
  if (!training && !runningMean) throw new Error("batchNorm1d: running statistics are required when training is false");
  const C = input.shape[1] ?? 0;
  const shape = channelShape("batchNorm1d", input, C, "C");
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar], ["weight", weight], ["bias", bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) {
      throw new ShapeError("batchNorm1d", `${name} must have shape [${C}] for input ${fmtShape(input.shape)}, got ${fmtShape(t.shape)}`, [input.shape, t.shape]);
    }
  }
  let xhat: Tensor;
  if (training) {
    const n = input.numel() / Math.max(C, 1);
    if (n === 1) {
      throw new ShapeError("batchNorm1d", `Expected more than 1 value per channel when training, got input size ${fmtShape(input.shape)}`, [input.shape]);
    }
    const dims = input.ndim === 2 ? [0] : [0, 2];
    const mean = input.mean(dims, true);
    const centered = input.sub(mean);
    const variance = centered.square().mean(dims, true);
    xhat = centered.div(variance.add(eps).sqrt());
    if (runningMean && runningVar) {
      noGrad(() => {
        const rm = runningMean.data, rv = runningVar.data;
        for (let c = 0; c < C; c++) {
          rm[c] = momentum * mean.data[c]! + (1 - momentum) * rm[c]!;
          rv[c] = momentum * variance.data[c]! * (n / (n - 1)) + (1 - momentum) * rv[c]!;
        }
      });
    }
  } else {
    xhat = input.sub(runningMean!.reshape(shape)).div(runningVar!.reshape(shape).add(eps).sqrt());
  }
  if (weight) xhat = xhat.mul(weight.reshape(shape));
  if (bias) xhat = xhat.add(bias.reshape(shape));
  return xhat;
}

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1); `null` for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` and shift `bias` (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them eval mode uses batch statistics too. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalization over a 2-D or 3-D input, per channel:
 *
 *   y = (x − E[x]) / √(Var[x] + eps) · weight + bias
 *
 * In training mode (and always when `trackRunningStats` is false) E and Var are the mean and the
 * biased variance over N (and L) of the current batch, and the gradient flows through them. Each
 * training step also updates the running statistics, using the unbiased variance (`·n/(n−1)`):
 *   running = (1 − momentum)·running + momentum·batch
 * or, with `momentum: null`, the cumulative average `running += (batch − running) / numBatchesTracked`.
 * In eval mode with tracked statistics, E and Var are `running_mean` and `running_var`.
 *
 * Shapes: input `[N, C]` or `[N, C, L]` (C = numFeatures), output the same shape.
 * Parameters: `weight` `[C]` (ones) and `bias` `[C]` (zeros) when `affine`.
 * Buffers: `running_mean` `[C]` (zeros), `running_var` `[C]` (ones) and `num_batches_tracked` (0-d)
 * when `trackRunningStats`. Defaults as PyTorch: eps 1e-5, momentum 0.1.
 *
 * Porting from TF.js or Keras: their BatchNormalization defaults to momentum 0.99 and epsilon 1e-3,
 * with the opposite convention `running = m·running + (1 − m)·batch`; Keras momentum m is PyTorch
 * momentum `1 − m`.
 * @example
 * const bn = new nn.BatchNorm1d(8);
 * const y = bn.forward(randn([32, 8, 20]));   // training: batch statistics, running stats updated
 * bn.eval(); bn.forward(randn([4, 8]));        // eval: running statistics
 * @see https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html
 */
export class BatchNorm1d extends Module implements TensorModule {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  /**
   * Training steps seen, a 0-d int32 tensor.
   * NOTE: PyTorch stores int64; a PyTorch checkpoint still loads, since safetensors I64 converts to int32.
   */
  readonly numBatchesTracked: Tensor | null;

  constructor(readonly numFeatures: number, options: BatchNormOptions = {}) {
    super();
    checkOptions("BatchNorm1d", options, { eps: true, momentum: true, affine: true, trackRunningStats: true });
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = options;
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`BatchNorm1d: numFeatures must be a positive integer, got ${numFeatures}`);
    if (!(eps >= 0)) throw new Error(`BatchNorm1d: eps must be a non-negative number, got ${eps}`);
    if (momentum !== null && typeof momentum !== "number") throw new Error(`BatchNorm1d: momentum must be a number or null, got ${String(momentum)}`);
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = this.registerParameter("weight", affine ? ones([numFeatures]) : null);
    this.bias = this.registerParameter("bias", affine ? zeros([numFeatures]) : null);
    this.runningMean = this.registerBuffer("running_mean", trackRunningStats ? zeros([numFeatures]) : null);
    this.runningVar = this.registerBuffer("running_var", trackRunningStats ? ones([numFeatures]) : null);
    this.numBatchesTracked = this.registerBuffer("num_batches_tracked", trackRunningStats ? zeros([], { dtype: "int32" }) : null);
  }

  /** Running mean 0, running variance 1, no batches seen. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    this.runningMean!.data.fill(0);
    this.runningVar!.data.fill(1);
    this.numBatchesTracked!.data.fill(0);
  }

  /** Resets the running statistics, weight to ones and bias to zeros. */
  resetParameters(): void {
    this.resetRunningStats();
    this.weight?.data.fill(1);
    this.bias?.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    channelShape("BatchNorm1d", x, this.numFeatures, "numFeatures");
    // Batch statistics in training mode, and in eval mode too when no running statistics are kept.
    const batchStats = this.training || !this.runningMean;
    // NOTE: checked before counting the batch; PyTorch increments num_batches_tracked and then raises.
    if (batchStats && x.numel() === this.numFeatures) {
      throw new ShapeError("BatchNorm1d", `Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`, [x.shape]);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      const count = this.numBatchesTracked.data;
      count[0] = count[0]! + 1;
      if (this.momentum === null) factor = 1 / count[0]!;
    }
    return batchNorm1d(x, this.runningMean, this.runningVar, this.weight, this.bias, batchStats, factor, this.eps);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

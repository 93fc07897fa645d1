import { checkHyper, Optimizer, stateBuffer, withDefaults, type OptimizerParams, type ParamGroup } from "./optimizer.js";

export interface RMSpropOptions {
  /** Learning rate. Default 0.01. */
  lr: number;
  /** Smoothing constant of the running average of the squared gradient. Default 0.99. */
  alpha: number;
  /** Added to the denominator for numerical stability. Default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. Default false. */
  centered: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

const DEFAULTS: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

/**
 * RMSprop (Hinton's lecture 6e), PyTorch's single-tensor algorithm.
 *
 * For each parameter p with gradient g:
 *   g = -g if maximize;  g = g + weightDecay * p
 *   v = alpha * v + (1 - alpha) * g^2
 *   if centered: gAvg = alpha * gAvg + (1 - alpha) * g;  avg = sqrt(v - gAvg^2) + eps
 *   else:        avg = sqrt(v) + eps
 *   if momentum > 0: buf = momentum * buf + g / avg;  p = p - lr * buf
 *   else:            p = p - lr * g / avg
 *
 * Defaults: lr 0.01, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false, maximize false.
 * State per parameter: `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered);
 * all buffers start at zero.
 *
 * @example
 * const opt = new optim.RMSprop(model.parameters(), { lr: 1e-3, alpha: 0.9 });
 * @see https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: OptimizerParams<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, withDefaults("RMSprop", DEFAULTS, options));
  }

  protected override checkGroup(g: ParamGroup<RMSpropOptions>): void {
    checkHyper("RMSprop", g.lr >= 0, "learning rate", g.lr, "must be >= 0");
    checkHyper("RMSprop", g.eps >= 0, "epsilon value", g.eps, "must be >= 0");
    checkHyper("RMSprop", g.momentum >= 0, "momentum value", g.momentum, "must be >= 0");
    checkHyper("RMSprop", g.weightDecay >= 0, "weight_decay value", g.weightDecay, "must be >= 0");
    checkHyper("RMSprop", g.alpha >= 0, "alpha value", g.alpha, "must be >= 0");
  }

  protected update(): void {
    this.eachParam((p, g, { lr, alpha, eps, weightDecay, momentum, centered, maximize }) => {
      const s = this.stateOf(p);
      s.step = ((s.step as number | undefined) ?? 0) + 1;
      const sq = stateBuffer(s, "square_avg", p);
      const buf = momentum > 0 ? stateBuffer(s, "momentum_buffer", p) : null;
      const gAvg = centered ? stateBuffer(s, "grad_avg", p) : null;
      const x = p.data;
      for (let i = 0; i < x.length; i++) {
        let gi = maximize ? -g[i]! : g[i]!;
        if (weightDecay !== 0) gi += weightDecay * x[i]!;
        sq[i] = alpha * sq[i]! + (1 - alpha) * gi * gi;
        let avg: number;
        if (gAvg) {
          gAvg[i] = alpha * gAvg[i]! + (1 - alpha) * gi;
          avg = Math.sqrt(sq[i]! - gAvg[i]! * gAvg[i]!) + eps;
        } else {
          avg = Math.sqrt(sq[i]!) + eps;
        }
        if (buf) {
          buf[i] = momentum * buf[i]! + gi / avg;
          x[i] = x[i]! - lr * buf[i]!;
        } else {
          x[i] = x[i]! - (lr * gi) / avg;
        }
      }
    });
  }
}

import { checkHyper, Optimizer, stateBuffer, withDefaults, type OptimizerParams, type ParamGroup, type ParamState } from "./optimizer.js";
import { getBackend } from "../backend/index.js";
import type { FloatBuf } from "../dtype.js";
import type { Tensor } from "../tensor.js";

export interface AdamOptions {
  /** Learning rate. Default 1e-3. */
  lr: number;
  /** Decay rates of the running averages of the gradient and of its square. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator for numerical stability. Default 1e-8. */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay rate (default 0.01). */
  weightDecay: number;
  /** Use the AMSGrad variant (the running maximum of the second moment). Default false. */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}
export type AdamWOptions = AdamOptions;

const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
const ADAMW_DEFAULTS: AdamWOptions = { ...ADAM_DEFAULTS, weightDecay: 1e-2 };

function checkAdam(name: string, g: ParamGroup<AdamOptions>): void {
  checkHyper(name, g.lr >= 0, "learning rate", g.lr, "must be >= 0");
  checkHyper(name, g.eps >= 0, "epsilon value", g.eps, "must be >= 0");
  checkHyper(name, g.betas[0] >= 0 && g.betas[0] < 1, "beta parameter at index 0", g.betas[0], "must be in [0, 1)");
  checkHyper(name, g.betas[1] >= 0 && g.betas[1] < 1, "beta parameter at index 1", g.betas[1], "must be in [0, 1)");
  checkHyper(name, g.weightDecay >= 0, "weight_decay value", g.weightDecay, "must be >= 0");
}

/**
 * One Adam or AdamW update of `p` (PyTorch 1.13's `_single_tensor_adam(w)`); `decoupled` selects AdamW.
 * The buffers are typed arrays of p's dtype, so they round like PyTorch's; the arithmetic is float64.
 */
function adamUpdate(p: Tensor, g: FloatBuf, s: ParamState, o: ParamGroup<AdamOptions>, decoupled: boolean): void {
  const { lr, eps, weightDecay, amsgrad, maximize } = o;
  const [beta1, beta2] = o.betas;
  const step = ((s.step as number | undefined) ?? 0) + 1;
  s.step = step;
  const m = stateBuffer(s, "exp_avg", p);
  const v = stateBuffer(s, "exp_avg_sq", p);
  const vMax = amsgrad ? stateBuffer(s, "max_exp_avg_sq", p) : null;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const decay = 1 - lr * weightDecay;
  const x = p.data;
  if (getBackend().adam?.(x as FloatBuf, g, m, v, vMax, { lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, decoupled, maximize })) return;
  if (!maximize && !decoupled && weightDecay === 0 && !vMax) {
    // The common case without branches in the loop: about twice as fast on large embeddings.
    const b1 = 1 - beta1;
    const b2 = 1 - beta2;
    const invBc2 = 1 / bc2Sqrt;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i]!;
      const mi = beta1 * m[i]! + b1 * gi;
      const vi = beta2 * v[i]! + b2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      x[i] = x[i]! - (stepSize * mi) / (Math.sqrt(vi) * invBc2 + eps);
    }
    return;
  }
  for (let i = 0; i < x.length; i++) {
    let gi = maximize ? -g[i]! : g[i]!;
    if (decoupled) x[i] = x[i]! * decay;
    else if (weightDecay !== 0) gi += weightDecay * x[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * gi;
    v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
    let vi = v[i]!;
    if (vMax) vi = vMax[i] = Math.max(vMax[i]!, vi);
    x[i] = x[i]! - (stepSize * m[i]!) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/**
 * Adam: adaptive moment estimation (PyTorch's single-tensor algorithm).
 *
 * For each parameter p with gradient g, at step t (counted per parameter from 1):
 *   g = -g if maximize;  g = g + weightDecay * p
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   vHat = max(vHat, v) if amsgrad, else v
 *   p = p - (lr / (1 - beta1^t)) * m / (sqrt(vHat) / sqrt(1 - beta2^t) + eps)
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false, maximize false.
 * State per parameter: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
 *
 * @example
 * const opt = new optim.Adam(model.parameters(), { lr: 3e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
 * @see https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: OptimizerParams<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, withDefaults("Adam", ADAM_DEFAULTS, options));
  }

  protected override checkGroup(g: ParamGroup<AdamOptions>): void {
    checkAdam("Adam", g);
  }

  protected update(): void {
    this.eachParam((p, g, group) => adamUpdate(p, g, this.stateOf(p), group, false));
  }
}

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's single-tensor algorithm.
 *
 * For each parameter p with gradient g, at step t:
 *   p = p * (1 - lr * weightDecay)
 *   then Adam's update with that p, and no weight decay added to g.
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01, amsgrad false, maximize false.
 * State per parameter: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
 *
 * @example
 * const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
 * @see https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: OptimizerParams<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, withDefaults("AdamW", ADAMW_DEFAULTS, options));
  }

  protected override checkGroup(g: ParamGroup<AdamWOptions>): void {
    checkAdam("AdamW", g);
  }

  protected update(): void {
    this.eachParam((p, g, group) => adamUpdate(p, g, this.stateOf(p), group, true));
  }
}

import { checkHyper, Optimizer, stateBuffer, withDefaults, type OptimizerParams, type ParamGroup } from "./optimizer.js";

export interface SGDOptions {
  /** Learning rate. Default 1e-3. */
  lr: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Dampening for momentum. Default 0. */
  dampening: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize: boolean;
}

// NOTE: PyTorch 1.13 requires `lr` for SGD; 1e-3 is the default PyTorch adopted in 2.2.
const DEFAULTS: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/**
 * Stochastic gradient descent, optionally with momentum (PyTorch's single-tensor algorithm).
 *
 * For each parameter p with gradient g:
 *   g = -g if maximize;  g = g + weightDecay * p
 *   if momentum != 0:
 *     buf = g on the first step, else buf = momentum * buf + (1 - dampening) * g
 *     g = g + momentum * buf if nesterov, else g = buf
 *   p = p - lr * g
 *
 * Defaults: lr 1e-3, momentum 0, dampening 0, weightDecay 0, nesterov false, maximize false.
 * State per parameter: `momentum_buffer` (only when momentum != 0).
 * NOTE: with momentum 0 no state is kept; PyTorch stores `momentum_buffer: None`.
 *
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * @see https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: OptimizerParams<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, withDefaults("SGD", DEFAULTS, options));
  }

  protected override checkGroup(g: ParamGroup<SGDOptions>): void {
    checkHyper("SGD", g.lr >= 0, "learning rate", g.lr, "must be >= 0");
    checkHyper("SGD", g.momentum >= 0, "momentum value", g.momentum, "must be >= 0");
    checkHyper("SGD", g.weightDecay >= 0, "weight_decay value", g.weightDecay, "must be >= 0");
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new RangeError(`SGD: Nesterov momentum requires a momentum and zero dampening (got momentum=${g.momentum}, dampening=${g.dampening})`);
    }
  }

  protected update(): void {
    this.eachParam((p, g, { lr, momentum, dampening, weightDecay, nesterov, maximize }) => {
      const x = p.data;
      let buf = null;
      let first = false;
      if (momentum !== 0) {
        const s = this.stateOf(p);
        first = !("momentum_buffer" in s);
        buf = stateBuffer(s, "momentum_buffer", p);
      }
      for (let i = 0; i < x.length; i++) {
        let d = maximize ? -g[i]! : g[i]!;
        if (weightDecay !== 0) d += weightDecay * x[i]!;
        if (buf) {
          // The first step copies the gradient into the buffer: no dampening, as in PyTorch.
          buf[i] = first ? d : momentum * buf[i]! + (1 - dampening) * d;
          d = nesterov ? d + momentum * buf[i]! : buf[i]!;
        }
        x[i] = x[i]! - lr * d;
      }
    });
  }
}


/** Gradient clipping, as in PyTorch's `torch/nn/utils/clip_grad.py`. Gradients are changed in place. */
import { Tensor } from "../../tensor.js";
import { describeValue } from "../../options.js";

function gradsOf(op: string, parameters: Iterable<Tensor> | Tensor): Tensor[] {
  if (!(parameters instanceof Tensor) && typeof (parameters as Partial<Iterable<Tensor>> | null)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`${op}: parameters must be a Tensor or an iterable of Tensors, got ${describeValue(parameters)}`);
  }
  const params = parameters instanceof Tensor ? [parameters] : [...parameters];
  return params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/** A clipping bound must be a number >= 0 (Infinity: no clipping); NaN would turn every gradient into NaN. */
function checkBound(op: string, what: string, v: unknown): void {
  if (typeof v !== "number" || !(v >= 0)) throw new TypeError(`${op}: ${what} must be a number >= 0, got ${describeValue(v)}`);
}

/** The p-norm of `x` (PyTorch's `vector_norm`): p = Infinity is max |x|, -Infinity min |x|, 0 counts non-zeros. */
function vectorNorm(x: ArrayLike<number>, p: number): number {
  let acc = p === -Infinity ? Infinity : 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (Number.isNaN(a)) return NaN;
    if (p === Infinity) acc = Math.max(acc, a);
    else if (p === -Infinity) acc = Math.min(acc, a);
    else if (p === 0) acc += a !== 0 ? 1 : 0;
    else if (p === 1) acc += a;
    else if (p === 2) acc += a * a;
    else acc += a ** p;
  }
  if (p === 2) return Math.sqrt(acc);
  return p === 1 || p === 0 || !Number.isFinite(p) ? acc : acc ** (1 / p);
}

/**
 * Scales all gradients together so that their global norm is at most `maxNorm`, in place.
 *
 * total = ‖[‖g_1‖_p, …, ‖g_n‖_p]‖_p over the parameters whose grad is not null (as if all
 * gradients were concatenated into one vector); coef = min(maxNorm / (total + 1e-6), 1); every
 * grad is multiplied by coef, even when coef is 1. Returns `total`, the norm before clipping.
 *
 * @param normType the p of the norm: a number, or Infinity / "inf" for the max-norm. Default 2.
 * @param errorIfNonfinite throw when the total norm is NaN or ±Infinity instead of scaling by it. Default false.
 * @returns the total norm before clipping; 0 when no parameter has a gradient.
 * NOTE: returns a number, where PyTorch returns a 0-d tensor; a NaN or negative maxNorm, which
 * PyTorch takes (and turns every gradient into NaN or flips it), is an error here.
 *
 * @example
 * loss.backward();
 * nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * opt.step();
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
 */
export function clipGradNorm_(parameters: Iterable<Tensor> | Tensor, maxNorm: number, normType: number | "inf" = 2, errorIfNonfinite = false): number {
  const p = normType === "inf" ? Infinity : normType;
  if (typeof p !== "number" || Number.isNaN(p)) throw new TypeError(`clipGradNorm_: normType must be a number or "inf", got ${String(normType)}`);
  checkBound("clipGradNorm_", "maxNorm", maxNorm);
  if (typeof errorIfNonfinite !== "boolean") throw new TypeError(`clipGradNorm_: errorIfNonfinite must be a boolean, got ${describeValue(errorIfNonfinite)}`);
  const grads = gradsOf("clipGradNorm_", parameters);
  if (grads.length === 0) return 0;
  const total = vectorNorm(grads.map((g) => vectorNorm(g.data, p)), p);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `clipGradNorm_: the total norm of order ${p} for gradients from parameters is non-finite (${total}), so it cannot be clipped. ` +
        "To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite=false",
    );
  }
  // Scaling by a coefficient of 1 too mirrors PyTorch, which avoids the branch to spare a device sync.
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const g of grads) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! * coef;
  }
  return total;
}

/**
 * Clamps every gradient element to [-clipValue, clipValue], in place. Parameters whose grad is null
 * are skipped. A NaN or negative clipValue is an error (PyTorch would make every gradient NaN or -clipValue).
 *
 * @example
 * nn.utils.clipGradValue_(model.parameters(), 0.5);
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_value_.html
 */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  checkBound("clipGradValue_", "clipValue", clipValue);
  const lo = -clipValue;
  for (const g of gradsOf("clipGradValue_", parameters)) {
    const d = g.data;
    // min(max(x, lo), hi), like torch.clamp: NaN stays NaN.
    for (let i = 0; i < d.length; i++) d[i] = Math.min(Math.max(d[i]!, lo), clipValue);
  }
}

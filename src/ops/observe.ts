/** Seeing gradients as they pass: the identity op whose backward reports what flows through it. */
import { record } from "../autograd.js";
import { Tensor } from "../tensor.js";

/**
 * Returns `x` unchanged (sharing its data). During backward, `fn` receives the gradient arriving at
 * this point, summed over every use of the result, and the gradient passes on to `x` unchanged.
 * Diagnostics only (`nn.gradientFlow` observes each step's state with it).
 */
export function observeGrad(x: Tensor, fn: (grad: Tensor) => void): Tensor {
  const out = new Tensor(x.data, x.shape);
  out._version = x._version;
  record("observeGrad", [x], [out], ([dy]) => {
    if (dy) fn(dy);
    return [dy ?? null];
  }, []);
  return out;
}

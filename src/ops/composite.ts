/** Ops composed from primitives: they need no kernel and no backward of their own. */
import { isGradEnabled } from "../autograd.js";
import { defaultGenerator, type Generator } from "../random.js";
import { fmtShape, ShapeError } from "../shape.js";
import { rand, Tensor } from "../tensor.js";

export function softmax(x: Tensor, dim: number): Tensor {
  const m = x.detach().max(dim, true);
  const e = x.sub(m).exp();
  return e.div(e.sum(dim, true));
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.sub(x.logsumexp(dim, true));
}

/** `x @ weight^T + bias`, with weight `[out, in]` as in PyTorch. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inF = weight.shape[1]!;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError("linear", `input.shape[-1] must equal inFeatures. Expected ${inF}, got ${x.shape[x.ndim - 1]} (input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)})`, [x.shape, weight.shape]);
  }
  const y = x.matmul(weight.t());
  return bias ? y.add(bias) : y;
}

/**
 * Inverted dropout: zeroes each element with probability `p` and scales the rest by `1/(1-p)`.
 * Identity when not training or when `p` is 0.
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { dtype: x.dtype === "int32" ? "float32" : x.dtype, generator }).ge(p);
  return x.mul(keep.div(1 - p));
}

export { isGradEnabled };

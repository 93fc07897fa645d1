/** In-place initialisers, as in `torch.nn.init`: each runs the tensor's in-place op under `noGrad` and returns it. */
import { noGrad } from "../autograd.js";
import { defaultGenerator, type Generator } from "../random.js";
import { fmtShape, numel, ShapeError } from "../shape.js";
import type { Tensor } from "../tensor.js";

export function uniform_(t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  return noGrad(() => t.uniform_(a, b, generator));
}

export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  return noGrad(() => t.normal_(mean, std, generator));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** `[fanIn, fanOut]` of a weight, as PyTorch computes them (`[out, in, *kernel]`). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ShapeError("init", `fan in and fan out can not be computed for tensor with fewer than 2 dimensions, got ${fmtShape(t.shape)}`, [t.shape]);
  const receptive = numel(t.shape.slice(2));
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

/** Kaiming (He) uniform for leaky-ReLU gain with slope `a`: U(±√(6 / ((1 + a²) fanIn))). */
export function kaimingUniform_(t: Tensor, a = 0, generator: Generator = defaultGenerator): Tensor {
  const [fanIn] = calculateFanInAndFanOut(t);
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fanIn));
  return uniform_(t, -bound, bound, generator);
}

/** Glorot uniform: U(±gain·√(6 / (fanIn + fanOut))). */
export function xavierUniform_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, generator);
}

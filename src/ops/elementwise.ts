/**
 * Elementwise primitives. Each one checks shapes, runs its kernel and declares its backward in
 * Tensor ops, in one place. Broadcast gradients are summed back to input shapes by autograd.
 */
import { record } from "../autograd.js";
import { getBackend, type BinaryOp, type UnaryOp } from "../backend/index.js";
import { allocBuf, type DType } from "../dtype.js";
import { broadcastShapes, type Shape } from "../shape.js";
import { asTensor, promoteTypes, Tensor, type TensorLike } from "../tensor.js";

function unaryKernel(op: UnaryOp, x: Tensor, dtype: DType = x.dtype === "int32" && op !== "neg" && op !== "abs" && op !== "sign" && op !== "square" && op !== "relu" ? "float32" : x.dtype): Tensor {
  const src = dtype === x.dtype ? x : x.to(dtype);
  const out = allocBuf(dtype, x.numel());
  getBackend().unary(op, src.data, out);
  return new Tensor(out, x.shape);
}

/** Expands an operand so both sides have the same rank (the kernels want equal ranks). */
function padRank(shape: Shape, n: number): number[] {
  return [...new Array<number>(n - shape.length).fill(1), ...shape];
}

function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor, dtype?: DType): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const dt = dtype ?? promoteTypes(a.dtype, b.dtype);
  const ca = a.dtype === dt ? a : a.detach().to(dt);
  const cb = b.dtype === dt ? b : b.detach().to(dt);
  const out = allocBuf(dt, shape.reduce((p, d) => p * d, 1));
  getBackend().binary(op, ca.data, padRank(a.shape, shape.length), cb.data, padRank(b.shape, shape.length), out, shape);
  return new Tensor(out, shape);
}

/** `saves`: which of input and result the backward reads (checked against in-place changes). */
function unaryOp(op: UnaryOp, saves: "x" | "y" | null, backward: (x: Tensor, y: Tensor, dy: Tensor) => Tensor) {
  return (x: Tensor): Tensor => {
    const y = unaryKernel(op, x);
    return record(op, [x], [y], ([dy]) => [backward(x, y, dy!)], saves === "x" ? [x] : saves === "y" ? [y] : [])[0];
  };
}

export const neg = unaryOp("neg", null, (_x, _y, dy) => dy.neg());
export const exp = unaryOp("exp", "y", (_x, y, dy) => dy.mul(y));
export const log = unaryOp("log", "x", (x, _y, dy) => dy.div(x));
export const tanh = unaryOp("tanh", "y", (_x, y, dy) => dy.mul(y.square().neg().add(1)));
export const sigmoid = unaryOp("sigmoid", "y", (_x, y, dy) => dy.mul(y.mul(y.neg().add(1))));
export const relu = unaryOp("relu", "y", (_x, y, dy) => dy.mul(y.gt(0)));
export const abs = unaryOp("abs", "x", (x, _y, dy) => dy.mul(x.sign()));
export const sqrt = unaryOp("sqrt", "y", (_x, y, dy) => dy.div(y.mul(2)));
export const square = unaryOp("square", "x", (x, _y, dy) => dy.mul(x.mul(2)));
export const reciprocal = unaryOp("reciprocal", "y", (_x, y, dy) => dy.mul(y.square()).neg());
export const sin = unaryOp("sin", "x", (x, _y, dy) => dy.mul(x.cos()));
export const cos = unaryOp("cos", "x", (x, _y, dy) => dy.mul(x.sin()).neg());

/** The sign (-1, 0, 1); not differentiable (zero gradient), as in PyTorch. */
export function sign(x: Tensor): Tensor {
  return unaryKernel("sign", x);
}

/** `x` where `x > 0`, else `negativeSlope * x` (PyTorch's default slope is 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const xf = x.dtype === "int32" ? x.float() : x;
  const out = allocBuf(xf.dtype, x.numel());
  getBackend().leakyRelu(xf.data as Float32Array, negativeSlope, out as Float32Array);
  const y = new Tensor(out, x.shape);
  return record("leakyRelu", [xf], [y], ([dy]) => {
    // The derivative at exactly 0 is the slope: PyTorch tests x > 0.
    const pos = xf.gt(0);
    return [dy!.mul(pos.add(pos.neg().add(1).mul(negativeSlope)))];
  }, [xf])[0];
}

/** Clamps to [min, max] (either may be null); the gradient passes where the input was inside. */
export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  if (min !== null && max !== null && min > max) throw new Error(`clamp: min (${min}) must not exceed max (${max})`);
  let y = x.detach();
  if (min !== null) y = binaryKernel("maximum", y, asTensor(min, x), x.dtype);
  if (max !== null) y = binaryKernel("minimum", y, asTensor(max, x), x.dtype);
  return record("clamp", [x], [y], ([dy]) => {
    let mask = dy!;
    if (min !== null) mask = mask.mul(x.ge(min));
    if (max !== null) mask = mask.mul(x.le(max));
    return [mask];
  }, [x])[0];
}

export function add(a: Tensor, b: TensorLike): Tensor {
  const bt = asTensor(b, a);
  const y = binaryKernel("add", a, bt);
  return record("add", [a, bt], [y], ([dy]) => [dy!, dy!], [])[0];
}

export function sub(a: Tensor, b: TensorLike): Tensor {
  const bt = asTensor(b, a);
  const y = binaryKernel("sub", a, bt);
  return record("sub", [a, bt], [y], ([dy]) => [dy!, dy!.neg()], [])[0];
}

export function mul(a: Tensor, b: TensorLike): Tensor {
  const bt = asTensor(b, a);
  const y = binaryKernel("mul", a, bt);
  return record("mul", [a, bt], [y], ([dy]) => [a.requiresGrad ? dy!.mul(bt) : null, bt.requiresGrad ? dy!.mul(a) : null], [a.requiresGrad ? bt : null, bt.requiresGrad ? a : null])[0];
}

export function div(a: Tensor, b: TensorLike): Tensor {
  const bt = asTensor(b, a);
  const dt = promoteTypes(a.dtype, bt.dtype) === "int32" ? "float32" : undefined;
  const y = binaryKernel("div", a, bt, dt);
  return record("div", [a, bt], [y], ([dy]) => [dy!.div(bt), bt.requiresGrad ? dy!.mul(y).div(bt).neg() : null], [bt, bt.requiresGrad ? y : null])[0];
}

export function pow(a: Tensor, b: TensorLike): Tensor {
  const bt = asTensor(b, a);
  const y = binaryKernel("pow", a, bt);
  return record("pow", [a, bt], [y], ([dy]) => [
    dy!.mul(bt).mul(a.pow(bt.sub(1))),
    bt.requiresGrad ? dy!.mul(y).mul(a.log()) : null,
  ], [a, bt, bt.requiresGrad ? y : null])[0];
}

function minmax(op: "maximum" | "minimum") {
  return (a: Tensor, b: TensorLike): Tensor => {
    const bt = asTensor(b, a);
    const y = binaryKernel(op, a, bt);
    // Ties split the gradient evenly, as PyTorch does.
    return record(op, [a, bt], [y], ([dy]) => {
      const wa = op === "maximum" ? a.gt(bt) : a.lt(bt);
      const tie = a.eq(bt).mul(0.5);
      const ga = wa.add(tie);
      return [dy!.mul(ga), dy!.mul(ga.neg().add(1))];
    }, [a, bt])[0];
  };
}
export const maximum = minmax("maximum");
export const minimum = minmax("minimum");

/** Comparison: 1 where true and 0 where false, in the promoted dtype. Not differentiable. */
export function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", a: Tensor, b: TensorLike): Tensor {
  return binaryKernel(op, a, asTensor(b, a));
}

export function clone(x: Tensor): Tensor {
  const y = new Tensor(x.data.slice(), x.shape);
  return record("clone", [x], [y], ([dy]) => [dy!], [])[0];
}

/** Converts dtype; float-to-float conversions pass the gradient back in the source dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  const out = allocBuf(dtype, x.numel());
  getBackend().cast(x.data, out);
  const y = new Tensor(out, x.shape);
  if (dtype === "int32") return y;
  return record("cast", [x], [y], ([dy]) => [dy!.to(x.dtype)], [])[0];
}

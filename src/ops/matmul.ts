/** Matrix products. `bmm` is the primitive; `matmul` adds PyTorch's 1-D and broadcasting rules. */
import { adoptableGradient, record } from "../autograd.js";
import { getBackend } from "../backend/index.js";
import { allocBuf, type FloatBuf } from "../dtype.js";
import { broadcastShapes, fmtShape, numel, ShapeError } from "../shape.js";
import { Tensor } from "../tensor.js";

/**
 * Batched product of 3-D tensors, `op(a[i]) @ op(b[i])`, where `op` transposes the last two axes
 * when asked. A batch of size 1 on one side is shared by every product.
 */
export function bmm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) throw new ShapeError("bmm", `expected 3-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`, [a.shape, b.shape]);
  checkMatmulDtypes("bmm", a, b);
  const [ba, a1, a2] = a.shape as [number, number, number];
  const [bb, b1, b2] = b.shape as [number, number, number];
  const m = transA ? a2 : a1;
  const k = transA ? a1 : a2;
  const kb = transB ? b2 : b1;
  const n = transB ? b1 : b2;
  if (k !== kb) throw new ShapeError("matmul", `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${k} vs ${kb})`, [a.shape, b.shape]);
  if (ba !== bb && ba !== 1 && bb !== 1) throw new ShapeError("bmm", `batch sizes differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`, [a.shape, b.shape]);
  const batch = Math.max(ba, bb);
  const out = allocBuf(a.dtype, batch * m * n) as FloatBuf;
  getBackend().matmul(a.data as FloatBuf, b.data as FloatBuf, out, m, k, n, transA, transB, batch, ba === 1 ? 0 : m * k, bb === 1 ? 0 : k * n);
  const y = new Tensor(out, [batch, m, n]);
  // The gradients are fresh products that nothing else holds.
  return record("bmm", [a, b], [y], ([dy]) => [
    a.requiresGrad ? adoptableGradient(transA ? bmm(b, dy!, transB, true) : bmm(dy!, b, false, !transB)) : null,
    b.requiresGrad ? adoptableGradient(transB ? bmm(dy!, a, true, transA) : bmm(a, dy!, !transA, false)) : null,
  ], [a.requiresGrad ? b : null, b.requiresGrad ? a : null])[0];
}

/** The error PyTorch gives for mixed dtypes, under the op the caller used. */
function checkMatmulDtypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new ShapeError(op, `expected both tensors to have the same dtype, got ${a.dtype} and ${b.dtype}`, [a.shape, b.shape]);
  if (a.dtype === "int32") throw new ShapeError(op, "expected floating point tensors, got int32 and int32 (convert with .float())", [a.shape, b.shape]);
}

/**
 * `torch.matmul`: dot product for two vectors, matrix product for matrices, and a batched product
 * with broadcast batch dimensions otherwise. A 1-D operand gets a dimension added and removed.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkMatmulDtypes("matmul", a, b);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError("matmul", `both arguments need at least one dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`, [a.shape, b.shape]);
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0]) throw new ShapeError("matmul", `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`, [a.shape, b.shape]);
    return matmul(a.unsqueeze(0), b.unsqueeze(1)).reshape([]);
  }
  if (a.ndim === 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.ndim === 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  if (b.shape[b.ndim - 2] !== k) throw new ShapeError("matmul", `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`, [a.shape, b.shape]);
  if (b.ndim === 2) {
    // Fold a's batch dimensions into rows: one large product instead of many small ones.
    const lead = a.shape.slice(0, -1);
    return bmm(a.reshape([1, numel(lead), k]), b.reshape([1, k, n])).reshape([...lead, n]);
  }
  const batchShape = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const bs = numel(batchShape);
  const a3 = a.expand([...batchShape, m, k]).reshape([bs, m, k]);
  const b3 = b.expand([...batchShape, k, n]).reshape([bs, k, n]);
  return bmm(a3, b3).reshape([...batchShape, m, n]);
}

/** Shapes, broadcasting and the one error class that names the shapes involved. */

export type Shape = readonly number[];

/** `[5, 3, 20]`: the way every message in seqtorch prints a shape. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/**
 * A shape or argument error. `op` names the operation or module, `shapes` holds the shapes
 * involved, so callers and tests can inspect the error as data rather than parse the message.
 */
export class ShapeError extends Error {
  readonly op: string;
  readonly shapes: Shape[];
  constructor(op: string, message: string, shapes: Shape[] = []) {
    super(`${op}: ${message}`);
    this.name = "ShapeError";
    this.op = op;
    this.shapes = shapes;
  }
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy/PyTorch broadcasting: align from the right; sizes must match or be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dimension ${i - n}: ${da} vs ${db})`, [a, b]);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Turns a possibly negative dimension into an index in `[0, ndim)`, with PyTorch's message on error. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new ShapeError(op, `dimension out of range. Expected to be in range of [${lo}, ${hi}], got ${dim}`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

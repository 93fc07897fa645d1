import { enableGrad, noGrad } from "../autograd.js";
import type { DType, FloatBuf } from "../dtype.js";
import { Tensor, zeros } from "../tensor.js";
import { checkHyper, Optimizer, withDefaults, type Loss, type OptimizerParams, type ParamGroup, type ParamState } from "./optimizer.js";

export interface LBFGSOptions {
  /** Learning rate (the initial step length of each iteration). Default 1. */
  lr: number;
  /** Most iterations per `step`. Default 20. */
  maxIter: number;
  /** Most closure evaluations per `step`. Default `floor(maxIter * 5 / 4)`. */
  maxEval: number;
  /** Stop when the largest absolute gradient entry is at most this. Default 1e-7. */
  toleranceGrad: number;
  /** Stop when the loss or the step changes by less than this. Default 1e-9. */
  toleranceChange: number;
  /** How many past updates approximate the inverse Hessian. Default 100. */
  historySize: number;
  /** `"strong_wolfe"` for a line search satisfying the strong Wolfe conditions, or null for a fixed step. Default null. */
  lineSearchFn: "strong_wolfe" | null;
}

const DEFAULTS: Omit<LBFGSOptions, "maxEval"> = { lr: 1, maxIter: 20, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null };

type Vec = FloatBuf;
const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const absMax = (a: Vec): number => {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
};
const absSum = (a: Vec): number => {
  let s = 0;
  for (const v of a) s += Math.abs(v);
  return s;
};
const SPLIT = 134217729; // 2^27 + 1
/** `x * y + z` rounded once, as the fused multiply-add PyTorch's `add_(b, alpha)` uses (Dekker's exact product). */
function fma(x: number, y: number, z: number): number {
  const p = x * y;
  if (!Number.isFinite(p) || p === 0) return p + z;
  const [xh, yh] = [x * SPLIT - (x * SPLIT - x), y * SPLIT - (y * SPLIT - y)];
  const [xl, yl] = [x - xh, y - yh];
  const pErr = xh * yh - p + xh * yl + xl * yh + xl * yl;
  const sum = p + z;
  const bv = sum - p;
  return sum + (p - (sum - bv) + (z - bv) + pErr);
}

/** `out = a + alpha * b` as PyTorch's `add_` computes it: fused in float64; float32 products are exact in a double. */
function axpy(out: Vec, a: Vec, alpha: number, b: Vec): Vec {
  if (out instanceof Float32Array) for (let i = 0; i < a.length; i++) out[i] = a[i]! + alpha * b[i]!;
  else for (let i = 0; i < a.length; i++) out[i] = fma(alpha, b[i]!, a[i]!);
  return out;
}
const scaled = (a: Vec, alpha: number): Vec => a.map((v) => v * alpha);

/**
 * The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
 * `bounds` (default: between x1 and x2); the middle of the bounds when the cubic has no minimum.
 * @internal
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square < 0) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2Square);
  const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(minPos, lo), hi);
}

type Objective = (t: number) => [number, Vec];

/**
 * A line search along `d` from the step `t` satisfying the strong Wolfe conditions (PyTorch's
 * `_strong_wolfe`, after minFunc): bracketing, then zooming by cubic interpolation.
 * Returns the loss, the flat gradient and the step length found, and the number of evaluations.
 * @internal
 */
export function strongWolfe(obj: Objective, t: number, d: Vec, f: number, g: Vec, gtd: number, toleranceChange = 1e-9, c1 = 1e-4, c2 = 0.9, maxLs = 25): [number, Vec, number, number] {
  const dNorm = absMax(d);
  let [fNew, gNew] = obj(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);
  let [tPrev, fPrev, gPrev, gtdPrev] = [0, f, g, gtd];
  let done = false;
  let iter = 0;
  let bracket: number[] = [];
  let bf: number[] = [];
  let bg: Vec[] = [];
  let bgtd: number[] = [];
  while (iter < maxLs) {
    if (fNew > f + c1 * t * gtd || (iter > 1 && fNew >= fPrev)) {
      [bracket, bf, bg, bgtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bf, bg, done] = [[t], [fNew], [gNew], true];
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bf, bg, bgtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    const tNext = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [t + 0.01 * (t - tPrev), t * 10]);
    [tPrev, fPrev, gPrev, gtdPrev] = [t, fNew, gNew, gtdNew];
    t = tNext;
    [fNew, gNew] = obj(t);
    evals++;
    gtdNew = dot(gNew, d);
    iter++;
  }
  // PyTorch leaves the slopes of the bracket as they were here; the zoom below cannot run then.
  if (iter === maxLs) [bracket, bf, bg] = [[0, t], [f, fNew], [g, gNew]];

  let insufProgress = false;
  let [low, high] = bf[0]! <= bf[bf.length - 1]! ? [0, 1] : [1, 0];
  while (!done && iter < maxLs) {
    const [b0, b1] = [bracket[0]!, bracket[1]!];
    if (Math.abs(b1 - b0) * dNorm < toleranceChange) break;
    t = cubicInterpolate(b0, bf[0]!, bgtd[0]!, b1, bf[1]!, bgtd[1]!);
    const [bMin, bMax] = [Math.min(b0, b1), Math.max(b0, b1)];
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = obj(t);
    evals++;
    gtdNew = dot(gNew, d);
    iter++;
    if (fNew > f + c1 * t * gtd || fNew >= bf[low]!) {
      [bracket[high], bf[high], bg[high], bgtd[high]] = [t, fNew, gNew, gtdNew];
      [low, high] = bf[0]! <= bf[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
        [bracket[high], bf[high], bg[high], bgtd[high]] = [bracket[low]!, bf[low]!, bg[low]!, bgtd[low]!];
      }
      [bracket[low], bf[low], bg[low], bgtd[low]] = [t, fNew, gNew, gtdNew];
    }
  }
  return [bf[low]!, bg[low]!, bracket[low]!, evals];
}

/**
 * L-BFGS, PyTorch 1.13's `torch.optim.LBFGS` (after minFunc): each `step(closure)` runs up to
 * `maxIter` iterations, each moving along the two-loop-recursion direction from the last
 * `historySize` updates, by `lr` (the first iteration ever: `min(1, 1 / sum|g|) * lr`) or by a strong
 * Wolfe line search. The closure must zero the gradients, compute the loss, call `backward()` and
 * return the loss; step returns the loss of its first evaluation.
 *
 * One parameter group only. The state (`func_evals`, `n_iter`, `d`, `t`, `old_dirs`, `old_stps`,
 * `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`) is kept under the first parameter, as in
 * PyTorch; flat vectors have the parameters' dtype and scalars are numbers.
 *
 * @example
 * const opt = new optim.LBFGS(model.parameters(), { lineSearchFn: "strong_wolfe" });
 * opt.step(() => { opt.zeroGrad(); const loss = lossFn.forward(model.forward(x), y); loss.backward(); return loss; });
 * @see https://pytorch.org/docs/1.13/generated/torch.optim.LBFGS.html
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  protected override readonly stateShapedLikeParams = false;
  private readonly params: Tensor[];
  private readonly dtype: DType;

  constructor(params: OptimizerParams<LBFGSOptions>, options: Partial<LBFGSOptions> = {}) {
    const maxIter = options.maxIter ?? DEFAULTS.maxIter;
    super(params, withDefaults("LBFGS", { ...DEFAULTS, maxEval: Math.floor((maxIter * 5) / 4) }, options));
    this.params = this.paramGroups[0]!.params;
    this.dtype = this.params[0]!.dtype;
  }

  protected override checkGroup(g: ParamGroup<LBFGSOptions>): void {
    checkHyper("LBFGS", g.lr >= 0, "learning rate", g.lr, "must be >= 0");
    checkHyper("LBFGS", Number.isInteger(g.maxIter) && g.maxIter > 0, "max_iter", g.maxIter, "must be a positive integer");
    checkHyper("LBFGS", g.historySize >= 1, "history_size", g.historySize, "must be >= 1");
    if (g.lineSearchFn !== null && g.lineSearchFn !== "strong_wolfe") throw new Error("LBFGS: only 'strong_wolfe' is supported");
  }

  override addParamGroup(group: Parameters<Optimizer<LBFGSOptions>["addParamGroup"]>[0]): void {
    if (this.paramGroups.length > 0) throw new Error("LBFGS: LBFGS doesn't support per-parameter options (parameter groups)");
    super.addParamGroup(group);
  }

  protected update(): void {
    throw new Error("LBFGS: step() requires a closure that re-evaluates the model and returns the loss");
  }

  /** A flat vector of the parameters' dtype: `values` copied (and rounded to it), or zeros of that length. */
  private vec(values: ArrayLike<number> | number): Vec {
    const v = zeros([typeof values === "number" ? values : values.length], { dtype: this.dtype }).data as Vec;
    if (typeof values !== "number") v.set(values);
    return v;
  }

  /** All gradients in one flat vector, zeros for a parameter without one (PyTorch's `_gather_flat_grad`). */
  private flatGrad(): Vec {
    const parts = this.params.map((p) => p.grad?.data ?? new Float64Array(p.numel()));
    const out = this.vec(parts.reduce((n, a) => n + a.length, 0));
    let off = 0;
    for (const a of parts) out.set(a, (off += a.length) - a.length);
    return out;
  }

  private addGrad(t: number, d: Vec): void {
    let off = 0;
    for (const p of this.params) {
      const x = p.data as Vec;
      axpy(x, x, t, d.subarray(off, (off += x.length)));
    }
  }

  private evaluate(closure: () => Loss): number {
    const loss = enableGrad(closure);
    return loss instanceof Tensor ? loss.item() : Number(loss);
  }

  /** Runs up to `maxIter` L-BFGS iterations, calling `closure` to re-evaluate the loss and its gradient. */
  override step<L extends Loss>(closure?: () => L): L {
    if (!closure) throw new TypeError("LBFGS: step() requires a closure that re-evaluates the model and returns the loss");
    return noGrad(() => this.run(closure));
  }

  private run<L extends Loss>(closure: () => L): L {
    const group = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn } = group;
    const r = this.dtype === "float32" ? Math.fround : (v: number): number => v;
    const state = this.stateOf(this.params[0]!);
    state.func_evals ??= 0;
    state.n_iter ??= 0;
    const origLoss = enableGrad(closure);
    let loss = origLoss instanceof Tensor ? origLoss.item() : Number(origLoss);
    let currentEvals = 1;
    state.func_evals = (state.func_evals as number) + 1;
    let flatGrad = this.flatGrad();
    let optCond = absMax(flatGrad) <= toleranceGrad;
    if (optCond) return origLoss;

    const buf = (v: unknown): Vec | null => (v instanceof Tensor ? (v.data as Vec) : null);
    let d = buf(state.d);
    let t = (state.t as number | undefined) ?? 0;
    let oldDirs = ((state.old_dirs as Tensor[] | undefined) ?? []).map((v) => v.data as Vec);
    let oldStps = ((state.old_stps as Tensor[] | undefined) ?? []).map((v) => v.data as Vec);
    let ro = [...((state.ro as number[] | undefined) ?? [])];
    let hDiag = (state.H_diag as number | undefined) ?? 1;
    let prevFlatGrad = buf(state.prev_flat_grad);
    let prevLoss = (state.prev_loss as number | null | undefined) ?? null;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      const n = (state.n_iter = (state.n_iter as number) + 1);
      if (n === 1) {
        d = this.vec(scaled(flatGrad, -1));
        [oldDirs, oldStps, ro, hDiag] = [[], [], [], 1];
      } else {
        const y = this.vec(axpy(new Float64Array(flatGrad.length), flatGrad, -1, prevFlatGrad!));
        const s = this.vec(scaled(d!, t));
        const ys = r(dot(y, s));
        if (ys > 1e-10) {
          if (oldDirs.length === historySize) [oldDirs, oldStps, ro] = [oldDirs.slice(1), oldStps.slice(1), ro.slice(1)];
          oldDirs.push(y);
          oldStps.push(s);
          ro.push(r(1 / ys));
          hDiag = r(ys / r(dot(y, y)));
        }
        const al = (state.al ??= new Array<number | null>(historySize).fill(null)) as number[];
        const q = this.vec(scaled(flatGrad, -1));
        for (let i = oldDirs.length - 1; i >= 0; i--) {
          al[i] = r(r(dot(oldStps[i]!, q)) * ro[i]!);
          axpy(q, q, -al[i]!, oldDirs[i]!);
        }
        d = this.vec(scaled(q, hDiag));
        for (let i = 0; i < oldDirs.length; i++) {
          const be = r(r(dot(oldDirs[i]!, d)) * ro[i]!);
          axpy(d, d, r(al[i]! - be), oldStps[i]!);
        }
      }
      if (prevFlatGrad) prevFlatGrad.set(flatGrad);
      else prevFlatGrad = this.vec(flatGrad);
      prevLoss = loss;

      const inv = r(1 / r(absSum(flatGrad)));
      t = n === 1 && inv < 1 ? r(inv * lr) : lr;
      const gtd = r(dot(flatGrad, d));
      if (gtd > -toleranceChange) break;

      let lsEvals = 0;
      if (lineSearchFn === "strong_wolfe") {
        const x0 = this.params.map((p) => p.data.slice());
        const obj: Objective = (step) => {
          this.addGrad(step, d!);
          const f = this.evaluate(closure);
          const g = this.flatGrad();
          this.params.forEach((p, i) => p.data.set(x0[i]!));
          return [f, g];
        };
        [loss, flatGrad, t, lsEvals] = strongWolfe(obj, t, d, loss, flatGrad, gtd, toleranceChange);
        this.addGrad(t, d);
        optCond = absMax(flatGrad) <= toleranceGrad;
      } else {
        this.addGrad(t, d);
        if (nIter !== maxIter) {
          loss = this.evaluate(closure);
          flatGrad = this.flatGrad();
          optCond = absMax(flatGrad) <= toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      state.func_evals = (state.func_evals as number) + lsEvals;

      if (nIter === maxIter || currentEvals >= maxEval || optCond) break;
      if (absMax(d) * Math.abs(t) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    const asTensor = (v: Vec | null): Tensor | null => (v ? this.tensorOf(v) : null);
    Object.assign<ParamState, ParamState>(state, {
      d: asTensor(d), t, old_dirs: oldDirs.map((v) => this.tensorOf(v)), old_stps: oldStps.map((v) => this.tensorOf(v)),
      ro, H_diag: hDiag, prev_flat_grad: asTensor(prevFlatGrad), prev_loss: prevLoss,
    });
    return origLoss;
  }

  private tensorOf(v: Vec): Tensor {
    const out = zeros([v.length], { dtype: this.dtype });
    out.data.set(v);
    return out;
  }
}

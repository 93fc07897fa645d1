/**
 * One recurrent layer in one direction over a whole sequence, for any cell in the table: the
 * backend's fused kernel where it has one for the kind, otherwise the cell's composed step repeated
 * over time (also when a caller observes every step's state gradient). Both give the same results;
 * `test/cells.test.ts` holds them equal.
 */
import { getBackend } from "../backend/index.js";
import { observeGrad } from "../ops/observe.js";
import { stack } from "../ops/movement.js";
import { recurrentLayer } from "../ops/recurrent.js";
import { Tensor } from "../tensor.js";
import { isFused, kernelSlope, type CellKind } from "./spec.js";
import { cellStep, inputProjection, type CellOptions, type CellWeights } from "./steps.js";

export interface CellLayerOptions {
  reverse?: boolean;
  /** Valid steps per batch element (packed sequences): later steps keep the state and output 0. */
  lengths?: Int32Array | null;
  cell?: CellOptions;
  /**
   * Diagnostics: called during backward with d loss / d h_t `[N, size]` for step t, the gradient of
   * the state the step emits (its output and what the next step receives), zero past a sequence's
   * length. Runs the composed cells.
   */
  onStepGrad?: (t: number, grad: Tensor) => void;
  /** Run the composed cells even where a fused kernel exists (tests, diagnostics). */
  composed?: boolean;
  /** x is `[N, T, I]` and the outputs `[N, T, out]`. */
  batchFirst?: boolean;
}

/**
 * Runs `x` `[T, N, I]` (`[N, T, I]` with batchFirst) from `states` (the table's states, each
 * `[N, size]`) through one layer. Returns the outputs `[T, N, out]` (`[N, T, out]`; at their time
 * positions, also when reversed) and the final states.
 */
export function cellLayer(kind: CellKind, x: Tensor, states: readonly Tensor[], w: CellWeights, options: CellLayerOptions = {}): [Tensor, Tensor[]] {
  const be = getBackend();
  if (isFused(kind) && be.recurrent && !options.onStepGrad && !options.composed) {
    const slope = kernelSlope(kind, options.cell?.negativeSlope);
    const [y, h, c] = recurrentLayer(
      kind, x, states[0]!, states[1] ?? null,
      { wIh: w.weight_ih!, wHh: w.weight_hh!, bIh: w.bias_ih ?? null, bHh: w.bias_hh ?? null, wHr: w.weight_hr ?? null },
      { reverse: options.reverse ?? false, lengths: options.lengths ?? null, slope, batchFirst: options.batchFirst ?? false },
    );
    return [y, c ? [h, c] : [h]];
  }
  if (!options.batchFirst) return composedLayer(kind, x, states, w, options);
  const [y, last] = composedLayer(kind, x.transpose(0, 1), states, w, options);
  return [y.transpose(0, 1), last];
}

function composedLayer(kind: CellKind, x: Tensor, states0: readonly Tensor[], w: CellWeights, options: CellLayerOptions): [Tensor, Tensor[]] {
  const T = x.shape[0]!;
  const N = x.shape[1]!;
  const step = cellStep(kind);
  const o = options.cell ?? {};
  const lengths = options.lengths ?? null;
  const observe = options.onStepGrad;
  let states = [...states0];
  if (T === 0) return [new Tensor(new (x.data.constructor as Float32ArrayConstructor)(0), [0, N, states[0]!.shape[1]!]), states];
  // The input projection does not depend on the recurrence: one product for the whole sequence.
  const xp = inputProjection(x, w);
  const outs = new Array<Tensor>(T);
  for (let k = 0; k < T; k++) {
    const t = options.reverse ? T - 1 - k : k;
    let next = step(xp.select(0, t), states, w, o);
    let mask: Tensor | null = null;
    if (lengths) {
      // Finished sequences keep their state; their output is 0.
      const m = new (x.data.constructor as Float32ArrayConstructor)(N);
      let all = true;
      for (let b = 0; b < N; b++) {
        m[b] = t < lengths[b]! ? 1 : 0;
        if (!m[b]) all = false;
      }
      if (!all) {
        mask = new Tensor(m, [N, 1]);
        const keep = mask.neg().add(1);
        next = next.map((s, i) => s.mul(mask!).add(states[i]!.mul(keep)));
      }
    }
    if (observe) {
      const stepMask = mask;
      next[0] = observeGrad(next[0]!, (g) => observe(t, stepMask ? g.mul(stepMask) : g));
    }
    states = next;
    outs[t] = mask ? next[0]!.mul(mask) : next[0]!;
  }
  return [stack(outs, 0), states];
}

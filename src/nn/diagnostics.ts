/**
 * Making vanishing and exploding gradients visible: `gradientFlow` runs one forward and backward
 * pass and reports how large the loss gradient is at every time step of every recurrent layer, and
 * for every parameter. While it measures, the model's recurrent layers run their composed cells
 * (tested equal to the fused kernels) and report each step's state gradient to an observer set on
 * the layer itself; normal training pays nothing and the kernels know nothing of it.
 */
import type { Tensor } from "../tensor.js";
import type { Module } from "./module.js";
import { RNNBase } from "./rnn.js";
import type { PackedSequence } from "./utils/rnn.js";

export interface HiddenGradientFlow {
  /** The recurrent module's dotted name in the model ("" for the model itself). */
  module: string;
  layer: number;
  direction: "forward" | "reverse";
  /**
   * `norms[t]`: the L2 norm of d loss / d h_t over the batch and features, where h_t is the state
   * the layer emits at time step t (for a reverse direction, t still counts input positions).
   */
  norms: number[];
}

export interface GradientFlow {
  loss: number;
  hidden: HiddenGradientFlow[];
  /** Every parameter's gradient norm (0 for a parameter the loss does not reach). */
  parameters: { name: string; norm: number }[];
}

export interface GradientFlowBatch {
  input: Tensor | PackedSequence;
  target: Tensor;
}

/** A model whose forward returns a tensor, or a tuple whose first element is one (as RNN layers do). */
export interface ForwardModule extends Module {
  forward(input: never, ...rest: never[]): unknown;
}

function l2(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i]! * t.data[i]!;
  return Math.sqrt(s);
}

/**
 * Runs `model.forward(batch.input)`, then `lossFn(output, batch.target)` and its backward pass,
 * recording the gradient norm at every time step of every recurrent layer and of every parameter.
 * Gradients are left in the parameters' `.grad`, as after an ordinary backward pass.
 * @example
 * const flow = gradientFlow(model, { input, target }, (out, y) => nn.functional.mseLoss(out, y));
 * flow.hidden[0].norms; // one number per time step
 */
export function gradientFlow<M extends ForwardModule>(
  model: M,
  batch: GradientFlowBatch,
  lossFn: (output: Tensor, target: Tensor) => Tensor,
): GradientFlow {
  const names = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) names.set(m, name);
  const recurrent = model.modules().filter((m): m is RNNBase => m instanceof RNNBase);
  const flows = new Map<string, HiddenGradientFlow>();
  const previous = recurrent.map((m) => m.stepGradObserver);
  recurrent.forEach((m) => {
    const module = names.get(m) ?? m.constructor.name;
    m.stepGradObserver = (layer, direction, t, steps, dh) => {
      const key = `${layer}/${direction}`;
      let flow = flows.get(`${module}\u0000${key}`);
      if (!flow) {
        flow = { module, layer, direction: direction === 1 ? "reverse" : "forward", norms: new Array<number>(steps).fill(0) };
        flows.set(`${module}\u0000${key}`, flow);
      }
      flow.norms[t] = l2(dh);
    };
  });
  let loss: Tensor;
  try {
    model.zeroGrad();
    const out = (model.forward as (x: unknown) => unknown)(batch.input);
    const first = Array.isArray(out) ? out[0] : out;
    loss = lossFn(first as Tensor, batch.target);
    loss.backward();
  } finally {
    recurrent.forEach((m, i) => (m.stepGradObserver = previous[i]!));
  }
  const hidden = [...flows.values()];
  // Backward visits layers last to first; report them in model order.
  hidden.sort((a, b) => a.module.localeCompare(b.module) || a.layer - b.layer || a.direction.localeCompare(b.direction));
  const parameters = model.namedParameters().map(([name, p]) => ({ name, norm: p.grad ? l2(p.grad) : 0 }));
  return { loss: loss.item(), hidden, parameters };
}

/** True when `m` contains a recurrent layer that `gradientFlow` can observe. */
export function hasRecurrentLayers(m: Module): boolean {
  return m.modules().some((x) => x instanceof RNNBase);
}

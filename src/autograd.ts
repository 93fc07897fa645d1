/**
 * Reverse-mode automatic differentiation. Every op that sees an input requiring a gradient records
 * a `Node`: its inputs, its outputs and a closure that maps output gradients to input gradients.
 * `backward()` walks the nodes in reverse topological order, micrograd-style.
 */
import type { Tensor } from "./tensor.js";

export type BackwardFn = (dys: (Tensor | null)[]) => (Tensor | null)[];

export class Node {
  constructor(
    readonly name: string,
    readonly inputs: readonly Tensor[],
    readonly outputs: Tensor[],
    readonly backward: BackwardFn,
  ) {}
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording any graph, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs `fn` with graph recording switched on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Attaches a backward node to `outputs` when grad mode is on and some input requires a gradient.
 * Returns the outputs for chaining. This is the only place ops touch the graph.
 */
export function record<T extends Tensor[]>(name: string, inputs: readonly Tensor[], outputs: T, backward: BackwardFn): T {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return outputs;
  const node = new Node(name, inputs, outputs, backward);
  outputs.forEach((o, i) => {
    if (o.dtype === "int32") return;
    o._node = node;
    o._outputIndex = i;
    o.requiresGrad = true;
  });
  return outputs;
}

function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // Iterative DFS: recurrent graphs over long sequences would overflow a recursive one.
  const stack: [Node, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const child = node.inputs[i]!._node;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/**
 * Back-propagates from `root` with upstream gradient `grad` and accumulates into the `.grad` of
 * every leaf that requires one. Gradients of broadcast inputs are summed back to their shapes here,
 * once, so no op has to.
 */
export function runBackward(root: Tensor, grad: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error("backward: the tensor does not require grad and has no grad_fn (did you call it inside noGrad, or on a detached tensor?)");
  }
  if (!root._node) {
    accumulateLeaf(root, grad);
    return;
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, grad);
  noGrad(() => {
    for (const node of topoOrder(root._node!)) {
      const dys = node.outputs.map((o) => grads.get(o) ?? null);
      if (dys.every((d) => d === null)) continue;
      for (const o of node.outputs) grads.delete(o);
      const dxs = node.backward(dys);
      node.inputs.forEach((inp, i) => {
        let dx = dxs[i];
        if (!dx || !inp.requiresGrad) return;
        dx = dx.sumToShape(inp.shape);
        if (dx.dtype !== inp.dtype) dx = dx.to(inp.dtype);
        if (inp._node) {
          const prev = grads.get(inp);
          grads.set(inp, prev ? prev.add(dx) : dx);
        } else {
          accumulateLeaf(inp, dx);
        }
      });
    }
  });
}

function accumulateLeaf(leaf: Tensor, dx: Tensor): void {
  if (!leaf.requiresGrad) return;
  leaf.grad = leaf.grad ? leaf.grad.add(dx) : dx.contiguousCopy();
}

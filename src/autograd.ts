/**
 * Reverse-mode automatic differentiation. Every op that sees an input requiring a gradient records
 * a `Node`: its inputs, its outputs, a closure that maps output gradients to input gradients and the
 * versions of the tensors that closure reads. `backward()` walks the nodes in reverse topological
 * order, micrograd-style, checking those versions (in-place ops bump them) and freeing closures
 * unless asked to retain the graph.
 */
import { releaseBuf } from "./dtype.js";
import type { Tensor } from "./tensor.js";

/**
 * Maps output gradients to input gradients; `retainGraph` is true when the graph will be walked
 * again. `into(i)` is the `.grad` of input i where that input is a leaf that already has one: a
 * backward may add input i's gradient into it in place itself (bumping its version) and return null
 * for that input, sparing a buffer per call (ops run once per step of a loop use it for weights).
 */
export type BackwardFn = (dys: (Tensor | null)[], retainGraph: boolean, into: (i: number) => Tensor | null) => (Tensor | null)[];

const TORCH_TYPE = { float32: "FloatTensor", float64: "DoubleTensor", int32: "IntTensor" } as const;

/**
 * One per storage, shared by the tensors that view it. `graphWrites` lists the in-place ops recorded
 * in the graph (the version each produced and the tensor written), so that a tensor whose storage
 * was written through another view can be told apart from one whose history includes the write.
 */
export interface VersionCounter {
  value: number;
  graphWrites?: [number, Tensor][];
}

/** Where an input's gradient goes, fixed when the node is recorded: a node's output, or a leaf. */
interface Edge {
  node: Node | null;
  index: number;
  /** The input itself where it is a leaf; null where a node produced it (the graph keeps no activations of its own). */
  leaf: Tensor | null;
  /** The input's shape and dtype, which its gradient is summed back to. */
  shape: readonly number[];
  dtype: Tensor["dtype"];
}

export class Node {
  /** One per input: null when that input did not require a gradient at record time. */
  readonly edges: (Edge | null)[];
  /**
   * The tensors the backward reads, with their versions and, for the error message, the node and
   * output index that produced each at record time (null for a leaf).
   */
  saved: [Tensor, number, Node | null, number][];
  /** Null once a backward without `retainGraph` has used (and so freed) it. */
  backward: BackwardFn | null;
  readonly outputCount: number;
  constructor(
    readonly name: string,
    inputs: readonly Tensor[],
    outputs: readonly Tensor[],
    backward: BackwardFn,
    saves: readonly (Tensor | null)[],
  ) {
    this.backward = backward;
    this.outputCount = outputs.length;
    // Edges keep shapes, not tensors: an activation stays alive only while a backward has saved it.
    this.edges = inputs.map((t) => (t.requiresGrad ? { node: t._node, index: t._outputIndex, leaf: t._node ? null : t, shape: t.shape, dtype: t.dtype } : null));
    // Only facts are kept here (this runs for every recorded op); the message is built on error.
    this.saved = saves.filter((t): t is Tensor => t !== null).map((t) => {
      const out = outputs.indexOf(t);
      return out >= 0 ? [t, t._version.value, this, out] : [t, t._version.value, t._node, t._outputIndex];
    });
  }
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
 * Returns the outputs for chaining. This is the only place ops touch the graph. `saves` lists the
 * tensors the backward reads (default: every input and output); backward refuses to run when one of
 * them was modified in place since, as PyTorch does for its saved tensors.
 */
export function record<T extends Tensor[]>(name: string, inputs: readonly Tensor[], outputs: T, backward: BackwardFn, saves: readonly (Tensor | null)[] = [...inputs, ...outputs]): T {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return outputs;
  for (const t of inputs) {
    const w = t._version.graphWrites?.find(([v, by]) => v > t._historyVersion && by !== t);
    if (w) {
      throw new Error(
        `${name}: an input [torch.${TORCH_TYPE[t.dtype]} [${t.shape.join(", ")}]] was modified by an in-place op through another view of its storage ([${w[1].shape.join(", ")}]) after it was computed. ` +
          "PyTorch rebases its history onto that op; seqtorch does not: clone() before the in-place op, or apply it to this tensor itself.",
      );
    }
  }
  const node = new Node(name, inputs, outputs, backward, saves);
  outputs.forEach((o, i) => {
    if (o.dtype === "int32") return;
    o._node = node;
    o._outputIndex = i;
    o._historyVersion = o._version.value;
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
    if (i < node.edges.length) {
      top[1]++;
      const child = node.edges[i]?.node;
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

function checkNode(node: Node): BackwardFn {
  if (!node.backward) {
    throw new Error(
      "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). " +
        "Saved intermediate values of the graph are freed when you call .backward(). " +
        "Specify retainGraph: true (backward(gradient, { retainGraph: true })) if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.",
    );
  }
  for (const [t, v, producer, index] of node.saved) {
    if (t._version.value === v) continue;
    const which = producer ? `, which is output ${index} of ${producer.name}` : "";
    throw new Error(
      `one of the variables needed for gradient computation has been modified by an inplace operation: [torch.${TORCH_TYPE[t.dtype]} [${t.shape.join(", ")}]]${which}, ` +
        `is at version ${t._version.value}; expected version ${v} instead. Hint: clone() the tensor before modifying it in place, or use the out-of-place op.`,
    );
  }
  return node.backward;
}

/**
 * Back-propagates from `root` with upstream gradient `grad` and accumulates into the `.grad` of
 * every leaf that requires one. Gradients of broadcast inputs are summed back to their shapes here,
 * once, so no op has to. Gradients flow along the edges fixed at record time, so a tensor modified
 * in place later (and so moved onto a new node) does not redirect the nodes that used its old value.
 * Without `retainGraph`, every node that saved tensors is freed after use, as in PyTorch.
 */
export function runBackward(root: Tensor, grad: Tensor, retainGraph = false): void {
  if (!root.requiresGrad) {
    throw new Error("backward: the tensor does not require grad and has no grad_fn (did you call it inside noGrad, or on a detached tensor?)");
  }
  if (!root._node) {
    accumulateLeaf(root, grad);
    return;
  }
  const rootNode = root._node;
  const pending = new Map<Node, (Tensor | null)[]>();
  const dys0: (Tensor | null)[] = new Array<Tensor | null>(rootNode.outputCount).fill(null);
  dys0[root._outputIndex] = grad;
  pending.set(rootNode, dys0);
  noGrad(() => {
    for (const node of topoOrder(rootNode)) {
      const dys = pending.get(node);
      if (!dys) continue;
      pending.delete(node);
      const backward = checkNode(node);
      const dxs = backward(dys, retainGraph, (i) => {
        const edge = node.edges[i];
        return edge?.leaf ? ownGrad(edge.leaf) : null;
      });
      // An upstream gradient only this walk held is dead now, unless the node passed it on: then
      // the one gradient that took it over whole (a reshape) is as much this walk's own.
      for (const dy of dys) {
        if (!dy || !adoptable.delete(dy)) continue;
        const heirs = dxs.filter((d) => d?.data.buffer === dy.data.buffer);
        if (heirs.length === 0) releaseBuf(dy.data);
        else if (heirs.length === 1 && heirs[0]!.data === dy.data) adoptable.add(heirs[0]!);
      }
      if (!retainGraph && node.saved.length > 0) {
        // Free the closure and what it saved, as PyTorch frees saved tensors.
        node.backward = null;
        node.saved = [];
      }
      node.edges.forEach((edge, i) => {
        let dx = dxs[i];
        if (!dx || !edge) return;
        dx = dx.sumToShape(edge.shape);
        if (dx.dtype !== edge.dtype) dx = dx.to(edge.dtype);
        if (edge.node) {
          let buf = pending.get(edge.node);
          if (!buf) pending.set(edge.node, (buf = new Array<Tensor | null>(edge.node.outputCount).fill(null)));
          // Sums are made in place in a gradient only this walk holds, and the other one given back.
          const prev = buf[edge.index];
          if (!prev) buf[edge.index] = dx;
          else if (adoptable.has(prev)) {
            prev.add_(dx);
            if (adoptable.delete(dx)) releaseBuf(dx.data);
          } else if (adoptable.has(dx)) buf[edge.index] = dx.add_(prev);
          else buf[edge.index] = adoptableGradient(prev.add(dx));
        } else if (edge.leaf) {
          accumulateLeaf(edge.leaf, dx);
        }
      });
    }
  });
}

/** A leaf's `.grad` where a gradient of the leaf's shape and dtype may be added to it in place. */
function ownGrad(leaf: Tensor): Tensor | null {
  const g = leaf.grad;
  if (!leaf.requiresGrad || !g || g.requiresGrad || g.dtype !== leaf.dtype || g.shape.length !== leaf.shape.length) return null;
  return g.shape.every((n, i) => n === leaf.shape[i]) ? g : null;
}

const adoptable = new WeakSet<Tensor>();

/**
 * Marks `t`, a gradient that a backward has just written into a buffer of its own which nothing
 * else holds, as one a leaf without a `.grad` may keep as it is (as PyTorch's AccumulateGrad steals
 * a gradient no one else refers to) instead of copying: a recurrent layer's weight gradients are
 * megabytes, and a fresh copy's pages must be faulted in again.
 */
export function adoptableGradient(t: Tensor): Tensor {
  adoptable.add(t);
  return t;
}

/** Adds into `.grad` in place, as PyTorch's AccumulateGrad does outside grad mode (a grad of another shape or dtype is replaced by the sum). */
function accumulateLeaf(leaf: Tensor, dx: Tensor): void {
  const g = leaf.grad;
  if (!leaf.requiresGrad) {
    if (adoptable.delete(dx)) releaseBuf(dx.data);
  } else if (!g) leaf.grad = adoptable.delete(dx) && !dx.requiresGrad ? dx : dx.contiguousCopy();
  else {
    if (ownGrad(leaf) && g.dtype === dx.dtype) g.add_(dx);
    else leaf.grad = g.add(dx);
    if (adoptable.delete(dx)) releaseBuf(dx.data);
  }
}

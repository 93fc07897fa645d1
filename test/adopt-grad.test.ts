/**
 * A gradient a backward wrote into a buffer of its own becomes a leaf's `.grad` without a copy
 * (autograd's adoptableGradient, used by the fused recurrent layers for their weight gradients);
 * any other is copied, and so is an adoptable one a second leaf is also given.
 */
import { describe, expect, test } from "vitest";
import { adoptableGradient, record } from "../src/autograd.js";
import { nn, randn, tensor, type Tensor } from "../src/index.js";

/** y = a probe op over `inputs` whose backward returns `grads` as they are. */
function probe(inputs: Tensor[], grads: Tensor[]): Tensor {
  return record("probe", inputs, [tensor(0)], () => grads)[0];
}

describe("adoptable gradients", () => {
  test("a leaf without a .grad keeps an adoptable gradient itself; an ordinary one is copied", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const g = adoptableGradient(tensor([4, 5, 6]));
    probe([w], [g]).backward();
    expect(w.grad).toBe(g);
    const v = tensor([1, 2, 3], { requiresGrad: true });
    const h = tensor([4, 5, 6]);
    probe([v], [h]).backward();
    expect(v.grad).not.toBe(h);
    expect(v.grad!.tolist()).toEqual([4, 5, 6]);
  });

  test("given to two leaves, the first keeps it and the second gets a copy; a later pass adds in place", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const g = adoptableGradient(tensor([1, 1]));
    probe([a, b], [g, g]).backward();
    expect(a.grad).toBe(g);
    expect(b.grad).not.toBe(g);
    probe([a, b], [tensor([2, 3]), tensor([5, 6])]).backward();
    expect(a.grad!.tolist()).toEqual([3, 4]);
    expect(b.grad!.tolist()).toEqual([6, 7]);
  });

  test("an LSTM's weight gradients become the .grad buffers, and a second backward adds into them", () => {
    const lstm = new nn.LSTM(3, 4);
    const x = randn([5, 2, 3]);
    lstm.forward(x)[0].sum().backward();
    const first = lstm.parameters().map((p) => p.grad!);
    const once = first.map((g) => g.tolist());
    lstm.forward(x)[0].sum().backward();
    lstm.parameters().forEach((p, i) => {
      expect(p.grad).toBe(first[i]);
      expect(p.grad!.div(2).tolist()).toEqual(once[i]);
    });
  });
});

/**
 * PyTorch's attribute semantics on modules: assigning a module, a parameter or null to an attribute
 * registers it (in assignment order), reassigning replaces it, and weight tying shares one tensor.
 */
import { describe, expect, test } from "vitest";
import { manualSeed, noGrad, ones, randn, tensor, type Tensor } from "../index.js";
import * as nn from "./index.js";
import { thrown } from "../../test/helpers.js";

class Tagger extends nn.Module {
  scale = new nn.Parameter(ones([4]));
  embed = new nn.Embedding(10, 3);
  lstm = new nn.LSTM(3, 4);
  head: nn.Linear | null = new nn.Linear(4, 2);
  forward(ids: Tensor): Tensor {
    const [out] = this.lstm.forward(this.embed.forward(ids));
    return this.head!.forward(out.mul(this.scale));
  }
}

describe("attributes register as in PyTorch", () => {
  test("class fields: parameters first, then children in declaration order, as PyTorch's state dict", () => {
    const m = new Tagger();
    expect(Object.keys(m.stateDict())).toEqual([
      "scale", "embed.weight",
      "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
      "head.weight", "head.bias",
    ]);
    expect(m.parameters()).toHaveLength(8);
    expect([...m.namedChildren()].map(([n]) => n)).toEqual(["embed", "lstm", "head"]);
    expect(m.toString()).toMatch(/\(lstm\): LSTM\(3, 4\)/);
  });

  test("assignments in a constructor register too; a module's registered names are attributes", () => {
    class Classifier extends nn.Module {
      readonly rnn: nn.RNN;
      readonly out: nn.Linear;
      constructor() {
        super();
        this.rnn = new nn.RNN(5, 8);
        this.out = new nn.Linear(8, 2);
      }
    }
    const m = new Classifier();
    expect(Object.keys(m.stateDict())).toEqual(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "out.weight", "out.bias"]);
    expect((m.rnn as unknown as Record<string, Tensor>).weight_hh_l0).toBe(m.rnn.getParameter("weight_hh_l0"));
  });

  test("reassigning replaces in place, null clears, a plain tensor cannot replace a parameter", () => {
    const m = new Tagger();
    m.head = new nn.Linear(4, 3);
    expect(m.stateDict()["head.weight"]!.shape).toEqual([3, 4]);
    expect(Object.keys(m.stateDict()).at(-1)).toBe("head.bias");
    m.head = null;
    expect(Object.keys(m.stateDict())).not.toContain("head.weight");
    (m as unknown as { scale: Tensor | null }).scale = null;
    expect(Object.keys(m.stateDict())).not.toContain("scale");
    const lin = new nn.Linear(2, 2);
    const err = thrown(() => (lin.weight = randn([2, 2])), TypeError);
    expect(err.message).toMatch(/Linear: cannot assign a plain tensor as parameter 'weight'/);
  });

  test("weight tying: one tensor, listed once, saved under both keys, loaded back tied", () => {
    manualSeed(1);
    class LM extends nn.Module {
      encoder = new nn.Embedding(7, 4);
      rnn = new nn.GRU(4, 4);
      decoder = new nn.Linear(4, 7);
      constructor() {
        super();
        this.decoder.weight = this.encoder.weight;
      }
    }
    const a = new LM();
    expect(a.decoder.weight).toBe(a.encoder.weight);
    expect(a.parameters()).toHaveLength(6); // encoder.weight, 4 GRU tensors, decoder.bias
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "decoder.weight", "decoder.bias"]);
    expect(Array.from(sd["decoder.weight"]!.data)).toEqual(Array.from(sd["encoder.weight"]!.data));
    const b = new LM();
    b.loadStateDict(sd);
    expect(b.decoder.weight).toBe(b.encoder.weight);
    expect(Array.from(b.encoder.weight.data)).toEqual(Array.from(a.encoder.weight.data));
    // Training moves the shared tensor: both uses see the same gradient sum.
    const ids = tensor([[1], [2]], { dtype: "int32" });
    const [h] = b.rnn.forward(b.encoder.forward(ids));
    b.decoder.forward(h).sum().backward();
    expect(b.encoder.weight.grad).not.toBeNull();
  });

  test("the char-RNN tutorial's manual update loop trains a module built by assignment", () => {
    manualSeed(3);
    class Net extends nn.Module {
      rnn = new nn.RNN(2, 8);
      out = new nn.Linear(8, 2);
      forward(x: Tensor): Tensor {
        const [, h] = this.rnn.forward(x);
        return this.out.forward(h.select(0, 0));
      }
    }
    const net = new Net();
    const x = randn([5, 16, 2]);
    const y = noGrad(() => x.sum(0).select(1, 0).gt(0).int());
    const lossFn = new nn.CrossEntropyLoss();
    const first = lossFn.forward(net.forward(x), y).item();
    for (let step = 0; step < 200; step++) {
      net.zeroGrad();
      lossFn.forward(net.forward(x), y).backward();
      noGrad(() => {
        for (const p of net.parameters()) p.data.set(p.sub(p.grad!.mul(0.1)).data);
      });
    }
    const last = lossFn.forward(net.forward(x), y).item();
    expect(net.parameters()).toHaveLength(6);
    expect(last).toBeLessThan(first / 3);
  });
});

test("PyTorch's paths for the functional activations and the rnn utilities", () => {
  const x = randn([2, 3]);
  expect(Array.from(nn.functional.tanh(x).data)).toEqual(Array.from(x.tanh().data));
  expect(Array.from(nn.functional.sigmoid(x).data)).toEqual(Array.from(x.sigmoid().data));
  expect(nn.utils.rnn.packPaddedSequence).toBe(nn.utils.packPaddedSequence);
});

test("ported code's small calls: flattenParameters() and Tensor.type()", () => {
  const lstm = new nn.LSTM(2, 3);
  expect(() => lstm.flattenParameters()).not.toThrow();
  expect(randn([2]).type("float64").dtype).toBe("float64");
  expect(tensor([1, 2]).type("long").dtype).toBe("int32");
});

import { beforeEach, describe, expect, test } from "vitest";
import { manualSeed, randn, ShapeError, tensor, type Tensor } from "../index.js";
import { SGD } from "../optim/sgd.js";
import * as nn from "./index.js";
import { thrown } from "../../test/helpers.js";

/** An encoder-decoder shaped model: own parameter, a nested container, a recurrent child. */
class Net extends nn.Module {
  readonly scale: Tensor;
  readonly rnn: nn.LSTM;
  readonly head: nn.Sequential;
  constructor() {
    super();
    this.scale = this.registerParameter("scale", tensor([1, 2]));
    this.rnn = this.registerModule("rnn", new nn.LSTM(3, 2));
    this.head = this.registerModule("head", new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 1, { bias: false })));
  }
}

/** Two modules tied to one weight, as in a tied embedding / output projection. */
class Tied extends nn.Module {
  readonly emb = this.registerModule("emb", new nn.Embedding(5, 3));
  readonly out = this.registerModule("out", new nn.Linear(3, 5));
  constructor() {
    super();
    this.out.registerParameter("weight", this.emb.weight);
  }
}

const copy = (t: Tensor): number[] => Array.from(t.data);


beforeEach(() => {
  manualSeed(0);
});

describe("parameter names", () => {
  test("dotted names in registration order, own parameters before children", () => {
    expect(new Net().namedParameters().map(([k]) => k)).toEqual([
      "scale",
      "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
      "head.0.weight", "head.0.bias", "head.2.weight",
    ]);
    expect(new Net().namedParameters(false).map(([k]) => k)).toEqual(["scale"]);
  });

  test("Sequential children are named 0, 1, ...", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh(), new nn.Linear(3, 1));
    expect([...seq.namedChildren()].map(([k]) => k)).toEqual(["0", "1", "2"]);
    expect(seq.namedParameters().map(([k]) => k)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect([...seq.namedModules()].map(([k]) => k)).toEqual(["", "0", "1", "2"]);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(nn.Linear);
    expect(() => seq.at(3)).toThrow(/index 3 is out of range for 3 modules/);
  });

  test("a shared parameter is listed and counted once, but keyed twice in the state dict", () => {
    const m = new Tied();
    expect(m.namedParameters().map(([k]) => k)).toEqual(["emb.weight", "out.bias"]);
    expect(m.parameters()[0]).toBe(m.emb.weight);
    expect(nn.countParameters(m)).toBe(15 + 5);
    expect(Object.keys(m.stateDict())).toEqual(["emb.weight", "out.weight", "out.bias"]);
  });

  test("a parameter registered as null is skipped", () => {
    const cell = new nn.LSTMCell(3, 2, { bias: false });
    expect(cell.namedParameters().map(([k]) => k)).toEqual(["weight_ih", "weight_hh"]);
    expect(Object.keys(cell.stateDict())).toEqual(["weight_ih", "weight_hh"]);
  });
});

describe("stateDict", () => {
  test("keys are PyTorch's, values share storage with the parameters", () => {
    const m = new Net();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(m.namedParameters().map(([k]) => k));
    expect(sd["head.0.weight"]!.data).toBe(m.head.at(0).getParameter("weight")!.data);
    expect(sd["scale"]!.requiresGrad).toBe(false);
  });

  test("persistent buffers are included after the module's parameters; non-persistent ones are not", () => {
    class WithBuffers extends nn.Module {
      constructor() {
        super();
        this.registerModule("lin", new nn.Linear(2, 2));
        this.registerBuffer("running_mean", tensor([0, 0]));
        this.registerBuffer("scratch", tensor([9]), false);
        this.registerParameter("weight", tensor([1, 1]));
      }
    }
    const m = new WithBuffers();
    expect(Object.keys(m.stateDict())).toEqual(["weight", "running_mean", "lin.weight", "lin.bias"]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(["running_mean", "scratch"]);
    m.loadStateDict({ weight: tensor([3, 4]), running_mean: tensor([5, 6]), "lin.weight": tensor([[1, 0], [0, 1]]), "lin.bias": tensor([0, 0]) });
    expect(copy(m.getBuffer("running_mean")!)).toEqual([5, 6]);
  });
});

describe("loadStateDict", () => {
  test("round-trips into a fresh model in place, keeping tensor identity", () => {
    const src = new Net();
    const dst = new Net();
    const before = dst.parameters();
    const res = dst.loadStateDict(src.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const after = dst.parameters();
    after.forEach((p, i) => expect(p).toBe(before[i]));
    for (const [k, p] of dst.namedParameters()) expect(copy(p), k).toEqual(copy(src.stateDict()[k]!));
    const x = randn([4, 2, 3]);
    const [ys] = src.rnn.forward(x);
    const [yd] = dst.rnn.forward(x);
    expect(copy(yd)).toEqual(copy(ys));
  });

  test("an optimizer built before loading updates the loaded values", () => {
    const m = new nn.Linear(2, 1);
    const opt = new SGD(m.parameters(), { lr: 0.5 });
    m.loadStateDict({ weight: tensor([[1, 2]]), bias: tensor([3]) });
    m.forward(tensor([[1, 1]])).sum().backward();
    opt.step();
    expect(copy(m.weight)).toEqual([0.5, 1.5]);
    expect(copy(m.bias!)).toEqual([2.5]);
  });

  test("accepts { shape, data } records, as parsed from JSON", () => {
    const m = new nn.Linear(2, 1);
    m.loadStateDict({ weight: { shape: [1, 2], data: [7, 8] }, bias: { shape: [1], data: [9] } });
    expect(copy(m.weight)).toEqual([7, 8]);
    expect(copy(m.bias!)).toEqual([9]);
  });

  test("a record whose data does not fill its shape is rejected before anything is loaded", () => {
    const m = new nn.Linear(2, 1);
    const snapshot = m.parameters().map(copy);
    for (const data of [[7], [7, 8, 9]]) {
      const err = thrown(() => m.loadStateDict({ bias: { shape: [1], data: [9] }, weight: { shape: [1, 2], data } }));
      expect(err).toBeInstanceOf(ShapeError);
      expect(err.message).toBe(`loadStateDict: weight has shape [1, 2] but ${data.length} values, expected 2`);
      expect(m.parameters().map(copy)).toEqual(snapshot);
    }
  });

  test("strict: missing and unexpected keys are listed, nothing is loaded", () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const sd = m.stateDict();
    const snapshot = m.parameters().map(copy);
    const bad: Record<string, Tensor> = { "0.weight": tensor([[1, 1], [1, 1], [1, 1]]), "0.bias": sd["0.bias"]!, "2.weight": sd["2.weight"]!, "2.bais": sd["2.bias"]!, "extra": tensor([1]) };
    const err = thrown(() => m.loadStateDict(bad));
    expect(err).toBeInstanceOf(nn.StateDictError);
    expect(err.message).toBe('Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "2.bias". \n\tUnexpected key(s) in state_dict: "2.bais", "extra". ');
    expect(err).toMatchObject({ missingKeys: ["2.bias"], unexpectedKeys: ["2.bais", "extra"], mismatches: [] });
    expect(() => m.loadStateDict({ ...sd, extra: tensor([1]) })).toThrow(/\tUnexpected key\(s\) in state_dict: "extra". $/);
    const { "0.bias": _dropped, ...partial } = sd;
    expect(() => m.loadStateDict(partial, { strict: true })).toThrow(/\tMissing key\(s\) in state_dict: "0.bias". $/);
    expect(m.parameters().map(copy)).toEqual(snapshot);
  });

  test("non-strict: loads what matches and reports the rest", () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const bias2 = copy(m.at(2).getParameter("bias")!);
    const res = m.loadStateDict({ "0.weight": tensor([[1, 2], [3, 4], [5, 6]]), "0.bias": tensor([0, 0, 0]), "2.weight": tensor([[1, 1, 1]]), "3.weight": tensor([1]) }, false);
    expect(res).toEqual({ missingKeys: ["2.bias"], unexpectedKeys: ["3.weight"] });
    expect(copy(m.at(0).getParameter("weight")!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(copy(m.at(2).getParameter("weight")!)).toEqual([1, 1, 1]);
    expect(copy(m.at(2).getParameter("bias")!)).toEqual(bias2);
  });

  test("prefix: only the keys under it load, with it removed; other keys are neither loaded nor unexpected", () => {
    const src = new nn.Linear(2, 3);
    const m = new nn.Linear(2, 3);
    const checkpoint: Record<string, Tensor> = { step: tensor([7]), "model.weight": src.weight, "model.bias": src.bias!, "optimizer.state.0.exp_avg": tensor([1]) };
    expect(m.loadStateDict(checkpoint, { prefix: "model." })).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(copy(m.weight)).toEqual(copy(src.weight));
    expect(copy(m.bias!)).toEqual(copy(src.bias!));
    const other = new nn.Linear(2, 3);
    const snapshot = other.parameters().map(copy);
    expect(() => other.loadStateDict(checkpoint, { prefix: "module." })).toThrow('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "weight", "bias". \n\t(no key in the state dict starts with the prefix "module.")');
    expect(other.loadStateDict(checkpoint, { prefix: "module.", strict: false })).toEqual({ missingKeys: ["weight", "bias"], unexpectedKeys: [] });
    expect(other.parameters().map(copy)).toEqual(snapshot);
  });

  test("a shape mismatch names the key and both shapes and leaves every parameter unchanged", () => {
    const m = new nn.LSTM(3, 2, 2);
    const snapshot = m.parameters().map(copy);
    const sd: Record<string, Tensor> = {};
    for (const [k, p] of m.namedParameters()) sd[k] = randn([...p.shape]);
    // A late key mismatches, after several that would load fine.
    sd["weight_hh_l1"] = randn([8, 3]);
    sd["bias_ih_l0"] = randn([]);
    const err = thrown(() => m.loadStateDict(sd));
    expect(err).toBeInstanceOf(nn.StateDictError);
    expect(err.message).toBe("Error(s) in loading state_dict for LSTM:\n\tsize mismatch for bias_ih_l0: copying a param with shape torch.Size([]) from checkpoint, the shape in current model is torch.Size([8]).\n\tsize mismatch for weight_hh_l1: copying a param with shape torch.Size([8, 3]) from checkpoint, the shape in current model is torch.Size([8, 2]).");
    expect((err as nn.StateDictError).mismatches).toEqual([{ key: "bias_ih_l0", checkpoint: [], model: [8] }, { key: "weight_hh_l1", checkpoint: [8, 3], model: [8, 2] }]);
    expect(m.parameters().map(copy)).toEqual(snapshot);
    // Also when not strict: a mismatch is always an error.
    expect(() => m.loadStateDict(sd, false)).toThrow(nn.StateDictError);
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(/^Error\(s\) in loading state_dict for LSTM:\n\tsize mismatch for bias_ih_l0/);
    expect(m.parameters().map(copy)).toEqual(snapshot);
  });
});

describe("modes and gradients", () => {
  test("train() and eval() reach every descendant and return the module", () => {
    const m = new Net();
    expect(m.modules().every((x) => x.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(m.modules().length).toBe(6);
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
    m.train(false);
    expect(m.head.at(1).training).toBe(false);
  });

  test("zeroGrad clears every parameter's gradient", () => {
    const m = new Net();
    const [y] = m.rnn.forward(randn([2, 1, 3]));
    m.head.forward(y).sum().add(m.scale.sum()).backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test("apply visits children before the parent", () => {
    const seen: string[] = [];
    new nn.Sequential(new nn.Linear(1, 1), new nn.Sequential(new nn.Tanh())).apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(["Linear", "Tanh", "Sequential", "Sequential"]);
  });

  test("registerParameter marks the tensor as requiring grad and rejects int32", () => {
    const m = new nn.Module();
    expect(m.registerParameter("w", tensor([1])).requiresGrad).toBe(true);
    expect(() => m.registerParameter("i", tensor([1], { dtype: "int32" }))).toThrow(/parameter "i" must be floating point/);
  });
});

describe("toString", () => {
  test("recurrent layers list only non-default options", () => {
    expect(new nn.LSTM(10, 20, 2).toString()).toBe("LSTM(10, 20, numLayers=2)");
    expect(new nn.LSTM(10, 20).toString()).toBe("LSTM(10, 20)");
    expect(new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true, bidirectional: true, projSize: 5 }).toString())
      .toBe("LSTM(10, 20, projSize=5, numLayers=2, batchFirst=true, bidirectional=true)");
    expect(new nn.GRU(4, 5, { bias: false, dropout: 0.25, numLayers: 3 }).toString()).toBe("GRU(4, 5, numLayers=3, bias=false, dropout=0.25)");
    expect(new nn.RNN(4, 5, { nonlinearity: "relu" }).toString()).toBe("RNN(4, 5, nonlinearity='relu')");
    expect(new nn.LSTMCell(3, 4).toString()).toBe("LSTMCell(3, 4)");
    expect(new nn.RNNCell(3, 4, { bias: false, nonlinearity: "relu" }).toString()).toBe("RNNCell(3, 4, bias=false, nonlinearity='relu')");
  });

  test("leaf layers", () => {
    expect(new nn.Linear(4, 3).toString()).toBe("Linear(inFeatures=4, outFeatures=3, bias=true)");
    expect(new nn.Embedding(10, 3, { paddingIdx: -1 }).toString()).toBe("Embedding(10, 3, paddingIdx=9)");
    expect(new nn.ReLU().toString()).toBe("ReLU()");
    expect(new nn.Dropout(0.1).toString()).toBe("Dropout(p=0.1)");
  });

  test("containers print a tree like PyTorch", () => {
    expect(new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU()).toString()).toBe(
      "Sequential(\n" +
      "  (0): Linear(inFeatures=4, outFeatures=3, bias=true)\n" +
      "  (1): ReLU()\n" +
      ")",
    );
    expect(new Net().toString()).toBe(
      "Net(\n" +
      "  (rnn): LSTM(3, 2)\n" +
      "  (head): Sequential(\n" +
      "    (0): Linear(inFeatures=2, outFeatures=4, bias=true)\n" +
      "    (1): ReLU()\n" +
      "    (2): Linear(inFeatures=4, outFeatures=1, bias=false)\n" +
      "  )\n" +
      ")",
    );
  });
});

/** seqtorch's extensions to PyTorch's recurrent layers: leaky-ReLU RNNs and residual stacks. */
import { describe, expect, test } from "vitest";
import { manualSeed, nn, randn, type Tensor } from "../index.js";
import { absTol, expectAllClose } from "../../test/helpers.js";

describe("nonlinearity: leakyRelu", () => {
  test("the layer equals its cell run step by step, forward and backward", () => {
    manualSeed(11);
    const rnn = new nn.RNN(3, 5, { nonlinearity: "leakyRelu", negativeSlope: 0.2 });
    const cell = new nn.RNNCell(3, 5, { nonlinearity: "leakyRelu", negativeSlope: 0.2 });
    cell.loadStateDict({ weight_ih: rnn.getParameter("weight_ih_l0")!, weight_hh: rnn.getParameter("weight_hh_l0")!, bias_ih: rnn.getParameter("bias_ih_l0")!, bias_hh: rnn.getParameter("bias_hh_l0")! });
    const x = randn([7, 2, 3]);
    const [out] = rnn.forward(x);
    let h: Tensor | null = null;
    const steps: Tensor[] = [];
    for (let t = 0; t < 7; t++) steps.push((h = cell.forward(x.select(0, t), h)));
    for (let t = 0; t < 7; t++) expectAllClose(out.select(0, t), steps[t]!, `output at t = ${t}`, absTol(1e-6));
    out.sum().backward();
    steps.reduce((a, s) => a.add(s.sum()), steps[0]!.sum().mul(0)).backward();
    expectAllClose(rnn.getParameter("weight_hh_l0")!.grad, cell.weightHh.grad, "grad weight_hh", absTol(1e-5));
  });

  test("defaults, repr and validation", () => {
    const rnn = new nn.RNN(2, 3, { nonlinearity: "leakyRelu" });
    expect(rnn.negativeSlope).toBe(0.01);
    expect(rnn.toString()).toBe("RNN(2, 3, nonlinearity='leakyRelu', negativeSlope=0.01)");
    expect(() => new nn.RNN(2, 3, { nonlinearity: "leakyRelu", negativeSlope: NaN })).toThrow(/negativeSlope must be a finite number/);
  });
});

describe("residual: true", () => {
  test("from the second layer on, each layer's input is added to its output", () => {
    manualSeed(12);
    for (const make of [
      (o: nn.RNNBaseOptions): nn.RNNBase => new nn.LSTM(4, 6, o),
      (o: nn.RNNBaseOptions): nn.RNNBase => new nn.GRU(4, 6, o),
      (o: nn.RNNBaseOptions): nn.RNNBase => new nn.RNN(4, 6, o),
    ]) {
      const res = make({ numLayers: 3, bidirectional: true, residual: true });
      expect(res.toString()).toMatch(/residual=true/);
      const x = randn([5, 2, 4]);
      const [out] = res.forward(x);
      // Rebuild the stack layer by layer from single-layer modules sharing the weights.
      let input = x;
      for (let layer = 0; layer < 3; layer++) {
        const one = make({ bidirectional: true });
        const sd: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(res.stateDict())) {
          const m = /^(.*)_l(\d+)(_reverse)?$/.exec(k)!;
          if (Number(m[2]) === layer) sd[`${m[1]}_l0${m[3] ?? ""}`] = v;
        }
        if (layer > 0) {
          // Layer k > 0 reads D·H features; rebuild with the right input size.
          const wide = nn.createRecurrent(res.cell, 12, 6, { bidirectional: true });
          wide.loadStateDict(sd);
          const [y] = wide.forward(input);
          input = y.add(input);
        } else {
          one.loadStateDict(sd);
          const [y] = one.forward(input);
          input = y;
        }
      }
      expectAllClose(out, input, "output", absTol(1e-6));
    }
  });
});

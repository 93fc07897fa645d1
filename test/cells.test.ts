/**
 * The cell table and what derives from it: layers register exactly the table's parameters, the
 * fused kernels equal the composed steps for every fused kind (forward and backward, in float64 on
 * the reference backend), the stacked-layer driver serves every kind (Jordan included, packed input
 * and diagnostics too), and the kernels' ids come from one file.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import { cells, getBackend, manualSeed, nn, randn, setBackend, Tensor, zeros } from "../src/index.js";
import { FUSED_KINDS } from "../src/cells/spec.js";
import { expectAllClose, relTol } from "./helpers.js";
import { goldenBackends } from "./backends.js";

const { CELLS, CELL_KINDS, cellParameters, gateCount, stateSizes } = cells;

describe("the cell table", () => {
  test("every kind's layer registers exactly the table's parameters, in order", () => {
    for (const kind of CELL_KINDS) {
      for (const bias of [true, false]) {
        const layer = nn.createRecurrent(kind, 3, 5, { numLayers: 2, bidirectional: true, bias });
        expect(layer.cell).toBe(kind);
        expect(layer.mode).toBe(CELLS[kind].mode);
        const out = layer.allWeights[0]![1]!.shape[1]!; // weight_hh / weight_hy: [G·H, size of the fed-back state]
        const expected: [string, number[]][] = [];
        for (let l = 0; l < 2; l++) {
          for (const sfx of ["", "_reverse"]) {
            const dims = { I: l === 0 ? 3 : 2 * out, H: 5, P: 0, O: 5 };
            for (const [n, s] of cellParameters(kind, dims, { bias })) expected.push([`${n}_l${l}${sfx}`, s]);
          }
        }
        expect(layer.namedParameters().map(([n, p]) => [n, p.shape])).toEqual(expected);
      }
    }
  });

  test("gate counts, states and fused kinds come from the table", () => {
    expect(CELL_KINDS.map(gateCount)).toEqual([1, 1, 1, 4, 3, 1]);
    expect(FUSED_KINDS).toEqual(["rnn", "rnn-relu", "rnn-leaky", "lstm", "gru"]);
    expect(stateSizes("lstm", { I: 3, H: 5, P: 2, O: 0 })).toEqual([2, 5]);
    expect(stateSizes("jordan", { I: 3, H: 5, P: 0, O: 7 })).toEqual([7]);
    expect(cellParameters("lstm", { I: 3, H: 5, P: 2, O: 0 }, { bias: false }).map(([n]) => n)).toEqual(["weight_ih", "weight_hh", "weight_hr"]);
    expect(cells.isCellKind("gru")).toBe(true);
    expect(cells.isCellKind("toString")).toBe(false);
    expect(() => cells.unhandledKind("peephole" as never)).toThrow(/unhandled cell kind peephole/);
  });

  test("the C kernels (native and wasm) read their recurrence ids from the cells' constants header", () => {
    // src/backend/native/native.test.ts checks that cells.h defines the kernel ids of kernel-ids.ts.
    const kernels = readFileSync(new URL("../src/backend/c/recurrent.c", import.meta.url), "utf8");
    expect(kernels).toMatch(/#include "cells.h"/);
    expect(kernels).not.toMatch(/#define ST_KERNEL_/);
    const ids = FUSED_KINDS.map((k) => CELLS[k].kernel);
    // rnn-leaky is the ReLU kernel with a slope; every other kind has its own id.
    expect(new Set(ids).size).toBe(ids.length - 1);
    expect(CELLS["rnn-leaky"].kernel).toBe(CELLS["rnn-relu"].kernel);
  });

  test("createRecurrent builds the class each kind names", () => {
    expect(nn.createRecurrent("lstm", 2, 3)).toBeInstanceOf(nn.LSTM);
    expect(nn.createRecurrent("gru", 2, 3)).toBeInstanceOf(nn.GRU);
    expect((nn.createRecurrent("rnn-relu", 2, 3) as nn.RNN).nonlinearity).toBe("relu");
    expect((nn.createRecurrent("rnn-leaky", 2, 3, { negativeSlope: 0.2 }) as nn.RNN).negativeSlope).toBe(0.2);
    expect((nn.createRecurrent("jordan", 2, 3, { outputSize: 4 }) as nn.JordanRNN).outputSize).toBe(4);
  });
});

/** Runs `layer` once fused and once composed (an observer forces the composed cells); returns outputs and grads. */
function bothWays(layer: nn.RNNBase, input: () => Tensor | nn.utils.PackedSequence): { fused: number[][]; composed: number[][] } {
  const run = (composed: boolean): number[][] => {
    layer.zeroGrad();
    layer.stepGradObserver = composed ? () => {} : null;
    const [out, state] = layer.forward(input());
    layer.stepGradObserver = null;
    const y = out instanceof Tensor ? out : out.data;
    const states = Array.isArray(state) ? state : [state];
    let loss = y.mul(y.mul(0.5).sin()).sum();
    states.forEach((s, i) => (loss = loss.add(s.mul(i + 2).tanh().sum())));
    loss.backward();
    return [y, ...states, ...layer.parameters().map((p) => p.grad!)].map((t) => Array.from(t.data));
  };
  return { fused: run(false), composed: run(true) };
}

function expectSame(a: number[][], b: number[][], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expectAllClose(b[i]!, x, `tensor ${i} (composed against fused)`, relTol(tol)));
}

describe("fused kernels equal the composed cells", () => {
  const previous = getBackend().name;
  afterEach(() => void setBackend(previous));
  for (const kind of FUSED_KINDS) {
    for (const variant of ["2 layers, bidirectional", "packed", "projection"] as const) {
      if (variant === "projection" && kind !== "lstm") continue;
      test(`${kind}, ${variant} (float64, reference backend)`, () => {
        setBackend("cpu");
        manualSeed(3);
        const opts = variant === "projection" ? { projSize: 2, numLayers: 2 } : { numLayers: 2, bidirectional: true };
        const layer = nn.createRecurrent(kind, 3, 4, { ...opts, negativeSlope: 0.05 });
        for (const [name, t] of layer.namedParameters()) layer.registerParameter(name, t.detach().double());
        const x = randn([5, 3, 3], { dtype: "float64" });
        const input = variant === "packed" ? () => nn.utils.packPaddedSequence(x, [5, 2, 4], { enforceSorted: false }) : () => x;
        const { fused, composed } = bothWays(layer, input);
        expectSame(fused, composed, 1e-12);
      });
    }
    test(`${kind} on the active backend (float32)`, () => {
      manualSeed(4);
      const layer = nn.createRecurrent(kind, 6, 8, { numLayers: 2, bidirectional: true });
      const x = randn([7, 4, 6]);
      const { fused, composed } = bothWays(layer, () => x);
      expectSame(fused, composed, 2e-5);
    });
  }
});

/** A cell module of each fused kind (RNNCell's three activations, LSTMCell, GRUCell). */
function makeCell(kind: (typeof FUSED_KINDS)[number], I: number, H: number, bias: boolean): nn.RNNCell | nn.LSTMCell | nn.GRUCell {
  switch (kind) {
    case "lstm": return new nn.LSTMCell(I, H, { bias });
    case "gru": return new nn.GRUCell(I, H, { bias });
    case "rnn": return new nn.RNNCell(I, H, { bias });
    case "rnn-relu": return new nn.RNNCell(I, H, { bias, nonlinearity: "relu" });
    case "rnn-leaky": return new nn.RNNCell(I, H, { bias, nonlinearity: "leakyRelu", negativeSlope: 0.05 });
  }
}

describe.each(goldenBackends().filter((b) => setBackend(b).recurrent))("cells step as one fused op on %s, equal to their composed step", (backend) => {
  const previous = getBackend().name;
  afterEach(() => void setBackend(previous));
  const variants = [
    { name: "batch 3, odd sizes", N: 3, bias: true, states: true },
    { name: "no bias", N: 2, bias: false, states: true },
    { name: "missing states", N: 4, bias: true, states: false },
    { name: "unbatched", N: 0, bias: true, states: true },
  ];
  for (const kind of FUSED_KINDS) {
    for (const v of variants) {
      test(`${kind}, ${v.name}`, () => {
        manualSeed(11);
        const I = 5, H = 7;
        const cell = makeCell(kind, I, H, v.bias);
        const batch = v.N ? [v.N] : [];
        const x = randn([...batch, I]).requiresGrad_();
        const states = CELLS[kind].states.map(() => (v.states ? randn([...batch, H]).requiresGrad_() : null));
        const leaves = [x, ...states.filter((s): s is Tensor => s !== null), ...cell.parameters()];
        /** Two steps (the second from the first's state), a loss on every state, and the gradients of every leaf. */
        const run = (on: string): { gradFn: string | null; values: number[][] } => {
          setBackend(on);
          for (const t of leaves) t.grad = null;
          const step = (s: (Tensor | null)[]): Tensor[] => {
            const out = cell instanceof nn.LSTMCell ? cell.forward(x, s[0] && s[1] ? [s[0], s[1]] : null) : [cell.forward(x, s[0])];
            return out;
          };
          const first = step(states);
          const second = step(first);
          let loss = zeros([]);
          [...first, ...second].forEach((t, i) => (loss = loss.add(t.mul(t.mul(0.3 + i).sin()).sum())));
          loss.backward();
          // Unbatched, the step's output is squeezed: its op is the one before the reshape.
          const op = v.N ? second[0]!.gradFn : second[0]!._node!.edges[0]!.node!.name;
          return { gradFn: op, values: [...first, ...second, ...leaves.map((t) => t.grad!)].map((t) => Array.from(t.data)) };
        };
        const fused = run(backend);
        const composed = run("primitives");
        expect(fused.gradFn).toBe(`${kind}Cell`);
        expect(composed.gradFn).not.toBe(`${kind}Cell`);
        expectSame(fused.values, composed.values, 2e-5);
      });
    }
  }

  test("weight gradients are added into the existing .grad in place (its identity kept, its version bumped)", () => {
    setBackend(backend);
    manualSeed(12);
    const cell = new nn.LSTMCell(3, 4);
    const x = randn([2, 3]);
    cell.forward(x)[0].sum().backward();
    const g = cell.weightHh.grad!;
    const first = Array.from(g.data), version = g._version.value;
    cell.forward(x)[0].sum().backward();
    expect(cell.weightHh.grad).toBe(g);
    expect(g._version.value).toBeGreaterThan(version);
    expectAllClose(g, first.map((v) => 2 * v), "twice the gradient", relTol(1e-6));
  });

  test("float64 cells keep the composed step", () => {
    setBackend(backend);
    const cell = new nn.LSTMCell(3, 4).double();
    const [h] = cell.forward(randn([2, 3], { dtype: "float64" }).requiresGrad_());
    expect(h.gradFn).not.toBe("lstmCell");
    expect(h.dtype).toBe("float64");
  });
});

describe("one driver for every kind", () => {
  test("a Jordan network takes packed input: each sequence as if run alone", () => {
    manualSeed(5);
    const jordan = new nn.JordanRNN(3, 4, { outputSize: 2, numLayers: 2, bidirectional: true });
    const lengths = [4, 1, 3];
    const x = randn([4, 3, 3]);
    const [out, yN] = jordan.forward(nn.utils.packPaddedSequence(x, lengths, { enforceSorted: false }));
    const [padded] = nn.utils.padPackedSequence(out);
    lengths.forEach((L, b) => {
      const [alone, aloneY] = jordan.forward(x.narrow(0, 0, L).narrow(1, b, 1));
      expectAllClose(padded.narrow(0, 0, L).narrow(1, b, 1), alone, `output of sequence ${b}`);
      expectAllClose(yN.narrow(1, b, 1), aloneY, `yN of sequence ${b}`);
    });
  });

  test("the state a layer takes and returns is typed by its kind: no instanceof needed", () => {
    const layers: nn.RNNBase[] = CELL_KINDS.map((k) => nn.createRecurrent(k, 2, 3));
    for (const layer of layers) {
      const [out, state] = layer.forward(randn([4, 2, 2]));
      expect(out.shape[0]).toBe(4);
      const states = Array.isArray(state) ? state : [state];
      expect(states.length).toBe(CELLS[layer.cell].states.length);
      // Feeding the final state back in works for every kind.
      const [, again] = layer.forward(randn([2, 2, 2]), state);
      expect(Array.isArray(again)).toBe(Array.isArray(state));
    }
    expect(() => new nn.LSTM(2, 3).forward(randn([4, 2, 2]), zeros([1, 2, 3]) as never)).toThrow(/expected hx as a pair \[h0, c0\]/);
  });

  test("gradientFlow observes every kind, Jordan included, and leaves no observer behind", () => {
    for (const kind of CELL_KINDS) {
      manualSeed(6);
      const layer = nn.createRecurrent(kind, 2, 3, { numLayers: 2 });
      const x = randn([5, 2, 2]);
      const flow = nn.gradientFlow(layer, { input: x, target: x }, (out) => out.select(0, 4).sum());
      expect(flow.hidden.map((h) => h.layer)).toEqual([0, 1]);
      for (const h of flow.hidden) expect(h.norms).toHaveLength(5);
      // The loss reads only the last step: the last layer's gradient there is the ones it was given.
      expect(flow.hidden[1]!.norms[4]).toBeCloseTo(Math.sqrt(2 * 3), 5);
      expect(layer.stepGradObserver).toBeNull();
    }
  });
});

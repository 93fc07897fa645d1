import { describe, expect, test } from "vitest";
import { manualSeed, nn, optim, tensor, type Tensor } from "../index.js";
import { SequenceRegressor, TextClassifier } from "./text.js";

const ids = (rows: number[][]): Tensor => tensor(rows, { dtype: "int32" });

describe("TextClassifier", () => {
  test("shapes, state-dict keys and config round trip", () => {
    manualSeed(0);
    const m = new TextClassifier({ vocabSize: 20, numClasses: 3, embeddingDim: 4, hiddenSize: 5, cell: "gru", bidirectional: true, numLayers: 2 });
    const out = m.forward(ids([[3, 4, 5, 0], [6, 7, 0, 0]]), [3, 2]);
    expect(out.shape).toEqual([2, 3]);
    expect(Object.keys(m.stateDict())).toContain("encoder.rnn.weight_hh_l1_reverse");
    expect(Object.keys(m.stateDict())).toContain("head.weight");
    const copy = new TextClassifier(m.config());
    copy.loadStateDict(m.stateDict());
    expect(copy.forward(ids([[3, 4, 5, 0]]), [3]).tolist()).toEqual(m.forward(ids([[3, 4, 5, 0]]), [3]).tolist());
  });

  test.each(["last", "mean"] as const)("padding never changes the prediction (%s pooling)", (pooling) => {
    manualSeed(1);
    const m = new TextClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 3, hiddenSize: 4, bidirectional: true, pooling });
    m.eval();
    const alone = m.forward(ids([[2, 3, 4]]), [3]);
    const padded = m.forward(ids([[2, 3, 4, 0, 0, 0], [5, 0, 0, 0, 0, 0]]), [3, 1]);
    const diff = alone.sub(padded.narrow(0, 0, 1)).abs().max().item();
    expect(diff).toBeLessThan(1e-6);
  });

  test("learns a toy task: does the sequence contain token 3", () => {
    manualSeed(2);
    const m = new TextClassifier({ vocabSize: 6, numClasses: 2, embeddingDim: 8, hiddenSize: 16, cell: "lstm" });
    const opt = new optim.Adam(m.parameters(), { lr: 0.05 });
    const data: [number[], number][] = [];
    for (let i = 0; i < 64; i++) {
      const seq = Array.from({ length: 2 + (i % 4) }, (_, j) => 2 + ((i * 7 + j * 3) % 4));
      data.push([seq, seq.includes(3) ? 1 : 0]);
    }
    const L = 5;
    const batch = ids(data.map(([s]) => [...s, ...new Array<number>(L - s.length).fill(0)]));
    const lengths = data.map(([s]) => s.length);
    const labels = tensor(data.map(([, y]) => y), { dtype: "int32" });
    const lossFn = new nn.CrossEntropyLoss();
    let loss = Infinity;
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const l = lossFn.forward(m.forward(batch, lengths), labels);
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(0.1);
    const acc = m.forward(batch, lengths).argmax(1).eq(labels).mean().item();
    expect(acc).toBe(1);
  });

  test("errors", () => {
    expect(() => new TextClassifier({ vocabSize: 5, numClasses: 1 })).toThrow(/numClasses/);
    expect(() => new TextClassifier({ vocabSize: 5, numClasses: 2, cell: "tcn" as never })).toThrow(/cell must be/);
    const m = new TextClassifier({ vocabSize: 5, numClasses: 2 });
    expect(() => m.forward(tensor([[1, 2]]), [2])).toThrow(/int32 \[N, L\]/);
    expect(() => m.forward(ids([[1, 2]]), [2, 1])).toThrow(/expected 1 lengths/);
  });
});

describe("SequenceRegressor", () => {
  test("fits the sum of a sequence's tokens", () => {
    manualSeed(3);
    const m = new SequenceRegressor({ vocabSize: 5, embeddingDim: 4, hiddenSize: 12, cell: "gru", pooling: "last" });
    const opt = new optim.Adam(m.parameters(), { lr: 0.03 });
    const seqs = Array.from({ length: 32 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => 1 + ((i + j) % 4)));
    const batch = ids(seqs.map((s) => [...s, ...new Array<number>(3 - s.length).fill(0)]));
    const y = tensor(seqs.map((s) => [s.reduce((a, b) => a + b, 0) / 10]));
    const lossFn = new nn.MSELoss();
    let loss = Infinity;
    for (let step = 0; step < 150; step++) {
      opt.zeroGrad();
      const l = lossFn.forward(m.forward(batch, seqs.map((s) => s.length)), y);
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(m.forward(batch, seqs.map((s) => s.length)).shape).toEqual([32, 1]);
    expect(loss).toBeLessThan(0.005);
  });
});

describe("TextClassifier lengths", () => {
  test("a length of 0, below 0 or beyond the padded length is an error naming the index and value", async () => {
    const { thrown } = await import("../../test/helpers.js");
    const m = new TextClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 3, hiddenSize: 4 });
    const x = ids([[1, 2, 3], [4, 5, 0]]);
    expect(thrown(() => m.forward(x, [3, 0]), RangeError).message).toBe("SequenceEncoder: lengths[1] must be an integer in [1, 3] for tokens [2, 3], got 0");
    expect(thrown(() => m.forward(x, [-5, 2])).message).toBe("SequenceEncoder: lengths[0] must be an integer in [1, 3] for tokens [2, 3], got -5");
    expect(thrown(() => m.forward(x, [3, 99])).message).toBe("SequenceEncoder: lengths[1] must be an integer in [1, 3] for tokens [2, 3], got 99");
    expect(m.forward(x, [3, 2]).shape).toEqual([2, 2]);
  });
});

/** Errors at the API boundary: one line naming the function and the values, never a TypeError from inside. */
import { describe, expect, test } from "vitest";
import { nn, randn, tensor, zeros } from "../index.js";
import { thrown } from "../../test/helpers.js";

// Values a caller from plain JavaScript or parsed JSON may pass despite the types.
const loose = <T>(v: unknown): T => v as T;

describe("recurrent layers", () => {
  test("a GRU or RNN given [h0, c0] names what it got", () => {
    const gru = new nn.GRU(3, 4);
    const h = zeros([1, 2, 4]);
    expect(thrown(() => gru.forward(randn([5, 2, 3]), loose([h, h])), TypeError).message).toBe("GRU: expects one hidden state tensor, got an array of 2");
    expect(thrown(() => new nn.RNN(3, 4).forward(randn([5, 2, 3]), loose([h, h]))).message).toBe("RNN: expects one hidden state tensor, got an array of 2");
  });

  test("an LSTM given one tensor, or a pair holding a non-tensor, as its state", () => {
    const lstm = new nn.LSTM(3, 4);
    const h = zeros([1, 2, 4]);
    expect(thrown(() => lstm.forward(randn([5, 2, 3]), loose(h)), TypeError).message).toBe("LSTM: expected hx as a pair [h0, c0], got one tensor [1, 2, 4]");
    expect(thrown(() => lstm.forward(randn([5, 2, 3]), loose([h, [1]])), TypeError).message).toBe("LSTM: c0 must be a Tensor, got an array of 1");
  });

  test("input that is not a Tensor or PackedSequence", () => {
    const lstm = new nn.LSTM(3, 4);
    expect(thrown(() => lstm.forward(loose([[[1, 2, 3]]])), TypeError).message).toBe("LSTM: input must be a Tensor or a PackedSequence, got an array of 1");
    expect(thrown(() => new nn.GRUCell(3, 4).forward(loose("x")), TypeError).message).toBe('GRUCell: input must be a Tensor, got "x"');
  });

  test("a zero-length sequence is refused with its shape, as in PyTorch", () => {
    expect(thrown(() => new nn.LSTM(3, 4).forward(zeros([0, 2, 3]))).message).toBe("LSTM: Expected sequence length to be larger than 0 in RNN (input [0, 2, 3], batchFirst=false)");
    expect(thrown(() => new nn.GRU(3, 4, { batchFirst: true }).forward(zeros([2, 0, 3]))).message).toBe("GRU: Expected sequence length to be larger than 0 in RNN (input [2, 0, 3], batchFirst=true)");
    expect(thrown(() => new nn.RNN(3, 4).forward(zeros([0, 3]))).message).toMatch(/^RNN: Expected sequence length to be larger than 0 in RNN \(input \[0, 3\]/);
    // An empty batch is not an empty sequence.
    expect(new nn.GRU(3, 4).forward(zeros([5, 0, 3]))[0].shape).toEqual([5, 0, 4]);
  });

  test("option values are type-checked: bidirectional: \"false\" is an error, not bidirectional", () => {
    expect(thrown(() => new nn.LSTM(3, 4, { bidirectional: loose("false") }), TypeError).message).toBe('LSTM: bidirectional must be a boolean, got "false"');
    expect(thrown(() => new nn.GRU(3, 4, { batchFirst: loose(1) })).message).toBe("GRU: batchFirst must be a boolean, got 1");
    expect(thrown(() => new nn.RNN(3, 4, { bias: loose("no") })).message).toBe('RNN: bias must be a boolean, got "no"');
    expect(thrown(() => new nn.LSTM(3, 4, { numLayers: loose("2") })).message).toBe("LSTM: numLayers must be a positive integer, got 2");
    expect(thrown(() => new nn.LSTMCell(3, 4, loose("true")), TypeError).message).toBe('LSTMCell: options must be an object, got "true"');
    expect(thrown(() => new nn.LSTMCell(3, 4, { bias: loose("true") })).message).toBe('LSTMCell: bias must be a boolean, got "true"');
  });

  test("impossible sizes are refused before allocation, with the bytes they would need", () => {
    expect(thrown(() => new nn.LSTM(10, 20000)).message).toBe(
      "LSTM: weight_hh_l0 [80000, 20000] (float32) would need 6.4 GB; a tensor may hold at most 2 GiB (2147483647 bytes)",
    );
    expect(thrown(() => new nn.GRUCell(100000, 10000)).message).toMatch(/^GRUCell: weight_ih \[30000, 100000\] \(float32\) would need 12\.0 GB/);
  });
});

describe("Linear, Embedding, Dropout", () => {
  test("sizes are checked in the constructor", () => {
    expect(thrown(() => new nn.Embedding(-1, 4), TypeError).message).toBe("Embedding: numEmbeddings must be a non-negative integer, got -1");
    expect(thrown(() => new nn.Embedding(10, 2.5)).message).toBe("Embedding: embeddingDim must be a non-negative integer, got 2.5");
    expect(thrown(() => new nn.Embedding(1e6, 1e4)).message).toBe("Embedding: weight [1000000, 10000] (float32) would need 40.0 GB; a tensor may hold at most 2 GiB (2147483647 bytes)");
    expect(thrown(() => new nn.Linear(-3, 2)).message).toBe("Linear: inFeatures must be a non-negative integer, got -3");
    expect(thrown(() => new nn.Linear(3, 2, { bias: loose("false") })).message).toBe('Linear: bias must be a boolean, got "false"');
  });

  test("Dropout's p must be a number", () => {
    expect(thrown(() => new nn.Dropout(loose("0.5"))).message).toBe("Dropout: dropout probability has to be between 0 and 1, but got 0.5");
  });
});

describe("losses", () => {
  test("ignoreIndex and labelSmoothing must be numbers", () => {
    const x = randn([2, 3]);
    const t = tensor([0, 1], { dtype: "int32" });
    expect(thrown(() => new nn.CrossEntropyLoss({ ignoreIndex: loose("-100") }).forward(x, t), TypeError).message).toBe('crossEntropy: ignoreIndex must be an integer, got "-100"');
    expect(thrown(() => new nn.CrossEntropyLoss({ labelSmoothing: loose("0.1") }).forward(x, t)).message).toBe("crossEntropy: labelSmoothing must be in [0, 1], got 0.1");
  });
});

describe("clipGradNorm_ and clipGradValue_", () => {
  const param = (): ReturnType<typeof zeros> => {
    const p = zeros([2], { requiresGrad: true });
    p.grad = tensor([3, 4]);
    return p;
  };
  test("maxNorm and clipValue must be numbers >= 0; NaN would make every gradient NaN", () => {
    expect(thrown(() => nn.utils.clipGradNorm_([param()], NaN), TypeError).message).toBe("clipGradNorm_: maxNorm must be a number >= 0, got NaN");
    expect(thrown(() => nn.utils.clipGradNorm_([param()], loose("1"))).message).toBe('clipGradNorm_: maxNorm must be a number >= 0, got "1"');
    expect(thrown(() => nn.utils.clipGradValue_([param()], -1)).message).toBe("clipGradValue_: clipValue must be a number >= 0, got -1");
    expect(thrown(() => nn.utils.clipGradNorm_(loose(5), 1)).message).toBe("clipGradNorm_: parameters must be a Tensor or an iterable of Tensors, got 5");
    expect(nn.utils.clipGradNorm_([param()], Infinity)).toBe(5);
  });
  test("errorIfNonfinite raises on a non-finite total norm", () => {
    const p = param();
    p.grad = tensor([NaN, 1]);
    expect(thrown(() => nn.utils.clipGradNorm_([p], 1, 2, true)).message).toMatch(/^clipGradNorm_: the total norm of order 2 for gradients from parameters is non-finite \(NaN\)/);
  });
});

/** Option keys a function does not take are errors that name the key the user probably meant. */
import { describe, expect, test } from "vitest";
import { nn, optim, randn, tensor } from "./index.js";
import { checkOptions, suggestKey } from "./options.js";
import { thrown } from "../test/helpers.js";

describe("suggestKey", () => {
  test("snake_case to camelCase, case slips and small typos; nothing for an unrelated key", () => {
    const keys = ["batchFirst", "numLayers", "bidirectional", "dropout"];
    expect(suggestKey("batch_first", keys)).toBe("batchFirst");
    expect(suggestKey("num_layers", keys)).toBe("numLayers");
    expect(suggestKey("batchfirst", keys)).toBe("batchFirst");
    expect(suggestKey("bidirectinal", keys)).toBe("bidirectional");
    expect(suggestKey("learning_rate", keys)).toBeNull();
  });
});

describe("checkOptions", () => {
  test("passes known keys, undefined and null", () => {
    expect(() => checkOptions<{ a?: number; b?: number }>("f", { a: 1 }, { a: true, b: true })).not.toThrow();
    expect(() => checkOptions<{ a?: number }>("f", undefined, { a: true })).not.toThrow();
  });

  test.each([
    ["LSTM batch_first", () => new nn.LSTM(3, 4, { batch_first: true } as never), /^LSTM: unknown option "batch_first" \(did you mean batchFirst\?\); options are numLayers, bias, batchFirst/],
    ["GRU num_layers", () => new nn.GRU(3, 4, { num_layers: 2 } as never), /^GRU: unknown option "num_layers" \(did you mean numLayers\?\)/],
    ["RNN with numLayers positional and an unknown key", () => new nn.RNN(3, 4, 2, { bidirectinal: true } as never), /^RNN: unknown option "bidirectinal" \(did you mean bidirectional\?\)/],
    ["JordanRNN output_size", () => new nn.JordanRNN(3, 4, { output_size: 2 } as never), /^JordanRNN: unknown option "output_size" \(did you mean outputSize\?\)/],
    ["Embedding padding_idx", () => new nn.Embedding(5, 2, { padding_idx: 0 } as never), /^Embedding: unknown option "padding_idx" \(did you mean paddingIdx\?\)/],
    ["CrossEntropyLoss ignore_index", () => new nn.CrossEntropyLoss({ ignore_index: 1 } as never).forward(randn([2, 3]), tensor([0, 1], { dtype: "int32" })), /^crossEntropy: unknown option "ignore_index" \(did you mean ignoreIndex\?\)/],
    ["packPaddedSequence enforce_sorted", () => nn.utils.packPaddedSequence(randn([3, 2, 1]), [3, 2], { enforce_sorted: false } as never), /^packPaddedSequence: unknown option "enforce_sorted" \(did you mean enforceSorted\?\)/],
    ["Adam weight_decay", () => new optim.Adam(new nn.Linear(2, 2).parameters(), { weight_decay: 0.1 } as never), /^Adam: unknown option "weight_decay" \(did you mean weightDecay\?\)/],
    ["SGD parameter group", () => new optim.SGD([{ params: new nn.Linear(2, 2).parameters(), learning_rate: 0.1 } as never], { lr: 0.1 }), /^SGD parameter group: unknown option "learning_rate"/],
    ["ReduceLROnPlateau min_lr", () => new optim.ReduceLROnPlateau(new optim.SGD(new nn.Linear(2, 2).parameters(), { lr: 0.1 }), { min_lr: 0.01 } as never), /^ReduceLROnPlateau: unknown option "min_lr" \(did you mean minLr\?\)/],
    ["randn requires_grad", () => randn([2], { requires_grad: true } as never), /^randn: unknown option "requires_grad" \(did you mean requiresGrad\?\)/],
    ["tensor dtpye", () => tensor([1, 2], { dtpye: "float64" } as never), /^tensor: unknown option "dtpye" \(did you mean dtype\?\)/],
    ["LSTMCell an unrelated key", () => new nn.LSTMCell(3, 4, { learning_rate: 1 } as never), /^LSTMCell: unknown option "learning_rate"; options are bias$/],
  ])("%s", (_name, run, message) => {
    const err = thrown(run, TypeError);
    expect(err.message).toMatch(message);
  });

  test("camelCase options from the same layers still work", () => {
    const lstm = new nn.LSTM(3, 4, { batchFirst: true, numLayers: 2, bidirectional: true, projSize: 2 });
    const [out] = lstm.forward(randn([2, 5, 3]));
    expect(out.shape).toEqual([2, 5, 4]);
  });
});

describe("errors name the function the user called", () => {
  test("CrossEntropyLoss's target errors say crossEntropy, not the nllLoss inside it", () => {
    const err = thrown(() => new nn.CrossEntropyLoss().forward(randn([2, 3]), tensor([0, 5], { dtype: "int32" })));
    expect(err.message).toBe("crossEntropy: target 5 is out of bounds for 3 classes");
    expect(thrown(() => nn.functional.nllLoss(randn([2, 3]), tensor([0, 5], { dtype: "int32" }))).message).toMatch(/^nllLoss: /);
  });
});

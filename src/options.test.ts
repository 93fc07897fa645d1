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

const loose = <T>(v: unknown): T => v as T;

describe("option values", () => {
  test("boolOption, positiveInt and finite name the function, the option and the value", async () => {
    const { boolOption, finite, positiveInt } = await import("./options.js");
    expect(thrown(() => boolOption("f", "flag", "false"), TypeError).message).toBe('f: flag must be a boolean, got "false"');
    expect(() => boolOption("f", "flag", undefined)).not.toThrow();
    expect(thrown(() => positiveInt("f", "size", 0)).message).toBe("f: size must be a positive integer, got 0");
    expect(thrown(() => positiveInt("f", "size", -1, true)).message).toBe("f: size must be a non-negative integer, got -1");
    expect(thrown(() => finite("f", "lr", Infinity)).message).toBe("f: lr must be a finite number, got Infinity");
    expect(thrown(() => checkOptions("f", loose(false), {})).message).toBe("f: options must be an object, got false");
  });

  test("optimizers' hyperparameters have their defaults' types", () => {
    const p = [randn([2], { requiresGrad: true })];
    expect(thrown(() => new optim.SGD(p, { lr: loose("0.1") }), TypeError).message).toBe('SGD: lr must be a number, got "0.1"');
    expect(thrown(() => new optim.Adam(p, { amsgrad: loose("false") })).message).toBe('Adam: amsgrad must be a boolean, got "false"');
    expect(thrown(() => new optim.Adam(p, { betas: loose([0.9]) })).message).toBe("Adam: betas must be 2 finite numbers, got [0.9]");
    expect(thrown(() => new optim.RMSprop(p, { lr: NaN })).message).toBe("RMSprop: invalid learning rate: NaN (must be >= 0)");
  });
});

describe("tensor creation and seeds", () => {
  test("tensor() rejects non-numbers, naming the position", async () => {
    expect(thrown(() => tensor([1, "2", 3] as unknown as number[]), TypeError).message).toBe('tensor: expected numbers, got "2" at index [1]');
    expect(thrown(() => tensor([[1, 2], [3, null]] as unknown as number[][])).message).toBe("tensor: expected numbers, got null at index [1, 1]");
    expect(thrown(() => tensor([1], { dtype: "float16" as "float32" })).message).toBe('tensor: unsupported dtype "float16"; supported dtypes are float32, float64, int32, float, double, int, int64, long');
  });

  test("zeros and full with a huge shape fail with the bytes needed", async () => {
    const { full, zeros } = await import("./tensor.js");
    expect(thrown(() => zeros([1e5, 1e5])).message).toBe("full: shape [100000, 100000] (float32) would need 40.0 GB; a tensor may hold at most 2 GiB (2147483647 bytes)");
    expect(thrown(() => full([3e8], 1, { dtype: "float64" })).message).toBe("full: shape [300000000] (float64) would need 2.4 GB; a tensor may hold at most 2 GiB (2147483647 bytes)");
    expect(thrown(() => zeros(loose(5))).message).toBe("full: shape must be an array of sizes, got 5");
  });

  test("manualSeed takes safe integers only", async () => {
    const { manualSeed } = await import("./random.js");
    expect(thrown(() => manualSeed(loose("abc")), TypeError).message).toBe('manualSeed: seed must be a safe integer (|seed| <= 2^53 - 1), got "abc"');
    expect(thrown(() => manualSeed(NaN)).message).toBe("manualSeed: seed must be a safe integer (|seed| <= 2^53 - 1), got NaN");
    expect(thrown(() => manualSeed(2 ** 64)).message).toBe("manualSeed: seed must be a safe integer (|seed| <= 2^53 - 1), got 18446744073709552000");
    expect(thrown(() => manualSeed(1.5)).message).toMatch(/^manualSeed: .* got 1\.5$/);
    expect(() => manualSeed(-(2 ** 53 - 1))).not.toThrow();
  });
});

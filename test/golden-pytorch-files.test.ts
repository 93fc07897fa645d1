/**
 * PyTorch checkpoints into seqtorch, end to end (tools/golden/pytorch_models.py): five models
 * trained a few steps in PyTorch 1.13 and saved with torch.save (zip and legacy) and as
 * safetensors are loaded into the same architectures built here, which must give PyTorch's logits
 * and the gradient of its loss for every parameter. Also: views in a .pt file, a nested
 * checkpoint loaded with `prefix`, PyTorch's load_state_dict message, and files that must be refused.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { nn, type Tensor } from "../src/index.js";
import { parseSafetensors, parseTorchFile, TorchFileError } from "../src/io/index.js";
import { loadTorchFile } from "../src/io/node.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";
import { thrown } from "./helpers.js";

interface ModelCase {
  name: string;
  hp: Record<string, number>;
  inputs: GoldenTensor[];
  targets: GoldenTensor;
  logits: GoldenTensor;
  loss: number;
  grads: Record<string, GoldenTensor>;
  keys: string[];
}

const golden = loadGolden<ModelCase>("pytorch_models") as ReturnType<typeof loadGolden<ModelCase>> & {
  views: Record<string, GoldenTensor & { torch_dtype: string }>;
  load_error: { message: string; nonstrict_message: string };
};
const file = (name: string): URL => new URL(`./golden/pytorch/${name}`, import.meta.url);
const read = (name: string): Uint8Array => readFileSync(file(name));

class LSTMTagger extends nn.Module {
  embedding: nn.Embedding;
  lstm: nn.LSTM;
  fc: nn.Linear;
  constructor(hp: Record<string, number>) {
    super();
    this.embedding = new nn.Embedding(hp.vocab!, hp.emb!);
    this.lstm = new nn.LSTM(hp.emb!, hp.hidden!, { numLayers: 2, bidirectional: true, batchFirst: true });
    this.fc = new nn.Linear(2 * hp.hidden!, hp.classes!);
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.lstm.forward(this.embedding.forward(x))[0]);
  }
}

class GRUTagger extends nn.Module {
  embedding: nn.Embedding;
  gru: nn.GRU;
  fc: nn.Linear;
  constructor(hp: Record<string, number>) {
    super();
    this.embedding = new nn.Embedding(hp.vocab!, hp.emb!);
    this.gru = new nn.GRU(hp.emb!, hp.hidden!, { batchFirst: true });
    this.fc = new nn.Linear(hp.hidden!, hp.classes!);
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.gru.forward(this.embedding.forward(x))[0]);
  }
}

class TanhRNN extends nn.Module {
  rnn: nn.RNN;
  fc: nn.Linear;
  constructor(hp: Record<string, number>) {
    super();
    this.rnn = new nn.RNN(hp.features!, hp.hidden!, { numLayers: 2, nonlinearity: "tanh" });
    this.fc = new nn.Linear(hp.hidden!, hp.classes!);
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.rnn.forward(x)[0]);
  }
}

class ProjLSTM extends nn.Module {
  lstm: nn.LSTM;
  fc: nn.Linear;
  constructor(hp: Record<string, number>) {
    super();
    this.lstm = new nn.LSTM(hp.features!, hp.hidden!, { numLayers: 2, projSize: hp.proj! });
    this.fc = new nn.Linear(hp.proj!, hp.classes!);
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.lstm.forward(x)[0]);
  }
}

class PackedClassifier extends nn.Module {
  embedding: nn.Embedding;
  lstm: nn.LSTM;
  fc: nn.Linear;
  constructor(hp: Record<string, number>) {
    super();
    this.embedding = new nn.Embedding(hp.vocab!, hp.emb!, { paddingIdx: 0 });
    this.lstm = new nn.LSTM(hp.emb!, hp.hidden!, { batchFirst: true });
    this.fc = new nn.Linear(hp.hidden!, hp.classes!);
  }
  forward(x: Tensor, lengths: Tensor): Tensor {
    const packed = nn.utils.packPaddedSequence(this.embedding.forward(x), lengths, { batchFirst: true, enforceSorted: false });
    const [, [h]] = this.lstm.forward(packed);
    return this.fc.forward(h.at(-1));
  }
}

type Model = nn.Module & { forward(...xs: Tensor[]): Tensor };
const BUILD: Record<string, (hp: Record<string, number>) => Model> = {
  lstm_tagger: (hp) => new LSTMTagger(hp),
  gru_tagger: (hp) => new GRUTagger(hp),
  rnn_tanh: (hp) => new TanhRNN(hp),
  lstm_proj: (hp) => new ProjLSTM(hp),
  packed_lstm: (hp) => new PackedClassifier(hp),
};

/** Loads `tensors` into a fresh model of the case, runs its batch and checks logits, loss and every gradient. */
function checkAgainstPyTorch(c: ModelCase, tensors: Record<string, Tensor>, label: string): void {
  const model = BUILD[c.name]!(c.hp);
  expect(Object.keys(model.stateDict()), `${label}: PyTorch's keys`).toEqual(c.keys);
  expect(model.loadStateDict(tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  const logits = model.forward(...c.inputs.map((g) => toTensor(g)));
  expectClose(logits, c.logits, `${label} logits`);
  const classes = logits.shape[logits.shape.length - 1]!;
  const loss = new nn.CrossEntropyLoss().forward(logits.reshape([-1, classes]), toTensor(c.targets).reshape([-1]));
  expect(loss.item()).toBeCloseTo(c.loss, 5);
  loss.backward();
  for (const [k, p] of model.namedParameters()) expectClose(p.grad, c.grads[k]!, `${label} grad ${k}`);
  expect(model.namedParameters().map(([k]) => k).sort()).toEqual(Object.keys(c.grads).sort());
}

describe("PyTorch checkpoints give PyTorch's logits and gradients", () => {
  test.each(golden.cases.map((c) => [c.name, c] as const))("%s: torch.save (zip) and safetensors", (name, c) => {
    const pt = parseTorchFile(read(`${name}.pt`), `${name}.pt`);
    expect(pt.format).toBe("zip");
    expect(Object.keys(pt.tensors)).toEqual(c.keys);
    checkAgainstPyTorch(c, pt.tensors, `${name}.pt`);
    const st = parseSafetensors(read(`${name}.safetensors`));
    checkAgainstPyTorch(c, st.tensors, `${name}.safetensors`);
    // The two files hold the same values, bit for bit.
    for (const k of c.keys) expect([...pt.tensors[k]!.data], k).toEqual([...st.tensors[k]!.data]);
  });

  test("the legacy format (_use_new_zipfile_serialization=False), read from disk", async () => {
    const c = golden.cases.find((x) => x.name === "lstm_tagger")!;
    const legacy = await loadTorchFile(file("lstm_tagger_legacy.pt").pathname);
    expect(legacy.format).toBe("legacy");
    checkAgainstPyTorch(c, legacy.tensors, "lstm_tagger_legacy.pt");
  });

  test("a nested checkpoint {model, epoch, note}: values by key, and the model loaded with prefix \"model.\"", () => {
    const c = golden.cases.find((x) => x.name === "lstm_tagger")!;
    const { tensors, values } = parseTorchFile(read("lstm_tagger_nested.pt"));
    expect(values).toEqual({ epoch: 3, note: "best" });
    expect(Object.keys(tensors)).toEqual(c.keys.map((k) => `model.${k}`));
    const model = new LSTMTagger(c.hp);
    expect(model.loadStateDict(tensors, { prefix: "model." })).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expectClose(model.forward(toTensor(c.inputs[0]!)), c.logits, "nested logits");
    // Without the prefix, PyTorch's complaint: every key is missing and every file key unexpected.
    expect(() => new LSTMTagger(c.hp).loadStateDict(tensors)).toThrow(/^Error\(s\) in loading state_dict for LSTMTagger:\n\tMissing key\(s\) in state_dict: "embedding.weight", /);
  });

  test("load_state_dict's error message is PyTorch's, word for word", () => {
    const c = golden.cases.find((x) => x.name === "lstm_tagger")!;
    const { tensors } = parseTorchFile(read("lstm_tagger.pt"));
    const { "fc.bias": _dropped, ...wrong } = tensors;
    wrong["lstm.weight_ih_l0"] = toTensor({ shape: [16, 3], data: new Array(48).fill(0) });
    wrong["extra.weight"] = toTensor({ shape: [1], data: [0] });
    const model = new LSTMTagger(c.hp);
    expect(thrown(() => model.loadStateDict(wrong)).message).toBe(golden.load_error.message);
    const { "extra.weight": _extra, ...nonstrict } = wrong;
    expect(thrown(() => model.loadStateDict(nonstrict, false)).message).toBe(golden.load_error.nonstrict_message);
  });
});

describe("views and dtypes in a .pt file", () => {
  test("transposed, offset, strided and expanded views of shared storage, float64, int64, bool, float16, a scalar: contiguous copies with the same values", () => {
    const { tensors } = parseTorchFile(read("views.pt"));
    expect(Object.keys(tensors)).toEqual(Object.keys(golden.views));
    for (const [k, g] of Object.entries(golden.views)) {
      const t = tensors[k]!;
      expect(t.dtype, k).toBe(g.dtype ?? (g.torch_dtype === "float64" ? "float64" : "float32"));
      expect([...t.shape], k).toEqual(g.shape);
      expect([...t.data], k).toEqual(g.data);
    }
  });
});

describe("files that are not a state dict are refused with one clear error naming the file", () => {
  test.each([
    ["bad_module.pt", /^bad_module\.pt: the pickle names the global "torch\.nn\.modules\.linear\.Linear", which a state dict does not use; refusing to load it .*save model\.state_dict\(\) instead$/],
    ["bad_os_system.pt", /^bad_os_system\.pt: the pickle names the global "posix\.system", which a state dict does not use; refusing to load it/],
  ])("%s", (name, message) => {
    const err = thrown(() => parseTorchFile(read(name), name), TorchFileError);
    expect(err.message).toMatch(message);
    expect(err.source).toBe(name);
  });

  test("a truncated file, a file with another magic, a safetensors file, a missing file", async () => {
    const good = read("gru_tagger.pt");
    expect(thrown(() => parseTorchFile(good.subarray(0, good.length - 30), "cut.pt"), TorchFileError).message).toMatch(/^cut\.pt: not a valid zip archive \(.*\); the file may be truncated or corrupt$/);
    expect(thrown(() => parseTorchFile(good.subarray(0, 100), "cut.pt"), TorchFileError).message).toMatch(/^cut\.pt: not a valid zip archive/);
    const legacy = read("lstm_tagger_legacy.pt");
    expect(thrown(() => parseTorchFile(legacy.subarray(0, legacy.length - 5), "old.pt"), TorchFileError).message).toMatch(/^old\.pt: the file ends inside storage "\d+" \(truncated\?\)$/);
    expect(thrown(() => parseTorchFile(legacy.subarray(0, 200), "old.pt"), TorchFileError).message).toMatch(/^old\.pt: malformed pickle at byte \d+: the pickle ends early \(truncated file\?\)$/);
    expect(thrown(() => parseTorchFile(new TextEncoder().encode("GIF89a......"), "x.pt"), TorchFileError).message).toBe(
      'x.pt: not a PyTorch file: torch.save writes a zip archive (starting with "PK\\x03\\x04") or a legacy pickle stream (starting with 80 02), but the file starts with 47 49 46 38 39 61 2e 2e');
    expect(thrown(() => parseTorchFile(new Uint8Array(0), "empty.pt")).message).toMatch(/^empty\.pt: not a PyTorch file: .*the file is empty$/);
    expect(thrown(() => parseTorchFile(read("gru_tagger.safetensors"), "m.pt")).message).toBe("m.pt: this looks like a safetensors file, not a torch.save file; read it with parseSafetensors");
    await expect(loadTorchFile("/nonexistent/model.pt")).rejects.toThrow("loadTorchFile: /nonexistent/model.pt does not exist");
  });

  test("a checkpoint whose shapes do not fit the model: PyTorch's size-mismatch message, nothing loaded", () => {
    const c = golden.cases.find((x) => x.name === "gru_tagger")!;
    const { tensors } = parseTorchFile(read("gru_tagger.pt"));
    const model = new GRUTagger({ ...c.hp, hidden: c.hp.hidden! + 1 });
    const before = model.parameters().map((p) => [...p.data]);
    expect(() => model.loadStateDict(tensors)).toThrow(/^Error\(s\) in loading state_dict for GRUTagger:\n\tsize mismatch for gru\.weight_ih_l0: copying a param with shape torch\.Size\(\[15, 4\]\) from checkpoint, the shape in current model is torch\.Size\(\[18, 4\]\)\./);
    expect(model.parameters().map((p) => [...p.data])).toEqual(before);
  });
});

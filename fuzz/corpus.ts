/**
 * The valid inputs that mutations start from: safetensors files of every dtype, three small text
 * model checkpoints (config.json, vocab.json, model.safetensors) with data files they evaluate,
 * and tables. Built deterministically, once per thread.
 */
import { manualSeed, tensor } from "../src/index.js";
import { serializeSafetensors } from "../src/io/safetensors.js";
import { bundleToParts, SequenceRegressor, TextClassifier, type TextModelBundle } from "../src/models/index.js";
import { createTokenizer } from "../src/text/tokenizer.js";
import { Vocab } from "../src/text/vocab.js";
import { utf8 } from "./mutate.js";

/** A checkpoint directory's files, and what to feed it. */
export interface CheckpointSeed {
  files: Record<"config.json" | "vocab.json" | "model.safetensors", Uint8Array>;
  texts: string[];
  csv: string;
  jsonl: string;
}

export interface Corpus {
  safetensors: Uint8Array[];
  checkpoints: CheckpointSeed[];
  csv: string[];
  tsv: string[];
  jsonl: string[];
  vocabs: string[];
}

/** A safetensors file built by hand (u64 length, JSON padded to 8 with spaces, data), independent of the serializer. */
export function buildSafetensors(header: unknown, data: ArrayLike<number> = [], rawHeader?: string): Uint8Array {
  let json = rawHeader ?? JSON.stringify(header);
  while (json.length % 8 !== 0) json += " ";
  const h = utf8(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

function le(size: number, values: number[], set: (v: DataView, off: number, x: number) => void): number[] {
  const v = new DataView(new ArrayBuffer(size * values.length));
  values.forEach((x, i) => set(v, i * size, x));
  return [...new Uint8Array(v.buffer)];
}

function allDtypes(): Uint8Array {
  const parts: [string, string, number[], number[]][] = [
    ["half", "F16", [2, 2], le(2, [0x3e00, 0xc000, 0x7bff, 0x0001], (v, o, x) => v.setUint16(o, x, true))],
    ["bf", "BF16", [3], le(2, [0x3f80, 0xc049, 0x4780], (v, o, x) => v.setUint16(o, x, true))],
    ["long", "I64", [2], le(8, [-5, 7], (v, o, x) => v.setBigInt64(o, BigInt(x), true))],
    ["ulong", "U64", [1], le(8, [9], (v, o, x) => v.setBigUint64(o, BigInt(x), true))],
    ["u32", "U32", [2], le(4, [1, 2147483647], (v, o, x) => v.setUint32(o, x, true))],
    ["i16", "I16", [2], le(2, [-32768, 32767], (v, o, x) => v.setInt16(o, x, true))],
    ["u16", "U16", [1], le(2, [65535], (v, o, x) => v.setUint16(o, x, true))],
    ["i8", "I8", [3], [0xff, 0x80, 0x7f]],
    ["u8", "U8", [1, 2], [0, 255]],
    ["mask", "BOOL", [4], [0, 1, 2, 0]],
    ["f64", "F64", [], le(8, [Math.PI], (v, o, x) => v.setFloat64(o, x, true))],
    ["empty", "F32", [0, 3], []],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: "pt", note: "héllo" } };
  const data: number[] = [];
  for (const [name, dtype, shape, bytes] of parts) {
    header[name] = { dtype, shape, data_offsets: [data.length, data.length + bytes.length] };
    data.push(...bytes);
  }
  return buildSafetensors(header, data);
}

function makeCheckpoint(bundle: TextModelBundle, texts: string[], labels: string[]): CheckpointSeed {
  const parts = bundleToParts(bundle, { epoch: 3 });
  const rows = texts.map((t, i) => [t, labels[i % labels.length]!] as const);
  return {
    files: {
      "config.json": utf8(JSON.stringify(parts.config, null, 2) + "\n"),
      "vocab.json": utf8(JSON.stringify(parts.vocab, null, 2) + "\n"),
      "model.safetensors": serializeSafetensors(parts.stateDict, { format: "pt" }),
    },
    texts,
    csv: "text,label\n" + rows.map(([t, l]) => `"${t.replaceAll("\"", "\"\"")}",${l}`).join("\n") + "\n",
    jsonl: rows.map(([t, l]) => JSON.stringify({ text: t, label: bundle.task === "regression" ? Number(l) : l })).join("\n") + "\n",
  };
}

let corpus: Corpus | undefined;

/** The seed corpus (built on first use). */
export function seedCorpus(): Corpus {
  if (corpus) return corpus;
  manualSeed(0);
  const en = ["a good film", "a bad film", "the plot, sadly, was thin", "great acting!", "Not good.", "\"quoted\" text"];
  const vocabEn = Vocab.build(en.map((t) => createTokenizer("word", { lowercase: true }).tokenize(t)));
  const cls: TextModelBundle = {
    task: "classification", tokenizer: createTokenizer("word", { lowercase: true }), vocab: vocabEn, labels: ["neg", "pos"], maxLen: 8,
    model: new TextClassifier({ vocabSize: vocabEn.size, numClasses: 2, embeddingDim: 4, hiddenSize: 5, cell: "lstm", bidirectional: true }),
  };
  const zh = ["我喜欢深度学习", "模型不久", "简单看了", "论文。"];
  const vocabZh = Vocab.build(zh.map((t) => [...t]), { specials: ["<bos>"] });
  const reg: TextModelBundle = {
    task: "regression", tokenizer: createTokenizer("char"), vocab: vocabZh, labels: ["score"], maxLen: 12,
    model: new SequenceRegressor({ vocabSize: vocabZh.size, numOutputs: 1, embeddingDim: 3, hiddenSize: 4, cell: "gru", numLayers: 2, pooling: "mean" }),
  };
  const three = ["x y z", "y z", "z x x", "w"];
  const vocab3 = Vocab.build(three.map((t) => t.split(" ")));
  const multi: TextModelBundle = {
    task: "classification", tokenizer: createTokenizer("whitespace", { keepPunctuation: false }), vocab: vocab3, labels: ["a", "b", "c"], maxLen: null,
    model: new TextClassifier({ vocabSize: vocab3.size, numClasses: 3, embeddingDim: 2, hiddenSize: 3, cell: "rnn" }),
  };
  const checkpoints = [makeCheckpoint(cls, en, ["neg", "pos"]), makeCheckpoint(reg, zh, ["0.5", "-1", "2e-1"]), makeCheckpoint(multi, three, ["a", "b", "c"])];
  corpus = {
    safetensors: [
      allDtypes(),
      checkpoints[0]!.files["model.safetensors"],
      serializeSafetensors({
        "w.f32": tensor([[1.5, -2, 0.25], [3, -0, 1e-3]], { dtype: "float32" }),
        "w.f64": tensor([Math.E, -1e-300], { dtype: "float64" }),
        "idx": tensor([[-7, 0], [7, 2147483647]], { dtype: "int32" }),
        "scalar": tensor(4.25),
      }, { format: "pt" }),
      serializeSafetensors({}),
    ],
    checkpoints,
    csv: checkpoints.map((c) => c.csv).concat(["id,text,label,extra\n1,\"multi\nline\",x,\n2,\"a \"\"b\"\"\",y,z\n", "\ufeffa;b\n1;2\n"]),
    tsv: ["text\tlabel\nhello world\tpos\n\"tab\there\"\tneg\n"],
    jsonl: checkpoints.map((c) => c.jsonl).concat(["{\"text\":\"a\",\"label\":true,\"n\":[1,{\"x\":null}]}\n\n{\"label\":1.5e3}\r\n"]),
    vocabs: [vocabEn, vocabZh, vocab3].map((v) => JSON.stringify(v.toJSON())),
  };
  return corpus;
}

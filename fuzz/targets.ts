/**
 * The fuzz targets: each makes one input from an `Rng` (a set of named files) and runs one parser,
 * loader or CLI command on it. A run returns when the input was accepted (after checking that the
 * result says what the input says) and throws when it was rejected; `outcome.ts` decides whether
 * that throw is a clean rejection. To fuzz one more table or safetensors reader, add a line to
 * `TABLE_READERS` or `SAFETENSORS_READERS`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { unzipSync, zipSync, type Zippable } from "fflate";
import { join } from "node:path";
import { parseDelimited, parseJsonLines, type Table } from "../src/data/table.js";
import { readTable, streamTable } from "../src/data/files.js";
import { loadCheckpoint, loadSafetensorsFile, loadTorchFile } from "../src/io/checkpoint.js";
import { parseTorchFile } from "../src/io/torch.js";
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors } from "../src/io/safetensors.js";
import { bundleFromParts, checkBundleConfig } from "../src/models/index.js";
import { tokenizerFromJSON, type TokenizerConfig } from "../src/text/tokenizer.js";
import { Vocab } from "../src/text/vocab.js";
import { evalCommand, loadBundle, predictCommand } from "../src/cli/use.js";
import { checkBundle, checkSafetensors, checkTable, checkTorchFile, checkVocab, sameJson } from "./checks.js";
import { seedCorpus, type CheckpointSeed } from "./corpus.js";
import { EDGE_NUMBERS, EDGE_STRINGS, longRun, mutateBytes, mutateJson, mutateText, randomJson, randomString, stringify, text, utf8 } from "./mutate.js";
import { ensure, FuzzFailure } from "./outcome.js";
import type { Rng } from "./rng.js";

/** An input: file name to contents. */
export type Parts = Record<string, Uint8Array>;

export interface Target {
  name: string;
  /** Relative share of a run's inputs (cheap targets get more). */
  weight: number;
  make(rng: Rng): Parts;
  /** Runs the input, with `dir` a scratch folder holding its files (written by the caller when `files` is set). */
  run(parts: Parts, dir: string): unknown;
  /** Whether `run` reads the parts from files in `dir`. */
  files?: boolean;
}

/** Writes the parts into `dir` (emptied first). */
export function writeParts(dir: string, parts: Parts): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(parts)) writeFileSync(join(dir, name), bytes);
}

// ---------------------------------------------------------------------------------------------
// safetensors

const DTYPES = ["F32", "F64", "I32", "F16", "BF16", "I64", "U64", "U32", "I16", "U16", "I8", "U8", "BOOL", "F8_E4M3", "C64", "f32", ""];

function splitSafetensors(b: Uint8Array): { n: number; header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  return { n, header: JSON.parse(text(b.subarray(8, 8 + n))) as Record<string, unknown>, data: b.subarray(8 + n) };
}

function joinSafetensors(rng: Rng, headerText: string, data: Uint8Array): Uint8Array {
  if (rng.chance(0.7)) headerText += " ".repeat((8 - (utf8(headerText).length % 8)) % 8);
  const h = utf8(headerText);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A valid file changed in one of several ways: bytes anywhere, bytes in the data only, the header's JSON, its fields, or its length. */
export function makeSafetensors(rng: Rng, seed?: Uint8Array): Uint8Array {
  if (!seed && rng.chance(0.02)) return rng.bytes(rng.size(300));
  const b = seed ?? rng.pick(seedCorpus().safetensors);
  const { n, header, data } = splitSafetensors(b);
  switch (rng.int(6)) {
    case 0: return mutateBytes(rng, b);
    case 1: {
      const out = b.slice();
      for (let k = rng.range(1, 6); k > 0 && out.length > 8 + n; k--) out[8 + n + rng.int(out.length - 8 - n)] = rng.u32() & 0xff;
      return out;
    }
    case 2: return joinSafetensors(rng, stringify(mutateJson(rng, header)), rng.chance(0.8) ? data : mutateBytes(rng, data));
    case 3: {
      // One field of one entry set to an edge value, the rest kept consistent where possible.
      const names = Object.keys(header).filter((k) => k !== "__metadata__");
      if (names.length === 0) return joinSafetensors(rng, stringify({ [randomString(rng, 3)]: randomJson(rng) }), data);
      const e = header[rng.pick(names)] as Record<string, unknown>;
      const field = rng.pick(["dtype", "shape", "data_offsets", "data_offsets", "shape"]);
      if (field === "dtype") e.dtype = rng.pick(DTYPES);
      else if (field === "shape") e.shape = rng.chance(0.5) ? Array.from({ length: rng.size(5) }, () => rng.pick(EDGE_NUMBERS)) : [...(e.shape as number[]), rng.pick([0, 1, 2])];
      else e.data_offsets = rng.chance(0.3) ? randomJson(rng) : (e.data_offsets as number[]).map((x) => (rng.chance(0.5) ? rng.pick(EDGE_NUMBERS) : x + rng.range(-8, 8)));
      return joinSafetensors(rng, stringify(header), data);
    }
    case 4: {
      const out = b.slice();
      const choices = [0, 1, 2, 7, n - 1, n + 1, n + 8, n - 8, b.length - 8, b.length, 2 ** 32, 2 ** 32 + n, 2 ** 53, 100_000_000, 100_000_001, rng.u32()];
      const len = rng.chance(0.05) ? 2n ** 64n - 1n : BigInt(Math.max(0, rng.pick(choices)));
      new DataView(out.buffer).setBigUint64(0, len, true);
      return out;
    }
    default: {
      // Text-level damage to the header alone, length recomputed (or not).
      const raw = text(b.subarray(8, 8 + n));
      return joinSafetensors(rng, rng.chance(0.5) ? mutateText(rng, raw) : text(mutateBytes(rng, utf8(raw))), data);
    }
  }
}

/** Readers of safetensors bytes; each result is checked against the file by `checkSafetensors`. */
export const SAFETENSORS_READERS: { name: string; files?: boolean; read: (bytes: Uint8Array, path: string) => unknown }[] = [
  { name: "parseSafetensors", read: (b) => parseSafetensors(b) },
  { name: "readSafetensorsHeader", read: (b) => readSafetensorsHeader(b) },
  { name: "loadSafetensorsFile", files: true, read: (_, path) => loadSafetensorsFile(path) },
];

const safetensorsTargets: Target[] = SAFETENSORS_READERS.map((r) => ({
  name: `safetensors/${r.name}`,
  weight: r.files ? 1 : 4,
  files: r.files,
  make: (rng) => ({ "model.safetensors": makeSafetensors(rng) }),
  run: async (parts, dir) => {
    const bytes = parts["model.safetensors"]!;
    const result = await r.read(bytes, join(dir, "model.safetensors"));
    checkSafetensors(bytes, result);
    if (r.name === "parseSafetensors") {
      // Round trip: what was read, written and read again, is the same.
      const back = parseSafetensors(serializeSafetensors((result as ReturnType<typeof parseSafetensors>).tensors));
      for (const [k, t] of Object.entries((result as ReturnType<typeof parseSafetensors>).tensors)) {
        const u = back.tensors[k]!;
        ensure(u.dtype === t.dtype && u.data.every((x, i) => Object.is(x, t.data[i]) || (Number.isNaN(x) && Number.isNaN(t.data[i]!))), () => `"${k}" changes on a write/read round trip`);
      }
    }
    return result;
  },
}));

// ---------------------------------------------------------------------------------------------
// torch.save files

let torchSeeds: Uint8Array[] | undefined;
/** PyTorch's own files (test/golden/pytorch/), the ones that must be refused included. */
function torchSeedFiles(): Uint8Array[] {
  const dir = new URL("../test/golden/pytorch/", import.meta.url);
  return (torchSeeds ??= readdirSync(dir).filter((n) => n.endsWith(".pt")).map((n) => new Uint8Array(readFileSync(new URL(n, dir)))));
}

/** A torch.save file changed: cut short, bytes anywhere, or the bytes of one archive entry (most often the pickle) re-zipped. */
export function makeTorchFile(rng: Rng): Uint8Array {
  const b = rng.pick(torchSeedFiles());
  if (rng.chance(0.1)) return b.subarray(0, rng.int(b.length));
  if (b[0] !== 0x50 || rng.chance(0.3)) return mutateBytes(rng, b);
  const files: Record<string, Uint8Array> = unzipSync(b);
  const names = Object.keys(files);
  const name = rng.chance(0.7) ? names.find((k) => k.endsWith("/data.pkl"))! : rng.pick(names);
  files[name] = mutateBytes(rng, files[name]!);
  const out: Zippable = {};
  for (const [k, v] of Object.entries(files)) out[k] = [v, { level: 0 }];
  return zipSync(out);
}

const torchTargets: Target[] = [
  { name: "torch/parseTorchFile", weight: 3, make: (rng) => ({ "model.pt": makeTorchFile(rng) }), run: (parts) => checkTorchFile(parseTorchFile(parts["model.pt"]!, "model.pt")) },
  { name: "torch/loadTorchFile", weight: 1, files: true, make: (rng) => ({ "model.pt": makeTorchFile(rng) }), run: async (_, dir) => checkTorchFile(await loadTorchFile(join(dir, "model.pt"))) },
];

// ---------------------------------------------------------------------------------------------
// checkpoints and model bundles

/** A seed checkpoint with one or two of its files damaged (or missing), plus texts and a data file to use it with. */
export function makeCheckpoint(rng: Rng): { files: Parts; seed: CheckpointSeed } {
  const seed = rng.pick(seedCorpus().checkpoints);
  const files: Parts = { ...seed.files };
  for (let k = rng.chance(0.85) ? 1 : 2; k > 0; k--) {
    const which = rng.pick(["config.json", "config.json", "config.json", "vocab.json", "vocab.json", "model.safetensors", "model.safetensors", "labels", "none"] as const);
    if (which === "none") continue;
    if (which === "labels") {
      // A valid model whose label names are odd strings (line breaks, quotes, "__proto__"...): these reach every later message.
      const config = JSON.parse(text(seed.files["config.json"])) as { labels: string[] };
      config.labels = config.labels.map((l, i) => (rng.chance(0.5) ? `${rng.pick(EDGE_STRINGS.filter((s) => s !== ""))}${i}` : l));
      files["config.json"] = utf8(JSON.stringify(config));
      continue;
    }
    const r = rng.int(20);
    if (r === 0) delete files[which];
    else if (which === "model.safetensors") files[which] = makeSafetensors(rng, seed.files[which]);
    else if (r < 4) files[which] = mutateBytes(rng, seed.files[which]);
    else if (r < 6) files[which] = utf8(mutateText(rng, text(seed.files[which])));
    else files[which] = utf8(stringify(mutateJson(rng, JSON.parse(text(seed.files[which]))), rng.chance(0.5) ? 2 : undefined));
  }
  return { files, seed };
}

const checkpointTargets: Target[] = [
  {
    name: "checkpoint/loadCheckpoint",
    weight: 1,
    files: true,
    make: (rng) => makeCheckpoint(rng).files,
    run: async (parts, dir) => {
      const ck = await loadCheckpoint(dir);
      checkSafetensors(parts["model.safetensors"]!, { tensors: ck.stateDict, metadata: ck.metadata });
      ensure(sameJson(ck.config, JSON.parse(text(parts["config.json"]!))), () => "config differs from config.json");
      return ck;
    },
  },
  {
    name: "checkpoint/loadBundle",
    weight: 2,
    files: true,
    make: (rng) => makeCheckpoint(rng).files,
    run: async (parts, dir) => {
      const bundle = await loadBundle(dir);
      checkBundle(parts, parseSafetensors(parts["model.safetensors"]!).tensors, bundle);
      return bundle;
    },
  },
  {
    // The same checks in memory, on parsed values only: many more configs per second.
    name: "models/bundleFromParts",
    weight: 3,
    make: (rng) => {
      const { seed } = makeCheckpoint(rng);
      const files: Parts = { ...seed.files };
      const which = rng.pick(["config.json", "config.json", "config.json", "vocab.json"] as const);
      files[which] = utf8(stringify(mutateJson(rng, JSON.parse(text(files[which]!)))));
      return files;
    },
    run: (parts) => {
      const parse = (name: string): unknown => JSON.parse(text(parts[name]!));
      const stateDict = parseSafetensors(parts["model.safetensors"]!).tensors;
      const config = parse("config.json");
      checkBundleConfig(config);
      const bundle = bundleFromParts({ config, stateDict, vocab: parse("vocab.json") });
      checkBundle(parts, stateDict, bundle);
      return bundle;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// vocabularies and tokenizers

const vocabTargets: Target[] = [{
  name: "vocab/fromJSON",
  weight: 3,
  make: (rng) => {
    const base = rng.pick(seedCorpus().vocabs);
    const r = rng.int(10);
    const out = r < 6 ? stringify(mutateJson(rng, JSON.parse(base))) : r < 8 ? mutateText(rng, base) : text(mutateBytes(rng, utf8(base)));
    return { "vocab.json": utf8(out) };
  },
  run: (parts) => {
    const source = text(parts["vocab.json"]!);
    const vocab = Vocab.fromJSON(source);
    checkVocab(JSON.parse(source), vocab);
    return vocab;
  },
}];

const TOKENIZER_CONFIGS: TokenizerConfig[] = [
  { kind: "word", locale: "en", lowercase: false, keepPunctuation: false },
  { kind: "word", locale: "zh", lowercase: true, keepPunctuation: true },
  { kind: "word", locale: "th", lowercase: false, keepPunctuation: false },
  { kind: "char", lowercase: false, keepWhitespace: true },
  { kind: "char", lowercase: true, keepWhitespace: false },
  { kind: "whitespace", lowercase: false, keepPunctuation: true },
  { kind: "whitespace", lowercase: true, keepPunctuation: false },
];

/**
 * Random Unicode text: code units of every kind, table pieces, long runs. At most 100 K code units:
 * tokenizing is linear but takes up to ~10 µs a token (a locale-aware lowercase each), and a
 * longer text would run into the hang timeout on a busy machine.
 */
export function makeText(rng: Rng): string {
  const r = rng.int(10);
  if (r < 6) return randomString(rng, rng.size(300));
  if (r < 8) return mutateText(rng, randomString(rng, rng.size(60))).slice(0, 100_000);
  if (r < 9 && rng.chance(0.5)) return longRun(rng, rng.pick(["a", " ", "!", "a!", "我", "e\u0301", "👋🏽", "\ud800", "\n", "。"])).slice(0, 100_000);
  return String.fromCharCode(...Array.from({ length: rng.size(200) }, () => rng.int(0x10000)));
}

const tokenizerTargets: Target[] = [
  {
    name: "text/tokenize",
    weight: 2,
    make: (rng) => ({ "config.json": utf8(JSON.stringify(rng.pick(TOKENIZER_CONFIGS))), "text.txt": utf8Lossless(makeText(rng)) }),
    run: (parts) => {
      const tokenizer = tokenizerFromJSON(JSON.parse(text(parts["config.json"]!)));
      const source = fromLossless(parts["text.txt"]!);
      // Any text is tokenized: a throw here is a failure, never a rejection.
      let tokens: string[];
      try {
        tokens = tokenizer.tokenize(source);
      } catch (e) {
        throw new FuzzFailure(`tokenize threw ${(e as Error).name}: ${(e as Error).message}`);
      }
      ensure(tokens.every((t) => typeof t === "string" && t !== ""), () => "an empty or non-string token");
      if (tokenizer.kind === "whitespace") ensure(tokens.every((t) => !/\s/u.test(t)), () => "a whitespace token holds whitespace");
      const c = tokenizer.toJSON() as { kind: string; keepWhitespace?: boolean; lowercase: boolean };
      if (c.kind === "char" && c.keepWhitespace && !c.lowercase) ensure(tokens.join("") === source, () => "char tokens do not join back to the text");
      return tokens;
    },
  },
  {
    name: "text/tokenizerFromJSON",
    weight: 1,
    make: (rng) => ({ "config.json": utf8(stringify(mutateJson(rng, { ...rng.pick(TOKENIZER_CONFIGS) }))) }),
    run: (parts) => {
      const config = JSON.parse(text(parts["config.json"]!)) as unknown;
      const t = tokenizerFromJSON(config);
      ensure(JSON.stringify(tokenizerFromJSON(t.toJSON()).toJSON()) === JSON.stringify(t.toJSON()), () => "toJSON does not round-trip");
      return t.tokenize("Hello, wörld! 我喜欢深度学习。");
    },
  },
];

/**
 * Strings with lone surrogates do not survive UTF-8, so texts travel as UTF-16 code units. These
 * two helpers pack and unpack them.
 */
function utf8Lossless(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    out[2 * i] = s.charCodeAt(i) & 0xff;
    out[2 * i + 1] = s.charCodeAt(i) >> 8;
  }
  return out;
}

function fromLossless(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2048) s += String.fromCharCode(...Array.from({ length: Math.min(1024, (b.length - i) >> 1) }, (_, k) => b[i + 2 * k]! | (b[i + 2 * k + 1]! << 8)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// tables

/** A table text: a seed CSV/TSV/JSONL damaged at the text or byte level, or random pieces. */
export function makeTableText(rng: Rng, kind: "csv" | "tsv" | "jsonl"): Uint8Array {
  const c = seedCorpus();
  const seeds = kind === "jsonl" ? c.jsonl : kind === "tsv" ? c.tsv.concat(c.csv) : c.csv.concat(c.tsv);
  const r = rng.int(10);
  if (r < 4) return utf8(mutateText(rng, rng.pick(seeds)));
  if (r < 6) return mutateBytes(rng, utf8(rng.pick(seeds)));
  if (r < 7) return utf8(Array.from({ length: rng.size(60) }, () => rng.pick(["\n", ...Array(6).fill(","), "\"", "text", "label", "x", randomString(rng, 3)])).join(""));
  if (kind === "jsonl" && r < 9) {
    return utf8(Array.from({ length: rng.size(12) }, () => stringify(rng.chance(0.7) ? mutateJson(rng, { text: "a b", label: rng.pick(EDGE_STRINGS) }) : randomJson(rng))).join(rng.pick(["\n", "\r\n"])));
  }
  return utf8(Array.from({ length: rng.size(30) }, () => Array.from({ length: rng.range(1, 4) }, () => randomString(rng, rng.size(6))).join(kind === "tsv" ? "\t" : ",")).join("\n"));
}

/**
 * Readers of table files. `read` gets the file's text and path; `kind` says how the result is
 * checked. To fuzz another reader (a streaming one, say), add a line here.
 */
export const TABLE_READERS: { name: string; ext: ".csv" | ".tsv" | ".jsonl"; kind: "csv" | "jsonl"; files?: boolean; read: (source: string, path: string) => Table<unknown> | Promise<Table<unknown>> }[] = [
  { name: "parseDelimited", ext: ".csv", kind: "csv", read: (s) => parseDelimited(s) },
  { name: "parseDelimited-tsv", ext: ".tsv", kind: "csv", read: (s) => parseDelimited(s, { delimiter: "\t" }) },
  { name: "parseJsonLines", ext: ".jsonl", kind: "jsonl", read: (s) => ({ columns: [...new Set(parseJsonLines(s).flatMap((r) => Object.keys(r)))], rows: parseJsonLines(s) }) },
  { name: "readTable-csv", ext: ".csv", kind: "csv", files: true, read: (_, p) => readTable(p) },
  { name: "readTable-jsonl", ext: ".jsonl", kind: "jsonl", files: true, read: (_, p) => readTable(p) },
  { name: "streamTable-csv", ext: ".csv", kind: "csv", files: true, read: (_, p) => collect(p) },
  { name: "streamTable-jsonl", ext: ".jsonl", kind: "jsonl", files: true, read: (_, p) => collect(p) },
];

/** streamTable's rows gathered into a table, to check as readTable's are checked. */
async function collect(path: string): Promise<Table<unknown>> {
  const stream = streamTable(path);
  const rows: Record<string, unknown>[] = [];
  for await (const row of stream) rows.push(row);
  return { columns: stream.columns, rows };
}

const tableTargets: Target[] = TABLE_READERS.map((r) => ({
  name: `table/${r.name}`,
  weight: r.files ? 1 : r.kind === "csv" ? 2 : 3,
  files: r.files,
  make: (rng) => ({ [`data${r.ext}`]: makeTableText(rng, r.ext === ".jsonl" ? "jsonl" : r.ext === ".tsv" ? "tsv" : "csv") }),
  run: async (parts, dir) => {
    const bytes = parts[`data${r.ext}`]!;
    const source = text(bytes);
    const table = await r.read(source, join(dir, `data${r.ext}`));
    checkTable(r.kind, source.replace(/^\ufeff/, ""), table);
    return table;
  },
}));

// ---------------------------------------------------------------------------------------------
// the CLI, in process

/** Output of a command, captured from process.stdout. */
async function captureStdout(fn: () => Promise<void>): Promise<string> {
  const write = process.stdout.write;
  let out = "";
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    out += typeof chunk === "string" ? chunk : text(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const cliTargets: Target[] = [
  {
    name: "cli/predict",
    weight: 2,
    files: true,
    make: (rng) => {
      const { files, seed } = makeCheckpoint(rng);
      const texts = rng.chance(0.7) ? seed.texts : [makeText(rng), ...seed.texts.slice(0, rng.int(3))];
      return { ...files, "texts.txt": utf8(texts.join("\u0000")) };
    },
    run: async (parts, dir) => {
      const texts = text(parts["texts.txt"]!).split("\u0000").filter((t) => t !== "");
      if (texts.length === 0) texts.push("x");
      const out = await captureStdout(() => predictCommand(texts, { checkpoint: dir, json: true }));
      const lines = out.split("\n").filter((l) => l !== "");
      ensure(lines.length === texts.length, () => `${lines.length} predictions for ${texts.length} texts`);
      for (const l of lines) {
        const p = JSON.parse(l) as { label?: string; probability?: number; value?: number };
        ensure(p.label !== undefined ? Number.isFinite(p.probability) : Number.isFinite(p.value), () => `prediction ${l.slice(0, 200)} is not finite`);
      }
      return out;
    },
  },
  {
    name: "cli/eval",
    weight: 2,
    files: true,
    make: (rng) => {
      const { files, seed } = makeCheckpoint(rng);
      const kind = rng.pick(["csv", "jsonl", "csv", "jsonl", "tsv"] as const);
      const own = kind === "jsonl" ? seed.jsonl : seed.csv;
      const r = rng.int(10);
      const data = kind === "tsv" || r < 3 ? makeTableText(rng, kind) : r < 6 ? utf8(mutateText(rng, own)) : utf8(own);
      return { ...files, [`data.${kind}`]: data };
    },
    run: async (parts, dir) => {
      const data = Object.keys(parts).find((k) => k.startsWith("data."))!;
      const out = await captureStdout(() => evalCommand({ checkpoint: dir, data: join(dir, data), textCol: "text", labelCol: "label", json: true }));
      const summary = JSON.parse(out) as { examples: number };
      ensure(Number.isInteger(summary.examples) && summary.examples > 0, () => `eval summary ${out.slice(0, 200)}`);
      return out;
    },
  },
];

/** Every target, in the order they are reported. */
export const TARGETS: Target[] = [...safetensorsTargets, ...torchTargets, ...checkpointTargets, ...vocabTargets, ...tokenizerTargets, ...tableTargets, ...cliTargets];

/**
 * `npm run fuzz -- --self-test`: targets that fail on purpose, one per kind of failure, so that a
 * run shows the harness catching each (the name after "self-test/" is the kind expected).
 */
export const SELF_TEST_TARGETS: Target[] = [
  { name: "self-test/crash", weight: 1, make: (rng) => ({ x: rng.bytes(4) }), run: () => (undefined as unknown as { a: number }).a },
  { name: "self-test/wrong", weight: 1, make: (rng) => ({ x: rng.bytes(4) }), run: () => ensure(false, () => "a result that does not match its input") },
  { name: "self-test/alloc", weight: 1, make: (rng) => ({ x: rng.bytes(4) }), run: () => new Float64Array(4 * 2 ** 20) },
  { name: "self-test/hang", weight: 1, make: (rng) => ({ x: rng.bytes(4) }), run: () => { for (;;); } },
];

/** A target by name, self-tests included. */
export const targetNamed = (name: string): Target | undefined => TARGETS.find((t) => t.name === name) ?? SELF_TEST_TARGETS.find((t) => t.name === name);

/**
 * Independent checks of what a parser accepted: the result must say what the input says. Each
 * throws a `FuzzFailure` describing the first difference.
 */
import { Tensor } from "../src/tensor.js";
import type { Table } from "../src/data/table.js";
import type { TextModelBundle } from "../src/models/bundle.js";
import { Vocab } from "../src/text/vocab.js";
import { ensure } from "./outcome.js";
import { text } from "./mutate.js";

const SIZES: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8 };
const TO: Record<string, string> = { F16: "float32", BF16: "float32", F32: "float32", F64: "float64" };

/**
 * Whether two JSON values are equal (object key order aside), without recursion: accepted inputs
 * may be nested 100,000 deep.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (typeof x !== "object" || x === null || typeof y !== "object" || y === null) {
      if (!Object.is(x, y)) return false;
      continue;
    }
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x), ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  return e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The value of element `i` of a tensor stored as `dtype` at `v`, read with DataView alone. */
function element(v: DataView, dtype: string, i: number): number {
  switch (dtype) {
    case "F32": return v.getFloat32(i * 4, true);
    case "F64": return v.getFloat64(i * 8, true);
    case "F16": return half(v.getUint16(i * 2, true));
    case "BF16": {
      const w = new DataView(new ArrayBuffer(4));
      w.setUint32(0, v.getUint16(i * 2, true) << 16);
      return w.getFloat32(0);
    }
    case "BOOL": return v.getUint8(i) ? 1 : 0;
    case "U8": return v.getUint8(i);
    case "I8": return v.getInt8(i);
    case "I16": return v.getInt16(i * 2, true);
    case "U16": return v.getUint16(i * 2, true);
    case "I32": return v.getInt32(i * 4, true);
    case "U32": return v.getUint32(i * 4, true);
    case "I64": return Number(v.getBigInt64(i * 8, true));
    default: return Number(v.getBigUint64(i * 8, true));
  }
}

/**
 * Checks an accepted safetensors result (from parseSafetensors, readSafetensorsHeader or a loader
 * returning `{ tensors, metadata }`) against the file: the same names, and for each tensor the
 * header's shape, the dtype it maps to, and the values read from its byte range.
 */
export function checkSafetensors(bytes: Uint8Array, result: unknown): void {
  const r = result as { tensors: Record<string, Tensor | { dtype: string; shape: number[] }>; metadata: Record<string, string> };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(v.getBigUint64(0, true));
  const header = JSON.parse(text(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  ensure(sameList(Object.keys(r.tensors).sort(), names.sort()), () => `tensor names ${JSON.stringify(Object.keys(r.tensors))}, the header has ${JSON.stringify(names)}`);
  ensure(sameJson(r.metadata, header.__metadata__ ?? {}), () => "metadata differs from the header's");
  let covered = 0;
  for (const name of names) {
    const { dtype, shape, data_offsets: [begin, end] } = header[name]!;
    const t = r.tensors[name]!;
    const count = shape.reduce((a, b) => a * b, 1);
    covered += end - begin;
    ensure(Object.hasOwn(SIZES, dtype) && end - begin === count * SIZES[dtype]!, () => `"${name}": accepted ${dtype} ${JSON.stringify(shape)} over bytes [${begin}, ${end})`);
    ensure(sameList([...t.shape], shape), () => `"${name}": shape [${t.shape}], the header says [${shape}]`);
    if (!(t instanceof Tensor)) {
      ensure(t.dtype === dtype, () => `"${name}": dtype ${t.dtype}, the header says ${dtype}`);
      continue;
    }
    ensure(t.dtype === (TO[dtype] ?? "int32"), () => `"${name}": ${dtype} loaded as ${t.dtype}`);
    ensure(t.data.length === count, () => `"${name}": ${t.data.length} values for shape [${shape}]`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + n + begin, end - begin);
    for (let i = 0; i < count; i++) {
      const want = element(view, dtype, i);
      ensure(same(t.data[i]!, want), () => `"${name}"[${i}] is ${t.data[i]}, the file holds ${want}`);
    }
  }
  ensure(8 + n + covered === bytes.length, () => `accepted a file whose tensors cover ${covered} of ${bytes.length - 8 - n} data bytes`);
}

/** Checks an accepted table: unique column names, and rows keyed by them (CSV: every column, string values). */
export function checkTable(kind: "csv" | "jsonl", source: string, table: Table<unknown>): void {
  ensure(Array.isArray(table.columns) && new Set(table.columns).size === table.columns.length, () => `columns ${JSON.stringify(table.columns)} are not unique`);
  for (const [i, row] of table.rows.entries()) {
    ensure(typeof row === "object" && row !== null && !Array.isArray(row), () => `row ${i} is not a record`);
    for (const k of Object.keys(row)) ensure(table.columns.includes(k), () => `row ${i} has key ${JSON.stringify(k)} not among the columns`);
    if (kind === "csv") {
      // Sorted: integer-like keys ("3") come first in any object, whatever the column order.
      ensure(sameList(Object.keys(row).sort(), [...table.columns].sort()), () => `row ${i} has keys ${JSON.stringify(Object.keys(row))}, not the columns`);
      for (const val of Object.values(row)) ensure(typeof val === "string", () => `row ${i} holds a ${typeof val}`);
    }
  }
  if (kind === "jsonl") {
    const lines = source.replace(/^\ufeff/, "").split(/\r?\n/).filter((l) => l.trim() !== "");
    ensure(table.rows.length === lines.length, () => `${table.rows.length} records from ${lines.length} non-blank lines`);
    table.rows.forEach((row, i) => ensure(sameJson(row, JSON.parse(lines[i]!)), () => `record ${i} differs from line ${i}`));
  }
}

/** Checks an accepted vocab.json: the tokens in order, every id found again, and a toJSON round trip. */
export function checkVocab(json: unknown, vocab: Vocab): void {
  const tokens = (json as { tokens: string[] }).tokens;
  ensure(sameList(vocab.tokens, tokens), () => `tokens differ from vocab.json's`);
  tokens.forEach((t, i) => ensure(vocab.stoi(t) === i, () => `stoi(${JSON.stringify(t)}) is ${vocab.stoi(t)}, not ${i}`));
  ensure(sameList(Vocab.fromJSON(JSON.parse(JSON.stringify(vocab.toJSON()))).tokens, tokens), () => "toJSON does not round-trip");
}

/**
 * Checks a loaded model bundle against its files: the weights equal the file's tensors (rounded to
 * the parameter's dtype) and are finite, and the task, labels, length limit, model sizes and
 * vocabulary are those of config.json and vocab.json.
 */
export function checkBundle(files: Record<string, Uint8Array>, fileTensors: Record<string, Tensor>, bundle: TextModelBundle): void {
  const sd = bundle.model.stateDict();
  ensure(sameList(Object.keys(sd).sort(), Object.keys(fileTensors).sort()), () => `model keys differ from the file's tensors`);
  for (const [k, p] of Object.entries(sd)) {
    const f = fileTensors[k]!;
    ensure(sameList([...p.shape], [...f.shape]), () => `"${k}": shape [${p.shape}], the file has [${f.shape}]`);
    for (let i = 0; i < p.data.length; i++) {
      const want = p.dtype === "float32" ? Math.fround(f.data[i]!) : f.data[i]!;
      ensure(same(p.data[i]!, want) && Number.isFinite(p.data[i]!), () => `"${k}"[${i}] is ${p.data[i]}, the file holds ${f.data[i]}`);
    }
  }
  const config = JSON.parse(text(files["config.json"]!)) as { task: string; labels: string[]; maxLen?: number | null; model: Record<string, unknown> };
  ensure(bundle.task === config.task && sameList(bundle.labels, config.labels) && bundle.maxLen === (config.maxLen ?? null), () => "task, labels or maxLen differ from config.json");
  const m = bundle.model.config() as unknown as Record<string, unknown>;
  for (const [k, val] of Object.entries(config.model)) ensure(m[k] === val, () => `model.${k} is ${JSON.stringify(m[k])}, config.json says ${JSON.stringify(val)}`);
  checkVocab(JSON.parse(text(files["vocab.json"]!)), bundle.vocab);
}

/** What a torch.save file that was read holds: tensors whose values fill their shapes, in seqtorch's dtypes. */
export function checkTorchFile(r: { tensors: Record<string, Tensor> }): void {
  for (const [k, t] of Object.entries(r.tensors)) {
    ensure(t instanceof Tensor && t.data.length === t.shape.reduce((a, b) => a * b, 1), () => `tensor "${k}" has ${t.data.length} values for shape [${t.shape.join(", ")}]`);
    ensure(t.dtype === "float32" || t.dtype === "float64" || t.dtype === "int32", () => `tensor "${k}" has dtype ${t.dtype}`);
  }
}

/**
 * The safetensors format, in memory: `serializeSafetensors` and `parseSafetensors`.
 * Browser-safe (Uint8Array, DataView, TextEncoder/TextDecoder only); see `node.ts` for files.
 *
 * Layout: an 8-byte little-endian u64 header length N, then N bytes of UTF-8 JSON
 * `{"__metadata__": {..}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..}`
 * padded with spaces to a multiple of 8, then the tensors: little-endian, row-major, contiguous,
 * with offsets relative to the first byte after the header.
 *
 * @see https://github.com/huggingface/safetensors
 */
import { oneLine, showJson } from "../message.js";
import { fmtShape, numel } from "../shape.js";
import { Tensor } from "../tensor.js";

/** A safetensors dtype string, as written in the header. */
export type SafetensorsDType =
  | "BOOL" | "U8" | "I8" | "I16" | "U16" | "F16" | "BF16" | "I32" | "U32" | "F32" | "F64" | "I64" | "U64";

/**
 * A malformed or unsupported safetensors buffer, or a tensor that cannot be written.
 * `tensor` names the tensor concerned (null for problems with the file as a whole).
 */
export class SafetensorsError extends Error {
  readonly tensor: string | null;
  constructor(tensor: string | null, message: string) {
    super(tensor === null ? `safetensors: ${message}` : `safetensors: tensor ${showJson(tensor)}: ${message}`);
    this.name = "SafetensorsError";
    this.tensor = tensor;
  }
}

/** The reference implementation's limit; it also keeps a corrupt length from allocating gigabytes. */
const MAX_HEADER_SIZE = 100_000_000;
const METADATA_KEY = "__metadata__";
/** What a header's shape allows: an object of objects holding arrays, and shapes of at most 64 dimensions. */
const MAX_DEPTH = 3;
const MAX_DIMS = 64;
/** Members and elements in all, at about 7 per tensor: room for some 280 000 tensors. */
const MAX_ENTRIES = 2_000_000;

/** How each readable dtype is stored and what it becomes; the rest (F8_*) are rejected by name. */
const READ: Record<SafetensorsDType, { size: number; to: Tensor["dtype"] }> = {
  BOOL: { size: 1, to: "int32" },
  U8: { size: 1, to: "int32" },
  I8: { size: 1, to: "int32" },
  I16: { size: 2, to: "int32" },
  U16: { size: 2, to: "int32" },
  F16: { size: 2, to: "float32" },
  BF16: { size: 2, to: "float32" },
  I32: { size: 4, to: "int32" },
  U32: { size: 4, to: "int32" },
  F32: { size: 4, to: "float32" },
  F64: { size: 8, to: "float64" },
  I64: { size: 8, to: "int32" },
  U64: { size: 8, to: "int32" },
};
const WRITE: Record<Tensor["dtype"], SafetensorsDType> = { float32: "F32", float64: "F64", int32: "I32" };
const KNOWN_UNSUPPORTED = new Set(["F8_E5M2", "F8_E4M3", "F8_E4M3FN", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes, exactly as the format
 * specifies: tensors are written in the order of `Object.keys(tensors)`, and `__metadata__` is
 * omitted when `metadata` is absent or empty.
 *
 * NOTE: the reference writer orders tensors by dtype alignment, then name; any order is valid, and
 * key order keeps a state dict's order on a round trip.
 *
 * @example
 * const bytes = serializeSafetensors(model.stateDict(), { format: "pt" });
 */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(null, `metadata value for ${showJson(k)} must be a string, got ${typeof v}`);
    }
    header[METADATA_KEY] = { ...metadata };
  }
  const entries = Object.entries(tensors);
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new SafetensorsError(name, `"${METADATA_KEY}" is reserved for metadata`);
    if (!(t instanceof Tensor)) throw new SafetensorsError(name, "value is not a Tensor");
    const begin = offset;
    offset += t.data.byteLength;
    Object.defineProperty(header, name, {
      value: { dtype: WRITE[t.dtype], shape: [...t.shape], data_offsets: [begin, offset] },
      enumerable: true, writable: true, configurable: true, // a plain own property even for "__proto__"
    });
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true); // the high 32 bits of the u64 stay 0: n < 2^32 for any array we can allocate
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let pos = 8 + n;
  for (const [, t] of entries) {
    writeLE(view, pos, t.data);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes into tensors (in the order of their data in the file) and metadata.
 * F32, F64 and I32 load as float32, float64 and int32; F16 and BF16 are widened to float32; I64,
 * U64, U32, I16, U16, I8, U8 and BOOL become int32 (64- and 32-bit unsigned values must fit, or
 * this throws naming the tensor and element). Every tensor gets fresh, aligned storage.
 *
 * The file is validated as strictly as the reference implementation: the header must be a JSON
 * object within the buffer; each dtype must be known; each tensor's byte range must match
 * dtype size × numel; and the ranges must tile the data section exactly, without overlaps or gaps.
 * Failures throw a `SafetensorsError` naming the tensor and the problem.
 */
export function parseSafetensors(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { specs, metadata, base } = parseHeader(bytes);
  const tensors: Record<string, Tensor> = {};
  for (const s of specs) {
    const data = decode(s.name, s.dtype, new DataView(bytes.buffer, bytes.byteOffset + base + s.begin, s.end - s.begin), bytes.subarray(base + s.begin, base + s.end));
    defineOwn(tensors, s.name, new Tensor(data, s.shape));
  }
  return { tensors, metadata };
}

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry { dtype: SafetensorsDType; shape: number[] }

/**
 * Reads and validates only the header (as strictly as `parseSafetensors`), decoding no tensor:
 * what a loader checks against its expectations before allocating anything.
 */
export function readSafetensorsHeader(bytes: Uint8Array): { tensors: Record<string, SafetensorsEntry>; metadata: Record<string, string> } {
  const { specs, metadata } = parseHeader(bytes);
  const tensors: Record<string, SafetensorsEntry> = {};
  for (const s of specs) defineOwn(tensors, s.name, { dtype: s.dtype, shape: s.shape });
  return { tensors, metadata };
}

function parseHeader(bytes: Uint8Array): { specs: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[]; metadata: Record<string, string>; base: number } {
  if (bytes.length < 8) throw new SafetensorsError(null, `file too small: ${bytes.length} bytes, the 8-byte header length is missing`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_SIZE) throw new SafetensorsError(null, `header length ${n} exceeds the maximum of ${MAX_HEADER_SIZE} bytes`);
  if (8 + n > bytes.length) throw new SafetensorsError(null, `header length ${n} runs past the end of the ${bytes.length}-byte file`);

  checkHeaderShape(bytes.subarray(8, 8 + n));
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError(null, "header is not valid UTF-8");
  }
  if (!text.startsWith("{")) throw new SafetensorsError(null, "header must be a JSON object starting with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(null, `header is not valid JSON: ${oneLine((e as Error).message)}`);
  }
  if (!isObject(header)) throw new SafetensorsError(null, "header must be a JSON object");

  const metadata: Record<string, string> = {};
  const specs: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  const dataLen = bytes.length - 8 - n;
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isObject(info)) throw new SafetensorsError(null, `"${METADATA_KEY}" must be an object of strings`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string") throw new SafetensorsError(null, `metadata value for ${showJson(k)} must be a string, got ${showJson(v, 200)}`);
        defineOwn(metadata, k, v);
      }
      continue;
    }
    if (!isObject(info)) throw new SafetensorsError(name, "entry must be an object with dtype, shape and data_offsets");
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== "string") throw new SafetensorsError(name, "missing or non-string dtype");
    if (!Object.hasOwn(READ, dtype)) {
      throw new SafetensorsError(name, KNOWN_UNSUPPORTED.has(dtype) ? `unsupported dtype ${dtype}` : `unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw new SafetensorsError(name, `shape must be an array of non-negative integers, got ${showJson(shape, 200)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      throw new SafetensorsError(name, `data_offsets must be [begin, end] with non-negative integers, got ${showJson(offsets, 200)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw new SafetensorsError(name, `data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen) throw new SafetensorsError(name, `data_offsets [${begin}, ${end}] run past the end of the ${dataLen}-byte data section`);
    const expected = numel(shape) * READ[dtype as SafetensorsDType].size;
    if (end - begin !== expected) {
      throw new SafetensorsError(name, `data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} ${fmtShape(shape)} needs ${expected}`);
    }
    specs.push({ name, dtype: dtype as SafetensorsDType, shape, begin, end });
  }

  specs.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: string | null = null;
  for (const s of specs) {
    if (s.begin < pos) throw new SafetensorsError(s.name, `data_offsets [${s.begin}, ${s.end}] overlap tensor ${showJson(prev)} (which ends at ${pos})`);
    if (s.begin > pos) throw new SafetensorsError(s.name, `data_offsets [${s.begin}, ${s.end}] leave a gap: bytes [${pos}, ${s.begin}) belong to no tensor`);
    pos = s.end;
    prev = s.name;
  }
  if (pos !== dataLen) throw new SafetensorsError(null, `the tensors cover ${pos} bytes but the data section has ${dataLen} (trailing bytes)`);

  return { specs, metadata, base: 8 + n };
}

/**
 * Rejects a header no safetensors file has before it is decoded or parsed, as a JSON parser
 * spends time and memory in proportion to nesting and element counts: containers nested deeper
 * than 3, an array of more than 64 elements, or more than 2 million members and elements in all.
 * Scans the UTF-8 bytes (a multi-byte character never holds an ASCII byte), skipping strings.
 */
function checkHeaderShape(json: Uint8Array): void {
  const arrays = [false]; // whether each open container is an array
  const counts = [0]; // the commas seen in each
  let entries = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === 0x22) { // a string: skip to its closing quote, over escapes
      for (i++; i < json.length && json[i] !== 0x22; i++) if (json[i] === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) { // { [
      if (arrays.length > MAX_DEPTH) throw new SafetensorsError(null, `header nests deeper than ${MAX_DEPTH} levels (at byte ${i} of the header); a safetensors header is an object of objects holding arrays`);
      arrays.push(c === 0x5b);
      counts.push(0);
    } else if (c === 0x7d || c === 0x5d) { // } ]
      if (arrays.length > 1) {
        arrays.pop();
        counts.pop();
      }
    } else if (c === 0x2c) { // ,
      const k = counts.length - 1;
      if (arrays[k] && ++counts[k]! >= MAX_DIMS) throw new SafetensorsError(null, `header has an array of more than ${MAX_DIMS} elements (at byte ${i} of the header); a shape has at most ${MAX_DIMS} dimensions`);
      if (++entries >= MAX_ENTRIES) throw new SafetensorsError(null, `header has more than ${MAX_ENTRIES} entries (at byte ${i} of the header)`);
    }
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isIndex(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** Assigns as an own data property, so a key such as "__proto__" is kept rather than swallowed. */
function defineOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function writeLE(view: DataView, pos: number, data: Float32Array | Float64Array | Int32Array): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(view.buffer, pos, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return;
  }
  const step = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(pos + i * step, data[i]!, true);
    else if (data instanceof Float64Array) view.setFloat64(pos + i * step, data[i]!, true);
    else view.setInt32(pos + i * step, data[i]!, true);
  }
}

/** Copies (never aliases: `raw` may be misaligned) one tensor's bytes into a fresh typed array. */
function decode(name: string, dtype: SafetensorsDType, v: DataView, raw: Uint8Array): Float32Array | Float64Array | Int32Array {
  const count = raw.length / READ[dtype].size;
  switch (dtype) {
    case "F32":
    case "F64":
    case "I32": {
      const out = dtype === "F32" ? new Float32Array(count) : dtype === "F64" ? new Float64Array(count) : new Int32Array(count);
      if (LITTLE_ENDIAN) {
        new Uint8Array(out.buffer).set(raw);
      } else {
        for (let i = 0; i < count; i++) {
          out[i] = dtype === "F32" ? v.getFloat32(i * 4, true) : dtype === "F64" ? v.getFloat64(i * 8, true) : v.getInt32(i * 4, true);
        }
      }
      return out;
    }
    case "F16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(v.getUint16(i * 2, true));
      return out;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32, so widening is a shift (NaN payloads included).
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = v.getUint16(i * 2, true) << 16;
      return out;
    }
    case "BOOL": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = raw[i] !== 0 ? 1 : 0;
      return out;
    }
    case "U8":
      return Int32Array.from(raw);
    case "I8":
      return Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, count));
    case "I16":
    case "U16": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = dtype === "I16" ? v.getInt16(i * 2, true) : v.getUint16(i * 2, true);
      return out;
    }
    case "U32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const x = v.getUint32(i * 4, true);
        if (x > 0x7fffffff) throw rangeError(name, dtype, i, String(x));
        out[i] = x;
      }
      return out;
    }
    case "I64":
    case "U64": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = v.getUint32(i * 8, true);
        const hi = v.getInt32(i * 8 + 4, true);
        // Fits in int32 iff the high word is the sign extension of the low word's top bit (and, for U64, that is 0).
        const fits = lo <= 0x7fffffff ? hi === 0 : dtype === "I64" && hi === -1;
        if (!fits) throw rangeError(name, dtype, i, String(dtype === "I64" ? v.getBigInt64(i * 8, true) : v.getBigUint64(i * 8, true)));
        out[i] = lo | 0;
      }
      return out;
    }
  }
}

function rangeError(name: string, dtype: string, index: number, value: string): SafetensorsError {
  return new SafetensorsError(name, `${dtype} value ${value} at flat index ${index} does not fit in int32 (seqtorch's only integer dtype)`);
}

/** IEEE 754 binary16 bits to a number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * PyTorch's own checkpoint files, read safely: `parseTorchFile(bytes)` turns what
 * `torch.save(model.state_dict(), path)` wrote into seqtorch tensors. Browser-safe.
 *
 * A `.pt` file is a zip archive (`<name>/data.pkl`, `<name>/data/<key>` for each storage,
 * `<name>/version`) or, when saved with `_use_new_zipfile_serialization=False`, the legacy stream
 * (five pickles, then each storage's element count and bytes). The pickle describes the state dict;
 * the tensors' bytes sit beside it. Python's unpickler runs whatever callables a pickle names, so
 * this one never calls anything: it interprets only the opcodes a state dict uses and accepts only
 * the globals that rebuild one (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
 * `torch._utils._rebuild_parameter` and the storage types such as `torch.FloatStorage`). Any other
 * global, such as the class of a whole saved `nn.Module` or `os.system`, is refused by name.
 */
import { unzipSync } from "fflate";
import { showJson } from "../message.js";
import type { DType } from "../dtype.js";
import { Tensor } from "../tensor.js";
import { halfToFloat } from "./safetensors.js";

/** A file that is not a readable PyTorch state dict; the message starts with the file's name. */
export class TorchFileError extends Error {
  readonly source: string;
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = "TorchFileError";
    this.source = source;
  }
}

/** What `parseTorchFile` found: tensors and other plain values (numbers, strings, booleans, None), by dotted key. */
export interface TorchFile {
  tensors: Record<string, Tensor>;
  values: Record<string, number | string | boolean | null>;
  format: "zip" | "legacy";
}

type StorageDType = "F32" | "F64" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";
const STORAGES: Record<string, [StorageDType, number]> = {
  FloatStorage: ["F32", 4], DoubleStorage: ["F64", 8], HalfStorage: ["F16", 2], BFloat16Storage: ["BF16", 2],
  LongStorage: ["I64", 8], IntStorage: ["I32", 4], ShortStorage: ["I16", 2], CharStorage: ["I8", 1],
  ByteStorage: ["U8", 1], BoolStorage: ["BOOL", 1],
};
const REBUILD_TENSOR = "torch._utils._rebuild_tensor_v2";
const REBUILD_PARAMETER = "torch._utils._rebuild_parameter";
const ORDERED_DICT = "collections.OrderedDict";
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/**
 * Views may repeat storage elements (expand, tied weights). A view of more than this many elements
 * must not outgrow its storage, and all tensors together hold at most this plus twice the storages'
 * elements: a small file cannot ask for a large allocation.
 */
const MAX_OVERLAP = 1 << 16;
const MAX_DIMS = 64;
const MAX_DEPTH = 100;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class Global {
  constructor(readonly name: string) {}
}
class PList {
  constructor(readonly items: unknown[] = []) {}
}
class PDict {
  readonly map = new Map<string, unknown>();
}
class Storage {
  constructor(readonly key: string, readonly dtype: StorageDType, readonly size: number, readonly numel: number) {}
}
class TensorRef {
  constructor(readonly storage: Storage, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

/**
 * Reads a `torch.save` file (zip or legacy) holding a state dict: a dict of tensors, possibly
 * nested in dicts, lists and tuples (a checkpoint such as `{"model": ..., "epoch": 3}` gives keys
 * `model.<name>` and a value `epoch`). float32, float64, float16 and bfloat16 tensors load as
 * float32 or float64; int64, int32, int16, int8, uint8 and bool as int32 (int64 values must fit).
 * Views keep their storage offset and strides, and come out contiguous. `source` names the file in
 * errors (`TorchFileError`), which say what is wrong and never run anything the file names.
 * @example
 * const { tensors } = parseTorchFile(new Uint8Array(await (await fetch("lstm.pt")).arrayBuffer()), "lstm.pt");
 * model.loadStateDict(tensors);
 */
export function parseTorchFile(bytes: Uint8Array, source = "torch file"): TorchFile {
  const fail = (message: string): never => {
    throw new TorchFileError(source, message);
  };
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return readZip(bytes, source, fail);
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] === 0x02) return readLegacy(bytes, source, fail);
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) {
    fail("this looks like a safetensors file, not a torch.save file; read it with parseSafetensors");
  }
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return fail(`not a PyTorch file: torch.save writes a zip archive (starting with "PK\\x03\\x04") or a legacy pickle stream (starting with 80 02), but the file ${bytes.length ? `starts with ${head}` : "is empty"}`);
}

type Fail = (message: string) => never;

function readZip(bytes: Uint8Array, source: string, fail: Fail): TorchFile {
  let files: Record<string, Uint8Array>;
  let entries = 0;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        // A corrupt directory can claim billions of entries or a huge inflated size: stop early.
        if (++entries > bytes.length / 46) fail("the zip directory lists more entries than the file can hold");
        if (f.compression !== 0 && f.compression !== 8) fail(`zip entry ${showJson(f.name)} uses compression method ${f.compression}; torch.save stores entries uncompressed`);
        if (f.compression === 8 && f.originalSize > 1032 * f.size + 1024) fail(`zip entry ${showJson(f.name)} claims ${f.originalSize} bytes inflated from ${f.size}`);
        return /^[^/]+\/(data\.pkl|data\/[^/]+|byteorder)$/.test(f.name);
      },
    });
  } catch (e) {
    if (e instanceof TorchFileError) throw e;
    return fail(`not a valid zip archive (${e instanceof Error ? e.message : String(e)}); the file may be truncated or corrupt`);
  }
  const pkl = Object.keys(files).filter((n) => n.endsWith("/data.pkl"));
  if (pkl.length !== 1) fail(pkl.length ? `the archive holds ${pkl.length} data.pkl entries` : "the zip archive has no <name>/data.pkl entry, so torch.save did not write it");
  const root = pkl[0]!.slice(0, -"data.pkl".length);
  const order = files[`${root}byteorder`];
  if (order && new TextDecoder().decode(order) !== "little") fail("the tensors are stored big-endian; re-save the file on a little-endian machine");
  const { value, storages, end } = unpickle(files[pkl[0]!]!, 0, source, fail);
  const data = new Map<Storage, Uint8Array>();
  for (const s of storages.values()) {
    const raw = files[`${root}data/${s.key}`];
    if (!raw) fail(`storage ${showJson(s.key)} is missing from the archive (no entry ${showJson(`${root}data/${s.key}`)})`);
    if (raw!.length !== s.numel * s.size) fail(`storage ${showJson(s.key)} holds ${raw!.length} bytes, but ${s.numel} ${s.dtype} elements need ${s.numel * s.size}`);
    data.set(s, raw!);
  }
  return { ...materialize(value, data, end, fail), format: "zip" };
}

/** The stream `torch.save(..., _use_new_zipfile_serialization=False)` writes. */
function readLegacy(bytes: Uint8Array, source: string, fail: Fail): TorchFile {
  let pos = 0;
  const next = (): { value: unknown; storages: Map<string, Storage> } => {
    const r = unpickle(bytes, pos, source, fail);
    pos = r.end;
    return r;
  };
  if (next().value !== LEGACY_MAGIC) fail("not a PyTorch file: the legacy format's magic number is missing");
  const protocol = next().value;
  if (protocol !== 1001) fail(`legacy format protocol ${showJson(typeof protocol === "bigint" ? String(protocol) : protocol)} is not 1001`);
  const info = next().value;
  if (!(info instanceof PDict) || info.map.get("little_endian") !== true) fail("the tensors are stored big-endian; re-save the file on a little-endian machine");
  const start = pos;
  const { value, storages } = next();
  const size = pos - start;
  const keys = next().value;
  if (!(keys instanceof PList) || !keys.items.every((k) => typeof k === "string")) fail("the list of storage keys is malformed");
  const data = new Map<Storage, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of (keys as PList).items as string[]) {
    if (pos + 8 > bytes.length) fail(`the file ends before storage ${showJson(key)} (truncated?)`);
    const n = Number(view.getBigUint64(pos, true));
    const s = storages.get(key);
    if (!s) fail(`storage ${showJson(key)} is listed but no tensor uses it`);
    if (n !== s!.numel) fail(`storage ${showJson(key)} has ${n} elements on disk, but the pickle says ${s!.numel}`);
    if (pos + 8 + n * s!.size > bytes.length) fail(`the file ends inside storage ${showJson(key)} (truncated?)`);
    data.set(s!, bytes.subarray(pos + 8, pos + 8 + n * s!.size));
    pos += 8 + n * s!.size;
  }
  for (const s of storages.values()) if (!data.has(s)) fail(`storage ${showJson(s.key)} is not in the file`);
  if (pos !== bytes.length) fail(`${bytes.length - pos} bytes follow the last storage`);
  return { ...materialize(value, data, size, fail), format: "legacy" };
}

/**
 * Interprets one pickle from `start` up to its STOP: the opcodes of protocol 2 to 5 that a state
 * dict uses, building plain values, `PDict`s, `PList`s, tuples (frozen arrays), storages (from
 * persistent ids) and tensor references. Never calls anything the pickle names.
 */
function unpickle(b: Uint8Array, start: number, source: string, fail: Fail): { value: unknown; storages: Map<string, Storage>; end: number } {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const storages = new Map<string, Storage>();
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let pos = start;
  let at = start;
  const bad = (message: string): never => fail(`malformed pickle at byte ${at}: ${message}`);
  const need = (n: number): number => {
    if (pos + n > b.length) bad("the pickle ends early (truncated file?)");
    const p = pos;
    pos += n;
    return p;
  };
  const floor = (): number => marks[marks.length - 1] ?? 0; // nothing pops past the last MARK
  const pop = (): unknown => (stack.length > floor() ? stack.pop() : bad("stack underflow"));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) bad("no MARK to pop to");
    return stack.splice(m!);
  };
  const top = (): unknown => (stack.length > floor() ? stack[stack.length - 1] : bad("stack underflow"));
  const text = (n: number): string => {
    const p = need(n);
    try {
      return utf8.decode(b.subarray(p, p + n));
    } catch {
      return bad("a string is not valid UTF-8");
    }
  };
  const line = (): string => {
    const end = b.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) bad(end < 0 ? "the pickle ends early (truncated file?)" : "a GLOBAL name is longer than 256 bytes");
    return text(end - pos + 1).slice(0, -1);
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (full === REBUILD_TENSOR || full === REBUILD_PARAMETER || full === ORDERED_DICT || (module === "torch" && Object.hasOwn(STORAGES, name))) return new Global(full);
    if (module === "torch" && name.endsWith("Storage")) fail(`tensors stored as ${showJson(full)} are not supported (seqtorch reads float, bfloat16, integer and bool tensors)`);
    const hint = module.startsWith("torch.nn") ? "; it looks like a whole model was saved: save model.state_dict() instead" : "";
    return fail(`the pickle names the global ${showJson(full)}, which a state dict does not use; refusing to load it (only tensors in dicts, lists and tuples are read)${hint}`);
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof PDict)) bad("SETITEM(S) on something that is not a dict");
    if (items.length % 2) bad("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      if (typeof k !== "string" && !(typeof k === "number" && Number.isSafeInteger(k))) bad(`a dict key is ${describe(k)}, not a string or an integer`);
      (d as PDict).map.set(String(k), items[i + 1]);
    }
  };
  const int = (v: unknown, what: string): number => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : bad(`${what} is ${describe(v)}, not a non-negative integer`));
  const ints = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || v.length > MAX_DIMS) return bad(`${what} is ${describe(v)}, not a tuple of at most ${MAX_DIMS} integers`);
    return v.map((x) => int(x, `an element of ${what}`));
  };
  const reduce = (f: unknown, args: unknown): unknown => {
    if (!(f instanceof Global) || !Array.isArray(args)) return bad(`REDUCE applies ${describe(f)} to ${describe(args)}`);
    if (f.name === ORDERED_DICT) return args.length === 0 ? new PDict() : bad("OrderedDict is called with arguments");
    if (f.name === REBUILD_PARAMETER) return args[0] instanceof TensorRef ? args[0] : bad("_rebuild_parameter is not given a tensor");
    if (f.name !== REBUILD_TENSOR) return bad(`${f.name} is not callable`);
    const [storage, offset, shape, stride] = args;
    if (args.length < 6 || args.length > 7 || !(storage instanceof Storage)) return bad("_rebuild_tensor_v2 is not given (storage, offset, size, stride, requires_grad, hooks)");
    const sh = ints(shape, "a tensor's size");
    const st = ints(stride, "a tensor's stride");
    if (sh.length !== st.length) bad(`size ${showJson(sh)} and stride ${showJson(st)} differ in length`);
    return new TensorRef(storage, int(offset, "a storage offset"), sh, st);
  };
  const persistent = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || (pid.length !== 5 && pid.length !== 6) || pid[0] !== "storage") return bad(`persistent id ${describe(pid)} is not ('storage', type, key, location, size)`);
    const [, type, key, location, numel] = pid;
    if (!(type instanceof Global) || !type.name.startsWith("torch.") || !Object.hasOwn(STORAGES, type.name.slice(6))) return bad(`a storage's type is ${describe(type)}`);
    if (typeof key !== "string" || typeof location !== "string" || (pid.length === 6 && pid[5] !== null)) bad("a storage's key or location is not a string, or it is a view of another storage");
    const [dtype, size] = STORAGES[type.name.slice(6)]!;
    const n = int(numel, "a storage's size");
    const seen = storages.get(key as string);
    if (seen && (seen.dtype !== dtype || seen.numel !== n)) bad(`storage ${showJson(key)} is described twice, differently`);
    const s = seen ?? new Storage(key as string, dtype, size, n);
    storages.set(s.key, s);
    return s;
  };

  for (;;) {
    at = pos;
    const op = b[need(1)]!;
    switch (op) {
      case 0x80: // PROTO
        if (b[need(1)]! > 5) bad(`pickle protocol ${b[pos - 1]} is newer than 5`);
        break;
      case 0x95: need(8); break; // FRAME
      case 0x2e: { // STOP
        const value = pop();
        if (stack.length || marks.length) bad("items are left on the stack at STOP");
        return { value, storages, end: pos };
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(b[need(1)]!); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x8a: { // LONG1
        const n = b[need(1)]!;
        const p = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[p + i]!);
        if (n && b[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT
      case 0x58: stack.push(text(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(text(b[need(1)]!)); break; // SHORT_BINUNICODE
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const y = pop(); stack.push(Object.freeze([pop(), y])); break; } // TUPLE2
      case 0x87: { const z = pop(); const y = pop(); stack.push(Object.freeze([pop(), y, z])); break; } // TUPLE3
      case 0x5d: stack.push(new PList()); break; // EMPTY_LIST
      case 0x6c: stack.push(new PList(popMark())); break; // LIST
      case 0x61: { const v = pop(); const l = top(); if (!(l instanceof PList)) bad("APPEND to something that is not a list"); (l as PList).items.push(v); break; } // APPEND
      case 0x65: { const vs = popMark(); const l = top(); if (!(l instanceof PList)) bad("APPENDS to something that is not a list"); for (const v of vs) (l as PList).items.push(v); break; } // APPENDS
      case 0x7d: stack.push(new PDict()); break; // EMPTY_DICT
      case 0x64: { const d = new PDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x63: { const module = line(); stack.push(global(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") bad("STACK_GLOBAL names are not strings");
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x71: memo.set(b[need(1)]!, top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const i = op === 0x68 ? b[need(1)]! : view.getUint32(need(4), true);
        if (!memo.has(i)) bad(`memo entry ${i} was never stored`);
        stack.push(memo.get(i));
        break;
      }
      case 0x52: { const args = pop(); stack.push(reduce(pop(), args)); break; } // REDUCE
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x62: { // BUILD: an OrderedDict's attributes (the state dict's _metadata), which are not needed
        const state = pop();
        if (!(top() instanceof PDict) || !(state === null || state instanceof PDict)) bad("BUILD on something other than a dict");
        break;
      }
      default:
        bad(`opcode 0x${op.toString(16).padStart(2, "0")} is not one a state dict uses`);
    }
  }
}

/**
 * Flattens the unpickled value into dotted keys, reading each tensor's elements from its storage.
 * `size` is the pickle's length: a tree has no more nodes than the opcodes that built it, so more
 * visits than that means containers shared (memoized) over and over, which a state dict never does.
 */
function materialize(value: unknown, data: Map<Storage, Uint8Array>, size: number, fail: Fail): Omit<TorchFile, "format"> {
  const tensors: Record<string, Tensor> = {};
  const values: Record<string, number | string | boolean | null> = {};
  if (!(value instanceof PDict || value instanceof PList || Array.isArray(value))) fail(`the file holds ${describe(value)}, not a state dict (a dict of tensors)`);
  let budget = MAX_OVERLAP;
  for (const s of data.keys()) budget += 2 * s.numel;
  const path = new Set<unknown>();
  let visits = 0;
  const visit = (v: unknown, key: string, depth: number): void => {
    if (++visits > size) fail("the state dict repeats its containers far too often");
    const sub = (k: string): string => (key ? `${key}.${k}` : k);
    if (v instanceof TensorRef) {
      const t = readTensor(v, data.get(v.storage)!, key, fail);
      budget -= t.numel();
      if (budget < 0) fail("the tensors' views repeat their storages' elements far too often");
      define(tensors, key, t);
    } else if (v instanceof PDict || v instanceof PList || Array.isArray(v)) {
      if (depth > MAX_DEPTH || path.has(v)) fail(`the value at ${showJson(key)} nests too deeply or contains itself`);
      path.add(v);
      if (v instanceof PDict) for (const [k, x] of v.map) visit(x, sub(k), depth + 1);
      else (v instanceof PList ? v.items : (v as unknown[])).forEach((x, i) => visit(x, sub(String(i)), depth + 1));
      path.delete(v);
    } else if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") {
      define(values, key, v);
    } else {
      fail(`the value at ${showJson(key)} is ${describe(v)}, which a state dict does not hold`);
    }
  };
  visit(value, "", 0);
  return { tensors, values };
}

function readTensor(r: TensorRef, raw: Uint8Array, key: string, fail: Fail): Tensor {
  const { storage: s, offset, shape, stride } = r;
  let numel = 1;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    numel *= shape[i]!;
    last += (shape[i]! - 1) * stride[i]!;
  }
  const where = `tensor ${showJson(key)}`;
  if (numel > 0 && last >= s.numel) fail(`${where} (size ${showJson(shape)}, stride ${showJson(stride)}, offset ${offset}) reaches element ${last} of a storage of ${s.numel}`);
  if (numel > s.numel && numel > MAX_OVERLAP) fail(`${where} has ${numel} elements, more than its storage's ${s.numel}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dtype: DType = s.dtype === "F64" ? "float64" : s.dtype === "F32" || s.dtype === "F16" || s.dtype === "BF16" ? "float32" : "int32";
  const out = dtype === "float64" ? new Float64Array(numel) : dtype === "float32" ? new Float32Array(numel) : new Int32Array(numel);
  let contiguous = true;
  for (let d = shape.length - 1, step = 1; d >= 0; step *= shape[d]!, d--) if (shape[d] !== 1 && stride[d] !== step) contiguous = false;
  if (contiguous && LITTLE_ENDIAN && (s.dtype === "F32" || s.dtype === "F64" || s.dtype === "I32")) { // the common case: one copy
    new Uint8Array(out.buffer).set(raw.subarray(offset * s.size, (offset + numel) * s.size));
    return new Tensor(out, shape);
  }
  const read = reader(s.dtype, view);
  const index = new Array<number>(shape.length).fill(0);
  let src = offset;
  for (let i = 0; i < numel; i++) {
    const x = read(src);
    if (s.dtype === "I64" && !Number.isInteger(x)) fail(`${where}: int64 value ${view.getBigInt64(src * 8, true)} at flat index ${i} does not fit in int32 (seqtorch's only integer dtype)`);
    out[i] = x;
    for (let d = shape.length - 1; d >= 0; d--) { // the next element in row-major order
      src += stride[d]!;
      if (++index[d]! < shape[d]!) break;
      src -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** Element `i` of a storage as a number; an int64 outside int32 reads as NaN, for the caller to report. */
function reader(dtype: StorageDType, v: DataView): (i: number) => number {
  switch (dtype) {
    case "F32": return (i) => v.getFloat32(i * 4, true);
    case "F64": return (i) => v.getFloat64(i * 8, true);
    case "F16": return (i) => halfToFloat(v.getUint16(i * 2, true));
    case "BF16": { // the top half of a float32
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      return (i) => {
        u[0] = v.getUint16(i * 2, true) << 16;
        return f[0]!;
      };
    }
    case "I64": return (i) => {
      const lo = v.getUint32(i * 8, true);
      const hi = v.getInt32(i * 8 + 4, true);
      return (lo <= 0x7fffffff ? hi === 0 : hi === -1) ? lo | 0 : NaN;
    };
    case "I32": return (i) => v.getInt32(i * 4, true);
    case "I16": return (i) => v.getInt16(i * 2, true);
    case "I8": return (i) => v.getInt8(i);
    case "U8": return (i) => v.getUint8(i);
    case "BOOL": return (i) => (v.getUint8(i) ? 1 : 0);
  }
}

function describe(v: unknown): string {
  if (v instanceof Global) return `the global ${v.name}`;
  if (v instanceof Storage) return "a storage";
  if (v instanceof TensorRef) return "a tensor";
  if (v instanceof PDict) return "a dict";
  if (v instanceof PList) return "a list";
  if (Array.isArray(v)) return `a tuple of ${v.length}`;
  if (typeof v === "bigint") return `the integer ${v}`;
  return v === null ? "None" : typeof v === "string" ? `the string ${showJson(v, 40)}` : `${typeof v} ${String(v)}`;
}

function define<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Mutation strategies shared by the fuzz runner (`npm run fuzz`) and the property tests: byte
 * flips, truncation, insertion of huge numbers, deep nesting and long strings, random JSON values
 * in place of fields, and random CSV / JSON Lines text. Everything is driven by an `Rng`, so a
 * mutation is reproducible from its seed.
 */
import type { Rng } from "./rng.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** Numbers that sit on edges: int32, uint32, safe integers, float extremes, fractions. */
export const EDGE_NUMBERS: readonly number[] = [
  0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 8,
  2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e8, 1e9, 1e21, 1e300, 1.7976931348623157e308, -1e308, 5e-324, 1e-7,
  0.5, 1.5, -0.5, 100_000_000, 100_000_001, 4294967304,
];

/** Raw JSON number texts that JSON.parse turns into awkward values (Infinity, 0, lost precision). */
const WILD_NUMBER_TEXT = ["1e400", "-1e400", "1e-400", "-0", "123456789012345678901234567890", "0.00000000000000000000001", "9007199254740993", "1E5", "4e0"];

/** Strings with a history of breaking parsers. */
export const EDGE_STRINGS: readonly string[] = [
  "", " ", "__proto__", "constructor", "toString", "hasOwnProperty", "__metadata__", "<pad>", "<unk>", "\u0000", "\ufeff", "\r", "\n", "\r\n",
  "\u2028", "\ud800", "\udfff", "é", "👋🏽", "a\"b", "\\", "F32", "F16", "BF16", "I64", "U64", "F8_E4M3", "C64", "lstm", "gru", "word", "char",
  "classification", "regression", "seqtorch-text-model", "NaN", "Infinity", "null", "true", "{}", "[]", "en", "zh", "x-invalid-", "i-klingon",
];

/** Pieces that CSV / TSV / JSON Lines parsers treat specially. */
export const TABLE_PIECES: readonly string[] = [
  ",", ";", "\t", "\"", "\"\"", "'", "\n", "\r\n", "\r", "\ufeff", " ", "text", "label", "pos", "neg", "{", "}", "[", "]", ":", "null",
  "\"text\"", "\"label\"", "1", "-0", "1e400", "\u0000", "\u2028", "é", "🙂", "\ud800", "#", "\\", "__proto__", "constructor",
];

/**
 * A long run of one repeated piece: long strings, long numbers, deep nesting. Up to 30 K code
 * units, and 1 time in 20 up to 300 K (what it takes for a quadratic step to show as a hang).
 */
export function longRun(rng: Rng, piece?: string): string {
  const p = piece ?? rng.pick(["a", "9", "[", "{\"a\":", " ", "\"", ",", "\n", "é", "👋", "x,", "\\u0041", "0."]);
  const length = rng.chance(0.05) ? rng.pick([100_000, 300_000]) : rng.pick([100, 300, 1000, 3000, 10_000, 30_000]);
  return p.repeat(Math.ceil(length / p.length));
}

/** Deeply nested JSON text: `[[[..]]]` or `{"a":{"a":..}}`, balanced (valid JSON) unless `balanced` is false. */
export function deepJson(rng: Rng, balanced = true): string {
  const depth = rng.pick([50, 1000, 10_000, 100_000]);
  if (rng.chance(0.5)) return "[".repeat(depth) + (balanced ? "]".repeat(depth) : "");
  return "{\"a\":".repeat(depth) + "1" + (balanced ? "}".repeat(depth) : "");
}

const MARK = "\u0000@fuzz:";

/**
 * A random JSON value. Texts that JSON.stringify cannot produce (deep nesting, 1e400, -0) are
 * placeholders that `stringify` expands, so they reach the parser as raw text.
 */
export function randomJson(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 2 ? 7 : 10);
  switch (r) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.chance(0.7) ? rng.pick(EDGE_NUMBERS) : (rng.next() - 0.5) * 10 ** rng.int(12);
    case 3: return rng.chance(0.5) ? rng.int(10) : -rng.int(10);
    case 4: return rng.pick(EDGE_STRINGS);
    case 5: return randomString(rng, rng.size(40));
    case 6: return rng.chance(0.5) ? MARK + rng.pick(WILD_NUMBER_TEXT) : MARK + (rng.chance(0.5) ? deepJson(rng) : JSON.stringify(longRun(rng)));
    case 7: return Array.from({ length: rng.size(6) }, () => randomJson(rng, depth + 1));
    case 8: return Array.from({ length: rng.size(4) }, () => rng.pick(EDGE_NUMBERS));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.size(5); i > 0; i--) define(o, rng.chance(0.5) ? rng.pick(EDGE_STRINGS) : randomString(rng, rng.size(8)), randomJson(rng, depth + 1));
      return o;
    }
  }
}

/** JSON text of `value`, with `randomJson`'s placeholders expanded to their raw text. */
export function stringify(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent) ?? "null";
  if (!json.includes("\\u0000@fuzz:")) return json;
  return json.replace(/"\\u0000@fuzz:((?:[^"\\]|\\.)*)"/g, (_, raw: string) => JSON.parse(`"${raw}"`) as string);
}

/** A string of `n` random code units: ASCII, Latin, CJK, emoji, controls and lone surrogates. */
export function randomString(rng: Rng, n: number): string {
  let s = "";
  while (s.length < n) {
    const k = rng.int(10);
    if (k < 4) s += String.fromCharCode(0x20 + rng.int(0x5f));
    else if (k === 4) s += String.fromCharCode(rng.int(0x20));
    else if (k === 5) s += String.fromCharCode(0xa0 + rng.int(0x500));
    else if (k === 6) s += String.fromCharCode(0x4e00 + rng.int(0x5000));
    else if (k === 7) s += String.fromCodePoint(0x1f300 + rng.int(0x300));
    else if (k === 8) s += String.fromCharCode(0xd800 + rng.int(0x800));
    else s += rng.pick(TABLE_PIECES);
  }
  return s;
}

function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every place in a JSON value where a value sits (object fields and array items), depth-first. */
function slots(value: unknown, out: Slot[] = [], depth = 0): Slot[] {
  if (depth > 20 || typeof value !== "object" || value === null) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      slots(v, out, depth + 1);
    });
  } else {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key: k });
      slots(v, out, depth + 1);
    }
  }
  return out;
}

/**
 * Mutates a JSON value in place, 1 to 3 times: replace a field or item with a random value (or an
 * edge number, or the same value of another type), delete it, add a field, empty or wrap it.
 * Returns the (possibly new) root.
 */
export function mutateJson(rng: Rng, root: unknown): unknown {
  for (let n = rng.range(1, 3); n > 0; n--) {
    const all = slots(root);
    if (all.length === 0 || rng.chance(0.03)) return randomJson(rng);
    const { parent, key } = rng.pick(all);
    const old = (parent as Record<string | number, unknown>)[key];
    const set = (v: unknown): void => {
      if (Array.isArray(parent)) parent[key as number] = v;
      else define(parent, key as string, v);
    };
    switch (rng.int(9)) {
      case 0:
      case 1: set(randomJson(rng)); break;
      case 2: set(typeof old === "number" ? rng.pick(EDGE_NUMBERS) : Array.isArray(old) ? old.map(() => rng.pick(EDGE_NUMBERS)) : randomJson(rng)); break;
      case 3: set(typeof old === "number" ? String(old) : typeof old === "string" && old !== "" && !Number.isNaN(Number(old)) ? Number(old) : [old]); break;
      case 4:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 5:
        if (Array.isArray(parent)) parent.push(rng.chance(0.5) ? structuredClone(old) : randomJson(rng));
        else define(parent, rng.chance(0.5) ? rng.pick(EDGE_STRINGS) : randomString(rng, rng.range(1, 6)), randomJson(rng));
        break;
      case 6: set(Array.isArray(old) ? [] : typeof old === "object" && old !== null ? {} : typeof old === "string" ? "" : 0); break;
      case 7: set(typeof old === "string" && !old.startsWith(MARK) ? old + longRun(rng) : MARK + deepJson(rng)); break;
      default: set(Array.isArray(old) ? [...old, ...old] : typeof old === "number" ? -old : null);
    }
  }
  return root;
}

/**
 * Byte-level mutations, 1 to 4 of them: bit flips, interesting bytes, insertion of random or
 * long runs of bytes, deletion, duplication and truncation.
 */
export function mutateBytes(rng: Rng, input: Uint8Array): Uint8Array {
  let b = input;
  let long = false; // one long run per input at most, so inputs stay under about 1 MB
  for (let n = rng.range(1, 4); n > 0; n--) {
    const at = rng.int(b.length + 1);
    const op = rng.int(8);
    switch (op === 3 && long ? 2 : op) {
      case 0:
        if (b.length) {
          b = b.slice();
          for (let k = rng.range(1, 8); k > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        }
        break;
      case 1:
        if (b.length) {
          b = b.slice();
          b[Math.min(at, b.length - 1)] = rng.pick([0, 0xff, 0x7f, 0x80, 0x20, 0x22, 0x7b, 0x5b, 0x5d, 0x7d, 0x2c, 0x0a, 0x0d, 0x2d, 0x30, 0x39, 0xc0, 0xef]);
        }
        break;
      case 2: b = splice(b, at, 0, rng.bytes(rng.size(64))); break;
      case 3:
        long = true;
        b = splice(b, at, 0, utf8(rng.chance(0.5) ? longRun(rng) : rng.pick(EDGE_STRINGS)));
        break;
      case 4: b = splice(b, at, rng.size(Math.max(1, b.length - at)), new Uint8Array(0)); break;
      case 5: {
        const len = rng.size(Math.max(1, b.length - at));
        b = splice(b, rng.int(b.length + 1), 0, b.slice(at, at + len));
        break;
      }
      case 6: b = b.slice(0, at); break;
      default: b = splice(b, at, 0, utf8(rng.pick(TABLE_PIECES)));
    }
  }
  return b;
}

/** Text-level mutations on lines and pieces (CSV / JSON Lines): insert, delete, duplicate, shuffle lines. */
export function mutateText(rng: Rng, input: string): string {
  let s = input;
  let long = false;
  for (let n = rng.range(1, 4); n > 0; n--) {
    const at = rng.int(s.length + 1);
    const op = rng.int(7);
    switch ((op === 3 || op === 4) && long ? 0 : op) {
      case 0: s = s.slice(0, at) + rng.pick(TABLE_PIECES) + s.slice(at); break;
      case 1: s = s.slice(0, at) + randomString(rng, rng.size(20)) + s.slice(at); break;
      case 2: s = s.slice(0, at) + s.slice(at + rng.size(20)); break;
      case 3:
        long = true;
        s = s.slice(0, at) + longRun(rng) + s.slice(at);
        break;
      case 4: {
        long = true;
        const lines = s.split("\n");
        const i = rng.int(lines.length);
        lines.splice(rng.int(lines.length + 1), 0, ...Array.from({ length: rng.size(50) + 1 }, () => lines[i]!));
        s = lines.join("\n");
        break;
      }
      case 5: {
        const lines = s.split("\n");
        for (let i = lines.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        }
        s = lines.join(rng.pick(["\n", "\r\n", "\r"]));
        break;
      }
      default: s = s.slice(0, at);
    }
  }
  return s;
}

function splice(b: Uint8Array, at: number, del: number, insert: Uint8Array): Uint8Array {
  del = Math.min(del, b.length - at);
  const out = new Uint8Array(b.length - del + insert.length);
  out.set(b.subarray(0, at));
  out.set(insert, at);
  out.set(b.subarray(at + del), at + insert.length);
  return out;
}

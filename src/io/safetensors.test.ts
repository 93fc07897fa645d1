import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { manualSeed, nn, randn, tensor, type Tensor } from "../index.js";
import { expectClose, type GoldenTensor } from "../../test/golden-helpers.js";
import { thrown } from "../../test/helpers.js";
import { parseSafetensors, readSafetensorsHeader, SafetensorsError, serializeSafetensors } from "./safetensors.js";

/** Builds a safetensors file by hand (independently of the serializer): u64 length, JSON padded to 8, data. */
function build(header: unknown, data: ArrayLike<number> = [], rawHeader?: string): Uint8Array {
  let json = rawHeader ?? JSON.stringify(header);
  while (json.length % 8 !== 0) json += " ";
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

/** Little-endian bytes of values written with a DataView setter. */
function le(size: number, values: (number | bigint)[], set: (v: DataView, off: number, x: never) => void): number[] {
  const v = new DataView(new ArrayBuffer(size * values.length));
  values.forEach((x, i) => set(v, i * size, x as never));
  return [...new Uint8Array(v.buffer)];
}
const i64 = (xs: bigint[]) => le(8, xs, (v, o, x: bigint) => v.setBigInt64(o, x, true));
const u16 = (xs: number[]) => le(2, xs, (v, o, x: number) => v.setUint16(o, x, true));

function expectError(fn: () => unknown, tensorName: string | null, message: RegExp): void {
  const e = thrown(fn, SafetensorsError);
  expect(e.tensor).toBe(tensorName);
  expect(e.message).toMatch(message);
}

function roundTrip(tensors: Record<string, Tensor>, metadata?: Record<string, string>) {
  return parseSafetensors(serializeSafetensors(tensors, metadata));
}

describe("serializeSafetensors / parseSafetensors", () => {
  test("round trip: float32, float64, int32, 0-d and empty tensors, metadata, key order", () => {
    const src = {
      "w.f32": tensor([[1.5, -2, NaN], [Infinity, -0, 3.4028234663852886e38]], { dtype: "float32" }),
      "w.f64": tensor([Math.PI, -1e-300, 5e-324], { dtype: "float64" }),
      "idx": tensor([[-2147483648, 0], [7, 2147483647]], { dtype: "int32" }),
      "scalar": tensor(4.25, { dtype: "float64" }),
      "empty": tensor([], [0, 3], { dtype: "float32" }),
      "empty_i": tensor([], [2, 0], { dtype: "int32" }),
    };
    const { tensors, metadata } = roundTrip(src, { format: "pt", note: "héllo ✓" });
    expect(Object.keys(tensors)).toEqual(Object.keys(src));
    expect(metadata).toEqual({ format: "pt", note: "héllo ✓" });
    for (const [k, t] of Object.entries(src)) {
      const r = tensors[k]!;
      expect(r.dtype, k).toBe(t.dtype);
      expect([...r.shape], k).toEqual([...t.shape]);
      expect([...r.data], k).toEqual([...t.data]); // toEqual distinguishes -0 and matches NaN
      expect(r.data.buffer, k).not.toBe(t.data.buffer);
    }
    expect(roundTrip({}).tensors).toEqual({});
    expect(roundTrip({ a: tensor([1]) }).metadata).toEqual({});
  });

  test("byte-exact layout of a small file", () => {
    const bytes = serializeSafetensors({ a: tensor([1, 2], { dtype: "float32" }) });
    // {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes; padded with 2 spaces to 56.
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0,
      ...[...json].map((c) => c.charCodeAt(0)),
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0x40, // 2.0f
    ];
    expect([...bytes]).toEqual(expected);
    expect(bytes.length).toBe(72);
  });

  test("byte-exact layout with metadata and a 0-d int32 tensor", () => {
    const bytes = serializeSafetensors({ x: tensor(-2, { dtype: "int32" }) }, { k: "v" });
    // 78 bytes of JSON, metadata first, padded with 2 spaces to 80.
    const json = '{"__metadata__":{"k":"v"},"x":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}  ';
    expect([...bytes]).toEqual([80, 0, 0, 0, 0, 0, 0, 0, ...[...json].map((c) => c.charCodeAt(0)), 0xfe, 0xff, 0xff, 0xff]);
  });

  test("the header is padded to a multiple of 8 for every name length", () => {
    for (let n = 1; n <= 9; n++) {
      const bytes = serializeSafetensors({ ["k".repeat(n)]: tensor([1]) });
      const len = new DataView(bytes.buffer).getUint32(0, true);
      expect(len % 8).toBe(0);
      expect(bytes.length).toBe(8 + len + 4);
    }
  });

  test("reads F16, BF16 and I64 (and the small integer dtypes) written by hand", () => {
    const data = [
      // F16: 1.5, -2, 65504, smallest subnormal 2^-24, -0, +Inf, NaN
      ...u16([0x3e00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00]),
      // BF16: 1.0, -3.140625, 65536, -Inf
      ...u16([0x3f80, 0xc049, 0x4780, 0xff80]),
      // I64: fits in int32 at both ends
      ...i64([-2147483648n, -1n, 0n, 2147483647n]),
      // I8, U8, BOOL, I16
      0xff, 0x80, 0x7f, 0xff, 0x80, 0x7f, 0, 1, 1, 0, ...u16([0x8000, 0x7fff]),
    ];
    const bytes = build({
      half: { dtype: "F16", shape: [7], data_offsets: [0, 14] },
      bf: { dtype: "BF16", shape: [2, 2], data_offsets: [14, 22] },
      long: { dtype: "I64", shape: [4], data_offsets: [22, 54] },
      i8: { dtype: "I8", shape: [3], data_offsets: [54, 57] },
      u8: { dtype: "U8", shape: [3], data_offsets: [57, 60] },
      mask: { dtype: "BOOL", shape: [4], data_offsets: [60, 64] },
      i16: { dtype: "I16", shape: [2], data_offsets: [64, 68] },
    }, data);
    const { tensors: t } = parseSafetensors(bytes);
    expect(t.half!.dtype).toBe("float32");
    expect([...t.half!.data]).toEqual([1.5, -2, 65504, 2 ** -24, -0, Infinity, NaN]);
    expect(t.bf!.dtype).toBe("float32");
    expect([...t.bf!.shape]).toEqual([2, 2]);
    expect([...t.bf!.data]).toEqual([1, -3.140625, 65536, -Infinity]);
    expect(t.long!.dtype).toBe("int32");
    expect([...t.long!.data]).toEqual([-2147483648, -1, 0, 2147483647]);
    expect([...t.i8!.data]).toEqual([-1, -128, 127]);
    expect([...t.u8!.data]).toEqual([255, 128, 127]);
    expect([...t.mask!.data]).toEqual([0, 1, 1, 0]);
    expect([...t.i16!.data]).toEqual([-32768, 32767]);
  });

  test("copies out of a misaligned buffer instead of aliasing it", () => {
    const file = serializeSafetensors({ a: tensor([1, 2, 3], { dtype: "float64" }), b: tensor([4], { dtype: "int32" }) });
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const { tensors } = parseSafetensors(big.subarray(3));
    expect([...tensors.a!.data]).toEqual([1, 2, 3]);
    expect([...tensors.b!.data]).toEqual([4]);
    expect(tensors.a!.data.buffer).not.toBe(big.buffer);
    big.fill(0);
    expect([...tensors.a!.data]).toEqual([1, 2, 3]);
  });

  test("a tensor named __proto__ is kept as an ordinary key", () => {
    const src: Record<string, Tensor> = Object.fromEntries([["__proto__", tensor([1, 2])]]);
    const { tensors } = roundTrip(src);
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
    expect([...tensors["__proto__"]!.data]).toEqual([1, 2]);
  });

  test("an nn.LSTM(3, 4, 2) state dict loads back into a fresh LSTM with identical outputs", () => {
    manualSeed(1);
    const a = new nn.LSTM(3, 4, 2);
    const b = new nn.LSTM(3, 4, 2);
    const { tensors } = roundTrip(a.stateDict());
    expect(Object.keys(tensors)).toEqual(Object.keys(a.stateDict()));
    b.loadStateDict(tensors);
    const x = randn([5, 2, 3]);
    const [oa, [ha, ca]] = a.forward(x);
    const [ob, [hb, cb]] = b.forward(x);
    expect([...ob.data]).toEqual([...oa.data]);
    expect([...hb.data]).toEqual([...ha.data]);
    expect([...cb.data]).toEqual([...ca.data]);
  });
});

describe("validation", () => {
  const f32 = (shape: number[], offsets: unknown) => ({ dtype: "F32", shape, data_offsets: offsets });

  test("file-level problems", () => {
    expectError(() => parseSafetensors(new Uint8Array(5)), null, /file too small: 5 bytes/);
    const long = build({});
    new DataView(long.buffer).setUint32(0, 1000, true);
    expectError(() => parseSafetensors(long), null, /header length 1000 runs past the end of the 16-byte file/);
    const huge = build({});
    new DataView(huge.buffer).setUint32(4, 1, true);
    expectError(() => parseSafetensors(huge), null, /header length 4294967304 exceeds the maximum/);
    const badUtf8 = build(null, [], "{}      ");
    badUtf8[9] = 0xff;
    expectError(() => parseSafetensors(badUtf8), null, /not valid UTF-8/);
    expectError(() => parseSafetensors(build([1, 2])), null, /must be a JSON object starting with '\{'/);
    expectError(() => parseSafetensors(build(null, [], "null")), null, /must be a JSON object/);
    expectError(() => parseSafetensors(build(null, [], '{"a": ')), null, /header is not valid JSON/);
    expectError(() => parseSafetensors(build({ __metadata__: { n: 1 } })), null, /metadata value for "n" must be a string, got 1/);
    expectError(() => parseSafetensors(build({ __metadata__: ["x"] })), null, /"__metadata__" must be an object of strings/);
    expectError(() => parseSafetensors(build({ a: f32([1], [0, 4]) }, [0, 0, 0, 0, 9])), null, /cover 4 bytes but the data section has 5 \(trailing bytes\)/);
  });

  test("per-tensor problems name the tensor", () => {
    const four = [0, 0, 0, 0];
    expectError(() => parseSafetensors(build({ a: 5 })), "a", /entry must be an object/);
    expectError(() => parseSafetensors(build({ a: { shape: [1], data_offsets: [0, 4] } }, four)), "a", /missing or non-string dtype/);
    expectError(() => parseSafetensors(build({ a: { dtype: "Q7", shape: [1], data_offsets: [0, 4] } }, four)), "a", /unknown dtype "Q7"/);
    expectError(() => parseSafetensors(build({ a: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } }, four)), "a", /unsupported dtype F8_E4M3/);
    expectError(() => parseSafetensors(build({ a: f32([-1], [0, 4]) }, four)), "a", /shape must be an array of non-negative integers, got \[-1\]/);
    expectError(() => parseSafetensors(build({ a: f32([1.5], [0, 4]) }, four)), "a", /shape must be an array/);
    expectError(() => parseSafetensors(build({ a: f32([1], [0]) }, four)), "a", /data_offsets must be \[begin, end\]/);
    expectError(() => parseSafetensors(build({ a: f32([1], "0,4") }, four)), "a", /data_offsets must be \[begin, end\]/);
    expectError(() => parseSafetensors(build({ a: f32([0], [4, 0]) }, four)), "a", /\[4, 0\] end before they begin/);
    expectError(() => parseSafetensors(build({ a: f32([2], [0, 8]) }, four)), "a", /\[0, 8\] run past the end of the 4-byte data section/);
    expectError(() => parseSafetensors(build({ a: f32([2, 3], [0, 4]) }, four)), "a", /span 4 bytes, but F32 \[2, 3\] needs 24/);
  });

  test("a header shaped unlike any safetensors header is rejected before it is parsed, in milliseconds", () => {
    /** A file whose header is `n` bytes: `head`, then `fill` repeated, then `tail`. */
    const raw = (n: number, head: string, fill: string, tail = ""): Uint8Array => {
      const out = new Uint8Array(8 + n);
      new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
      const start = 8 + head.length;
      out.set(new TextEncoder().encode(fill), start);
      for (let len = fill.length; start + len < out.length; len *= 2) out.copyWithin(start + len, start, start + len);
      out.set(new TextEncoder().encode(head), 8);
      out.set(new TextEncoder().encode(tail), out.length - tail.length);
      return out;
    };
    const cap = 99_999_992;
    // Nested arrays up to the 100 MB cap: JSON.parse took a minute and 5 GB on this.
    const nested = raw(cap, '{"a":', "[");
    // A 50-million-dimension shape: 4 GB to parse.
    const dims = raw(cap, '{"a":{"dtype":"F32","shape":[', "1,", '1],"data_offsets":[0,0]}}');
    for (const [bytes, message] of [[nested, /nests deeper than 3 levels \(at byte 7 of the header\)/], [dims, /an array of more than 64 elements \(at byte 156 of the header\); a shape has at most 64/]] as const) {
      const t0 = performance.now();
      expectError(() => parseSafetensors(bytes), null, message);
      expectError(() => readSafetensorsHeader(bytes), null, message);
      expect(performance.now() - t0).toBeLessThan(500);
    }
    expectError(() => parseSafetensors(raw(12_000_008, "{", '"a":0,', '"a":0}')), null, /more than 2000000 entries/);
    expectError(() => parseSafetensors(build({ a: { dtype: "F32", shape: [], data_offsets: [0, 0], x: [[1]] } })), null, /nests deeper/);
    // What the format allows passes: 64 dimensions, and brackets and commas inside strings.
    const ones = new Array(64).fill(1);
    expect(parseSafetensors(build({ __metadata__: { x: '[[[[{{,,,\\"]]' }, a: f32(ones, [0, 4]) }, [0, 0, 128, 63])).tensors.a!.shape).toEqual(ones);
    expectError(() => parseSafetensors(build({ a: f32([...ones, 1], [0, 4]) }, [0, 0, 128, 63])), null, /more than 64 elements/);
    // Dimensions whose product is beyond any data section.
    expectError(() => parseSafetensors(build({ a: f32([2 ** 40, 2 ** 40, 2 ** 40], [0, 4]) }, [0, 0, 0, 0])), "a", /span 4 bytes, but F32 \[1099511627776, 1099511627776, 1099511627776\] needs 5\.3\d*e\+36/);
  });

  test("overlapping and gapped offsets", () => {
    const eight = new Array(8).fill(0);
    expectError(() => parseSafetensors(build({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, eight)), "b", /overlap tensor "a" \(which ends at 8\)/);
    expectError(() => parseSafetensors(build({ a: f32([1], [0, 4]), b: f32([1], [0, 4]) }, eight)), "b", /overlap tensor "a"/);
    expectError(() => parseSafetensors(build({ b: f32([1], [4, 8]) }, eight)), "b", /leave a gap: bytes \[0, 4\) belong to no tensor/);
    // Empty tensors may sit at any boundary.
    const ok = parseSafetensors(build({ z: f32([0], [4, 4]), a: f32([1], [0, 4]), b: f32([1], [4, 8]), e: f32([0, 2], [8, 8]) }, eight));
    expect(Object.keys(ok.tensors)).toEqual(["a", "z", "b", "e"]);
  });

  test("integers that do not fit in int32", () => {
    expectError(() => parseSafetensors(build({ step: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, i64([1n, 2147483648n]))), "step",
      /I64 value 2147483648 at flat index 1 does not fit in int32/);
    expectError(() => parseSafetensors(build({ s: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, i64([-2147483649n]))), "s", /I64 value -2147483649 at flat index 0/);
    expectError(() => parseSafetensors(build({ s: { dtype: "U64", shape: [1], data_offsets: [0, 8] } }, i64([-1n]))), "s", /U64 value 18446744073709551615/);
    expectError(() => parseSafetensors(build({ s: { dtype: "U32", shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0x80])), "s", /U32 value 2147483648/);
  });

  test("serializer errors", () => {
    expectError(() => serializeSafetensors({ __metadata__: tensor([1]) }), "__metadata__", /reserved for metadata/);
    expectError(() => serializeSafetensors({ a: [1, 2] as unknown as Tensor }), "a", /not a Tensor/);
    expectError(() => serializeSafetensors({}, { n: 1 as unknown as string }), null, /metadata value for "n" must be a string/);
  });
});

/*
 * test/golden/lstm.safetensors is written by hand (struct + json) from PyTorch by
 * tools/golden/safetensors_file.py, in the reference writer's order (dtype alignment, then name):
 *   torch.manual_seed(0); lstm = torch.nn.LSTM(3, 4, 2)
 *   tensors = {**lstm.state_dict(), "step": int64 [2, 3], "half": float16 [8]}
 *   x = torch.randn(5, 2, 3); out, (hN, cN) = lstm(x)
 */
describe("golden file from PyTorch", () => {
  interface Golden {
    order: string[];
    metadata: Record<string, string>;
    tensors: Record<string, GoldenTensor>;
    input: GoldenTensor; output: GoldenTensor; hN: GoldenTensor; cN: GoldenTensor;
  }
  const golden = JSON.parse(readFileSync(new URL("../../test/golden/lstm_safetensors.json", import.meta.url), "utf8")) as Golden;
  const bytes = new Uint8Array(readFileSync(new URL("../../test/golden/lstm.safetensors", import.meta.url)));

  test("parses to PyTorch's values exactly (float32, float16 widened, int64 narrowed)", () => {
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual(golden.metadata);
    expect(Object.keys(tensors)).toEqual(golden.order);
    for (const [k, g] of Object.entries(golden.tensors)) {
      const t = tensors[k]!;
      expect(t.dtype, k).toBe(g.dtype ?? "float32");
      expect([...t.shape], k).toEqual(g.shape);
      expect([...t.data], k).toEqual(g.dtype ? g.data : g.data.map(Math.fround));
    }
  });

  test("the weights reproduce PyTorch's LSTM output", () => {
    const { tensors } = parseSafetensors(bytes);
    const lstm = new nn.LSTM(3, 4, 2);
    const { unexpectedKeys } = lstm.loadStateDict(tensors, false);
    expect(unexpectedKeys.sort()).toEqual(["half", "step"]);
    const [out, [hN, cN]] = lstm.forward(tensor(golden.input.data, golden.input.shape));
    expectClose(out, golden.output, "output");
    expectClose(hN, golden.hN, "hN");
    expectClose(cN, golden.cN, "cN");
  });
});

describe("readSafetensorsHeader", () => {
  test("gives each tensor's dtype and shape without decoding, and validates like parseSafetensors", () => {
    const bytes = serializeSafetensors({ a: tensor([[1, 2, 3], [4, 5, 6]]), b: tensor([1, 2], { dtype: "int32" }) }, { format: "pt" });
    const { tensors, metadata } = readSafetensorsHeader(bytes);
    expect(tensors).toEqual({ a: { dtype: "F32", shape: [2, 3] }, b: { dtype: "I32", shape: [2] } });
    expect(metadata).toEqual({ format: "pt" });
    expect(() => readSafetensorsHeader(bytes.subarray(0, bytes.length - 4))).toThrow(SafetensorsError);
    // A header claiming a huge tensor the file cannot hold is rejected from the header alone.
    expect(() => readSafetensorsHeader(build({ w: { dtype: "F32", shape: [1e8, 1e8], data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toThrow(/needs 40000000000000000/);
  });
});

describe("errors stay on one line whatever the header holds", () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  test("a shape, data_offsets or metadata value nested too deeply is rejected before it is parsed, on one line", () => {
    // Found by fuzzing: the messages quoted these with JSON.stringify, which overflowed the stack;
    // the header's depth is now checked first, so they never reach a message.
    for (const header of [
      `{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`,
      `{"a":{"dtype":"F32","shape":[0],"data_offsets":${deep}}}`,
      `{"__metadata__":{"k":${deep}}}`,
    ]) {
      expectError(() => parseSafetensors(build(null, [], header)), null, /^safetensors: header nests deeper than 3 levels \(at byte \d+ of the header\); a safetensors header is an object of objects holding arrays$/);
    }
  });

  test("a tensor name with a line break is quoted, and a JSON error quoting a CR is folded", () => {
    const e = thrown(() => parseSafetensors(build({ "a\nb": 5 })), SafetensorsError);
    expect(e.message).toBe('safetensors: tensor "a\\nb": entry must be an object with dtype, shape and data_offsets');
    const cr = thrown(() => parseSafetensors(build(null, [], '{"a":\r\r x}')), SafetensorsError);
    expect(cr.message).toMatch(/^safetensors: header is not valid JSON: /);
    expect(cr.message).not.toMatch(/[\r\n]/);
  });
});

/**
 * Property tests (fast-check) for the safetensors parser: a write/read round trip for any tensors,
 * and for malformed files (the fuzz suite's mutations, random bytes, random headers) a clean
 * one-line SafetensorsError or an acceptance whose tensors say what the header says.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tensor, type Tensor } from "../index.js";
import { buildSafetensors } from "../../fuzz/corpus.js";
import { checkSafetensors } from "../../fuzz/checks.js";
import { cleanOrCorrectSync } from "../../fuzz/outcome.js";
import { Rng } from "../../fuzz/rng.js";
import { makeSafetensors } from "../../fuzz/targets.js";
import { parseSafetensors, readSafetensorsHeader, SafetensorsError, serializeSafetensors } from "./safetensors.js";

const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const anyTensor: fc.Arbitrary<Tensor> = fc.oneof(
  shape.chain((s) => fc.array(fc.float(), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }).map((d) => tensor(d, s, { dtype: "float32" }))),
  shape.chain((s) => fc.array(fc.double(), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }).map((d) => tensor(d, s, { dtype: "float64" }))),
  shape.chain((s) => fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }).map((d) => tensor(d, s, { dtype: "int32" }))),
);
const name = fc.string({ unit: "binary", maxLength: 12 }).filter((k) => k !== "__metadata__");

/** Both readers on the same bytes: both reject cleanly, or both accept what the header says. */
function readBoth(bytes: Uint8Array): boolean {
  const full = cleanOrCorrectSync(() => parseSafetensors(bytes), (r) => checkSafetensors(bytes, r));
  const header = cleanOrCorrectSync(() => readSafetensorsHeader(bytes), (r) => checkSafetensors(bytes, r));
  // The header alone accepts what parseSafetensors accepts, plus files whose integers do not fit in int32.
  if (full) expect(header, "readSafetensorsHeader rejects a file parseSafetensors reads").toBe(true);
  else if (header) expect(decodingFails(bytes), "readSafetensorsHeader accepts a file parseSafetensors rejects").toBe(true);
  return full;
}

/** Whether the file fails only on decoding (an integer that does not fit in int32), which the header alone cannot see. */
function decodingFails(bytes: Uint8Array): boolean {
  try {
    parseSafetensors(bytes);
    return false;
  } catch (e) {
    return e instanceof SafetensorsError && /does not fit in int32/.test(e.message);
  }
}

describe("safetensors properties", () => {
  test("write then read gives the same tensors, in order, with the metadata", () => {
    const tensors = fc.uniqueArray(fc.tuple(name, anyTensor), { maxLength: 5, selector: ([k]) => k });
    fc.assert(fc.property(tensors, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (entries, metadata) => {
      const src = Object.fromEntries(entries);
      const bytes = serializeSafetensors(src, metadata);
      const { tensors: back, metadata: meta } = parseSafetensors(bytes);
      expect(Object.keys(back)).toEqual(entries.map(([k]) => k));
      expect({ ...meta }).toEqual({ ...metadata });
      for (const [k, t] of entries) {
        expect(back[k]!.dtype).toBe(t.dtype);
        expect([...back[k]!.shape]).toEqual([...t.shape]);
        expect([...back[k]!.data]).toEqual([...t.data]);
      }
      checkSafetensors(bytes, { tensors: back, metadata: meta });
      expect(Object.keys(readSafetensorsHeader(bytes).tensors)).toEqual(entries.map(([k]) => k));
    }), { numRuns: 300 });
  });

  test("mutated files (bytes, header JSON, fields, length) are rejected cleanly or read correctly", () => {
    let accepted = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      if (readBoth(makeSafetensors(new Rng(seed)))) accepted++;
    }), { numRuns: 800 });
    expect(accepted).toBeGreaterThan(25); // the mutations reach the accepting paths too (about 60 of 800 on average)
  });

  test("random bytes, and random JSON as the header, are rejected cleanly or read correctly", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void readBoth(bytes)), { numRuns: 300 });
    const entry = fc.record({
      dtype: fc.constantFrom("F32", "F64", "I32", "F16", "BF16", "I64", "U64", "U32", "I16", "U16", "I8", "U8", "BOOL", "F8_E4M3", "Q", ""),
      shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }), fc.jsonValue()),
      data_offsets: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 24 })), fc.jsonValue()),
    }, { requiredKeys: [] });
    const header = fc.dictionary(fc.oneof(name, fc.constant("__metadata__")), fc.oneof(entry, fc.jsonValue()), { maxKeys: 3 });
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 24 }), (h, data) => void readBoth(buildSafetensors(h, data))), { numRuns: 700 });
  });
});

/**
 * Property tests (fast-check) for the torch.save reader: files PyTorch wrote (test/golden/pytorch/),
 * mutated at the byte level, inside one archive entry (the pickle or a storage), cut short, or
 * replaced by random opcode streams, must load with tensors that fit their shapes, or fail with a
 * clean one-line error: never hang, never a raw TypeError or RangeError from the internals.
 */
import { readdirSync, readFileSync } from "node:fs";
import { unzipSync, zipSync, type Zippable } from "fflate";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { mutateBytes } from "../../fuzz/mutate.js";
import { cleanOrCorrectSync, ensure } from "../../fuzz/outcome.js";
import { Rng } from "../../fuzz/rng.js";
import { PickleWriter, ptZip } from "../../test/torch-pickle.js";
import { parseTorchFile, type TorchFile } from "./torch.js";

const dir = new URL("../../test/golden/pytorch/", import.meta.url);
const seeds = readdirSync(dir).filter((n) => n.endsWith(".pt") && !n.startsWith("bad_")).map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(new URL(n, dir))) }));
const zips = seeds.filter((s) => s.bytes[0] === 0x50);

/** What any accepted file must satisfy; with `like`, also the same keys, shapes and dtypes. */
function check(r: TorchFile, like?: TorchFile): void {
  for (const [k, t] of Object.entries(r.tensors)) {
    ensure(t.data.length === t.shape.reduce((a, b) => a * b, 1), () => `"${k}" has ${t.data.length} values for shape [${t.shape}]`);
    ensure(["float32", "float64", "int32"].includes(t.dtype), () => `"${k}" has dtype ${t.dtype}`);
  }
  if (like) {
    ensure(JSON.stringify(Object.keys(r.tensors)) === JSON.stringify(Object.keys(like.tensors)), () => "the keys changed");
    for (const [k, t] of Object.entries(like.tensors)) {
      const u = r.tensors[k]!;
      ensure(u.dtype === t.dtype && u.shape.join() === t.shape.join(), () => `"${k}" changed dtype or shape`);
    }
  }
}

const read = (bytes: Uint8Array, like?: TorchFile): boolean => cleanOrCorrectSync(() => parseTorchFile(bytes, "fuzz.pt"), (r) => check(r, like));

/** Unzips, lets `edit` change the entries, and zips again (stored, as torch.save does). */
function rezip(bytes: Uint8Array, edit: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(bytes);
  edit(files);
  const out: Zippable = {};
  for (const [k, v] of Object.entries(files)) out[k] = [v, { level: 0 }];
  return zipSync(out);
}

describe("torch.save reader properties", () => {
  test("the seeds themselves load", () => {
    for (const s of seeds) expect(read(s.bytes), s.name).toBe(true);
  });

  test("byte-level mutations of whole files (zip and legacy) and truncations: a clean error or tensors that fit", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const s = seeds[rng.int(seeds.length)]!;
      read(rng.chance(0.2) ? s.bytes.subarray(0, rng.int(s.bytes.length)) : mutateBytes(rng, s.bytes));
    }), { numRuns: 400 });
  });

  test("mutations inside the pickle reach the interpreter: a clean error or tensors that fit", () => {
    let accepted = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const s = zips[rng.int(zips.length)]!;
      const bytes = rezip(s.bytes, (files) => {
        const pkl = Object.keys(files).find((k) => k.endsWith("/data.pkl"))!;
        files[pkl] = mutateBytes(rng, files[pkl]!);
      });
      if (read(bytes)) accepted++;
    }), { numRuns: 400 });
    expect(accepted).toBeGreaterThan(0);
  });

  test("storage bytes changed in place load with the same keys, shapes and dtypes (or an int64 that no longer fits)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const s = zips[rng.int(zips.length)]!;
      const original = parseTorchFile(s.bytes);
      const bytes = rezip(s.bytes, (files) => {
        const data = Object.keys(files).filter((k) => /\/data\/[^/]+$/.test(k));
        const k = data[rng.int(data.length)]!;
        const b = files[k]!.slice();
        for (let n = rng.range(1, 8); n > 0 && b.length; n--) b[rng.int(b.length)] = rng.u32() & 0xff;
        files[k] = b;
      });
      try {
        check(parseTorchFile(bytes), original);
      } catch (e) {
        expect((e as Error).message).toMatch(/int64 value .* does not fit in int32/);
      }
    }), { numRuns: 150 });
  });

  test("random opcode streams with state-dict globals and persistent ids: a clean error or tensors that fit", () => {
    const step = (p: PickleWriter, rng: Rng): void => {
      switch (rng.int(16)) {
        case 0: p.mark(); break;
        case 1: p.tuple(); break;
        case 2: p.reduce(); break;
        case 3: p.setitems(); break;
        case 4: p.setitem(); break;
        case 5: p.emptyDict(); break;
        case 6: p.emptyTuple(); break;
        case 7: p.str(rng.pick(["storage", "0", "1", "cpu", "w", ""])); break;
        case 8: p.int(rng.pick([0, 1, 2, 3, 4, -1, 2 ** 31 - 1])); break;
        case 9: p.global(...rng.pick<[string, string]>([["torch._utils", "_rebuild_tensor_v2"], ["torch._utils", "_rebuild_parameter"], ["collections", "OrderedDict"], ["torch", "FloatStorage"], ["torch", "LongStorage"]])); break;
        case 10: p.op(0x51); break; // BINPERSID
        case 11: p.op(rng.pick([0x85, 0x86, 0x87, 0x5d, 0x61, 0x65, 0x62, 0x4e, 0x88, 0x89])); break;
        case 12: p.binput(rng.int(4)); break;
        case 13: p.binget(rng.int(4)); break;
        case 14: p.long(BigInt(rng.pick([0, 1, 2 ** 40, -(2 ** 40)])) * BigInt(rng.pick([1, 2 ** 30]))); break;
        default: p.op(rng.u32() & 0xff);
      }
    };
    let accepted = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const p = new PickleWriter().proto(2).emptyDict();
      // From no step at all (an empty state dict, so that every run reaches the accepting path) to 40.
      for (let n = rng.range(0, 40); n > 0; n--) step(p, rng);
      if (rng.chance(0.7)) p.stop();
      const storages = { 0: new Uint8Array(rng.pick([0, 4, 8, 16])), 1: new Uint8Array(rng.pick([0, 8, 16])) };
      if (read(ptZip(new Uint8Array(p.bytes), storages))) accepted++;
    }), { numRuns: 1500 });
    expect(accepted).toBeGreaterThan(0);
  });
});

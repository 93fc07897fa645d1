/**
 * The torch.save reader on files built here, opcode by opcode, as PyTorch 1.13 lays them out (a
 * zip of `<name>/data.pkl`, `<name>/data/<key>`, `<name>/version`): what it reads, and each thing
 * it must refuse. Files written by PyTorch itself are tested in test/golden-pytorch-files.test.ts.
 */
import { zipSync, type Zippable } from "fflate";
import { describe, expect, test } from "vitest";
import { thrown } from "../../test/helpers.js";
import { parseTorchFile, TorchFileError } from "./torch.js";
import { pickle, ptZip, stateDictPickle, type Entry } from "../../test/torch-pickle.js";

const floats = (...xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);
const int64s = (...xs: bigint[]): Uint8Array => new Uint8Array(new BigInt64Array(xs).buffer);
const f32 = (storageKey: string, numel: number, size: number[], stride: number[], offset = 0): Entry["tensor"] => ({ type: "FloatStorage", storageKey, numel, size, stride, offset });
const message = (bytes: Uint8Array): string => thrown(() => parseTorchFile(bytes, "m.pt"), TorchFileError).message;

describe("parseTorchFile on hand-built files", () => {
  test("reads tensors, views (offset, stride) and the archive's own name", () => {
    const pkl = stateDictPickle([
      { key: "w", tensor: f32("0", 6, [2, 3], [3, 1]) },
      { key: "wT", tensor: f32("0", 6, [3, 2], [1, 3]) },
      { key: "tail", tensor: f32("0", 6, [2], [2], 1) },
      { key: "row1", tensor: f32("0", 6, [1, 3], [7, 1], 3) }, // contiguous from an offset (a size-1 dimension's stride is free)
      { key: "n", tensor: { type: "LongStorage", storageKey: "1", numel: 2, size: [2], stride: [1], offset: 0 } },
    ]);
    const { tensors, values, format } = parseTorchFile(ptZip(pkl, { 0: floats(1, 2, 3, 4, 5, 6), 1: int64s(-(2n ** 31n), 2n ** 31n - 1n) }, "my_model"));
    expect(format).toBe("zip");
    expect(values).toEqual({});
    expect([...tensors.w!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...tensors.wT!.shape]).toEqual([3, 2]);
    expect([...tensors.wT!.data]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...tensors.tail!.data]).toEqual([2, 4]);
    expect([...tensors.row1!.data]).toEqual([4, 5, 6]);
    expect(tensors.n!.dtype).toBe("int32");
    expect([...tensors.n!.data]).toEqual([-(2 ** 31), 2 ** 31 - 1]);
  });

  test("an int64 that does not fit in int32 is named with its tensor and index", () => {
    const pkl = stateDictPickle([{ key: "steps", tensor: { type: "LongStorage", storageKey: "0", numel: 2, size: [2], stride: [1], offset: 0 } }]);
    expect(message(ptZip(pkl, { 0: int64s(5n, 2n ** 31n) }))).toBe('m.pt: tensor "steps": int64 value 2147483648 at flat index 1 does not fit in int32 (seqtorch\'s only integer dtype)');
  });

  test("a view that reaches past its storage, a missing or short storage, a big-endian file", () => {
    const view = stateDictPickle([{ key: "w", tensor: f32("0", 4, [2, 2], [2, 1], 1) }]);
    expect(message(ptZip(view, { 0: floats(1, 2, 3, 4) }))).toBe('m.pt: tensor "w" (size [2,2], stride [2,1], offset 1) reaches element 4 of a storage of 4');
    const ok = stateDictPickle([{ key: "w", tensor: f32("0", 4, [4], [1]) }]);
    expect(message(ptZip(ok, {}))).toBe('m.pt: storage "0" is missing from the archive (no entry "archive/data/0")');
    // The archive's folder name is quoted, so that even a line break in it leaves a one-line message.
    expect(message(ptZip(ok, {}, "view\n"))).toBe('m.pt: storage "0" is missing from the archive (no entry "view\\n/data/0")');
    expect(message(ptZip(ok, { 0: floats(1, 2, 3) }))).toBe('m.pt: storage "0" holds 12 bytes, but 4 F32 elements need 16');
    expect(message(ptZip(ok, { 0: floats(1, 2, 3, 4) }, "archive", { "archive/byteorder": new TextEncoder().encode("big") }))).toMatch(/^m\.pt: the tensors are stored big-endian/);
  });

  test("a view repeating a few elements is read; one of more than 65536 elements that outgrows its storage is refused before allocating", () => {
    const small = stateDictPickle([{ key: "e", tensor: f32("0", 2, [3, 2], [0, 1]) }]);
    expect([...parseTorchFile(ptZip(small, { 0: floats(1.5, -2) })).tensors.e!.data]).toEqual([1.5, -2, 1.5, -2, 1.5, -2]);
    const huge = stateDictPickle([{ key: "e", tensor: f32("0", 2, [2 ** 40, 2], [0, 1]) }]);
    expect(message(ptZip(huge, { 0: floats(1, 2) }))).toBe('m.pt: tensor "e" has 2199023255552 elements, more than its storage\'s 2');
    const many = stateDictPickle(["a", "b"].map((key) => ({ key, tensor: f32("0", 1, [60000], [0]) })));
    expect(message(ptZip(many, { 0: floats(1) }))).toBe("m.pt: the tensors' views repeat their storages' elements far too often");
  });

  test("globals other than the state dict's own are refused by name, however they are named", () => {
    // protocol 4's STACK_GLOBAL, as a newer pickler would name builtins.eval
    const stackGlobal = pickle((p) => p.proto(4).emptyDict().str("x").str("builtins").str("eval").op(0x93).mark().str("1+1").tuple().reduce().setitem().stop());
    expect(message(ptZip(stackGlobal, {}))).toBe('m.pt: the pickle names the global "builtins.eval", which a state dict does not use; refusing to load it (only tensors in dicts, lists and tuples are read)');
    const complex = stateDictPickle([{ key: "z", tensor: { type: "ComplexFloatStorage", storageKey: "0", numel: 1, size: [1], stride: [1], offset: 0 } }]);
    expect(message(ptZip(complex, { 0: floats(1, 2) }))).toBe("m.pt: tensors stored as \"torch.ComplexFloatStorage\" are not supported (seqtorch reads float, bfloat16, integer and bool tensors)");
    // an allowed global used as something it is not: a storage type called, a tensor rebuilt from a string
    const called = pickle((p) => p.proto(2).emptyDict().str("x").global("torch", "FloatStorage").emptyTuple().reduce().setitem().stop());
    expect(message(ptZip(called, {}))).toMatch(/^m\.pt: malformed pickle at byte \d+: torch\.FloatStorage is not callable$/);
    const fromString = pickle((p) => p.proto(2).emptyDict().str("x").global("torch._utils", "_rebuild_tensor_v2").mark().str("storage").int(0).emptyTuple().emptyTuple().bool(false).emptyTuple().tuple().reduce().setitem().stop());
    expect(message(ptZip(fromString, {}))).toMatch(/_rebuild_tensor_v2 is not given \(storage, offset, size, stride, requires_grad, hooks\)$/);
    // an opcode no state dict uses (INST, which names and calls a class)
    const inst = pickle((p) => p.proto(2).mark().op(0x69).raw("os\nsystem\n").stop());
    expect(message(ptZip(inst, {}))).toMatch(/^m\.pt: malformed pickle at byte 3: opcode 0x69 is not one a state dict uses$/);
  });

  test("a list that contains itself, and lists shared exponentially, are refused quickly", () => {
    const cycle = pickle((p) => p.proto(2).emptyDict().str("x").op(0x5d).binput(0).binget(0).op(0x61).setitem().stop());
    expect(message(ptZip(cycle, {}))).toBe('m.pt: the value at "x.0" nests too deeply or contains itself');
    // 60 levels of (a, a): 2^60 leaves if expanded
    const laughs = pickle((p) => {
      p.proto(2).emptyDict().str("x").int(1);
      for (let i = 0; i < 60; i++) p.binput(0).binget(0).op(0x86);
      return p.setitem().stop();
    });
    expect(message(ptZip(laughs, {}))).toBe("m.pt: the state dict repeats its containers far too often");
  });

  test("a list of 200,000 values (APPENDS of a long MARK) is read", () => {
    const long = pickle((p) => {
      p.proto(2).op(0x5d).mark();
      for (let i = 0; i < 200_000; i++) p.op(0x4b).op(i & 0xff); // BININT1
      return p.op(0x65).stop();
    });
    const { values } = parseTorchFile(ptZip(long, {}));
    expect(Object.keys(values)).toHaveLength(200_000);
    expect(values["199999"]).toBe(199_999 & 0xff);
  });

  test("the top level must be a dict, list or tuple; dict keys strings or integers", () => {
    const tensorOnly = stateDictPickle([{ key: "w", tensor: f32("0", 1, [], []) }], { bare: true });
    expect(message(ptZip(tensorOnly, { 0: floats(1) }))).toBe("m.pt: the file holds a tensor, not a state dict (a dict of tensors)");
    const tupleKey = pickle((p) => p.proto(2).emptyDict().emptyTuple().int(1).setitem().stop());
    expect(message(ptZip(tupleKey, {}))).toMatch(/a dict key is a tuple of 0, not a string or an integer$/);
    const list = pickle((p) => p.proto(2).op(0x5d).mark().int(1).str("a").bool(true).none().float(0.5).op(0x65).stop());
    expect(parseTorchFile(ptZip(list, {})).values).toEqual({ 0: 1, 1: "a", 2: true, 3: null, 4: 0.5 });
  });

  test("a zip without data.pkl, or with a compressed bomb, is refused", () => {
    const zip = (files: Zippable): Uint8Array => zipSync(files, { level: 0 });
    expect(message(zip({ "archive/version": new TextEncoder().encode("3\n") }))).toBe("m.pt: the zip archive has no <name>/data.pkl entry, so torch.save did not write it");
    // A deflated entry whose directory claims 4 GB: more than deflate can expand its bytes to.
    const bomb = zipSync({ "archive/data.pkl": [new Uint8Array(1000), { level: 9 }] });
    let dir = bomb.length - 4;
    while (!(bomb[dir] === 0x50 && bomb[dir + 1] === 0x4b && bomb[dir + 2] === 1 && bomb[dir + 3] === 2)) dir--;
    new DataView(bomb.buffer).setUint32(dir + 24, 0xfffffff0, true); // the central directory's uncompressed size
    expect(message(bomb)).toMatch(/^m\.pt: zip entry "archive\/data\.pkl" claims 4294967280 bytes inflated from \d+$/);
  });
});

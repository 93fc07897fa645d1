import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { manualSeed, nn, randn, tensor } from "../index.js";
import { CheckpointError, loadCheckpoint, loadSafetensorsFile, saveCheckpoint, saveSafetensorsFile } from "./node.js";
import { rejected } from "../../test/helpers.js";

// A hook on fs.rename, so tests can make one step of the atomic replace fail.
const hooks = vi.hoisted(() => ({ rename: null as null | ((from: string, to: string) => void) }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      hooks.rename?.(from, to);
      return actual.rename(from, to);
    },
  };
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "seqtorch-io-"));
});
afterEach(async () => {
  hooks.rename = null;
  await rm(root, { recursive: true, force: true });
});

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString("hex");
  return out;
}

async function expectRejects(p: Promise<unknown>, message: RegExp): Promise<CheckpointError> {
  const e = await rejected(p, CheckpointError);
  expect(e.message).toMatch(message);
  expect(e.message).not.toContain("\n");
  return e;
}

function model() {
  manualSeed(0);
  return new nn.LSTM(3, 4, 2);
}

describe("saveCheckpoint / loadCheckpoint", () => {
  test("round trip: state dict, config, vocab, extra files; the LSTM reproduces its outputs", async () => {
    const dir = join(root, "runs", "ckpt");
    const a = model();
    const config = { inputSize: 3, hiddenSize: 4, numLayers: 2, name: "tiny" };
    const vocab = { "<pad>": 0, "a": 1, "é": 2 };
    await saveCheckpoint(dir, { stateDict: a.stateDict(), config, vocab, files: { "README.md": "# tiny\n", "blob.bin": new Uint8Array([1, 2, 3]) }, metadata: { epoch: "3" } });
    expect((await readdir(dir)).sort()).toEqual(["README.md", "blob.bin", "config.json", "model.safetensors", "vocab.json"]);
    expect(await readdir(join(root, "runs"))).toEqual(["ckpt"]);
    expect([...(await readFile(join(dir, "blob.bin")))]).toEqual([1, 2, 3]);

    const loaded = await loadCheckpoint(dir);
    expect(loaded.config).toEqual(config);
    expect(loaded.vocab).toEqual(vocab);
    expect(loaded.metadata).toEqual({ format: "pt", epoch: "3" });
    expect(Object.keys(loaded.stateDict)).toEqual(Object.keys(a.stateDict()));
    const b = new nn.LSTM(3, 4, 2);
    b.loadStateDict(loaded.stateDict);
    const x = randn([5, 2, 3]);
    expect([...b.forward(x)[0].data]).toEqual([...a.forward(x)[0].data]);
  });

  test("replaces an existing checkpoint and leaves no temporary or old directories", async () => {
    const dir = join(root, "ckpt");
    await saveCheckpoint(dir, { stateDict: { w: tensor([1, 2]) }, config: { v: 1 }, vocab: ["a"], files: { "stale.txt": "x" } });
    await saveCheckpoint(dir, { stateDict: { w: tensor([3, 4]) }, config: { v: 2 } });
    expect(await readdir(root)).toEqual(["ckpt"]);
    expect((await readdir(dir)).sort()).toEqual(["config.json", "model.safetensors"]);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config).toEqual({ v: 2 });
    expect(loaded.vocab).toBeUndefined();
    expect([...loaded.stateDict.w!.data]).toEqual([3, 4]);
  });

  describe("a failed save leaves the existing checkpoint byte-identical", () => {
    const dir = () => join(root, "ckpt");
    let before: Record<string, string>;
    beforeEach(async () => {
      await saveCheckpoint(dir(), { stateDict: model().stateDict(), config: { good: true }, vocab: { a: 0 } });
      before = await snapshot(dir());
    });
    afterEach(async () => {
      expect(await snapshot(dir())).toEqual(before);
      expect(await readdir(root)).toEqual(["ckpt"]); // no .tmp- or .old- siblings
    });

    test("a NaN parameter is refused, naming the key", async () => {
      const sd = model().stateDict();
      sd["weight_hh_l1"]!.data[5] = NaN;
      const e = await expectRejects(saveCheckpoint(dir(), { stateDict: sd, config: {} }), /tensor "weight_hh_l1" contains NaN at flat index 5; refusing to save .*allowNonfinite/);
      expect(e.path).toBe(dir());
    });

    test("an infinite value is refused too", async () => {
      const stateDict = { ok: tensor([1, 2], { dtype: "int32" }), bad: tensor([0, -Infinity], { dtype: "float64" }) };
      await expectRejects(saveCheckpoint(dir(), { stateDict, config: {} }), /tensor "bad" contains -Infinity at flat index 1/);
    });

    test("a config that JSON.stringify throws on (BigInt)", async () => {
      await expectRejects(saveCheckpoint(dir(), { stateDict: model().stateDict(), config: { n: 1n } }), /config\.json: value is not JSON-serialisable: .*BigInt/);
    });

    test("a vocab that is not JSON at all", async () => {
      await expectRejects(saveCheckpoint(dir(), { stateDict: {}, config: {}, vocab: () => 1 }), /vocab\.json: value is not JSON-serialisable \(got function\)/);
    });

    test("the final rename fails after the old checkpoint was moved aside: it is moved back", async () => {
      hooks.rename = (from, to) => {
        if (from.includes(".tmp-") && to === dir()) throw Object.assign(new Error("EIO: simulated"), { code: "EIO" });
      };
      await expectRejects(saveCheckpoint(dir(), { stateDict: { w: tensor([9]) }, config: { good: false } }), /could not write .*EIO: simulated; the existing checkpoint was left unchanged/);
    });

    test("moving the old checkpoint aside fails", async () => {
      hooks.rename = (from) => {
        if (from === dir()) throw new Error("EBUSY: simulated");
      };
      await expectRejects(saveCheckpoint(dir(), { stateDict: { w: tensor([9]) }, config: {} }), /EBUSY: simulated/);
    });

    test("bad extra file names are refused", async () => {
      for (const name of ["../escape", "a/b", "", "..", "config.json"]) {
        await expectRejects(saveCheckpoint(dir(), { stateDict: {}, config: {}, files: { [name]: "x" } }), /extra file/);
      }
    });
  });

  test("allowNonfinite saves NaN on request", async () => {
    const dir = join(root, "nan");
    await saveCheckpoint(dir, { stateDict: { w: tensor([NaN]) }, config: null, allowNonfinite: true });
    const { stateDict, config } = await loadCheckpoint(dir, { allowNonfinite: true });
    expect(stateDict.w!.data[0]).toBeNaN();
    expect(config).toBeNull();
  });

  test("refuses to replace a file with a checkpoint directory", async () => {
    const path = join(root, "file");
    await writeFile(path, "keep");
    await expectRejects(saveCheckpoint(path, { stateDict: {}, config: {} }), /exists and is not a directory/);
    expect(await readFile(path, "utf8")).toBe("keep");
  });

  describe("loadCheckpoint errors name the file", () => {
    const dir = () => join(root, "ckpt");
    beforeEach(async () => {
      await saveCheckpoint(dir(), { stateDict: { w: tensor([1]) }, config: {}, vocab: [] });
    });

    test("missing directory, and the hint after an interrupted save", async () => {
      await expectRejects(loadCheckpoint(join(root, "nope")), /checkpoint directory .*nope does not exist$/);
      await mkdir(join(root, "nope.old-123-abc"));
      await expectRejects(loadCheckpoint(join(root, "nope")), /a save was interrupted and the previous checkpoint is at .*nope\.old-123-abc/);
    });

    test("not a directory", async () => {
      await expectRejects(loadCheckpoint(join(dir(), "config.json")), /config\.json is not a directory/);
    });

    test("missing files", async () => {
      await rm(join(dir(), "config.json"));
      const e = await expectRejects(loadCheckpoint(dir()), /missing config\.json in /);
      expect(e.path).toBe(join(dir(), "config.json"));
      await rm(join(dir(), "model.safetensors"));
      await expectRejects(loadCheckpoint(dir()), /missing model\.safetensors in /);
    });

    test("corrupt JSON", async () => {
      await writeFile(join(dir(), "config.json"), "{ not json");
      await expectRejects(loadCheckpoint(dir()), /config\.json is not valid JSON: /);
      await writeFile(join(dir(), "config.json"), "{}");
      await writeFile(join(dir(), "vocab.json"), "[1,");
      await expectRejects(loadCheckpoint(dir()), /vocab\.json is not valid JSON: /);
    });

    test("corrupt safetensors", async () => {
      const path = join(dir(), "model.safetensors");
      const bytes = await readFile(path);
      await writeFile(path, bytes.subarray(0, bytes.length - 1));
      const e = await expectRejects(loadCheckpoint(dir()), /model\.safetensors is not a valid safetensors file: safetensors: tensor "w": .*run past the end/);
      expect(e.path).toBe(path);
    });
  });
});

describe("saveSafetensorsFile / loadSafetensorsFile", () => {
  test("round trip and overwrite, with no temporary file left", async () => {
    const path = join(root, "t.safetensors");
    await saveSafetensorsFile(path, { a: tensor([1, 2], { dtype: "float64" }) }, { k: "v" });
    await saveSafetensorsFile(path, { b: tensor([[3]], { dtype: "int32" }) });
    expect(await readdir(root)).toEqual(["t.safetensors"]);
    const { tensors, metadata } = await loadSafetensorsFile(path);
    expect(Object.keys(tensors)).toEqual(["b"]);
    expect([...tensors.b!.shape]).toEqual([1, 1]);
    expect(metadata).toEqual({});
  });

  test("a failed rename keeps the old file and removes the temporary one", async () => {
    const path = join(root, "t.safetensors");
    await saveSafetensorsFile(path, { a: tensor([1]) });
    const before = await readFile(path);
    hooks.rename = () => {
      throw new Error("ENOSPC: simulated");
    };
    await expectRejects(saveSafetensorsFile(path, { a: tensor([2]) }), /could not write .*t\.safetensors: ENOSPC: simulated/);
    expect(await readdir(root)).toEqual(["t.safetensors"]);
    expect(await readFile(path)).toEqual(before);
  });

  test("errors name the file", async () => {
    await expectRejects(loadSafetensorsFile(join(root, "missing.safetensors")), /missing\.safetensors does not exist/);
    const bad = join(root, "bad.safetensors");
    await writeFile(bad, new Uint8Array([1, 2, 3]));
    await expectRejects(loadSafetensorsFile(bad), /bad\.safetensors is not a valid safetensors file: safetensors: file too small/);
  });
});

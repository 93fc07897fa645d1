import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { syncDir, tempPathFor, writeFileAtomic } from "./atomic.js";
import * as ioNode from "./node.js";

// Hooks on fs.rename and FileHandle.writeFile, so tests can see temporary names and make a step fail.
const hooks = vi.hoisted(() => ({
  rename: null as null | ((from: string, to: string) => void | Promise<void>),
  write: null as null | ((path: string) => void),
}));
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      await hooks.rename?.(from, to);
      return actual.rename(from, to);
    },
    open: async (path: string, flags?: string) => {
      const fh = await actual.open(path, flags);
      if (flags !== "wx") return fh;
      const write = fh.writeFile.bind(fh);
      fh.writeFile = (async (data: string | Uint8Array) => {
        await write(typeof data === "string" ? data.slice(0, 3) : data.subarray(0, 3)); // a partial write first
        hooks.write?.(path);
        return write(typeof data === "string" ? data.slice(3) : data.subarray(3));
      }) as typeof fh.writeFile;
      return fh;
    },
  };
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "seqtorch-atomic-"));
});
afterEach(async () => {
  hooks.rename = null;
  hooks.write = null;
  await rm(root, { recursive: true, force: true });
});

const TEMP = /\.tmp-\d+-[0-9a-f]{12}$/;

describe("writeFileAtomic", () => {
  test("is exported from seqtorch/io/node", () => {
    expect(ioNode.writeFileAtomic).toBe(writeFileAtomic);
  });

  test("writes a string exactly (UTF-8) and leaves no temporary file", async () => {
    const path = join(root, "a.txt");
    const s = "line one\nzwei — 二 🙂\n";
    await writeFileAtomic(path, s);
    expect(await readFile(path, "utf8")).toBe(s);
    expect(await readdir(root)).toEqual(["a.txt"]);
  });

  test("writes bytes exactly, including every byte value", async () => {
    const path = join(root, "b.bin");
    const bytes = new Uint8Array(512).map((_, i) => (i * 7) % 256);
    await writeFileAtomic(path, bytes);
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);
    await writeFileAtomic(path, new Uint8Array(0));
    expect((await readFile(path)).length).toBe(0);
    expect(await readdir(root)).toEqual(["b.bin"]);
  });

  test("replaces an existing file", async () => {
    const path = join(root, "c.json");
    await writeFile(path, "old content that is longer than the new one");
    await writeFileAtomic(path, "{}\n");
    expect(await readFile(path, "utf8")).toBe("{}\n");
    expect(await readdir(root)).toEqual(["c.json"]);
  });

  test("the temporary file is a sibling of the target, renamed over it", async () => {
    const path = join(root, "d.txt");
    const renames: [string, string][] = [];
    hooks.rename = (from, to) => void renames.push([from, to]);
    await writeFileAtomic(path, "x");
    expect(renames).toHaveLength(1);
    expect(renames[0]![1]).toBe(path);
    expect(renames[0]![0].startsWith(`${path}.tmp-${process.pid}-`)).toBe(true);
    expect(renames[0]![0]).toMatch(TEMP);
  });

  test("two concurrent writes to one path use different temporary names; one of them wins whole", async () => {
    const path = join(root, "e.txt");
    const sources: string[] = [];
    hooks.rename = async (from) => {
      sources.push(from);
      await new Promise((r) => setTimeout(r, 5)); // both temporary files exist at once
    };
    const a = "a".repeat(10_000);
    const b = "b".repeat(20_000);
    await Promise.all([writeFileAtomic(path, a), writeFileAtomic(path, b)]);
    expect(sources).toHaveLength(2);
    expect(sources[0]).not.toBe(sources[1]);
    expect([a, b]).toContain(await readFile(path, "utf8"));
    expect(await readdir(root)).toEqual(["e.txt"]);
  });

  test("tempPathFor gives a new name on every call", () => {
    const names = new Set(Array.from({ length: 100 }, () => tempPathFor("/x/y.txt")));
    expect(names.size).toBe(100);
    for (const n of names) expect(n).toMatch(/^\/x\/y\.txt\.tmp-\d+-[0-9a-f]{12}$/);
  });

  describe("on failure the temporary file is removed and the old content kept", () => {
    test("the directory does not exist", async () => {
      const path = join(root, "missing", "f.txt");
      await expect(writeFileAtomic(path, "new")).rejects.toMatchObject({ code: "ENOENT" });
      expect(await readdir(root)).toEqual([]);
    });

    test("a write error after part of the content was written", async () => {
      const path = join(root, "g.txt");
      await writeFile(path, "old");
      let temp = "";
      hooks.write = (p) => {
        temp = p;
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      };
      await expect(writeFileAtomic(path, "new content")).rejects.toThrow(/ENOSPC/);
      expect(temp).toMatch(TEMP);
      expect(await readFile(path, "utf8")).toBe("old");
      expect(await readdir(root)).toEqual(["g.txt"]);
    });

    test("content of the wrong type (the write itself throws)", async () => {
      const path = join(root, "h.txt");
      await writeFile(path, "old");
      await expect(writeFileAtomic(path, 42 as unknown as string)).rejects.toThrow();
      expect(await readFile(path, "utf8")).toBe("old");
      expect(await readdir(root)).toEqual(["h.txt"]);
    });

    test("the rename fails", async () => {
      const path = join(root, "i.txt");
      await writeFile(path, "old");
      hooks.rename = () => {
        throw Object.assign(new Error("EXDEV: cross-device link not permitted"), { code: "EXDEV" });
      };
      await expect(writeFileAtomic(path, "new")).rejects.toThrow(/EXDEV/);
      expect(await readFile(path, "utf8")).toBe("old");
      expect(await readdir(root)).toEqual(["i.txt"]);
    });

    test("the target is a directory", async () => {
      const path = join(root, "j");
      await mkdir(path);
      await writeFile(join(path, "inside.txt"), "kept");
      await expect(writeFileAtomic(path, "new")).rejects.toThrow();
      expect((await readdir(root)).sort()).toEqual(["j"]);
      expect(await readFile(join(path, "inside.txt"), "utf8")).toBe("kept");
    });
  });
});

describe("syncDir", () => {
  test("tolerates a path that cannot be opened", async () => {
    await expect(syncDir(join(root, "nope"))).resolves.toBeUndefined();
    await expect(syncDir(root)).resolves.toBeUndefined();
  });
});

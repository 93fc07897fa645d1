/**
 * The committed wasm binaries are exactly what the AssemblyScript sources compile to. The
 * generated file records a hash of the build inputs, so this compiles only when they changed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { checkGenerated, currentInputsHash, inputsHash, parse, readInputFiles, render, variants } from "../tools/build-wasm.mjs";

test("src/backend/wasm/kernels-wasm.ts is up to date (run npm run build:wasm)", async () => {
  const committed = readFileSync(new URL("../src/backend/wasm/kernels-wasm.ts", import.meta.url), "utf8");
  const result = await checkGenerated(committed, await currentInputsHash());
  expect(result.ok, result.message).toBe(true);
  if (result.rebuilt) console.warn(result.message);
}, 120_000);

describe("the inputs hash", () => {
  const versions = { assemblyscript: "0.28.20", binaryen: "131.0.0" };
  const files: Record<string, string> = { "src/backend/wasm/assembly/kernels.ts": "export function f(): i32 { return 1; }\n", "src/backend/wasm/assembly/tsconfig.json": "{}\n" };
  const base = inputsHash(files, { versions });

  test("covers the sources and what they live in", async () => {
    const real = await readInputFiles();
    expect(Object.keys(real)).toContain("src/backend/wasm/assembly/kernels.ts");
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  test("is deterministic and independent of the order files are listed in", () => {
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    expect(inputsHash(reversed, { versions })).toBe(base);
    const bytes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)]));
    expect(inputsHash(bytes, { versions })).toBe(base);
  });

  test("changes with any source byte, file name, added file, flag or version", () => {
    const src = files["src/backend/wasm/assembly/kernels.ts"]!;
    const changed = ([
      { ...files, "src/backend/wasm/assembly/kernels.ts": src.replace("1", "2") },
      { ...files, "src/backend/wasm/assembly/kernels.ts": src + " " },
      { "src/backend/wasm/assembly/kernel.ts": src, "src/backend/wasm/assembly/tsconfig.json": "{}\n" },
      { ...files, "asconfig.json": "{}" },
    ] as Record<string, string>[]).map((f) => inputsHash(f, { versions }));
    changed.push(
      inputsHash(files, { versions: { ...versions, assemblyscript: "0.28.21" } }),
      inputsHash(files, { versions: { ...versions, binaryen: "132.0.0" } }),
      inputsHash(files, { versions, flags: { ...variants, simd: [...variants.simd!, "--noExportMemory"] } }),
      inputsHash(files, { versions, entry: "src/backend/wasm/assembly/other.ts" }),
    );
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
    // Moving a byte from one file's end to the next file's start changes it too.
    const a = inputsHash({ x: "ab", y: "c" }, { versions });
    expect(inputsHash({ x: "a", y: "bc" }, { versions })).not.toBe(a);
  });
});

describe("checkGenerated", () => {
  const payloads = { simd: "AGFzbQ==", relaxed: "AGFzbA==" };
  const hash = "a".repeat(64);
  const committed = render(hash, payloads);
  const never = (): Promise<string> => Promise.reject(new Error("should not rebuild"));

  test("render and parse round-trip", () => {
    const p = parse(committed);
    expect(p.inputs).toBe(hash);
    expect(p.output).toBe(p.bodyDigest);
    expect(p.payloads).toEqual(payloads);
  });

  test("recorded inputs hash matches: current, without compiling", async () => {
    expect(await checkGenerated(committed, hash, never)).toEqual({ ok: true, rebuilt: false, message: expect.stringMatching(/is current/) });
  });

  test("inputs changed, binaries did not: passes after compiling", async () => {
    const r = await checkGenerated(committed, "b".repeat(64), async () => render("b".repeat(64), payloads));
    expect(r.ok).toBe(true);
    expect(r.rebuilt).toBe(true);
  });

  test("inputs changed and the binaries with them: stale", async () => {
    const r = await checkGenerated(committed, "b".repeat(64), async () => render("b".repeat(64), { ...payloads, relaxed: "AGFzbB==" }));
    expect(r).toEqual({ ok: false, rebuilt: true, message: expect.stringMatching(/stale.*\(relaxed\); run npm run build:wasm$/) });
  });

  test("a payload that does not match its recorded digest fails, even with a current inputs hash", async () => {
    const edited = committed.replace("AGFzbQ==", "AGFzbR==");
    const r = await checkGenerated(edited, hash, never);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/run npm run build:wasm/);
  });

  test("a file without recorded hashes is compared by compiling", async () => {
    const old = committed.split("\n").filter((l) => !l.includes("sha256")).join("\n");
    expect((await checkGenerated(old, hash, async () => committed)).ok).toBe(true);
    expect((await checkGenerated(old, hash, async () => render(hash, { simd: "x" }))).ok).toBe(false);
  });
});

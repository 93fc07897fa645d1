/**
 * The committed wasm binaries are exactly what the C kernels compile to. The generated file records
 * the compiler's version and a hash of the build inputs, so this compiles only when they changed,
 * and only where clang-16 is installed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { build, checkGenerated, compilerVersion, inputsHash, outputs, parse, readInputFiles, render, variants } from "../tools/build-wasm.mjs";

test("the generated kernels (src/backend/wasm/kernels-wasm*.ts) are up to date (run npm run build:wasm)", async () => {
  const files = await readInputFiles();
  const version = compilerVersion();
  let built: Promise<Record<string, string>> | null = null;
  for (const out of Object.keys(outputs)) {
    const committed = readFileSync(new URL(`../${out}`, import.meta.url), "utf8");
    const result = await checkGenerated(out, committed, files, version, async () => (await (built ??= build()))[out]!);
    expect(result.ok, result.message).toBe(true);
    if (result.rebuilt || result.message.includes("here:")) console.warn(result.message);
  }
}, 120_000);

test("every variant goes to one generated file; the debug ones stay out of the one the package imports", () => {
  expect(Object.values(outputs).flat().sort()).toEqual(Object.keys(variants).sort());
  expect(outputs["src/backend/wasm/kernels-wasm.ts"]!.some((v) => v.startsWith("debug"))).toBe(false);
});

describe("the inputs hash", () => {
  const compiler = "Debian clang version 16.0.6 (15~deb12u1)";
  const files: Record<string, string> = { "src/backend/c/gemm.c": "int f(void) { return 1; }\n", "src/backend/c/kernels.h": "#define VW 4\n" };
  const base = inputsHash(files, { compiler });

  test("covers the C sources, their headers and the wasm side of the thread pool", async () => {
    const real = Object.keys(await readInputFiles());
    for (const path of ["src/backend/c/gemm.c", "src/backend/c/recurrent.c", "src/backend/c/kernels.h", "src/backend/c/vmath.h", "src/backend/wasm/pool.c"]) {
      expect(real).toContain(path);
    }
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  test("is deterministic and independent of the order files are listed in", () => {
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    expect(inputsHash(reversed, { compiler })).toBe(base);
    const bytes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)]));
    expect(inputsHash(bytes, { compiler })).toBe(base);
  });

  test("changes with any source byte, file name, added file, flag or compiler version", () => {
    const src = files["src/backend/c/gemm.c"]!;
    const changed = ([
      { ...files, "src/backend/c/gemm.c": src.replace("1", "2") },
      { ...files, "src/backend/c/gemm.c": src + " " },
      { "src/backend/c/gemm2.c": src, "src/backend/c/kernels.h": files["src/backend/c/kernels.h"]! },
      { ...files, "src/backend/wasm/pool.c": "" },
    ] as Record<string, string>[]).map((f) => inputsHash(f, { compiler }));
    changed.push(
      inputsHash(files, { compiler: "Debian clang version 16.0.7" }),
      inputsHash(files, { compiler, flags: { ...variants, simd: [...variants.simd!, "-O2"] } }),
    );
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
    // Moving a byte from one file's end to the next file's start changes it too.
    const a = inputsHash({ x: "ab", y: "c" }, { compiler });
    expect(inputsHash({ x: "a", y: "bc" }, { compiler })).not.toBe(a);
  });
});

describe("checkGenerated", () => {
  const payloads = { simd: "AGFzbQ==", relaxed: "AGFzbA==" };
  const compiler = "clang version 16.0.6";
  const files = { "src/backend/c/gemm.c": "int f(void) { return 1; }\n" };
  const edited = { "src/backend/c/gemm.c": "int f(void) { return 2; }\n" };
  const committed = render(compiler, inputsHash(files, { compiler }), payloads);
  const out = "src/backend/wasm/kernels-wasm.ts";
  const never = (): Promise<string> => Promise.reject(new Error("should not rebuild"));

  test("render and parse round-trip", () => {
    const p = parse(committed);
    expect(p.compiler).toBe(compiler);
    expect(p.inputs).toBe(inputsHash(files, { compiler }));
    expect(p.output).toBe(p.bodyDigest);
    expect(p.payloads).toEqual(payloads);
  });

  test("sources as recorded: current, without compiling, with or without a compiler here", async () => {
    for (const here of [compiler, null]) {
      expect(await checkGenerated(out, committed, files, here, never)).toEqual({ ok: true, rebuilt: false, message: expect.stringMatching(/is current$/) });
    }
    // Another clang-16 here is noted, not compiled with.
    const other = await checkGenerated(out, committed, files, "clang version 16.0.7", never);
    expect(other).toEqual({ ok: true, rebuilt: false, message: expect.stringMatching(/is current \(built by clang version 16\.0\.6; here: clang version 16\.0\.7\)/) });
  });

  test("sources changed, binaries did not: passes after compiling", async () => {
    const r = await checkGenerated(out, committed, edited, compiler, async () => render(compiler, inputsHash(edited, { compiler }), payloads));
    expect(r.ok).toBe(true);
    expect(r.rebuilt).toBe(true);
  });

  test("sources changed and the binaries with them: stale", async () => {
    const r = await checkGenerated(out, committed, edited, compiler, async () => render(compiler, "b".repeat(64), { ...payloads, relaxed: "AGFzbB==" }));
    expect(r).toEqual({ ok: false, rebuilt: true, message: expect.stringMatching(/stale.*\(relaxed\); run npm run build:wasm$/) });
  });

  test("sources changed and no compiler here: stale, without compiling", async () => {
    const r = await checkGenerated(out, committed, edited, null, never);
    expect(r).toEqual({ ok: false, rebuilt: false, message: expect.stringMatching(/stale.*clang-16 is not here/) });
  });

  test("a payload that does not match its recorded digest fails, even with current sources", async () => {
    const r = await checkGenerated(out, committed.replace("AGFzbQ==", "AGFzbR=="), files, compiler, never);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/run npm run build:wasm/);
  });

  test("a file without recorded hashes is compared by compiling", async () => {
    const old = committed.split("\n").filter((l) => !l.includes("sha256")).join("\n");
    expect((await checkGenerated(out, old, files, compiler, async () => committed)).ok).toBe(true);
    expect((await checkGenerated(out, old, files, compiler, async () => render(compiler, "a".repeat(64), { simd: "x" }))).ok).toBe(false);
  });
});

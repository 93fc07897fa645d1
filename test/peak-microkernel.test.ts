/**
 * The products' ceiling in `npm run bench:peak` (bench/peak/microkernel.c): seqtorch's GEMM
 * micro-kernel, built as the library builds it, natively with gcc and in WebAssembly with clang-16
 * (where they are installed, as `.ci/run` installs them). The probe checks its tile against plain
 * loops before it times anything, so a figure here is the rate of real products.
 */
import { describe, expect, test } from "vitest";
import { has, measureMicroKernel } from "../bench/peak.js";

describe.skipIf(!has("gcc") || !has("clang-16"))("the micro-kernel probe", () => {
  test("computes a correct tile natively and in wasm, and reports a rate for each", async () => {
    const rows = await measureMicroKernel();
    expect(rows.map((r) => r.target)).toEqual([expect.stringMatching(/^micro-kernel, native /), "micro-kernel, wasm relaxed SIMD"]);
    for (const r of rows) {
      expect(r.gflops).not.toBeNull();
      expect(Number.isFinite(r.gflops) && r.gflops! > 0).toBe(true);
    }
  }, 120_000);
});

/** The committed wasm binaries are exactly what the AssemblyScript sources compile to. */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { build } from "../tools/build-wasm.mjs";

test("src/backend/wasm/kernels-wasm.ts is up to date (run npm run build:wasm)", async () => {
  const committed = readFileSync(new URL("../src/backend/wasm/kernels-wasm.ts", import.meta.url), "utf8");
  expect(await build()).toBe(committed);
}, 120_000);

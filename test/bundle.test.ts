/**
 * The wasm backend is one edge of the import graph: `import { Tensor } from "seqtorch"` bundles and
 * runs with it left out, and `seqtorch/core` never reaches it. Bundled with esbuild from the sources,
 * as a browser build would be, then run.
 */
import { build, type Plugin } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";

const src = fileURLToPath(new URL("../src/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "seqtorch-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves the package's own names to its sources. */
const selfPackage: Plugin = {
  name: "seqtorch-sources",
  setup(b) {
    b.onResolve({ filter: /^seqtorch(\/core)?$/ }, (a) => ({ path: join(src, a.path === "seqtorch" ? "index.ts" : "core.ts") }));
  },
};

/** Leaves every module under backend/wasm/ out of the bundle (an empty module in its place). */
const excludeWasm: Plugin = {
  name: "exclude-wasm",
  setup(b) {
    b.onResolve({ filter: /wasm\// }, (a) => (a.importer.startsWith(src) ? { path: a.path, namespace: "excluded" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "excluded" }, () => ({ contents: "", loader: "js" }));
  },
};

const PROGRAM = (from: string): string => `
import { Tensor, tensor, nn, listBackends, getBackend, manualSeed, randn } from "${from}";
manualSeed(0);
const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
a.mul(a).sum().backward();
const lstm = new nn.LSTM(10, 20, 2);
const [out, [h, c]] = lstm.forward(randn([5, 3, 10]));
console.log(JSON.stringify({ isTensor: a instanceof Tensor, grad: a.grad.tolist(), shapes: [out.shape, h.shape, c.shape], backends: listBackends(), active: getBackend().name }));
`;

async function bundleAndRun(name: string, from: string, plugins: Plugin[]): Promise<{ code: string; result: Record<string, unknown> }> {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, PROGRAM(from));
  const res = await build({
    entryPoints: [entry], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022",
    external: ["node:*"], plugins: [selfPackage, ...plugins], logLevel: "silent",
  });
  const code = res.outputFiles[0]!.text;
  const out = join(dir, `${name}.mjs`);
  writeFileSync(out, code);
  return { code, result: JSON.parse(execFileSync(process.execPath, [out], { encoding: "utf8" })) as Record<string, unknown> };
}

const WASM_MAGIC_BASE64 = "AGFzbQ"; // "\0asm", the start of every embedded kernel module

test('import { Tensor } from "seqtorch" bundles and runs with the wasm backend left out', async () => {
  const { code, result } = await bundleAndRun("excluded", "seqtorch", [excludeWasm]);
  expect(code).not.toContain(WASM_MAGIC_BASE64);
  expect(code).not.toContain("worker_threads");
  expect(result).toEqual({ isTensor: true, grad: [[2, 4], [6, 8]], shapes: [[5, 3, 20], [2, 3, 20], [2, 3, 20]], backends: ["cpu"], active: "cpu" });
}, 60_000);

test("seqtorch/core reaches no wasm code at all, with no help from the bundler", async () => {
  const { code, result } = await bundleAndRun("core", "seqtorch/core", []);
  expect(code).not.toContain(WASM_MAGIC_BASE64);
  expect(code).not.toContain("worker_threads");
  expect(result.backends).toEqual(["cpu"]);
  expect(result.shapes).toEqual([[5, 3, 20], [2, 3, 20], [2, 3, 20]]);
}, 60_000);

test("the full entry carries the wasm backend and makes it the default", async () => {
  const { code, result } = await bundleAndRun("full", "seqtorch", []);
  expect(code).toContain(WASM_MAGIC_BASE64);
  expect(result.backends).toEqual(["cpu", "wasm"]);
  expect(result.active).toBe("wasm");
  expect(result.grad).toEqual([[2, 4], [6, 8]]);
}, 60_000);

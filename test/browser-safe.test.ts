/**
 * The core library runs in browsers: only the command line, the file readers and the Node host
 * adapter of the wasm backend may touch Node's APIs, and the adapter only behind a runtime check.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const src = fileURLToPath(new URL("../src", import.meta.url));
const NODE_ONLY = new Set(["data/files.ts", "data/node.ts", "io/atomic.ts", "io/checkpoint.ts", "io/lock.ts", "io/node.ts", "onnx/node.ts", "backend/native/index.ts", "backend/native/auto.ts", "node.ts"]);
const isNodeOnly = (file: string): boolean => file.startsWith("cli/") || NODE_ONLY.has(file);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "assembly" ? [] : walk(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

test("no Node-only API outside the CLI and file I/O modules", () => {
  const offenders: string[] = [];
  for (const path of walk(src)) {
    const file = relative(src, path).replace(/\\/g, "/");
    if (isNodeOnly(file)) continue;
    const code = readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    if (file === "backend/wasm/host.ts") {
      // The wasm host adapter loads Node modules only dynamically, after checking it runs on Node
      // (the worker's CommonJS source is a string that only a Node worker evaluates).
      if (/from\s+["']node:/.test(code) || !/const isNode = /.test(code) || !/if \(isNode\)/.test(code)) offenders.push(file);
      continue;
    }
    if (/from\s+["']node:|import\(\s*["']node:|require\(|\bBuffer\.|\bprocess\./.test(code)) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});

test("the Node-only entry points are not reachable from the main barrels", () => {
  for (const entry of ["index.ts", "core.ts"]) {
    const barrel = readFileSync(join(src, entry), "utf8");
    expect(barrel, entry).not.toMatch(/io\/node|data\/node|cli\/|native/);
  }
  // seqtorch/core has no path to the wasm backend; seqtorch reaches it through one import.
  const code = (file: string): string => readFileSync(join(src, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  expect(code("core.ts")).not.toMatch(/wasm/);
  expect(code("index.ts").match(/^import .*wasm.*$/gm)).toEqual([`import "./backend/wasm/auto.js";`]);
});

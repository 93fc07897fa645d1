// The demo page. `seqtorch` and its subpaths resolve as they do for a user of the package: each to
// the file its `exports` entry names for browsers (the "import" condition, built into dist/).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { exports: Record<string, string | { import?: string }> };
const alias = Object.entries(pkg.exports).flatMap(([key, entry]) =>
  typeof entry === "object" && entry.import ? [{ find: new RegExp(`^seqtorch${key.slice(1).replace(/[/.]/g, "\\$&")}$`), replacement: root + entry.import.slice(2) }] : []);

// Cross-origin isolation (SharedArrayBuffer, so the wasm kernels can use worker threads).
const isolation = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: { alias },
  server: { headers: isolation },
  preview: { headers: isolation },
  // Class names survive minification: nn modules print themselves by them, as in PyTorch (LSTM(32, 64, ...)).
  worker: { format: "es", rolldownOptions: { external: [/^node:/], output: { keepNames: true } } },
  build: {
    outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 4096,
    // The library imports Node's modules only behind a check that it runs in Node; left as imports, never loaded here.
    rolldownOptions: { external: [/^node:/], output: { keepNames: true } },
  },
});

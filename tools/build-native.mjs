// npm's install step: builds the native kernels (binding.gyp) with node-gyp and the machine's
// compiler. It never fails the install: where the build cannot run (no compiler, no Node headers,
// SEQTORCH_NATIVE=0), it says so in one line and seqtorch uses its wasm backend instead; the
// reason is kept in build/native-unavailable.txt for `seqtorch --version` and listBackends().
//
//   node tools/build-native.mjs        build (quietly; the log goes to build/native-build.log)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const build = join(root, "build");
const reasonFile = join(build, "native-unavailable.txt");
const unavailable = (reason) => {
  mkdirSync(build, { recursive: true });
  writeFileSync(reasonFile, `${reason}\n`);
  console.log(`seqtorch: native kernels not built (${reason}); the wasm backend will be used`);
  process.exit(0);
};

if (process.env.SEQTORCH_NATIVE === "0") unavailable("SEQTORCH_NATIVE=0");
rmSync(reasonFile, { force: true });

// node-gyp: npm's own copy (on PATH in npm scripts), else the one npm ships with.
const require = createRequire(import.meta.url);
let gyp = null;
for (const candidate of [process.env.npm_config_node_gyp, join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js")]) {
  if (candidate && existsSync(candidate)) {
    gyp = candidate;
    break;
  }
}
if (!gyp) {
  try {
    gyp = require.resolve("node-gyp/bin/node-gyp.js");
  } catch {
    unavailable("node-gyp not found");
  }
}
// Node's headers where the distribution installed them, so node-gyp downloads nothing.
const prefix = dirname(dirname(process.execPath));
const nodedir = existsSync(join(prefix, "include/node/node_api.h")) ? ["--nodedir", prefix] : [];
const r = spawnSync(process.execPath, [gyp, "rebuild", ...nodedir], { cwd: root, encoding: "utf8", env: process.env });
mkdirSync(build, { recursive: true });
writeFileSync(join(build, "native-build.log"), `${r.stdout ?? ""}${r.stderr ?? ""}`);
if (r.status !== 0) {
  const error = `${r.stderr ?? ""}${r.stdout ?? ""}`.split("\n").find((l) => /error|not found|ERR!/.test(l) && !/gyp info/.test(l)) ?? `exit code ${r.status}`;
  unavailable(`the build failed: ${error.trim().slice(0, 200)}; see build/native-build.log`);
}
console.log("seqtorch: native kernels built");

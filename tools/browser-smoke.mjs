// Runs the built library (dist/) in headless Chromium: imports it as plain ES modules, compiles
// the wasm backend, runs and differentiates an LSTM, segments Chinese and parses CSV.
// Usage: npm run build && node tools/browser-smoke.mjs   (needs Debian's chromium: apt-get install chromium)
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = { ".js": "text/javascript", ".html": "text/html", ".map": "application/json" };
const server = createServer(async (req, res) => {
  const path = new URL(req.url, "http://localhost").pathname;
  const file = path === "/" ? join(root, "test/browser/smoke.html") : join(root, path);
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address();
const profile = await mkdtemp(join(tmpdir(), "seqtorch-chromium-"));
const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, "--virtual-time-budget=30000", "--dump-dom", `http://127.0.0.1:${port}/`];
const dom = await new Promise((resolve, reject) =>
  execFile(process.env.CHROMIUM ?? "chromium", flags, { timeout: 120_000 }, (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout))));
server.close();
await rm(profile, { recursive: true, force: true });
const out = (/<pre id="out">([\s\S]*?)<\/pre>/.exec(dom)?.[1] ?? "").trim();
console.log(out);
const ok = out.endsWith("DONE") && out.includes("initWasmBackend: true") && out.includes("[[5,3,20],[2,3,20],[2,3,20]]") && out.includes("接触/LSTM/模型/不久/简单/看了/一些/相关/的/论文");
console.log(ok ? "browser smoke test passed" : "browser smoke test FAILED");
process.exitCode = ok ? 0 : 1;

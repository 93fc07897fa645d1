// The demo page (examples/web) in headless Chromium, driven by Playwright: the built page is served
// on localhost twice, as a plain static site (one thread) and cross-origin isolated (COOP/COEP, so
// the wasm kernels get worker threads), and every panel is used as a visitor would use it.
// Screenshots go to test-artifacts/demo/. Usage (after `npm run demo:build`):
//   node tools/demo-test.mjs     (needs Debian's chromium: apt-get install chromium)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const site = join(root, "examples/web/dist");
const artifacts = join(root, "test-artifacts/demo");
mkdirSync(artifacts, { recursive: true });
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm" };

/** A static server for the built page; `isolated` adds the headers that make it cross-origin isolated. */
async function serve(isolated) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const file = normalize(join(site, path === "/" ? "index.html" : path));
    try {
      if (!file.startsWith(site)) throw new Error("outside");
      const body = readFileSync(file);
      const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream" };
      if (isolated) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

// A checkpoint made by the CLI, to load into the page.
const ckpt = mkdtempSync(join(tmpdir(), "seqtorch-demo-ckpt-"));
execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "train", "--epochs", "1", "--checkpoint", ckpt, "--overwrite", "--quiet", "--backend", "wasm"], { stdio: "inherit" });
// The CLI's training speed on the same data and model, one thread, wasm and native kernels.
const cliRate = (backend) => JSON.parse(execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "train", "--epochs", "1", "--checkpoint", join(ckpt, backend), "--json", "--quiet", "--backend", backend])
  .toString().trim().split("\n").pop()).examplesPerSecond;
const cliRates = { wasm: cliRate("wasm"), native: cliRate("native") };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const rates = {};
try {
  for (const isolated of (process.env.DEMO_ONLY ? [process.env.DEMO_ONLY === "isolated"] : [false, true])) {
    const { server, url } = await serve(isolated);
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    // Nothing but the local server: any other request fails the test.
    await context.route("**/*", (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
    const page = await context.newPage();
    const errors = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    const tag = isolated ? "isolated" : "plain";
    await page.goto(`${url}?lang=en`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    const threads = Number(await page.getAttribute("#backend-line", "data-threads"));
    const backend = await page.getAttribute("#backend-line", "data-backend");
    check(backend.startsWith("wasm"), `${tag}: the worker runs the wasm backend (got ${backend})`);
    check(isolated ? threads >= 2 : threads === 1, `${tag}: ${threads} thread(s) available to training`);

    if (!isolated) {
      // Pipeline: the Chinese example, segmented into words.
      const tokens = await page.locator("#pipe-tokens span").allTextContents();
      check(["接触", "LSTM", "模型", "论文"].every((w) => tokens.includes(w)), `pipeline tokens: ${tokens.join("/")}`);
      check((await page.locator("#pipe-embedding svg").count()) > 0, "pipeline: embedding heat map drawn");
      check((await page.textContent("#pipe-lstm")).includes("[12, 1, 6]"), "pipeline: output shape [12, 1, 6] spelled out");
      await page.screenshot({ path: join(artifacts, "pipeline.png"), fullPage: true });
      // Truncation, and the English example with character tokens.
      await page.fill("#pipe-len", "5");
      check((await page.textContent("#pipe-padded")).startsWith("[1, 5]  [2, 3, 4, 5, 6]"), `pipeline: truncated to 5: ${await page.textContent("#pipe-padded")}`);
      await page.click("#pipe-en");
      await page.selectOption("#pipe-tok", "char");
      const chars = await page.locator("#pipe-tokens span").allTextContents();
      check(chars.slice(0, 3).join("") === "Ime", `pipeline: the English example in characters: ${chars.slice(0, 8).join("/")}`);
      await page.fill("#pipe-len", "12");
      await page.click("#pipe-zh");
      await page.selectOption("#pipe-tok", "word");
      await page.click("#lang-zh");
      check((await page.textContent("nav button[data-tab=pipeline]")) === "处理流程", "Chinese interface text");
      await page.screenshot({ path: join(artifacts, "pipeline-zh.png") });
      await page.click("#lang-en");
    }

    if (!isolated) {
      // The stop button: a long run stops after the batch in flight.
      await page.click("nav button[data-tab=train]");
      await page.fill("#train-epochs", "20");
      await page.click("#train-start");
      await page.waitForFunction(() => Number(document.getElementById("train-rate").dataset.rate) > 0, null, { timeout: 60_000 });
      await page.click("#train-stop");
      await page.waitForSelector("#train-status:is([data-state=stopped], [data-state=finished])", { timeout: 60_000 });
      check((await page.getAttribute("#train-status", "data-state")) === "stopped", `stop: a 20-epoch run stopped (${await page.textContent("#train-status")})`);
    }

    // Train one epoch with every thread the page has.
    await page.click("nav button[data-tab=train]");
    await page.fill("#train-epochs", "1");
    await page.selectOption("#train-threads", String(threads));
    await page.click("#train-start");
    await page.waitForSelector("#train-status:is([data-state=finished], [data-state=stopped])", { timeout: 300_000 });
    check((await page.getAttribute("#train-status", "data-state")) === "finished", `${tag}: training finished (${await page.textContent("#train-status")})`);
    const trainLoss = Number(await page.getAttribute("#train-epochs-log li", "data-train-loss"));
    const rate = Number(await page.getAttribute("#train-rate", "data-rate"));
    rates[tag] = { threads: Number(await page.getAttribute("#train-rate", "data-threads")), rate, trainLoss };
    const workers = Number(await page.getAttribute("#train-rate", "data-workers"));
    check(isolated ? rates[tag].threads === 2 && workers === 1 : workers === 0, `${tag}: training ran with ${rates[tag].threads} thread(s), ${workers} wasm worker thread(s) started`);
    check(trainLoss < Math.log(2) - 0.02, `${tag}: one epoch's mean training loss ${trainLoss.toFixed(4)} is below ln 2 (an untrained model's)`);
    check(rate > 0, `${tag}: ${rate.toFixed(0)} examples/s with ${rates[tag].threads} thread(s)`);
    check((await page.locator("#train-chart svg").count()) > 0, `${tag}: training chart drawn`);
    await page.fill("#predict-text", "Alice");
    const predicted = await page.getAttribute("#predict-out", "data-label");
    check(predicted === "female" || predicted === "male", `${tag}: "Alice" predicted: ${await page.textContent("#predict-out")}`);
    await page.screenshot({ path: join(artifacts, `train-${tag}.png`), fullPage: true });

    if (!isolated) {
      await page.click("nav button[data-tab=inside]");
      await page.fill("#inside-text", "alice");
      const maps = await page.locator("#inside-maps svg[role], #inside-maps figure").count();
      const diff = Number(await page.getAttribute("#inside-check", "data-max-diff"));
      check(maps === 5, `inside: ${maps} heat maps (i, f, g, o, c)`);
      check(diff < 1e-4, `inside: the gate equations reproduce nn.LSTM's h_t (max difference ${diff.toExponential(2)})`);
      await page.screenshot({ path: join(artifacts, "inside.png"), fullPage: true });

      await page.click("nav button[data-tab=gradients]");
      await page.click("#grad-run");
      await page.waitForSelector("#grad-chart svg", { timeout: 120_000 });
      check((await page.locator("#grad-norms li").count()) === 3, "gradients: RNN, LSTM and GRU charted");
      await page.screenshot({ path: join(artifacts, "gradients.png"), fullPage: true });

      await page.click("nav button[data-tab=load]");
      await page.setInputFiles("#load-files", ["model.safetensors", "config.json", "vocab.json"].map((f) => join(ckpt, f)));
      await page.waitForSelector("#load-out[data-state]");
      check((await page.getAttribute("#load-out", "data-state")) === "loaded", `load: ${await page.textContent("#load-out")}`);
      await page.click("nav button[data-tab=train]");
      await page.fill("#predict-text", "Bob");
      const after = await page.getAttribute("#predict-out", "data-label");
      check(after === "female" || after === "male", `load: the CLI's model predicts "Bob": ${await page.textContent("#predict-out")}`);
      // Dropped files: a damaged config.json is refused with the file named, and the good files load.
      await page.click("nav button[data-tab=load]");
      const drop = async (files) => {
        await page.evaluate(() => document.getElementById("load-out").removeAttribute("data-state"));
        const transfer = await page.evaluateHandle((fs) => {
          const dt = new DataTransfer();
          for (const f of fs) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
          return dt;
        }, files);
        await page.dispatchEvent("#drop", "drop", { dataTransfer: transfer });
        await page.waitForSelector("#load-out[data-state]");
        return [await page.getAttribute("#load-out", "data-state"), await page.textContent("#load-out")];
      };
      const fileOf = (name, bytes = readFileSync(join(ckpt, name))) => ({ name, b64: Buffer.from(bytes).toString("base64") });
      const good = ["model.safetensors", "config.json", "vocab.json"].map((f) => fileOf(f));
      const [badState, badText] = await drop([good[0], fileOf("config.json", Buffer.from("{ not json")), good[2]]);
      check(badState === "error" && badText.includes("config.json"), `load: a damaged config.json is refused: ${badText}`);
      const [dropState, dropText] = await drop(good);
      check(dropState === "loaded", `load: dropped files load: ${dropText}`);
      await page.screenshot({ path: join(artifacts, "load.png"), fullPage: true });
    }
    check(errors.length === 0, `${tag}: no console errors${errors.length ? `: ${errors.join(" | ")}` : ""}`);
    await context.close();
    server.close();
  }
} finally {
  await browser.close();
  rmSync(ckpt, { recursive: true, force: true });
}
check(rates.plain === undefined || rates.isolated === undefined || rates.plain.trainLoss === rates.isolated.trainLoss,
  `the same epoch on one thread and on two (after a stopped run on the first page): loss ${rates.plain?.trainLoss} and ${rates.isolated?.trainLoss}`);
const summary = { cli: cliRates, browser: rates };
writeFileSync(join(artifacts, "speed.json"), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`training speed, examples/s: CLI (Node, one thread) wasm ${cliRates.wasm.toFixed(0)}, native ${cliRates.native?.toFixed(0)}; page ${Object.entries(rates).map(([k, v]) => `${k} ${v.threads} thread(s) ${v.rate.toFixed(0)}`).join("; ")}`);
console.log(failures.length ? `demo test FAILED: ${failures.length} check(s)` : "demo test passed");
process.exitCode = failures.length ? 1 : 0;

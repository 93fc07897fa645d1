/**
 * The ONNX Runtime rows of `npm run bench`, without PyTorch: two tiny models exported by the bench's
 * own exporter (tools/golden/onnx_bench.py, export_onnx in bench/torch_workloads.py) with PyTorch's
 * output recorded beside them, run through bench/ort_child.ts as bench/run.ts runs it.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { openModel, readArray, type Manifest } from "../bench/ort.js";
import { WORKLOADS, allCases, onnxCase, type MeasureArgs, type MeasureResult } from "../bench/workloads.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixture = (name: string): string => join(root, "test/golden/onnx", name);
const TINY_PROTOCOL = { warmup: 1, targetSec: 0, minReps: 3, maxReps: 3, budgetSec: 60 };

function runChild(args: MeasureArgs): MeasureResult & { maxAbsDiff: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench/ort_child.ts"), JSON.stringify(args)], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as MeasureResult & { maxAbsDiff: number };
}

describe("the ONNX Runtime child", () => {
  test.each(["lstm", "gru-classifier"])("%s: matches PyTorch's recorded output and reports a measurement", (name) => {
    const args: MeasureArgs = {
      mode: "measure", case: `${name}/forward`, workload: WORKLOADS[0]!, phase: "forward", backend: "ort", threads: 1,
      protocol: TINY_PROTOCOL, modelDir: fixture(name), // the child reads the model from modelDir, not the workload
    };
    const result = runChild(args);
    expect(result).toMatchObject({ case: `${name}/forward`, backend: "ort", threads: 1, reps: 3, warmups: 1, truncated: false });
    expect(result.medianMs).toBeGreaterThan(0);
    expect(result.minMs).toBeLessThanOrEqual(result.medianMs);
    expect(result.peakRssBytes).toBeGreaterThanOrEqual(result.baselineRssBytes);
    // float32 recurrences over 5 steps agree with PyTorch to rounding.
    expect(result.maxAbsDiff).toBeLessThan(1e-6);
  });

  test("the classifier fixture takes int32 ids and the recurrent one float32 input", () => {
    const manifest = (name: string): Manifest => JSON.parse(readFileSync(join(fixture(name), "manifest.json"), "utf8")) as Manifest;
    expect(manifest("gru-classifier").input).toMatchObject({ dtype: "int32", shape: [2, 5] });
    expect(manifest("lstm").input).toMatchObject({ dtype: "float32", shape: [2, 5, 3] });
    const ids = readArray(fixture("gru-classifier"), manifest("gru-classifier").input);
    expect(ids).toBeInstanceOf(Int32Array);
    expect([...ids].every((v) => v >= 0 && v < 11)).toBe(true);
  });

  test("an output that differs from PyTorch's is refused before anything is timed", async () => {
    const dir = mkdtempSync(join(os.tmpdir(), "seqtorch-ort-"));
    try {
      cpSync(fixture("lstm"), dir, { recursive: true });
      const out = readFileSync(join(dir, "output.bin"));
      out.writeFloatLE(out.readFloatLE(4 * 7) + 0.01, 4 * 7);
      writeFileSync(join(dir, "output.bin"), out);
      const { check } = await openModel(ort, dir, 1);
      await expect(check()).rejects.toThrow(/^output\[7\] is .*, PyTorch's is /);
      const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench/ort_child.ts"), JSON.stringify({
        mode: "measure", case: "lstm/forward", workload: WORKLOADS[0], phase: "forward", backend: "ort", threads: 1, protocol: TINY_PROTOCOL, modelDir: dir,
      })], { cwd: root, encoding: "utf8", timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^failed: output\[7\] is /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("ONNX Runtime measures the forward steps that export_onnx covers, W5's included", () => {
  expect(allCases().filter(onnxCase).map((c) => c.key)).toEqual(["W1/forward", "W2/forward", "W3/forward", "W4/forward", "W5/forward", "W6/forward", "L0/forward"]);
});

test("onnxruntime-node's postinstall is told to skip its downloads by .npmrc, .ci/run and allowScripts", () => {
  // npm sets npm_config_<key> (dashes as underscores) from each .npmrc line for the scripts it runs.
  const npmrc = readFileSync(join(root, ".npmrc"), "utf8").split("\n").filter((l) => !/^\s*[;#]/.test(l));
  const env: Record<string, string> = {};
  for (const line of npmrc) {
    const m = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) env[`npm_config_${m[1]!.replace(/-/g, "_")}`] = m[2]!;
  }
  expect(env.npm_config_onnxruntime_node_install).toBe("skip");
  // Run as npm runs a dependency's postinstall (not a local install, which it would skip anyway).
  const pkgDir = join(root, "node_modules/onnxruntime-node");
  const { ONNXRUNTIME_NODE_INSTALL: _unset, ...inherited } = process.env;
  const r = spawnSync(process.execPath, ["./script/install"], {
    cwd: pkgDir, encoding: "utf8", timeout: 30_000,
    env: { ...inherited, ...env, npm_config_local_prefix: root, npm_package_json: join(pkgDir, "package.json") },
  });
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: "", stderr: "" });
  expect(readFileSync(join(root, ".ci/run"), "utf8")).toMatch(/^export ONNXRUNTIME_NODE_INSTALL=skip$[\s\S]*^npm ci$/m);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { allowScripts: Record<string, boolean>; devDependencies: Record<string, string> };
  expect(pkg.allowScripts["onnxruntime-node"]).toBe(false);
  expect(pkg.devDependencies["onnxruntime-node"]).toBeDefined();
});

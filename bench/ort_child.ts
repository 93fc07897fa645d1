/**
 * One ONNX Runtime measurement in a fresh process, started by bench/run.ts as
 *   node --import tsx bench/ort_child.ts '<ChildArgs JSON>'
 * `{"mode":"probe"}` prints the onnxruntime-node version. A "measure" argument with `modelDir` (a
 * folder written by bench/torch_workloads.py's export mode) opens the model with intraOpNumThreads =
 * threads, interOpNumThreads 1 and every graph optimisation, checks its output against PyTorch's (an
 * untimed run before the protocol's warmups) and times `session.run` with the shared protocol; it prints one MeasureResult JSON line with
 * `maxAbsDiff` (from PyTorch's output) added. On an error it prints `failed: <message>` to stderr and
 * exits with status 1.
 */
import { measure, rss, runMain, summarize } from "./measure.js";
import { openModel } from "./ort.js";
import type { ChildArgs } from "./workloads.js";

async function main(): Promise<string> {
  const start = performance.now();
  const args = JSON.parse(process.argv[2] ?? "null") as ChildArgs | null;
  if (!args || args.mode === "export") throw new Error("usage: node --import tsx bench/ort_child.ts '<json args>'");
  const ort = await import("onnxruntime-node");
  if (args.mode === "probe") return JSON.stringify({ version: ort.env.versions.node ?? ort.env.versions.common });
  if (!args.modelDir) throw new Error("measure needs modelDir, a folder written by torch_workloads.py's export mode");
  const { run, check } = await openModel(ort, args.modelDir, args.threads);
  // The baseline is taken before any inference, as the other children take it before any step.
  const baseline = rss().current;
  const maxAbsDiff = await check();
  const timing = await measure(run, args.protocol, start);
  return JSON.stringify({ ...summarize({ case: args.case, backend: args.backend, threads: args.threads }, timing, baseline), maxAbsDiff });
}

runMain(main);

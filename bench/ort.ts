/**
 * ONNX Runtime's side of `npm run bench`: opens a model that bench/torch_workloads.py's export mode
 * wrote (model.onnx, manifest.json, input.bin, output.bin) and checks it against PyTorch's output.
 * bench/ort_child.ts times it; test/ort-bench.test.ts runs it on a committed fixture.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Ort = typeof import("onnxruntime-node");

/** A raw little-endian array written by export_onnx, as the manifest describes it. */
export interface ArrayFile { name: string; file: string; dtype: "float32" | "int32"; shape: number[] }
export interface Manifest { workload: string; opset: number; torchVersion: string; input: ArrayFile; output: ArrayFile }

/** An output may differ from PyTorch's by this much (absolute) plus this much of PyTorch's magnitude. */
export const TOLERANCE = { abs: 1e-4, rel: 1e-4 };

export function readArray(dir: string, a: ArrayFile): Float32Array | Int32Array {
  const bytes = readFileSync(join(dir, a.file));
  const count = a.shape.reduce((p, d) => p * d, 1);
  if (bytes.length !== count * 4) throw new Error(`${a.file}: ${bytes.length} bytes, expected ${count * 4} for ${a.dtype} [${a.shape.join(", ")}]`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = a.dtype === "float32" ? new Float32Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = a.dtype === "float32" ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
  return out;
}

/**
 * Opens the exported model in `dir` with its input: `run` is one inference (what is timed); `check`
 * runs it once and returns the largest absolute difference from PyTorch's output, or throws when the
 * output's shape differs or a value is off by more than TOLERANCE.
 */
export async function openModel(ort: Ort, dir: string, threads: number): Promise<{ run: () => Promise<unknown>; check: () => Promise<number>; manifest: Manifest }> {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  const session = await ort.InferenceSession.create(join(dir, "model.onnx"), {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all", executionMode: "sequential",
  });
  const { input, output } = manifest;
  const feeds = { [input.name]: new ort.Tensor(input.dtype, readArray(dir, input), input.shape) };
  const want = readArray(dir, output);
  const run = () => session.run(feeds);
  const check = async (): Promise<number> => {
    const got = (await run())[output.name];
    if (!got) throw new Error(`the model has no output "${output.name}" (outputs: ${session.outputNames.join(", ")})`);
    if (got.dims.join(",") !== output.shape.join(",")) throw new Error(`output shape [${got.dims.join(", ")}], PyTorch's is [${output.shape.join(", ")}]`);
    const data = got.data as Float32Array;
    let maxAbsDiff = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(data[i]! - want[i]!);
      if (!(d <= TOLERANCE.abs + TOLERANCE.rel * Math.abs(want[i]!))) {
        throw new Error(`output[${i}] is ${data[i]}, PyTorch's is ${want[i]} (tolerance ${TOLERANCE.abs} + ${TOLERANCE.rel}·|PyTorch|)`);
      }
      maxAbsDiff = Math.max(maxAbsDiff, d);
    }
    return maxAbsDiff;
  };
  return { run, check, manifest };
}

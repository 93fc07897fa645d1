/** ONNX export to a file (Node only). */
import { writeFileAtomic } from "../io/atomic.js";
import type { Module } from "../nn/module.js";
import type { Tensor } from "../tensor.js";
import { exportOnnx, type ExportOnnxOptions } from "./export.js";

export * from "./index.js";

/**
 * Exports `model` (see `exportOnnx`) and writes the bytes to `path` atomically: the model is built
 * in full before anything is written, so a model that cannot be exported leaves `path` untouched,
 * and a reader never sees half a file. Returns the number of bytes written.
 */
export async function saveOnnx(path: string, model: Module, exampleInputs: Tensor | Tensor[], options: ExportOnnxOptions = {}): Promise<number> {
  const bytes = exportOnnx(model, exampleInputs, options);
  await writeFileAtomic(path, bytes);
  return bytes.byteLength;
}

/** `seqtorch export`: a checkpoint's text model as an ONNX file, with what tokenizes its input beside it. */
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { models, tensor } from "../index.js";
import { writeFileAtomic } from "../io/atomic.js";
import { exportOnnx, OnnxExportError } from "../onnx/index.js";
import { loadBundle } from "./use.js";
import { CliError } from "./output.js";

export interface ExportArgs {
  checkpoint: string;
  format: string;
  out: string;
  opset: number;
  json: boolean;
}

/** The sidecar beside `model.onnx`: `model.vocab.json`. */
export function vocabPathFor(out: string): string {
  return join(dirname(out), `${basename(out).replace(/\.onnx$/i, "")}.vocab.json`);
}

/**
 * Exports the checkpoint's model with inputs `tokens` int32 `[batch, seq]` and `lengths` int32
 * `[batch]` and output `output` `[batch, classes or targets]` (scores before softmax for a
 * classifier). Beside it goes `<name>.vocab.json`: the vocabulary, the tokenizer, the labels and
 * maxLen, which turn a text into the token ids the model takes. Both files are written atomically
 * (the folder is created if needed), and only after the export succeeded.
 */
export async function exportCommand(o: ExportArgs): Promise<void> {
  if (o.format !== "onnx") throw new CliError(`--format must be "onnx", got "${o.format}"`, 2);
  const bundle = await loadBundle(o.checkpoint);
  const parts = models.bundleToParts(bundle);
  let bytes: Uint8Array;
  try {
    bytes = exportOnnx(bundle.model, [tensor([[1, 1, 1], [1, 1, 0]], { dtype: "int32" }), tensor([3, 2], { dtype: "int32" })], {
      opset: o.opset,
      dynamicAxes: { tokens: { 0: "batch", 1: "seq" }, lengths: { 0: "batch" }, output: { 0: "batch" } },
      docString: `seqtorch ${bundle.task} model; inputs tokens int32 [batch, seq] and lengths int32 [batch]`,
    });
  } catch (e) {
    if (e instanceof OnnxExportError) throw new CliError(e.message);
    throw e;
  }
  const vocabPath = vocabPathFor(o.out);
  const side = { task: parts.config.task, labels: parts.config.labels, maxLen: parts.config.maxLen, tokenizer: parts.config.tokenizer, vocab: parts.vocab };
  await mkdir(dirname(o.out), { recursive: true });
  await writeFileAtomic(o.out, bytes);
  await writeFileAtomic(vocabPath, `${JSON.stringify(side, null, 2)}\n`);
  const summary = { model: o.out, vocab: vocabPath, bytes: bytes.byteLength, opset: o.opset, task: bundle.task, inputs: ["tokens", "lengths"], outputs: ["output"] };
  process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `wrote ${o.out} (${bytes.byteLength} bytes, ONNX opset ${o.opset}) and ${vocabPath}\n`);
}

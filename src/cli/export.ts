/**
 * `seqtorch export`: a checkpoint for another framework.
 * - `--format pytorch`: a directory PyTorch users can run and keep training: the weights under the
 *   same keys, vocab.json with the tokenizer's settings, a model.py that rebuilds the architecture
 *   with torch.nn, and train_ddp.py for DistributedDataParallel. The Python files live in python/
 *   at the package root.
 * - `--format onnx`: the text model as an ONNX file, with what tokenizes its input beside it.
 */
import { readFileSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { cells, data, models, tensor } from "../index.js";
import { readTable } from "../data/node.js";
import { writeFileAtomic } from "../io/atomic.js";
import { saveCheckpoint } from "../io/node.js";
import { exportOnnx, OnnxExportError } from "../onnx/index.js";
import { CliError } from "./output.js";
import { loadBundle } from "./use.js";

export interface ExportArgs {
  checkpoint: string;
  format: "pytorch" | "onnx";
  out: string;
  /** onnx: the opset version. */
  opset: number;
  /** pytorch: also write data.jsonl, this file's rows as seqtorch's token ids, for train_ddp.py. */
  data?: string;
  textCol: string;
  labelCol: string;
  json: boolean;
}

export async function exportCommand(o: ExportArgs): Promise<void> {
  if (o.format === "pytorch") return exportPytorch(o);
  if (o.format === "onnx") return exportOnnxFile(o);
  throw new CliError(`--format must be "pytorch" or "onnx", got "${String(o.format)}"`, 2);
}

/** The cells torch.nn has a layer for (model.py's RECURRENT table). */
const TORCH_CELLS: readonly cells.CellKind[] = ["rnn", "rnn-relu", "lstm", "gru"];
const PYTHON_FILES = ["model.py", "train_ddp.py"] as const;

async function exportPytorch(o: ExportArgs): Promise<void> {
  const bundle = await loadBundle(o.checkpoint);
  const config = bundle.model.config();
  if (!TORCH_CELLS.includes(config.cell!)) {
    throw new CliError(`cannot export cell "${config.cell}" to PyTorch: it is a seqtorch extension with no torch.nn layer (exportable: ${TORCH_CELLS.join(", ")})`);
  }
  const existing = await readdir(o.out).catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? [] : Promise.reject(e)));
  if (existing.length > 0) throw new CliError(`${o.out} exists and is not empty; choose a new --out directory`);

  const parts = models.bundleToParts(bundle);
  const files: Record<string, string> = {};
  for (const name of PYTHON_FILES) files[name] = readFileSync(new URL(`../../python/${name}`, import.meta.url), "utf8");
  if (o.data) {
    const { texts, labels } = data.selectColumns(readTable(o.data).rows, { textCol: o.textCol, labelCol: o.labelCol });
    const ids = models.encodeTexts(bundle, texts);
    files["data.jsonl"] = ids.map((row, i) => `${JSON.stringify({ ids: row, label: labels[i] })}\n`).join("");
  }
  // vocab.json stays readable by seqtorch (Vocab.fromJSON reads only its own keys).
  const vocab = { ...parts.vocab, tokenizer: parts.config.tokenizer, maxLen: parts.config.maxLen, padIndex: config.paddingIdx };
  await saveCheckpoint(o.out, { stateDict: parts.stateDict, config: parts.config, vocab, files, metadata: { exportedBy: "seqtorch export --format pytorch" } });

  const written = ["model.safetensors", "config.json", "vocab.json", ...Object.keys(files)];
  const tensors = Object.keys(parts.stateDict).length;
  if (o.json) process.stdout.write(`${JSON.stringify({ out: o.out, format: o.format, files: written, tensors })}\n`);
  else process.stdout.write(`wrote ${o.out}: ${written.join(", ")} (${tensors} tensors)\n`);
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
async function exportOnnxFile(o: ExportArgs): Promise<void> {
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

/**
 * `seqtorch export --format pytorch`: a checkpoint as a directory PyTorch users can run and keep
 * training: the weights under the same keys, vocab.json with the tokenizer's settings, a model.py
 * that rebuilds the architecture with torch.nn, and train_ddp.py for DistributedDataParallel.
 * The Python files live in python/ at the package root.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { cells, data, models } from "../index.js";
import { readTable } from "../data/node.js";
import { saveCheckpoint } from "../io/node.js";
import { CliError } from "./output.js";
import { loadBundle } from "./use.js";

export interface ExportArgs {
  checkpoint: string;
  format: "pytorch";
  out: string;
  /** Also write data.jsonl: this file's rows as seqtorch's token ids, for train_ddp.py. */
  data?: string;
  textCol: string;
  labelCol: string;
  json: boolean;
}

/** The cells torch.nn has a layer for (model.py's RECURRENT table). */
const TORCH_CELLS: readonly cells.CellKind[] = ["rnn", "rnn-relu", "lstm", "gru"];
const PYTHON_FILES = ["model.py", "train_ddp.py"] as const;

export async function exportCommand(o: ExportArgs): Promise<void> {
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

/**
 * Checkpoints on disk (Node only: `node:fs/promises`). A checkpoint is a directory holding
 * `model.safetensors`, `config.json` and optionally `vocab.json`, the layout Hugging Face uses,
 * and it is replaced atomically: a crash, a full disk or a NaN never leaves a half-written one.
 */
import { randomBytes } from "node:crypto";
import { readFile, readdir, rename, rm, mkdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Tensor } from "../tensor.js";
import { oneLine as fold } from "../message.js";
import { syncDir, writeDurable, writeFileAtomic } from "./atomic.js";
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors } from "./safetensors.js";
import { parseTorchFile, type TorchFile } from "./torch.js";

/** A checkpoint that cannot be saved or loaded; `path` is the directory or file concerned. */
export class CheckpointError extends Error {
  readonly path: string;
  constructor(op: string, path: string, message: string, options?: { cause?: unknown }) {
    super(`${op}: ${message}`, options);
    this.name = "CheckpointError";
    this.path = path;
  }
}

export interface SaveCheckpointOptions {
  /** Parameters and buffers by PyTorch key, e.g. `model.stateDict()`. */
  stateDict: Record<string, Tensor>;
  /** Anything JSON-serialisable (the model's constructor options, training settings). */
  config: unknown;
  /** Optional JSON-serialisable vocabulary, written to `vocab.json`. */
  vocab?: unknown;
  /** Extra files by bare file name (no directories), written beside the others. */
  files?: Record<string, string | Uint8Array>;
  /** Extra safetensors `__metadata__`; `format: "pt"` is added unless given, as `transformers` expects. */
  metadata?: Record<string, string>;
  /** Save even if a tensor holds NaN or ±Inf (default false: such a save is refused). */
  allowNonfinite?: boolean;
}

export interface Checkpoint {
  stateDict: Record<string, Tensor>;
  config: unknown;
  /** The parsed `vocab.json`, or undefined when the checkpoint has none. */
  vocab: unknown;
  /** The safetensors `__metadata__` of `model.safetensors`. */
  metadata: Record<string, string>;
}

export interface LoadCheckpointOptions {
  /**
   * Called with the parsed config.json, vocab.json and the tensors' shapes from the weights file's
   * header, before any tensor is decoded: a place to reject a config that does not fit the weights.
   */
  check?: (config: unknown, shapes: Record<string, number[]>, vocab: unknown) => void;
  /** Load even if a tensor holds NaN or ±Inf (default false: such a load throws, naming the tensor). */
  allowNonfinite?: boolean;
}

export const MODEL_FILE = "model.safetensors";
export const CONFIG_FILE = "config.json";
export const VOCAB_FILE = "vocab.json";

/**
 * Saves a checkpoint to the directory `dir`, replacing any existing one atomically.
 *
 * Everything is first written and fsynced into a sibling `${dir}.tmp-<pid>-<random>`; then an
 * existing `dir` is renamed to `${dir}.old-<pid>-<random>`, the temporary directory is renamed to
 * `dir`, and the old one is removed. On any error the temporary directory is removed and the
 * existing checkpoint is left untouched (or renamed back). A tensor holding NaN or Inf is refused
 * before anything is written, since it would replace a good checkpoint with a useless one.
 *
 * @example
 * await saveCheckpoint("runs/lstm", { stateDict: model.stateDict(), config: { hiddenSize: 20 }, vocab });
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<void> {
  const op = "saveCheckpoint";
  // Everything that can fail without touching the disk happens first.
  const model = serializeSafetensors(options.stateDict, { format: "pt", ...options.metadata });
  if (!options.allowNonfinite) {
    for (const [key, t] of Object.entries(options.stateDict)) {
      if (t.dtype === "int32") continue;
      const i = t.data.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) {
        throw new CheckpointError(op, dir, `tensor "${key}" contains ${t.data[i]} at flat index ${i}; refusing to save so the existing checkpoint is kept (pass allowNonfinite: true to save anyway)`);
      }
    }
  }
  const files = new Map<string, string | Uint8Array>();
  files.set(MODEL_FILE, model);
  files.set(CONFIG_FILE, toJson(op, dir, CONFIG_FILE, options.config));
  if (options.vocab !== undefined) files.set(VOCAB_FILE, toJson(op, dir, VOCAB_FILE, options.vocab));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    if (name === "" || name === "." || name === ".." || basename(name) !== name || name.includes("/") || name.includes("\\")) {
      throw new CheckpointError(op, dir, `extra file name ${JSON.stringify(name)} must be a bare file name`);
    }
    if (files.has(name)) throw new CheckpointError(op, dir, `extra file "${name}" would overwrite the checkpoint's own ${name}`);
    files.set(name, content);
  }
  const existing = await stat(dir).catch(() => null);
  if (existing && !existing.isDirectory()) throw new CheckpointError(op, dir, `${dir} exists and is not a directory`);

  const tag = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const tmp = `${dir}.tmp-${tag}`;
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(tmp);
  try {
    for (const [name, content] of files) await writeDurable(join(tmp, name), content);
    await syncDir(tmp);
    const old = existing ? `${dir}.old-${tag}` : null;
    if (old) await rename(dir, old);
    try {
      await rename(tmp, dir);
    } catch (e) {
      if (old) await rename(old, dir);
      throw e;
    }
    await syncDir(dirname(dir));
    // The new checkpoint is in place; failing to delete the old copy does not undo that.
    if (old) await rm(old, { recursive: true, force: true }).catch(() => undefined);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new CheckpointError(op, dir, `could not write ${dir}: ${oneLine(e)}; the existing checkpoint was left unchanged`, { cause: e });
  }
}

/**
 * Loads a checkpoint written by `saveCheckpoint` (or any directory with `model.safetensors` and
 * `config.json`, such as a Hugging Face model folder). Errors are one line naming the file.
 *
 * @example
 * const { stateDict, config } = await loadCheckpoint("runs/lstm");
 * model.loadStateDict(stateDict);
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  const op = "loadCheckpoint";
  const st = await stat(dir).catch(() => null);
  if (!st) {
    const hint = await interruptedSave(dir);
    throw new CheckpointError(op, dir, `checkpoint directory ${dir} does not exist${hint}`);
  }
  if (!st.isDirectory()) throw new CheckpointError(op, dir, `${dir} is not a directory`);
  const read = async (name: string, optional: boolean): Promise<Uint8Array | undefined> => {
    const path = join(dir, name);
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        if (optional) return undefined;
        throw new CheckpointError(op, path, `missing ${name} in ${dir}`);
      }
      throw new CheckpointError(op, path, `cannot read ${path}: ${oneLine(e)}`, { cause: e });
    }
  };
  const parseJson = (name: string, bytes: Uint8Array): unknown => {
    const path = join(dir, name);
    try {
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (e) {
      throw new CheckpointError(op, path, `${path} is not valid JSON: ${oneLine(e)}`, { cause: e });
    }
  };
  const model = (await read(MODEL_FILE, false))!;
  const config = parseJson(CONFIG_FILE, (await read(CONFIG_FILE, false))!);
  const vocabBytes = await read(VOCAB_FILE, true);
  const vocab = vocabBytes === undefined ? undefined : parseJson(VOCAB_FILE, vocabBytes);
  const modelPath = join(dir, MODEL_FILE);
  const invalid = (e: unknown): CheckpointError => new CheckpointError(op, modelPath, `${modelPath} is not a valid safetensors file: ${oneLine(e)}`, { cause: e });
  if (options.check) {
    let header: ReturnType<typeof readSafetensorsHeader>;
    try {
      header = readSafetensorsHeader(model);
    } catch (e) {
      throw invalid(e);
    }
    options.check(config, Object.fromEntries(Object.entries(header.tensors).map(([k, t]) => [k, t.shape])), vocab);
  }
  let parsed: ReturnType<typeof parseSafetensors>;
  try {
    parsed = parseSafetensors(model);
  } catch (e) {
    throw invalid(e);
  }
  if (!options.allowNonfinite) {
    for (const [key, t] of Object.entries(parsed.tensors)) {
      if (t.dtype === "int32") continue;
      const i = t.data.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) throw new CheckpointError(op, modelPath, `${modelPath}: tensor "${key}" contains ${t.data[i]} at flat index ${i}; the weights are unusable (pass allowNonfinite: true to load anyway)`);
    }
  }
  return { stateDict: parsed.tensors, config, vocab, metadata: parsed.metadata };
}

/**
 * Writes tensors to one safetensors file, atomically, with `writeFileAtomic`: the bytes go to
 * `${path}.tmp-<pid>-<random>`, are fsynced, and the file is then renamed over `path`.
 */
export async function saveSafetensorsFile(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new CheckpointError("saveSafetensorsFile", path, `could not write ${path}: ${oneLine(e)}`, { cause: e });
  }
}

/** Reads one safetensors file; errors name the file. */
export async function loadSafetensorsFile(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const bytes = await readWeights("loadSafetensorsFile", path);
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError("loadSafetensorsFile", path, `${path} is not a valid safetensors file: ${oneLine(e)}`, { cause: e });
  }
}

/**
 * Reads a file written by PyTorch's `torch.save(model.state_dict(), path)` (see `parseTorchFile`);
 * errors name the file.
 * @example
 * const { tensors } = await loadTorchFile("lstm.pt");
 * model.loadStateDict(tensors);
 */
export async function loadTorchFile(path: string): Promise<TorchFile> {
  return parseTorchFile(await readWeights("loadTorchFile", path), path);
}

/** A weights file's bytes; a missing or unreadable file is a CheckpointError naming it. */
async function readWeights(op: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new CheckpointError(op, path, missing ? `${path} does not exist` : `cannot read ${path}: ${oneLine(e)}`, { cause: e });
  }
}

function toJson(op: string, dir: string, name: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (e) {
    throw new CheckpointError(op, dir, `${name}: value is not JSON-serialisable: ${oneLine(e)}`, { cause: e });
  }
  if (text === undefined) throw new CheckpointError(op, dir, `${name}: value is not JSON-serialisable (got ${typeof value})`);
  return text + "\n";
}

/** A hint for a missing directory when a crash between the two renames left only the old copy. */
async function interruptedSave(dir: string): Promise<string> {
  const prefix = `${basename(dir)}.old-`;
  const names = await readdir(dirname(dir)).catch(() => [] as string[]);
  const old = names.filter((n) => n.startsWith(prefix)).sort();
  return old.length ? `; a save was interrupted and the previous checkpoint is at ${join(dirname(dir), old[old.length - 1]!)}` : "";
}

function oneLine(e: unknown): string {
  return fold(e instanceof Error ? e.message : String(e));
}

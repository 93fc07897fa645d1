/**
 * The checkpoint directory of a `seqtorch train` run: checking where it goes before anything runs,
 * what an existing one holds, and the files beside the model that make a run resumable.
 */
import { access, constants, mkdir, readFile, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { io, models, train as tr } from "../index.js";
import { CONFIG_FILE } from "../io/node.js";
import { loadBundle } from "./use.js";
import { CliError } from "./output.js";

export const RUN_FILE = "run.json";
export const STATE_JSON = "training-state.json";
export const STATE_TENSORS = "training-state.safetensors";
export const CURVES_FILE = "curves.svg";

/** What decides which examples are validation examples: models scored on equal keys are comparable. */
export interface DataKey {
  fingerprint: string;
  task: string;
  textCol: string;
  labelCol: string;
  valFraction: number;
  seed: number;
}

/** `run.json`: the run the training state belongs to. */
export interface RunRecord {
  runId: string;
  started: string;
  data: DataKey;
  args: Record<string, unknown>;
}

export const sameData = (a: unknown, b: DataKey): boolean => {
  const o = a as Partial<DataKey> | null;
  return !!o && (Object.keys(b) as (keyof DataKey)[]).every((k) => o[k] === b[k]);
};

/**
 * Fails with one line unless a checkpoint can be written at `dir`: no part of the path may be a
 * file, and the parent (created if missing) must be writable. Runs before any data is read.
 */
export async function checkOutputLocation(dir: string): Promise<void> {
  const where = `cannot write the checkpoint to ${dir}`;
  for (let p = dir; ; p = dirname(p)) {
    // ENOTDIR: something above is a file, found as the walk goes up.
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" || e.code === "ENOTDIR" ? null : e));
    if (st instanceof Error) throw new CliError(`${where}: ${p}: ${st.code ?? st.message}`);
    if (st && !st.isDirectory()) throw new CliError(`${where}: ${p} is a file, not a directory`);
    if (st || dirname(p) === p) break;
  }
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`${where}: cannot create ${parent} (${e.code ?? e.message})`);
  });
  await access(parent, constants.W_OK).catch(() => {
    throw new CliError(`${where}: ${parent} is not writable`);
  });
}

/** What a directory holds before a run: nothing, a seqtorch checkpoint (with or without a resumable state), or something else. */
export type Existing =
  | { kind: "none" }
  | { kind: "other"; files: string[] }
  | { kind: "checkpoint"; training: Record<string, unknown>; run: RunRecord | null; resumable: boolean };

export async function inspectDirectory(dir: string): Promise<Existing> {
  const files = await readdir(dir).catch(() => null);
  if (!files || files.length === 0) return { kind: "none" };
  if (!files.includes(CONFIG_FILE)) return { kind: "other", files };
  const json = async (name: string): Promise<unknown> => JSON.parse(await readFile(join(dir, name), "utf8"));
  const config = await json(CONFIG_FILE).catch(() => null) as { training?: Record<string, unknown> } | null;
  const run = files.includes(RUN_FILE) ? await json(RUN_FILE).catch(() => null) as RunRecord | null : null;
  const resumable = !!run && files.includes(STATE_JSON) && files.includes(STATE_TENSORS);
  return { kind: "checkpoint", training: config?.training ?? {}, run, resumable };
}

/** A short description of a saved model: its run, epoch and scores. */
export function describeSaved(training: Record<string, unknown>): string {
  const parts = [];
  if (typeof training.runId === "string") parts.push(`run ${training.runId}`);
  if (typeof training.epoch === "number") parts.push(`epoch ${training.epoch}`);
  if (typeof training.valAccuracy === "number") parts.push(`validation accuracy ${(training.valAccuracy * 100).toFixed(1)}%`);
  else if (typeof training.valLoss === "number") parts.push(`validation loss ${training.valLoss.toPrecision(4)}`);
  return parts.length ? parts.join(", ") : "an earlier run";
}

/**
 * The saved model as a `BestCheckpoint` incumbent: loaded and checked as `predict` loads it, with
 * `training` (its config's record, from `inspectDirectory`) for its scores.
 */
export async function loadIncumbent(dir: string, training: Record<string, unknown>): Promise<{ parts: tr.CheckpointParts; score: tr.CheckpointScore }> {
  const parts = models.bundleToParts(await loadBundle(dir), training);
  const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
  const score = { valLoss: num(training.valLoss), valAccuracy: num(training.valAccuracy), trainLoss: num(training.trainLoss) ?? Infinity };
  return { parts, score };
}

/** The training state saved in `dir` by an earlier run. */
export async function loadTrainingState(dir: string): Promise<tr.TrainingState> {
  const json = await readFile(join(dir, STATE_JSON), "utf8");
  const { tensors } = io.parseSafetensors(new Uint8Array(await readFile(join(dir, STATE_TENSORS))));
  return tr.unpackTrainingState(json, tensors);
}

/** The files that make the run resumable, to save beside the model. */
export function stateFiles(run: RunRecord, state: tr.TrainingState): Record<string, string | Uint8Array> {
  const { tensors, json } = tr.packTrainingState(state);
  return { [RUN_FILE]: `${JSON.stringify(run, null, 1)}\n`, [STATE_JSON]: json, [STATE_TENSORS]: io.serializeSafetensors(tensors) };
}

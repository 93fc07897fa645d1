/**
 * Keeping the best model of a run: after each epoch, decide whether it is the best so far and, if
 * so, hand the checkpoint's parts to a writer. Browser-safe: the writer decides where the parts go
 * (in Node, `saveCheckpoint` from `seqtorch/io/node`; in a browser, IndexedDB or a download).
 */
import { bundleToParts, type BundleConfig, type TextModelBundle } from "../models/bundle.js";
import type { Tensor } from "../tensor.js";
import type { VocabJSON } from "../text/vocab.js";
import type { EpochResult, Task } from "./fit.js";

/** What a checkpoint holds: `config.json`, `model.safetensors` and `vocab.json`, in memory. */
export interface CheckpointParts {
  config: BundleConfig;
  stateDict: Record<string, Tensor>;
  vocab: VocabJSON;
}

/**
 * Stores the checkpoint somewhere; may be async. `files` are extra files to keep beside the model
 * (training curves, a resumable training state). In Node: `(parts, files) => saveCheckpoint(dir, { ...parts, files })`.
 */
export type CheckpointWriter = (parts: CheckpointParts, files: Record<string, string | Uint8Array>) => void | Promise<void>;

/** How a saved model scored: what decides whether another model is better. */
export interface CheckpointScore {
  valLoss: number | null;
  valAccuracy: number | null;
  trainLoss: number;
}

/** An epoch's scores. */
export const scoreOf = (e: EpochResult): CheckpointScore => ({ valLoss: e.val?.loss ?? null, valAccuracy: e.val?.accuracy ?? null, trainLoss: e.trainLoss });

/**
 * Whether `a` beats `b` by `fit`'s measure: validation accuracy (classification), ties broken by the
 * validation loss; regression by the validation loss; without validation, by the training loss.
 * Anything beats no model (`b` null); a non-finite loss beats nothing.
 */
export function betterThan(task: Task, a: CheckpointScore, b: CheckpointScore | null): boolean {
  const loss = (x: CheckpointScore): number => x.valLoss ?? x.trainLoss;
  if (!Number.isFinite(loss(a))) return false;
  if (!b) return true;
  const score = (x: CheckpointScore): number => (task === "classification" && x.valAccuracy !== null ? x.valAccuracy : -loss(x));
  return score(a) > score(b) || (score(a) === score(b) && loss(a) < loss(b));
}

export interface BestCheckpointOptions {
  /**
   * More facts about the run for the config's `training` record (e.g. the options it ran with),
   * after the epoch, its validation loss and its validation accuracy.
   */
  training?: Record<string, unknown>;
  /**
   * The model the checkpoint holds already (an earlier run's, or the one of the run being
   * resumed) and its scores: an epoch replaces it only by beating it. Compare only models scored
   * on the same validation data.
   */
  incumbent?: { parts: CheckpointParts; score: CheckpointScore };
}

/**
 * Keeps the best model in a checkpoint: after each epoch it writes the checkpoint, with that epoch's
 * model when it beats the model kept so far (`betterThan`) and with the kept model otherwise, plus
 * the extra files given (so training curves and a resumable state stay in step with the model, in
 * one write). The checkpoint always holds the best model, a worse epoch or run never replaces it,
 * and a stopped run loses nothing. The model is copied when it becomes the best, so call `update`
 * from `onEpoch`, before training continues.
 *
 * @example
 * const keeper = new BestCheckpoint(bundle, (parts, files) => saveCheckpoint("runs/names", { ...parts, files }));
 * await fit(model, train, val, { ...options, onEpoch: async (e) => { await keeper.update(e); } });
 * keeper.best?.epoch; // the epoch of this run now on disk (null if none beat the incumbent)
 */
export class BestCheckpoint {
  private bestEpoch: EpochResult | null = null;
  private keptParts: CheckpointParts | null;
  private keptScore: CheckpointScore | null;

  constructor(
    readonly bundle: TextModelBundle,
    private readonly write: CheckpointWriter,
    private readonly options: BestCheckpointOptions = {},
  ) {
    this.keptParts = options.incumbent?.parts ?? null;
    this.keptScore = options.incumbent?.score ?? null;
  }

  /** The epoch of this run whose model the checkpoint holds, or null (nothing written, or the incumbent kept). */
  get best(): EpochResult | null {
    return this.bestEpoch;
  }

  /** The scores of the model the checkpoint holds, or null before anything is kept. */
  get score(): CheckpointScore | null {
    return this.keptScore;
  }

  /** The parts of the model kept (the checkpoint's content after the last write), or null. */
  get kept(): CheckpointParts | null {
    return this.keptParts;
  }

  /** Whether `e`'s model would replace the one kept. */
  shouldSave(e: EpochResult): boolean {
    return betterThan(this.bundle.task, scoreOf(e), this.keptScore);
  }

  /**
   * The parts for epoch `e`: the bundle, with the epoch and its scores in `config.training` (then
   * `options.training`, then `training`), its tensors copied.
   */
  parts(e: EpochResult, training: Record<string, unknown> = {}): CheckpointParts {
    const { config, stateDict, vocab } = bundleToParts(this.bundle, {
      epoch: e.epoch,
      valLoss: e.val?.loss ?? null,
      valAccuracy: e.val?.accuracy ?? null,
      trainLoss: e.trainLoss,
      ...this.options.training,
      ...training,
    });
    return { stateDict: Object.fromEntries(Object.entries(stateDict).map(([k, t]) => [k, t.clone()])), config, vocab };
  }

  /**
   * Writes the checkpoint after epoch `e`: `e`'s model if it beats the kept one (with `training`
   * added to its config's record), else the kept one; `files` beside it. Says whether `e`'s model
   * was written. When nothing is kept and `e` does not qualify (a non-finite loss), nothing is written.
   */
  async update(e: EpochResult, extra: { files?: Record<string, string | Uint8Array>; training?: Record<string, unknown> } = {}): Promise<boolean> {
    const better = this.shouldSave(e);
    const parts = better ? this.parts(e, extra.training) : this.keptParts;
    if (!parts) return false;
    await this.write(parts, extra.files ?? {});
    if (better) {
      this.keptParts = parts;
      this.keptScore = scoreOf(e);
      this.bestEpoch = e;
    }
    return better;
  }
}

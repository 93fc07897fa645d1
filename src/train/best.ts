/**
 * Keeping the best model of a run: after each epoch, decide whether it is the best so far and, if
 * so, hand the checkpoint's parts to a writer. Browser-safe: the writer decides where the parts go
 * (in Node, `saveCheckpoint` from `seqtorch/io/node`; in a browser, IndexedDB or a download).
 */
import { bundleToParts, type BundleConfig, type TextModelBundle } from "../models/bundle.js";
import type { Tensor } from "../tensor.js";
import type { VocabJSON } from "../text/vocab.js";
import type { EpochResult } from "./fit.js";

/** What a checkpoint holds: `config.json`, `model.safetensors` and `vocab.json`, in memory. */
export interface CheckpointParts {
  config: BundleConfig;
  stateDict: Record<string, Tensor>;
  vocab: VocabJSON;
}

/** Stores the parts somewhere; may be async. `(parts) => saveCheckpoint(dir, parts)` in Node. */
export type CheckpointWriter = (parts: CheckpointParts) => void | Promise<void>;

export interface BestCheckpointOptions {
  /**
   * More facts about the run for the config's `training` record (e.g. the options it ran with),
   * after the epoch, its validation loss and its validation accuracy.
   */
  training?: Record<string, unknown>;
}

/**
 * Writes the bundle whenever an epoch is the best so far, by `fit`'s measure (`EpochResult.best`:
 * validation accuracy, ties broken by validation loss; regression: validation loss), so that the
 * checkpoint always holds the best model and a stopped run loses nothing. Epochs that are not the
 * best write nothing. The bundle's model is saved as it is when `update` is called, so call it from
 * `onEpoch`, before training continues.
 *
 * @example
 * const keeper = new BestCheckpoint(bundle, (parts) => saveCheckpoint("runs/names", parts));
 * await fit(model, train, val, { ...options, onEpoch: async (e) => { await keeper.update(e); } });
 * keeper.best?.epoch; // the epoch now on disk
 */
export class BestCheckpoint {
  private bestEpoch: EpochResult | null = null;

  constructor(
    readonly bundle: TextModelBundle,
    private readonly write: CheckpointWriter,
    private readonly options: BestCheckpointOptions = {},
  ) {}

  /** The epoch last written, or null before the first. */
  get best(): EpochResult | null {
    return this.bestEpoch;
  }

  /** Whether `e` should replace the checkpoint. */
  shouldSave(e: EpochResult): boolean {
    return e.best;
  }

  /** The parts written for epoch `e`: the bundle, with the epoch and its validation scores in `config.training`. */
  parts(e: EpochResult): CheckpointParts {
    const { config, stateDict, vocab } = bundleToParts(this.bundle, {
      epoch: e.epoch,
      valLoss: e.val?.loss ?? null,
      valAccuracy: e.val?.accuracy ?? null,
      ...this.options.training,
    });
    return { stateDict, config, vocab };
  }

  /** Writes the checkpoint when `e` is the best epoch so far; says whether it did. */
  async update(e: EpochResult): Promise<boolean> {
    if (!this.shouldSave(e)) return false;
    await this.write(this.parts(e));
    this.bestEpoch = e;
    return true;
  }
}

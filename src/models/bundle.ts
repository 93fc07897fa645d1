/**
 * A trained text model with everything needed to use it again: the network, the tokenizer, the
 * vocabulary, the label names and the task. `bundleToParts` and `bundleFromParts` turn it into the
 * three pieces a checkpoint directory stores (config.json, model.safetensors, vocab.json) and back,
 * with errors that say what does not fit. Browser-safe; `seqtorch/io/node` writes the files.
 */
import type { StateDictInput } from "../nn/module.js";
import type { Tensor } from "../tensor.js";
import { tokenizerFromJSON, type Tokenizer, type TokenizerConfig } from "../text/tokenizer.js";
import { Vocab, type VocabJSON } from "../text/vocab.js";
import { SequenceRegressor, TextClassifier, type SequenceRegressorOptions, type TextClassifierOptions } from "./text.js";

export const BUNDLE_FORMAT = "seqtorch-text-model";
export const BUNDLE_VERSION = 1;

export type TextModel = TextClassifier | SequenceRegressor;

export interface TextModelBundle {
  task: "classification" | "regression";
  model: TextModel;
  tokenizer: Tokenizer;
  vocab: Vocab;
  /** Class names by index (classification), or target column names (regression). */
  labels: string[];
  /** Sequences are truncated to this many tokens (null: no limit). */
  maxLen: number | null;
}

export interface BundleConfig {
  format: typeof BUNDLE_FORMAT;
  version: number;
  task: "classification" | "regression";
  model: TextClassifierOptions | SequenceRegressorOptions;
  tokenizer: TokenizerConfig;
  labels: string[];
  maxLen: number | null;
  /** Free-form facts about the run that produced it (epoch, metrics, options). */
  training?: Record<string, unknown>;
}

export function bundleToParts(bundle: TextModelBundle, training?: Record<string, unknown>): { config: BundleConfig; stateDict: Record<string, Tensor>; vocab: VocabJSON } {
  return {
    config: {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      task: bundle.task,
      model: bundle.model.config(),
      tokenizer: bundle.tokenizer.toJSON(),
      labels: bundle.labels,
      maxLen: bundle.maxLen,
      ...(training ? { training } : {}),
    },
    stateDict: bundle.model.stateDict(),
    vocab: bundle.vocab.toJSON(),
  };
}

/** Rebuilds a bundle; throws a one-line error naming what does not match. */
export function bundleFromParts(parts: { config: unknown; stateDict: StateDictInput; vocab: unknown }): TextModelBundle {
  const c = parts.config as Partial<BundleConfig> | null;
  if (!c || typeof c !== "object" || c.format !== BUNDLE_FORMAT) {
    throw new Error(`not a seqtorch text model: config.json has format ${JSON.stringify(c && typeof c === "object" ? c.format : c)}, expected "${BUNDLE_FORMAT}"`);
  }
  if (c.version !== BUNDLE_VERSION) throw new Error(`unsupported text model version ${JSON.stringify(c.version)} (this seqtorch reads version ${BUNDLE_VERSION})`);
  if (c.task !== "classification" && c.task !== "regression") throw new Error(`config.json: unknown task ${JSON.stringify(c.task)}`);
  if (!Array.isArray(c.labels) || !c.model || !c.tokenizer) throw new Error("config.json: missing model, tokenizer or labels");
  if (parts.vocab === undefined) throw new Error("the checkpoint has no vocab.json");
  const vocab = Vocab.fromJSON(parts.vocab as VocabJSON);
  const tokenizer = tokenizerFromJSON(c.tokenizer);
  if (c.model.vocabSize !== vocab.size) {
    throw new Error(`the model expects a vocabulary of ${c.model.vocabSize} tokens but vocab.json has ${vocab.size}`);
  }
  const model = c.task === "classification" ? new TextClassifier(c.model as TextClassifierOptions) : new SequenceRegressor(c.model as SequenceRegressorOptions);
  try {
    model.loadStateDict(parts.stateDict);
  } catch (e) {
    throw new Error(`the weights do not fit the model described by config.json (${(e as Error).message.replace(/^loadStateDict: /, "")})`);
  }
  return { task: c.task, model, tokenizer, vocab, labels: c.labels, maxLen: c.maxLen ?? null };
}

/** Tokenizes and encodes `texts` with the bundle's tokenizer, vocabulary and length limit. */
export function encodeTexts(bundle: Pick<TextModelBundle, "tokenizer" | "vocab" | "maxLen">, texts: readonly string[]): number[][] {
  return texts.map((t) => {
    const ids = bundle.vocab.encode(bundle.tokenizer.tokenize(t));
    return bundle.maxLen ? ids.slice(0, bundle.maxLen) : ids;
  });
}

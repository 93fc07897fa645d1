/**
 * A trained text model with everything needed to use it again: the network, the tokenizer, the
 * vocabulary, the label names and the task. `bundleToParts` and `bundleFromParts` turn it into the
 * three pieces a checkpoint directory stores (config.json, model.safetensors, vocab.json) and back,
 * with errors that say what does not fit. Browser-safe; `seqtorch/io/node` writes the files.
 */
import { oneLine } from "../message.js";
import type { StateDictInput } from "../nn/module.js";
import type { Tensor } from "../tensor.js";
import { tokenizerFromJSON, type Tokenizer } from "../text/tokenizer.js";
import { Vocab, type VocabJSON } from "../text/vocab.js";
import { BUNDLE_FORMAT, BUNDLE_VERSION, checkBundleConfig, checkWeightShapes, ConfigError, type BundleConfig } from "./config-schema.js";
import { SequenceRegressor, TextClassifier, type SequenceRegressorOptions, type TextClassifierOptions } from "./text.js";

export { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleConfig } from "./config-schema.js";

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

/**
 * Rebuilds a bundle. config.json is checked field by field and against the weights' shapes before
 * the model is built, and every weight must be finite; each failure is a one-line `ConfigError`.
 */
export function bundleFromParts(parts: { config: unknown; stateDict: StateDictInput; vocab: unknown }): TextModelBundle {
  const c = checkBundleConfig(parts.config);
  checkWeightShapes(c, Object.fromEntries(Object.entries(parts.stateDict).map(([k, t]) => [k, t.shape])));
  checkFinite(parts.stateDict);
  if (parts.vocab === undefined) throw new ConfigError("vocab.json", "missing: the checkpoint has no vocab.json");
  let vocab: Vocab;
  try {
    vocab = Vocab.fromJSON(parts.vocab as VocabJSON);
  } catch (e) {
    throw new ConfigError("vocab.json", (e as Error).message.replace(/^Vocab\.fromJSON: /, ""));
  }
  if (c.model.vocabSize !== vocab.size) {
    throw new ConfigError("config.json", `vocabSize is ${c.model.vocabSize} but vocab.json has ${vocab.size} tokens`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromJSON(c.tokenizer);
  } catch (e) {
    throw new ConfigError("config.json", `tokenizer: ${(e as Error).message.replace(/^\w+: /, "")}`);
  }
  const model = c.task === "classification" ? new TextClassifier(c.model as TextClassifierOptions) : new SequenceRegressor(c.model as SequenceRegressorOptions);
  try {
    model.loadStateDict(parts.stateDict);
  } catch (e) {
    throw new ConfigError("model.safetensors", `the weights do not fit the model described by config.json (${oneLine((e as Error).message).replace(/^loadStateDict: /, "")})`);
  }
  return { task: c.task, model, tokenizer, vocab, labels: c.labels, maxLen: c.maxLen };
}

/** Throws naming the first tensor holding NaN or ±Inf, and the flat index of its first bad value. */
export function checkFinite(stateDict: StateDictInput): void {
  for (const [key, t] of Object.entries(stateDict)) {
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new ConfigError("model.safetensors", `tensor "${key}" contains ${data[i]} at flat index ${i}; the weights are unusable`);
    }
  }
}

/** Tokenizes and encodes `texts` with the bundle's tokenizer, vocabulary and length limit. */
export function encodeTexts(bundle: Pick<TextModelBundle, "tokenizer" | "vocab" | "maxLen">, texts: readonly string[]): number[][] {
  return texts.map((t) => {
    const ids = bundle.vocab.encode(bundle.tokenizer.tokenize(t));
    return bundle.maxLen ? ids.slice(0, bundle.maxLen) : ids;
  });
}

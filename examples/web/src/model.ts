// The model the panels share: the one trained in the worker (after each epoch) or loaded from a
// checkpoint. Anything that shows a model subscribes with `onModel`.
import { io, models, train as tr } from "seqtorch";
import type { ModelParts } from "./protocol";

export interface CurrentModel {
  bundle: models.TextModelBundle;
  /** Where it came from, for the page. */
  what: string;
}

let current: CurrentModel | null = null;
const listeners: ((m: CurrentModel) => void)[] = [];

export function currentModel(): CurrentModel | null {
  return current;
}

export function onModel(fn: (m: CurrentModel) => void): void {
  listeners.push(fn);
}

/** Builds the model from a checkpoint's three parts (checked as `seqtorch predict` checks them) and makes it current. */
export function setModel(parts: ModelParts, what: string): CurrentModel {
  const bundle = models.bundleFromParts({ config: parts.config, stateDict: io.parseSafetensors(parts.weights).tensors, vocab: parts.vocab });
  bundle.model.eval();
  current = { bundle, what };
  for (const fn of listeners) fn(current);
  return current;
}

/** Class probabilities for one text: [label, probability] sorted, most likely first. */
export function predict(m: CurrentModel, text: string): [string, number][] {
  const { bundle } = m;
  const ids = models.encodeTexts(bundle, [text]);
  if (bundle.task !== "classification") {
    const ev = tr.evaluate(bundle.model, { ids, targets: [[0]] }, { task: "regression" });
    return [[bundle.labels[0] ?? "value", (ev.predictions[0] as number[])[0]!]];
  }
  const ev = tr.evaluate(bundle.model, { ids, targets: [0] }, { task: "classification" });
  const probs = ev.probabilities![0]!;
  return bundle.labels.map((l, i): [string, number] => [l, probs[i]!]).sort((a, b) => b[1] - a[1]);
}

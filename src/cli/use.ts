/** `seqtorch predict`, `seqtorch eval` and `seqtorch params`: using a checkpoint. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type cells, data, models, nn, train as tr } from "../index.js";
import { readTable } from "../data/node.js";
import { loadCheckpoint } from "../io/node.js";
import { CliError, pct } from "./output.js";

/** Loads a checkpoint, checking config.json against the weights' header before building anything (bundleFromParts checks finiteness). */
export async function loadBundle(dir: string): Promise<models.TextModelBundle> {
  try {
    const check = (config: unknown, shapes: Record<string, number[]>): void => models.checkWeightShapes(models.checkBundleConfig(config), shapes);
    const bundle = models.bundleFromParts(await loadCheckpoint(dir, { check, allowNonfinite: true }));
    bundle.model.eval();
    return bundle;
  } catch (e) {
    if (e instanceof models.ConfigError) throw new CliError(`${join(dir, e.file)}: ${e.detail}`);
    throw e;
  }
}

function readStdinLines(): string[] {
  if (process.stdin.isTTY) throw new CliError("give texts as arguments or on standard input, one per line", 2);
  return readFileSync(0, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
}

export async function predictCommand(texts: string[], opts: { checkpoint: string; json: boolean; top?: number }): Promise<void> {
  const bundle = await loadBundle(opts.checkpoint);
  const inputs = texts.length ? texts : readStdinLines();
  if (inputs.length === 0) throw new CliError("nothing to predict: no texts given", 2);
  const ids = models.encodeTexts(bundle, inputs);
  const targets = bundle.task === "classification" ? ids.map(() => 0) : ids.map(() => [0]);
  const evaluation = tr.evaluate(bundle.model, { ids, targets }, { task: bundle.task });
  inputs.forEach((textIn, i) => {
    if (bundle.task === "classification") {
      const probs = evaluation.probabilities![i]!;
      const k = evaluation.predictions[i] as number;
      if (opts.json) {
        const scores = Object.fromEntries(bundle.labels.map((l, j) => [l, probs[j]!]));
        process.stdout.write(`${JSON.stringify({ text: textIn, label: bundle.labels[k], probability: probs[k], scores })}\n`);
      } else {
        process.stdout.write(`${bundle.labels[k]}\t${probs[k]!.toFixed(3)}\t${textIn}\n`);
      }
    } else {
      const v = (evaluation.predictions[i] as number[])[0]!;
      process.stdout.write(opts.json ? `${JSON.stringify({ text: textIn, value: v })}\n` : `${v.toFixed(4)}\t${textIn}\n`);
    }
  });
}

export async function evalCommand(opts: { checkpoint: string; data: string; textCol: string; labelCol: string; json: boolean }): Promise<void> {
  const bundle = await loadBundle(opts.checkpoint);
  const table = readTable(opts.data);
  const { texts, labels } = data.selectColumns(table.rows, { textCol: opts.textCol, labelCol: opts.labelCol });
  if (texts.length === 0) throw new CliError(`no rows with text in column "${opts.textCol}" of ${opts.data}`);
  const ids = models.encodeTexts(bundle, texts);
  const { targets } = tr.encodeLabels(labels, { task: bundle.task, column: opts.labelCol, classes: bundle.task === "classification" ? bundle.labels : undefined });
  const ev = tr.evaluate(bundle.model, { ids, targets }, { task: bundle.task });
  if (bundle.task === "regression") {
    process.stdout.write(opts.json ? `${JSON.stringify({ examples: texts.length, mse: ev.loss })}\n` : `${texts.length} examples: MSE ${ev.loss.toFixed(4)}\n`);
    return;
  }
  const m = tr.classificationSummary(targets, ev.predictions as number[], bundle.labels.length);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ examples: texts.length, loss: ev.loss, accuracy: m.accuracy, macroF1: m.macroF1, majorityBaseline: m.majorityBaseline, confusionMatrix: m.confusionMatrix, labels: bundle.labels })}\n`);
    return;
  }
  process.stdout.write(`${texts.length} examples: loss ${ev.loss.toFixed(4)}, accuracy ${pct(m.accuracy)} (majority baseline ${pct(m.majorityBaseline)}), macro-F1 ${m.macroF1.toFixed(3)}\n\n`);
  process.stdout.write(`${tr.classificationReport(m.confusionMatrix, bundle.labels)}\n\n${tr.formatConfusionMatrix(m.confusionMatrix, bundle.labels)}\n`);
}

export async function paramsCommand(opts: { checkpoint?: string; json: boolean; model: { vocabSize: number; numClasses: number; embeddingDim: number; hiddenSize: number; cell: cells.CellKind; numLayers: number; bidirectional: boolean } }): Promise<void> {
  const model = opts.checkpoint ? (await loadBundle(opts.checkpoint)).model : new models.TextClassifier(opts.model);
  const rnn = model.encoder.rnn;
  const exact = nn.countParameters(model);
  const recurrent = nn.countParameters(rnn);
  const formula = nn.tutorialParameterCount(rnn);
  if (opts.json) {
    const params = model.namedParameters().map(([name, p]) => ({ name, shape: [...p.shape], count: p.numel() }));
    process.stdout.write(`${JSON.stringify({ total: exact, recurrent, recurrentTutorialFormula: formula, parameters: params })}\n`);
    return;
  }
  process.stdout.write(`${nn.summary(model)}\n`);
}

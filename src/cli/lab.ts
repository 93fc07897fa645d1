/** `seqtorch gradflow` and `seqtorch lab`: the gradient lab on the command line. */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { cells as cellTable, setNumThreads, train as tr } from "../index.js";
import { writeFileAtomic } from "../io/node.js";
import { CliError } from "./output.js";

function parseCells(list: string): cellTable.CellKind[] {
  const cells = list.split(",").map((c) => c.trim()).filter(Boolean);
  for (const c of cells) {
    if (!cellTable.isCellKind(c)) throw new CliError(`unknown cell "${c}"; choose from ${cellTable.CELL_KINDS.join(", ")}`, 2);
  }
  if (cells.length === 0) throw new CliError("--cells needs at least one cell", 2);
  return cells as cellTable.CellKind[];
}

export interface GradflowArgs {
  cells: string;
  task: tr.LabTask;
  length: number;
  hiddenSize: number;
  batchSize: number;
  initScale: number;
  gateBias: number;
  clipNorm?: number;
  clipValue?: number;
  seed: number;
  out: string;
  json: boolean;
}

export async function gradflowCommand(a: GradflowArgs): Promise<void> {
  const result = tr.compareGradientFlow({
    cells: parseCells(a.cells), task: a.task, length: a.length, hiddenSize: a.hiddenSize, batchSize: a.batchSize,
    initScale: a.initScale, gateBias: a.gateBias, clipNorm: a.clipNorm ?? null, clipValue: a.clipValue ?? null, seed: a.seed,
  });
  const dir = resolve(a.out);
  await mkdir(dir, { recursive: true });
  const svgPath = join(dir, "gradflow.svg");
  const jsonPath = join(dir, "gradflow.json");
  await writeFileAtomic(svgPath, tr.gradflowSvg(result));
  await writeFileAtomic(jsonPath, `${JSON.stringify(result, null, 1)}\n`);
  if (a.json) {
    process.stdout.write(`${JSON.stringify({ svg: svgPath, json: jsonPath, ...result })}\n`);
    return;
  }
  const clipping = a.clipNorm || a.clipValue;
  process.stdout.write(`gradient of the loss with respect to the hidden state, ${a.task} task, T = ${a.length}, fresh models (W_hh x ${a.initScale}, gate bias ${a.gateBias})\n`);
  for (const c of result.cells) {
    const last = c.byDistance.length - 1;
    const orders = Math.log10(c.decay);
    const clip = clipping ? `; update norm ${c.gradNorm.toPrecision(3)} -> ${c.gradNormClipped.toPrecision(3)} after clipping` : `; update norm ${c.gradNorm.toPrecision(3)}`;
    process.stdout.write(`${c.cell.padEnd(9)} at the loss ${c.byDistance[0]!.toExponential(2)}, ${last} steps back ${c.byDistance[last]!.toExponential(2)} (${orders >= 0 ? "+" : ""}${orders.toFixed(1)} orders of magnitude)${clip}\n`);
  }
  process.stdout.write(`plot ${svgPath}\nnumbers ${jsonPath}\n`);
}

export interface LabArgs {
  task: tr.LabTask;
  cell: string;
  length: number;
  hiddenSize: number;
  batchSize: number;
  lr: number;
  steps: number;
  minutes?: number;
  until?: number;
  gateBias: number;
  clipNorm?: number;
  threads: number;
  seed: number;
  json: boolean;
}

export async function labCommand(a: LabArgs): Promise<void> {
  const [cell] = parseCells(a.cell);
  setNumThreads(a.threads);
  const baseline = tr.taskBaseline(a.task, a.length);
  const metric = a.task === "adding" ? "MSE" : "cross-entropy";
  const log = (s: string): void => {
    if (!a.json) process.stdout.write(`${s}\n`);
  };
  log(`${a.task} task, T = ${a.length}, ${cell} with hidden ${a.hiddenSize}, batch ${a.batchSize}, Adam lr ${a.lr}; baseline ${metric} ${baseline.toFixed(4)}`);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.on("SIGINT", onSigint);
  let result: tr.LabResult;
  try {
    result = await tr.runLab({
      task: a.task, cell: cell!, length: a.length, hiddenSize: a.hiddenSize, batchSize: a.batchSize, lr: a.lr,
      steps: a.steps, timeLimit: a.minutes !== undefined ? a.minutes * 60 : undefined, until: a.until,
      gateBias: a.gateBias, clipNorm: a.clipNorm ?? null, seed: a.seed, signal: controller.signal,
      onProgress: (p) => {
        if (p.testLoss !== null) log(`step ${String(p.step).padStart(6)}  ${p.seconds.toFixed(1).padStart(7)}s  train ${Number.isNaN(p.trainLoss) ? "-" : p.trainLoss.toFixed(4)}  test ${metric} ${p.testLoss.toFixed(4)}`);
      },
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  const beat = result.testLoss < baseline;
  if (a.json) {
    process.stdout.write(`${JSON.stringify({ task: a.task, cell, length: a.length, ...result })}\n`);
    return;
  }
  log(`result: test ${metric} ${result.testLoss.toFixed(4)} after ${result.steps} steps (${result.seconds.toFixed(0)} s, stopped by ${result.stopped}); baseline ${baseline.toFixed(4)}: ${beat ? `${(baseline / Math.max(result.testLoss, 1e-12)).toFixed(1)}x better` : "not better than the baseline"}`);
}

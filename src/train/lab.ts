/**
 * The gradient lab: small recurrent models on the long-range tasks (adding problem, copy memory),
 * trained or inspected with `gradientFlow`. What `seqtorch lab` and `seqtorch gradflow` run.
 * Browser-safe.
 */
import { ADDING_BASELINE_MSE, addingProblem, copyBaseline, copyMemory, COPY_VOCAB } from "../data/tasks.js";
import * as nn from "../nn/index.js";
import { noGrad } from "../autograd.js";
import { Generator, manualSeed } from "../random.js";
import type { Tensor } from "../tensor.js";
import { makeOptimizer, type OptimizerName } from "./fit.js";
import { svgLineChart } from "./plot.js";

export type LabTask = "adding" | "copy";
export type LabCell = "rnn" | "lstm" | "gru" | "rnn-relu" | "rnn-leaky";
/** Every cell the lab can build: tanh RNN, LSTM, GRU, ReLU RNN and leaky-ReLU RNN. */
export const LAB_CELLS: readonly LabCell[] = ["rnn", "lstm", "gru", "rnn-relu", "rnn-leaky"];

/** A recurrent layer with the task's input and output heads. */
export class TaskModel extends nn.Module {
  readonly embed: nn.Embedding | null;
  readonly rnn: nn.RNNBase;
  readonly head: nn.Linear;
  /**
   * `gateBias` sets the LSTM forget gate's bias (the GRU update gate's) at initialisation, so the
   * gate starts near σ(gateBias) and the cell (or state) is carried over; 0 keeps PyTorch's init.
   */
  constructor(readonly task: LabTask, readonly cell: LabCell, readonly hiddenSize: number, numLayers = 1, gateBias = 0) {
    super();
    const inputSize = task === "adding" ? 2 : 16;
    this.embed = task === "copy" ? this.registerModule("embed", new nn.Embedding(COPY_VOCAB, 16)) : null;
    const o = { batchFirst: true, numLayers };
    const rnn =
      cell === "lstm" ? new nn.LSTM(inputSize, hiddenSize, o)
      : cell === "gru" ? new nn.GRU(inputSize, hiddenSize, o)
      : new nn.RNN(inputSize, hiddenSize, { ...o, nonlinearity: cell === "rnn" ? "tanh" : cell === "rnn-relu" ? "relu" : "leakyRelu" });
    this.rnn = this.registerModule("rnn", rnn);
    if (gateBias !== 0 && (cell === "lstm" || cell === "gru")) {
      // Gate blocks: LSTM i, f, g, o (forget = block 1); GRU r, z, n (update = block 1).
      for (const [name, p] of rnn.namedParameters()) {
        if (name.startsWith("bias_ih")) p.data.fill(gateBias, hiddenSize, 2 * hiddenSize);
        if (name.startsWith("bias_hh")) p.data.fill(0, hiddenSize, 2 * hiddenSize);
      }
    }
    this.head = this.registerModule("head", new nn.Linear(hiddenSize, task === "adding" ? 1 : COPY_VOCAB));
  }

  /** Adding: `[N, T, 2]` to `[N, 1]` from the last step. Copy: int32 `[N, L]` to scores `[N, L, 10]`. */
  forward(input: Tensor): Tensor {
    const x = this.embed ? this.embed.forward(input) : input;
    const [out] = this.rnn instanceof nn.LSTM ? this.rnn.forward(x) : (this.rnn as nn.GRU).forward(x);
    return this.task === "adding" ? this.head.forward(out.select(1, -1)) : this.head.forward(out);
  }

  /** Mean squared error (adding) or per-step cross-entropy (copy). */
  loss(output: Tensor, target: Tensor): Tensor {
    if (this.task === "adding") return nn.functional.mseLoss(output, target);
    return nn.functional.crossEntropy(output.reshape([-1, COPY_VOCAB]), target.reshape([-1]));
  }
}

/** The score of a model that ignores its input: 1/6 (adding) or 10·ln 8 / (T + 20) (copy). */
export function taskBaseline(task: LabTask, T: number): number {
  return task === "adding" ? ADDING_BASELINE_MSE : copyBaseline(T);
}

function makeBatch(task: LabTask, n: number, T: number, g: Generator): { input: Tensor; target: Tensor } {
  return task === "adding" ? addingProblem(n, T, g) : copyMemory(n, T, g);
}

export interface LabOptions {
  task: LabTask;
  cell: LabCell;
  length: number;
  hiddenSize?: number;
  numLayers?: number;
  /** Initial LSTM forget-gate / GRU update-gate bias (default 0: PyTorch's init). */
  gateBias?: number;
  batchSize?: number;
  optimizer?: OptimizerName;
  lr?: number;
  clipNorm?: number | null;
  /** Stop after this many training steps (default 10000). */
  steps?: number;
  /** Stop after this many seconds of training. */
  timeLimit?: number;
  /** Stop once the test loss is below this. */
  until?: number;
  evalEvery?: number;
  testSize?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: LabProgress) => void;
}

export interface LabProgress {
  step: number;
  trainLoss: number;
  testLoss: number | null;
  seconds: number;
}

export interface LabResult {
  steps: number;
  seconds: number;
  testLoss: number;
  baseline: number;
  history: { step: number; seconds: number; testLoss: number }[];
  stopped: "steps" | "time" | "target" | "signal";
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Trains a fresh model on fresh batches of the task, evaluating on a fixed test set. */
export async function runLab(o: LabOptions): Promise<LabResult> {
  const { task, cell, length: T, hiddenSize = 128, batchSize = 64, lr = 1e-3, steps = 10000, evalEvery = 100, testSize = 1000, seed = 0 } = o;
  manualSeed(seed);
  const model = new TaskModel(task, cell, hiddenSize, o.numLayers ?? 1, o.gateBias ?? 0);
  const params = model.parameters();
  const opt = makeOptimizer(o.optimizer ?? "adam", params, lr);
  const trainGen = new Generator(seed + 1);
  const test = makeBatch(task, testSize, T, new Generator(seed + 2));
  const evaluate = (): number => noGrad(() => {
    model.eval();
    let total = 0;
    for (let s = 0; s < testSize; s += 250) {
      const n = Math.min(250, testSize - s);
      total += model.loss(model.forward(test.input.narrow(0, s, n)), test.target.narrow(0, s, n)).item() * n;
    }
    model.train();
    return total / testSize;
  });
  const history: LabResult["history"] = [];
  const t0 = performance.now();
  let step = 0;
  let testLoss = evaluate();
  let stopped: LabResult["stopped"] = "steps";
  history.push({ step: 0, seconds: 0, testLoss });
  o.onProgress?.({ step: 0, trainLoss: NaN, testLoss, seconds: 0 });
  while (step < steps) {
    const batch = makeBatch(task, batchSize, T, trainGen);
    const loss = model.loss(model.forward(batch.input), batch.target);
    opt.zeroGrad();
    loss.backward();
    if (o.clipNorm) nn.utils.clipGradNorm_(params, o.clipNorm);
    opt.step();
    step++;
    const seconds = (performance.now() - t0) / 1000;
    const evalNow = step % evalEvery === 0;
    if (evalNow) {
      testLoss = evaluate();
      history.push({ step, seconds, testLoss });
    }
    o.onProgress?.({ step, trainLoss: loss.item(), testLoss: evalNow ? testLoss : null, seconds });
    if (evalNow && o.until !== undefined && testLoss < o.until) {
      stopped = "target";
      break;
    }
    if (o.timeLimit !== undefined && seconds > o.timeLimit) {
      stopped = "time";
      break;
    }
    if (step % 4 === 0) await tick();
    if (o.signal?.aborted) {
      stopped = "signal";
      break;
    }
  }
  if (history[history.length - 1]!.step !== step) {
    testLoss = evaluate();
    history.push({ step, seconds: (performance.now() - t0) / 1000, testLoss });
  }
  return { steps: step, seconds: (performance.now() - t0) / 1000, testLoss, baseline: taskBaseline(task, T), history, stopped };
}

export interface GradflowOptions {
  cells: LabCell[];
  task?: LabTask;
  length: number;
  hiddenSize?: number;
  batchSize?: number;
  /** Multiply every recurrent weight matrix (W_hh) by this after initialisation. */
  initScale?: number;
  /** Initial LSTM forget-gate / GRU update-gate bias (0: PyTorch's init). */
  gateBias?: number;
  clipNorm?: number | null;
  clipValue?: number | null;
  seed?: number;
}

export interface GradflowCell {
  cell: LabCell;
  loss: number;
  /** `norms[d]`: norm of d loss / d h at distance d from the loss (the last step; d = T - 1 - t). */
  byDistance: number[];
  /** Ratio of the gradient norm at the far end to the one at the loss. */
  decay: number;
  /** Global norm of all parameter gradients, before and after clipping. */
  gradNorm: number;
  gradNormClipped: number;
}

export interface GradflowResult {
  task: LabTask;
  length: number;
  initScale: number;
  gateBias: number;
  cells: GradflowCell[];
}

/**
 * For each cell: a freshly initialised model on one batch of the task, one backward pass, the
 * hidden-state gradient norm at every distance from the loss, and what clipping does to the update.
 * Trains nothing.
 */
export function compareGradientFlow(o: GradflowOptions): GradflowResult {
  const { task = "adding", length: T, hiddenSize = 64, batchSize = 32, initScale = 1, seed = 0 } = o;
  const cells: GradflowCell[] = [];
  for (const cell of o.cells) {
    manualSeed(seed);
    const model = new TaskModel(task, cell, hiddenSize, 1, o.gateBias ?? 0);
    if (initScale !== 1) {
      noGrad(() => {
        for (const [name, p] of model.rnn.namedParameters()) if (name.startsWith("weight_hh")) p.data.set(p.mul(initScale).data);
      });
    }
    const batch = makeBatch(task, batchSize, T, new Generator(seed + 7));
    const flow = nn.gradientFlow(model, batch, (out, y) => model.loss(out, y));
    const norms = flow.hidden[0]!.norms;
    const byDistance = norms.map((_, d) => norms[T - 1 - d]!);
    const params = model.parameters();
    const total = (): number => Math.sqrt(params.reduce((s, p) => s + (p.grad ? p.grad.square().sum().item() : 0), 0));
    const gradNorm = total();
    if (o.clipValue) nn.utils.clipGradValue_(params, o.clipValue);
    if (o.clipNorm) nn.utils.clipGradNorm_(params, o.clipNorm);
    cells.push({ cell, loss: flow.loss, byDistance, decay: byDistance[T - 1]! / byDistance[0]!, gradNorm, gradNormClipped: total() });
  }
  return { task, length: T, initScale, gateBias: o.gateBias ?? 0, cells };
}

/** The log-scale plot of gradient norm against distance from the loss, one line per cell. */
export function gradflowSvg(r: GradflowResult): string {
  const x = r.cells[0] ? r.cells[0].byDistance.map((_, d) => d) : [];
  return svgLineChart(
    r.cells.map((c) => ({ name: c.cell, x, y: c.byDistance })),
    {
      title: `Gradient norm vs distance from the loss (${r.task}, T = ${r.length}${r.initScale !== 1 ? `, W_hh x ${r.initScale}` : ""}${r.gateBias ? `, gate bias ${r.gateBias}` : ""})`,
      xLabel: "time steps back from the loss",
      yLabel: "||d loss / d h_t||",
      logY: true,
    },
  );
}

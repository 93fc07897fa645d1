/**
 * Learning-rate schedulers with PyTorch 1.13's semantics (`torch.optim.lr_scheduler`): each sets
 * `lr` in the optimizer's parameter groups, and the epoch-based ones step once at construction
 * (recording `initialLr` in every group and setting `lastEpoch` to 0), as PyTorch does.
 */
import { Optimizer } from "./optimizer.js";
import { checkOptions, type OptionKeys } from "../options.js";

/** A parameter group as a scheduler sees it: `lr` plus whatever else the optimizer keeps. */
type Group = Record<string, unknown> & { lr: number };

/** Field names whose PyTorch key is not plain snake_case. */
const KEYS: Record<string, string> = { lastLr: "_last_lr", stepCount: "_step_count", tMax: "T_max", phases: "_schedule_phases" };
const UNKEYS = Object.fromEntries(Object.entries(KEYS).map(([k, v]) => [v, k]));
const toSnake = (k: string): string => KEYS[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string): string => UNKEYS[k] ?? k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** A deep copy of plain data; functions become null, as PyTorch saves a lambda. */
const copy = (v: unknown): unknown => (Array.isArray(v) ? v.map(copy) : typeof v === "function" ? null : v && typeof v === "object" ? { ...v } : v);
const holdsFunctions = (v: unknown): boolean => Array.isArray(v) && v.some((f) => typeof f === "function");
/** Python's `%`: the result has the divisor's sign. */
const pyMod = (a: number, m: number): number => ((a % m) + m) % m;

/** The state dict of a scheduler: its fields in snake_case, without the optimizer, as PyTorch's `__dict__`. */
export type SchedulerStateDict = Record<string, unknown>;

/** Fields shared by every scheduler: state dict and the last learning rates. */
abstract class SchedulerBase {
  /** The learning rates the last step set, one per parameter group. */
  protected lastLr: number[] = [];

  constructor(readonly optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${this.constructor.name}: ${typeof optimizer} is not an Optimizer`);
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** The learning rate of every parameter group as the last step left it (`get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Every field but the optimizer, keyed as PyTorch's `state_dict()` (`T_max`, `_last_lr`...); functions are saved as null. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === "optimizer" || typeof v === "function") continue;
      out[toSnake(k)] = copy(v);
    }
    return out;
  }

  /** Restores the fields `stateDict()` saved (PyTorch's layout; unknown keys are ignored). */
  loadStateDict(state: SchedulerStateDict): void {
    const self = this as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(state)) {
      const key = toCamel(k);
      if (key in self && key !== "optimizer" && v !== null && !holdsFunctions(self[key])) self[key] = copy(v);
    }
  }
}

/**
 * The base of the epoch-based schedulers, like PyTorch's `_LRScheduler`: `step()` advances
 * `lastEpoch` and sets every group's `lr` to what `computeLr()` gives.
 */
export abstract class LRScheduler extends SchedulerBase {
  /** The learning rate of every group when scheduling started (`initial_lr`). */
  baseLrs: number[];
  /** The number of steps taken; 0 after construction, which takes the first. */
  lastEpoch: number;
  protected stepCount = 0;

  constructor(optimizer: Optimizer, lastEpoch = -1) {
    super(optimizer);
    this.groups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined) throw new Error(`${this.constructor.name}: param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
    });
    this.baseLrs = this.groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Called last by each subclass constructor: PyTorch's `_initial_step`. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The learning rates for `lastEpoch`, from the groups' current `lr` where PyTorch chains them. */
  protected abstract computeLr(): number[];

  /** Advances one epoch (or batch, for `OneCycleLR`) and sets the groups' learning rates. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const lrs = this.computeLr();
    this.groups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

/** `lr = base_lr * lrLambda(epoch)`, one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) throw new RangeError(`LambdaLR: Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
    this.lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : new Array<(e: number) => number>(n).fill(lrLambda);
    this.initialStep();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/** Multiplies the learning rate by `gamma` every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1, options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.initialStep();
  }

  protected computeLr(): number[] {
    const decay = this.lastEpoch !== 0 && this.lastEpoch % this.stepSize === 0;
    return this.groups.map((g) => (decay ? g.lr * this.gamma : g.lr));
  }
}

/** Multiplies the learning rate by `gamma` at each milestone epoch (twice for a milestone given twice). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];

  constructor(optimizer: Optimizer, milestones: number[], readonly gamma = 0.1, options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.initialStep();
  }

  protected computeLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.groups.map((g) => (hits === 0 ? g.lr : g.lr * this.gamma ** hits));
  }
}

/** Multiplies the learning rate by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly gamma: number, options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.initialStep();
  }

  protected computeLr(): number[] {
    return this.groups.map((g) => (this.lastEpoch === 0 ? g.lr : g.lr * this.gamma));
  }
}

/**
 * Cosine annealing from the base learning rate to `etaMin` over `tMax` epochs and back up after,
 * by PyTorch's recursive form (so it composes with other changes to `lr`).
 */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly tMax: number, readonly etaMin = 0, options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, tMax, etaMin } = this;
    return this.groups.map((g, i) => {
      const base = this.baseLrs[i]!;
      if (e === 0) return g.lr;
      if (this.stepCount === 1 && e > 0) return etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2;
      if (pyMod(e - 1 - tMax, 2 * tMax) === 0) return g.lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
      return ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (g.lr - etaMin) + etaMin;
    });
  }
}

export interface OneCycleLROptions {
  /** The number of steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the learning rate. Default 0.3. */
  pctStart: number;
  /** `"cos"` or `"linear"`. Default "cos". */
  annealStrategy: "cos" | "linear";
  /** Cycle SGD's or RMSprop's `momentum`, or Adam's first beta, inversely to the learning rate. Default true. */
  cycleMomentum: boolean;
  baseMomentum: number | number[];
  maxMomentum: number | number[];
  /** initial lr = maxLr / divFactor. Default 25. */
  divFactor: number;
  /** min lr = initial lr / finalDivFactor. Default 1e4. */
  finalDivFactor: number;
  /** A third phase annihilating the learning rate (fast.ai's schedule). Default false. */
  threePhase: boolean;
  lastEpoch: number;
}

const ONE_CYCLE_KEYS: OptionKeys<OneCycleLROptions> = {
  totalSteps: true, epochs: true, stepsPerEpoch: true, pctStart: true, annealStrategy: true, cycleMomentum: true,
  baseMomentum: true, maxMomentum: true, divFactor: true, finalDivFactor: true, threePhase: true, lastEpoch: true,
};

interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

/**
 * The 1cycle policy (Smith & Topor): the learning rate rises from `maxLr / divFactor` to `maxLr`
 * and anneals to `initialLr / finalDivFactor`, while the momentum moves the opposite way; step it
 * after every batch. Groups get `initialLr`, `maxLr`, `minLr` (and `maxMomentum`, `baseMomentum`).
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  readonly useBeta1: boolean;
  readonly annealStrategy: "cos" | "linear";
  private readonly phases: Phase[];

  constructor(optimizer: Optimizer, maxLr: number | number[], options: Partial<OneCycleLROptions> = {}) {
    checkOptions("OneCycleLR", options, ONE_CYCLE_KEYS);
    const o = { pctStart: 0.3, annealStrategy: "cos" as const, cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, lastEpoch: -1, ...options };
    const fail = (msg: string): never => {
      throw new RangeError(`OneCycleLR: ${msg}`);
    };
    const posInt = (v: number | undefined): boolean => v !== undefined && Number.isInteger(v) && v > 0;
    if (o.totalSteps === undefined && (o.epochs === undefined || o.stepsPerEpoch === undefined)) fail("You must define either total_steps OR (epochs AND steps_per_epoch)");
    if (o.totalSteps !== undefined && !posInt(o.totalSteps)) fail(`Expected positive integer total_steps, but got ${o.totalSteps}`);
    if (o.totalSteps === undefined && !posInt(o.epochs)) fail(`Expected positive integer epochs, but got ${o.epochs}`);
    if (o.totalSteps === undefined && !posInt(o.stepsPerEpoch)) fail(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
    const total = o.totalSteps ?? o.epochs! * o.stepsPerEpoch!;
    if (!(o.pctStart >= 0 && o.pctStart <= 1)) fail(`Expected float between 0 and 1 pct_start, but got ${o.pctStart}`);
    if (o.annealStrategy !== "cos" && o.annealStrategy !== "linear") fail(`anneal_strategy must by one of 'cos' or 'linear', instead got ${String(o.annealStrategy)}`);
    const groups = optimizer.paramGroups as unknown as Group[];
    const perGroup = (name: string, v: number | number[]): number[] => {
      if (!Array.isArray(v)) return groups.map(() => v);
      return v.length === groups.length ? v : fail(`expected ${groups.length} values for ${name}, got ${v.length}`);
    };
    const maxLrs = perGroup("max_lr", maxLr);
    if (o.lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / o.divFactor;
        g.maxLr = maxLrs[i]!;
        g.minLr = maxLrs[i]! / o.divFactor / o.finalDivFactor;
      });
    }
    const defaults = optimizer.defaults as Record<string, unknown>;
    if (o.cycleMomentum) {
      if (!("momentum" in defaults) && !("betas" in defaults)) fail("optimizer must support momentum with `cycle_momentum` option enabled");
      const [maxM, baseM] = [perGroup("max_momentum", o.maxMomentum), perGroup("base_momentum", o.baseMomentum)];
      if (o.lastEpoch === -1) {
        groups.forEach((g, i) => {
          if ("betas" in defaults) g.betas = [maxM[i]!, ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i]!;
          [g.maxMomentum, g.baseMomentum] = [maxM[i]!, baseM[i]!];
        });
      }
    }
    super(optimizer, o.lastEpoch);
    this.totalSteps = total;
    this.cycleMomentum = o.cycleMomentum;
    this.useBeta1 = "betas" in defaults;
    this.annealStrategy = o.annealStrategy;
    const p = o.pctStart * total;
    const phase = (endStep: number, startLr: string, endLr: string, startMomentum: string, endMomentum: string): Phase => ({ endStep, startLr, endLr, startMomentum, endMomentum });
    this.phases = o.threePhase
      ? [phase(p - 1, "initialLr", "maxLr", "maxMomentum", "baseMomentum"), phase(2 * p - 2, "maxLr", "initialLr", "baseMomentum", "maxMomentum"), phase(total - 1, "initialLr", "minLr", "maxMomentum", "maxMomentum")]
      : [phase(p - 1, "initialLr", "maxLr", "maxMomentum", "baseMomentum"), phase(total - 1, "maxLr", "minLr", "baseMomentum", "maxMomentum")];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === "cos" ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) throw new RangeError(`OneCycleLR: Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`);
    return this.groups.map((g) => {
      let start = 0;
      for (const [i, ph] of this.phases.entries()) {
        if (stepNum <= ph.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (ph.endStep - start);
          if (this.cycleMomentum) {
            const m = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
            if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
            else g.momentum = m;
          }
          return this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
        }
        start = ph.endStep;
      }
      return g.lr;
    });
  }
}

export interface ReduceLROnPlateauOptions {
  /** `"min"`: reduce when the metric stops decreasing; `"max"`: when it stops increasing. Default "min". */
  mode: "min" | "max";
  /** The factor the learning rate is multiplied by. Default 0.1. */
  factor: number;
  /** Epochs without improvement tolerated before reducing. Default 10. */
  patience: number;
  /** What counts as an improvement. Default 1e-4. */
  threshold: number;
  /** `"rel"`: relative to the best value; `"abs"`: an absolute margin. Default "rel". */
  thresholdMode: "rel" | "abs";
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown: number;
  /** A lower bound on the learning rate, one for all groups or one per group. Default 0. */
  minLr: number | number[];
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps: number;
}

const PLATEAU_KEYS: OptionKeys<ReduceLROnPlateauOptions> = {
  mode: true, factor: true, patience: true, threshold: true, thresholdMode: true, cooldown: true, minLr: true, eps: true,
};

/** Reduces the learning rate when a metric has stopped improving: `step(metric)` once per epoch. */
export class ReduceLROnPlateau extends SchedulerBase {
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: Optimizer, options: Partial<ReduceLROnPlateauOptions> = {}) {
    super(optimizer);
    checkOptions("ReduceLROnPlateau", options, PLATEAU_KEYS);
    const o = { mode: "min" as const, factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: "rel" as const, cooldown: 0, minLr: 0, eps: 1e-8, ...options };
    const fail = (msg: string): never => {
      throw new RangeError(`ReduceLROnPlateau: ${msg}`);
    };
    if (o.factor >= 1) fail("Factor should be < 1.0.");
    const n = optimizer.paramGroups.length;
    if (Array.isArray(o.minLr) && o.minLr.length !== n) fail(`expected ${n} min_lrs, got ${o.minLr.length}`);
    if (o.mode !== "min" && o.mode !== "max") fail(`mode ${String(o.mode)} is unknown!`);
    if (o.thresholdMode !== "rel" && o.thresholdMode !== "abs") fail(`threshold mode ${String(o.thresholdMode)} is unknown!`);
    this.minLrs = Array.isArray(o.minLr) ? [...o.minLr] : new Array<number>(n).fill(o.minLr);
    [this.mode, this.factor, this.patience, this.threshold, this.thresholdMode, this.cooldown, this.eps] = [o.mode, o.factor, o.patience, o.threshold, o.thresholdMode, o.cooldown, o.eps];
    this.best = this.mode === "min" ? Infinity : -Infinity;
    this.lastLr = this.groups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === "rel" ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records one epoch's metric (a number, or a one-element tensor) and reduces the learning rate when it has stalled. */
  step(metric: number | { item(): number }): void {
    const current = typeof metric === "number" ? metric : metric.item();
    this.lastEpoch++;
    if (this.isBetter(current)) [this.best, this.numBadEpochs] = [current, 0];
    else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.groups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - next > this.eps) g.lr = next;
      });
      [this.cooldownCounter, this.numBadEpochs] = [this.cooldown, 0];
    }
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

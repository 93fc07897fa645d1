/**
 * `Optimizer`: the base of every optimizer. It owns the parameter groups (parameters plus their
 * hyperparameters), the per-parameter state, `zeroGrad()`, and `stateDict()`/`loadStateDict()` in
 * PyTorch's layout, so a checkpoint's optimizer section reads the same in both.
 */
import { enableGrad, noGrad } from "../autograd.js";
import type { FloatBuf } from "../dtype.js";
import { Tensor, zeros } from "../tensor.js";
import { fmtShape, ShapeError } from "../shape.js";
import { boolOption, checkOptions, describeValue, type OptionKeys } from "../options.js";

/**
 * One entry of an optimizer's per-parameter state: a buffer shaped like the parameter, a count, or
 * (LBFGS) a list of such values, or null for a value not yet set.
 */
export type StateValue = Tensor | number | null | StateValue[];

/** What a closure passed to `step` returns: the re-evaluated loss. */
export type Loss = Tensor | number;
export type ParamState = Record<string, StateValue>;

/** A parameter group: its parameters and every hyperparameter of the optimizer (camelCase). */
export type ParamGroup<O extends object = object> = O & { params: Tensor[] };

/** A parameter group as passed to a constructor: hyperparameters left out take the optimizer's defaults. */
export type ParamGroupInput<O extends object = object> = Partial<O> & { params: Iterable<Tensor> | Tensor };

/** What an optimizer constructor accepts: parameters, or parameter groups with their own hyperparameters. */
export type OptimizerParams<O extends object = object> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/**
 * PyTorch's optimizer state dict. Keys are data, so they stay snake_case (`exp_avg`, `weight_decay`);
 * parameters are numbered in order across groups.
 * @example { state: { 0: { step: 1, exp_avg, exp_avg_sq } }, param_groups: [{ lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, params: [0, 1] }] }
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}

const toSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const copyHyper = (v: unknown): unknown => (Array.isArray(v) ? [...v] : v);

function copyAs(value: Tensor, like: Tensor, shape: readonly number[] = like.shape): Tensor {
  const t = zeros(shape, { dtype: like.dtype });
  t.data.set(value.data);
  return t;
}

const copyState = (v: StateValue): StateValue => (v instanceof Tensor ? copyAs(v, v) : Array.isArray(v) ? v.map(copyState) : v);

/**
 * @internal `defaults` overridden by the options that are set (an explicit `undefined` keeps the
 * default); an option the optimizer does not take (`weight_decay`) is an error naming the one meant.
 */
export function withDefaults<O extends object>(where: string, defaults: O, options: Partial<O>): O {
  checkOptions(where, options, Object.fromEntries(Object.keys(defaults).map((k) => [k, true])) as OptionKeys<Partial<O>>);
  const out = { ...defaults };
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    // Each value has its default's type: lr: "0.1" or amsgrad: "false" is an error, not coerced
    // (the optimizer's own checks then refuse a NaN or negative number, in PyTorch's words).
    const d = (defaults as Record<string, unknown>)[k];
    if (typeof d === "number" && typeof v !== "number") throw new TypeError(`${where}: ${k} must be a number, got ${describeValue(v)}`);
    else if (typeof d === "boolean") boolOption(where, k, v);
    else if (Array.isArray(d) && !(Array.isArray(v) && v.length === d.length && v.every((x) => typeof x === "number" && Number.isFinite(x)))) {
      throw new TypeError(`${where}: ${k} must be ${d.length} finite numbers, got ${Array.isArray(v) ? `[${v.map(describeValue).join(", ")}]` : describeValue(v)}`);
    }
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** @internal The buffer `state[key]` as a typed array of `p`'s dtype, created as zeros when missing. */
export function stateBuffer(state: ParamState, key: string, p: Tensor): FloatBuf {
  let t = state[key];
  if (!(t instanceof Tensor)) state[key] = t = zeros(p.shape, { dtype: p.dtype });
  return t.data as FloatBuf;
}

/**
 * Throws `<optimizer>: invalid <what>: <value> (<rule>)` unless `ok`: PyTorch's wording, prefixed with
 * the optimizer as every seqtorch error is.
 * @internal
 */
export function checkHyper(optimizer: string, ok: boolean, what: string, value: unknown, rule: string): void {
  if (!ok) throw new RangeError(`${optimizer}: invalid ${what}: ${String(value)} (${rule})`);
}

/**
 * Base class of all optimizers, like `torch.optim.Optimizer`. Subclasses implement `step()`, reading
 * their hyperparameters from each group on every step (so a scheduler may change `group.lr`), and
 * keep per-parameter buffers in `state` as tensors of the parameter's dtype.
 *
 * `step(closure)` calls the closure first, with gradients enabled, and returns what it returned.
 * @see https://pytorch.org/docs/stable/optim.html#torch.optim.Optimizer
 */
export abstract class Optimizer<O extends object = object> {
  /** The hyperparameters given to the constructor, used by groups that do not set their own. */
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (`exp_avg`, `momentum_buffer`, `step`...), created on a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: OptimizerParams<O>, defaults: O) {
    this.defaults = Object.freeze({ ...defaults });
    if (params instanceof Tensor) {
      throw new TypeError(`${this.label}: params should be an iterable of Tensors or parameter groups, but got a Tensor; wrap it in an array`);
    }
    const list = [...params] as (Tensor | ParamGroupInput<O>)[];
    if (list.length === 0) throw new Error(`${this.label}: optimizer got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Performs one update of every parameter that has a gradient, in place. When `closure` is given it
   * is called first, with gradients enabled (it typically zeroes the gradients, computes the loss and
   * calls `backward()`), and its loss is returned, as in PyTorch; without one step returns undefined.
   */
  step<L extends Loss>(closure?: () => L): L | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    this.update();
    return loss;
  }

  /** The update itself, from the gradients the parameters hold. */
  protected abstract update(): void;

  /** Whether state tensors are shaped like their parameter (false for LBFGS, whose state is flat). */
  protected readonly stateShapedLikeParams: boolean = true;

  /** Checks a group's hyperparameters; subclasses throw via `checkHyper`. Called for every group added or loaded. */
  protected checkGroup(_group: ParamGroup<O>): void {}

  /** The optimizer's name for messages. */
  protected get label(): string {
    return this.constructor.name;
  }

  /** Adds a group of parameters with its own hyperparameters (the rest from `defaults`), e.g. to unfreeze layers while training. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.label}: can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new Error(`${this.label}: can't optimize a non-leaf Tensor (it was produced by ${p.gradFn}); pass the leaf, or detach() it`);
      // NOTE: PyTorch accepts integer parameters that can never get a gradient; here they are an error.
      if (p.dtype === "int32") throw new TypeError(`${this.label}: can only optimize floating point tensors, got an int32 tensor of shape ${fmtShape(p.shape)}`);
    }
    // NOTE: PyTorch only warns about a parameter listed twice in one group (and then updates it twice).
    if (new Set(params).size !== params.length) throw new Error(`${this.label}: a parameter group contains the same parameter twice`);
    for (const g of this.paramGroups) {
      if (g.params.some((p) => params.includes(p))) throw new Error(`${this.label}: some parameters appear in more than one parameter group`);
    }
    checkOptions(`${this.label} parameter group`, group, Object.fromEntries(["params", ...Object.keys(this.defaults)].map((k) => [k, true])) as OptionKeys<ParamGroupInput<O>>);
    const full: Record<string, unknown> = { ...this.defaults };
    for (const [k, v] of Object.entries(group)) if (v !== undefined) full[k] = copyHyper(v);
    full.params = params;
    this.checkGroup(full as ParamGroup<O>);
    this.paramGroups.push(full as ParamGroup<O>);
  }

  /**
   * Clears the gradient of every parameter. PyTorch 2.x's default sets them to null, which frees
   * memory and lets `step()` skip parameters that got no gradient; `setToNone = false` fills them with zeros in place.
   */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        else p.grad.data.fill(0);
      }
    }
  }

  /**
   * The optimizer's state in PyTorch's layout (see `OptimizerStateDict`).
   * NOTE: tensors are copied, so the dict is a snapshot; PyTorch returns references to the live buffers.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== "params") packed[toSnake(k)] = copyHyper(v);
      for (const p of g.params) index.set(p, index.size);
      return { ...packed, params: g.params.map((p) => index.get(p)!) };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, copyState(v)]));
    }
    return { state, param_groups };
  }

  /**
   * Loads a state dict from `stateDict()` or from PyTorch (converted to Tensors). Like PyTorch, the
   * hyperparameters come from the saved groups, the parameters stay this optimizer's, and state
   * tensors are copied and cast to their parameter's dtype. A tensor `step` (PyTorch >= 1.12) becomes a number.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const saved = stateDict.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new Error(`${this.label}: loaded state dict has ${saved.length} parameter groups, but the optimizer has ${this.paramGroups.length}`);
    }
    const idMap = new Map<number, Tensor>();
    const groups = saved.map((sg, gi) => {
      const cur = this.paramGroups[gi]!;
      if (sg.params.length !== cur.params.length) {
        throw new Error(`${this.label}: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group ${gi}: ${sg.params.length} saved parameters, ${cur.params.length} in the optimizer)`);
      }
      sg.params.forEach((id, j) => idMap.set(id, cur.params[j]!));
      const g: Record<string, unknown> = { ...cur };
      for (const [k, v] of Object.entries(sg)) if (k !== "params") g[toCamel(k)] = copyHyper(v);
      g.params = cur.params;
      this.checkGroup(g as ParamGroup<O>);
      return g as ParamGroup<O>;
    });
    const state = new Map<Tensor, ParamState>();
    for (const [id, saved] of Object.entries(stateDict.state)) {
      const p = idMap.get(Number(id));
      if (!p) continue;
      const s: ParamState = {};
      for (const [k, v] of Object.entries(saved as Record<string, unknown>)) {
        if (v === null || v === undefined) continue; // PyTorch's SGD saves `momentum_buffer: None` when momentum is 0
        s[k] = k === "step" ? (v instanceof Tensor ? v.item() : Number(v)) : this.loadStateValue(v, p, `state "${k}" of parameter ${id}`);
      }
      state.set(p, s);
    }
    this.paramGroups.splice(0, this.paramGroups.length, ...groups);
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }

  /** A saved state value as this optimizer keeps it: tensors copied and cast to `p`'s dtype, lists element by element. */
  private loadStateValue(v: unknown, p: Tensor, what: string): StateValue {
    if (v === null || typeof v === "number") return v;
    if (Array.isArray(v)) return v.map((x) => this.loadStateValue(x, p, what));
    if (!(v instanceof Tensor)) throw new TypeError(`${this.label}: ${what} must be a Tensor or a number, got ${typeof v}`);
    if (!this.stateShapedLikeParams) return copyAs(v, p, v.shape);
    if (v.numel() !== p.numel()) {
      throw new ShapeError(this.label, `${what} has shape ${fmtShape(v.shape)}, but the parameter has shape ${fmtShape(p.shape)}`, [v.shape, p.shape]);
    }
    return copyAs(v, p);
  }

  /** @internal The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /**
   * @internal Runs `update` under noGrad for every parameter with a gradient, group by group;
   * parameters whose grad is null are skipped, as in PyTorch.
   */
  protected eachParam(update: (p: Tensor, grad: FloatBuf, group: ParamGroup<O>) => void): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const g = p.grad;
          if (!g) continue;
          if (g.numel() !== p.numel()) {
            throw new ShapeError(this.label, `gradient shape ${fmtShape(g.shape)} does not match parameter shape ${fmtShape(p.shape)}`, [g.shape, p.shape]);
          }
          update(p, g.data as FloatBuf, group);
        }
      }
    });
  }
}

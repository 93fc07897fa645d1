/**
 * `Module`: the base of every layer. It owns named parameters, buffers and child modules, and gives
 * them PyTorch's dotted state-dict keys (`encoder.weight_ih_l0`), `train`/`eval` and a PyTorch-like repr.
 */
import { noGrad } from "../autograd.js";
import { resolveDType, type Buf, type DType, type DTypeName } from "../dtype.js";
import { fmtShape, shapesEqual, ShapeError } from "../shape.js";
import { Tensor, tensor } from "../tensor.js";

/** A state dict: keys as in PyTorch, values tensors (or `{ shape, data }` records, e.g. parsed JSON). */
export type StateDict = Record<string, Tensor>;
export type StateDictInput = Record<string, Tensor | { shape: readonly number[]; data: ArrayLike<number> }>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true); size mismatches always are. */
  strict?: boolean;
  /** Load only the keys starting with this (e.g. "model."), with it removed. */
  prefix?: string;
}

/** A key whose tensor's shape differs between the state dict (`checkpoint`) and the module (`model`). */
export interface SizeMismatch {
  key: string;
  checkpoint: number[];
  model: number[];
}

/**
 * A state dict that does not fit a module, worded as PyTorch's `load_state_dict` error:
 * ```
 * Error(s) in loading state_dict for LSTM:
 * \tMissing key(s) in state_dict: "bias_hh_l0".
 * \tsize mismatch for weight_ih_l0: copying a param with shape torch.Size([16, 3]) from checkpoint, the shape in current model is torch.Size([16, 5]).
 * ```
 */
export class StateDictError extends Error {
  constructor(module: string, readonly missingKeys: string[], readonly unexpectedKeys: string[], readonly mismatches: SizeMismatch[], unmatchedPrefix: string | null = null) {
    const quote = (keys: string[]): string => keys.map((k) => `"${k}"`).join(", ");
    const size = (s: number[]): string => `torch.Size([${s.join(", ")}])`;
    const msgs: string[] = [];
    if (missingKeys.length) msgs.push(`Missing key(s) in state_dict: ${quote(missingKeys)}. `);
    if (unexpectedKeys.length) msgs.push(`Unexpected key(s) in state_dict: ${quote(unexpectedKeys)}. `);
    for (const m of mismatches) {
      msgs.push(`size mismatch for ${m.key}: copying a param with shape ${size(m.checkpoint)} from checkpoint, the shape in current model is ${size(m.model)}.`);
    }
    if (unmatchedPrefix !== null) msgs.push(`(no key in the state dict starts with the prefix "${unmatchedPrefix}")`);
    super(`Error(s) in loading state_dict for ${module}:\n\t${msgs.join("\n\t")}`);
    this.name = "StateDictError";
  }
}

/** Tensors that are parameters: registered on a module, or made with `nn.Parameter` / `nn.parameter`. */
const parameterTensors = new WeakSet<Tensor>();

/** True when `t` is a parameter (what assigning it to a module attribute registers). */
export function isParameter(t: unknown): t is Tensor {
  return t instanceof Tensor && parameterTensors.has(t);
}

/**
 * PyTorch's `Module.__setattr__`: an attribute assigned a module, a parameter or null registers (or
 * replaces, or clears) it under that name. Class fields arrive as property definitions, assignments
 * as sets; both come here before the property is stored.
 */
const attributeHandler: ProxyHandler<Module> = {
  set(target, prop, value) {
    if (typeof prop === "string") target["_assign"](prop, value);
    return Reflect.set(target, prop, value);
  },
  defineProperty(target, prop, descriptor) {
    if (typeof prop === "string" && "value" in descriptor) target["_assign"](prop, descriptor.value);
    return Reflect.defineProperty(target, prop, descriptor);
  },
};

/**
 * The base of every layer, as `torch.nn.Module`. Assigning a module, a parameter (`nn.Parameter`) or
 * null to an attribute registers it under the attribute's name, in assignment order, so state-dict
 * keys come out in PyTorch's order:
 * ```ts
 * class Tagger extends nn.Module {
 *   embed = new nn.Embedding(100, 16);
 *   lstm = new nn.LSTM(16, 32);
 *   scale = new nn.Parameter(ones([32]));
 * }
 * ```
 * `registerModule`, `registerParameter` and `registerBuffer` do the same for computed names (and
 * buffers, which plain assignment cannot tell from other tensors), and make the name an attribute.
 */
export class Module {
  /** True in training mode (dropout active); see `train()` and `eval()`. */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module>();

  constructor() {
    // Every module is seen through this proxy, so subclass fields and assignments are registered.
    return new Proxy(this, attributeHandler);
  }

  /** Registers a parameter under `name` (a leaf that requires grad); `null` records an absent one. */
  registerParameter<T extends Tensor | null>(name: string, value: T): T {
    if (value) {
      if (value.dtype === "int32") throw new Error(`registerParameter: parameter "${name}" must be floating point`);
      value.requiresGrad = true;
      parameterTensors.add(value);
    }
    this._modules.delete(name);
    this._buffers.delete(name);
    this._parameters.set(name, value);
    this._syncAttribute(name, value);
    return value;
  }

  /** Registers a buffer: state that is saved and loaded but not trained (e.g. `running_mean`). */
  registerBuffer<T extends Tensor | null>(name: string, value: T, persistent = true): T {
    this._buffers.set(name, value);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    this._syncAttribute(name, value);
    return value;
  }

  registerModule<M extends Module>(name: string, module: M): M {
    this._parameters.delete(name);
    this._buffers.delete(name);
    this._modules.set(name, module);
    this._syncAttribute(name, module);
    return module;
  }

  /** Makes a registered name readable as an attribute (`lstm.weight_ih_l0`), as PyTorch does. */
  private _syncAttribute(name: string, value: unknown): void {
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own ? "value" in own : !(name in this)) {
      // Straight onto the object behind the proxy: this is not an assignment to register again.
      Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
    }
  }

  /** What assigning `value` to attribute `name` registers (see the class comment). */
  private _assign(name: string, value: unknown): void {
    if (name.startsWith("_") || name === "training") return;
    if (value instanceof Module) {
      // The same child under a second name (`this.drop = this.registerModule("dropout", ...)`) is an alias.
      for (const [n, m] of this._modules) if (m === value && n !== name) return;
      this._parameters.delete(name);
      this._buffers.delete(name);
      this._modules.set(name, value);
      return;
    }
    if (value === null || value === undefined) {
      if (value === null && this._parameters.has(name)) this._parameters.set(name, null);
      else if (value === null && this._buffers.has(name)) this._buffers.set(name, null);
      else if (value === null) this._modules.delete(name);
      return;
    }
    if (!(value instanceof Tensor)) return;
    if (isParameter(value)) {
      if (this._parameters.has(name)) {
        // Replacing a parameter, as weight tying does: `decoder.weight = encoder.weight`.
        this._parameters.set(name, value);
        return;
      }
      for (const p of this._parameters.values()) if (p === value) return;
      this._modules.delete(name);
      this._buffers.delete(name);
      this._parameters.set(name, value);
      return;
    }
    if (this._parameters.has(name)) {
      throw new TypeError(`${this.constructor.name}: cannot assign a plain tensor as parameter '${name}' (a parameter, nn.Parameter(tensor), or null expected)`);
    }
    if (this._buffers.has(name)) this._buffers.set(name, value);
  }

  /** The parameter registered as `name` on this module, or undefined. */
  getParameter(name: string): Tensor | undefined {
    return this._parameters.get(name) ?? undefined;
  }
  getBuffer(name: string): Tensor | undefined {
    return this._buffers.get(name) ?? undefined;
  }
  /** @internal replaces a buffer tensor (modules whose buffers are reassigned, e.g. counters). */
  protected setBuffer(name: string, value: Tensor): void {
    this._buffers.set(name, value);
    this._syncAttribute(name, value);
  }

  *namedChildren(): Generator<[string, Module]> {
    yield* this._modules.entries();
  }
  children(): Module[] {
    return [...this._modules.values()];
  }
  /** This module and all descendants, depth first, with dotted names ("" for this one). */
  *namedModules(prefix = "", memo: Set<Module> = new Set()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this._modules) yield* m.namedModules(prefix ? `${prefix}.${name}` : name, memo);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /** Parameters with dotted names; a parameter shared by two modules is listed once. */
  namedParameters(recurse = true): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? [...this.namedModules()] : [["", this]];
    for (const [prefix, m] of mods) {
      for (const [name, p] of m._parameters) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${name}` : name, p]);
      }
    }
    return out;
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, p]) => p);
  }
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m._buffers) if (b) out.push([prefix ? `${prefix}.${name}` : name, b]);
    }
    return out;
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * Parameters and persistent buffers by PyTorch key, in PyTorch's order (each module's own
   * parameters, then its buffers, then its children). The tensors are detached views of the live
   * storage: copy them before mutating the module if you need a snapshot.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    const visit = (m: Module, prefix: string): void => {
      for (const [name, p] of m._parameters) if (p) out[prefix + name] = p.detach();
      for (const [name, b] of m._buffers) if (b && !m._nonPersistent.has(name)) out[prefix + name] = b.detach();
      for (const [name, c] of m._modules) visit(c, `${prefix}${name}.`);
    };
    visit(this, "");
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers, in place, so optimizers holding the
   * parameters keep working. Nothing is modified unless every check passes; a failure throws a
   * `StateDictError` worded as PyTorch's `load_state_dict` (missing keys, unexpected keys, then
   * each size mismatch, in one message).
   *
   * Options (a boolean is `strict`, as in PyTorch):
   * - `strict` (default true): a missing or unexpected key is an error; a size mismatch always is.
   * - `prefix`: read only the keys that start with it, with it removed: `{ prefix: "model." }`
   *   loads the `model` entry of a checkpoint saved as `{"model": model.state_dict(), ...}` (what
   *   `torch.load(path)["model"]` picks), and `{ prefix: "module." }` a model saved from
   *   `nn.DataParallel`. Other keys are ignored, not reported as unexpected.
   * @example
   * const { tensors } = io.parseTorchFile(bytes); // a torch.save(model.state_dict()) file
   * model.loadStateDict(tensors);
   */
  loadStateDict(stateDict: StateDictInput, options: boolean | LoadStateDictOptions = true): LoadResult {
    const { strict = true, prefix = "" } = typeof options === "boolean" ? { strict: options } : options;
    const own = new Map<string, Tensor>();
    const visit = (m: Module, p: string): void => {
      for (const [name, t] of m._parameters) if (t) own.set(p + name, t);
      for (const [name, b] of m._buffers) if (b && !m._nonPersistent.has(name)) own.set(p + name, b);
      for (const [name, c] of m._modules) visit(c, `${p}${name}.`);
    };
    visit(this, "");
    const given = new Map<string, StateDictInput[string]>();
    for (const k of Object.keys(stateDict)) if (k.startsWith(prefix)) given.set(k.slice(prefix.length), stateDict[k]!);
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    const mismatches: SizeMismatch[] = [];
    const updates: [Tensor, ArrayLike<number>][] = [];
    for (const [k, v] of given) {
      const target = own.get(k);
      if (!target) continue;
      if (!shapesEqual(v.shape, target.shape)) {
        mismatches.push({ key: k, checkpoint: [...v.shape], model: [...target.shape] });
        continue;
      }
      // A `{ shape, data }` record can disagree with itself; a Tensor cannot.
      if (v.data.length !== target.numel()) {
        throw new ShapeError("loadStateDict", `${k} has shape ${fmtShape(v.shape)} but ${v.data.length} values, expected ${target.numel()}`, [v.shape]);
      }
      updates.push([target, v.data]);
    }
    if (mismatches.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
      throw new StateDictError(this.constructor.name, strict ? missingKeys : [], strict ? unexpectedKeys : [], mismatches, prefix && given.size === 0 ? prefix : null);
    }
    noGrad(() => {
      for (const [target, data] of updates) target.data.set(data instanceof Int32Array || target.dtype !== "int32" ? data : Int32Array.from(data));
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and its descendants. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode: dropout off (and batch norm uses running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's gradient to null (PyTorch 2's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Converts every parameter (and its gradient) and every floating point buffer to a floating
   * dtype, in place, like PyTorch's `module.to(dtype)`: each tensor keeps its identity and
   * `requiresGrad` and gets new storage (as PyTorch assigns `param.data`), so layers and
   * optimizers holding it see the new dtype. Integer buffers are left alone. Returns this.
   */
  to(dtype: DTypeName): this {
    const d = resolveDType(`${this.constructor.name}.to`, dtype);
    if (d === "int32") throw new TypeError(`${this.constructor.name}.to: nn.Module.to only accepts floating point dtypes, got ${dtype}`);
    noGrad(() => {
      for (const m of this.modules()) {
        for (const p of m._parameters.values()) if (p) convertStorage(p, d);
        for (const b of m._buffers.values()) if (b && b.dtype !== "int32") convertStorage(b, d);
      }
    });
    return this;
  }
  /** Every floating point parameter and buffer to float64, like `module.double()`. */
  double(): this {
    return this.to("float64");
  }
  /** Every floating point parameter and buffer to float32, like `module.float()`. */
  float(): this {
    return this.to("float32");
  }

  /** Calls `fn` on every module, children first, like `nn.Module.apply`. */
  apply(fn: (m: Module) => void): this {
    for (const c of this._modules.values()) c.apply(fn);
    fn(this);
    return this;
  }

  /** The text between the parentheses of this module's repr, like PyTorch's `extra_repr`. */
  extraRepr(): string {
    return "";
  }

  toString(): string {
    const name = this.constructor.name;
    const extra = this.extraRepr();
    if (this._modules.size === 0) return `${name}(${extra})`;
    const lines = [...this._modules].map(([k, m]) => `  (${k}): ${m.toString().replace(/\n/g, "\n  ")}`);
    if (extra) lines.unshift(`  ${extra}`);
    return `${name}(\n${lines.join("\n")}\n)`;
  }
}

/**
 * Throws when a layer's input dtype differs from its parameters', naming the layer and the fix
 * (`.float()`/`.double()` on the input or the layer), instead of a kernel's complaint.
 */
export function checkInputDtype(layer: string, input: Tensor, param: Tensor | null | undefined): void {
  if (!param || input.dtype === param.dtype) return;
  const method = (d: DType): string => (d === "float64" ? ".double()" : ".float()");
  const layerFix = input.dtype === "int32" ? "" : ` or the layer with ${layer}${method(input.dtype)}`;
  throw new ShapeError(layer, `input has dtype ${input.dtype} but the layer's parameters are ${param.dtype}; convert the input with input${method(param.dtype)}${layerFix}`, [input.shape]);
}

/** Gives `t` (and its gradient) storage of dtype `d`, keeping the tensor object. */
function convertStorage(t: Tensor, d: DType): void {
  if (t.grad) convertStorage(t.grad, d);
  if (t.dtype === d) return;
  const w = t as unknown as { data: Buf; dtype: DType };
  w.data = t.detach().to(d).data;
  w.dtype = d;
}

/** Makes a parameter-ready float32 leaf from values (handy for tests and hand-built weights). */
export function parameter(values: Tensor | number[] | number[][]): Tensor {
  const t = values instanceof Tensor ? values.detach().contiguousCopy() : tensor(values);
  parameterTensors.add(t);
  return t.requiresGrad_(true);
}

/**
 * A tensor that is a module's parameter, as `torch.nn.Parameter`: a leaf (a copy of `data`) that
 * requires grad, and that assigning to a module attribute registers.
 * @example
 * class Scale extends nn.Module {
 *   gain = new nn.Parameter(ones([8]));
 *   forward(x: Tensor): Tensor { return x.mul(this.gain); }
 * }
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const copy = data.detach().contiguousCopy();
    super(copy.data, copy.shape, requiresGrad);
    parameterTensors.add(this);
  }
}

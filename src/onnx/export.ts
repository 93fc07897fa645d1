/**
 * ONNX export: a model's inference graph as ONNX model bytes (a `ModelProto`), runnable in ONNX
 * Runtime or any other ONNX backend. Browser-safe: it returns bytes; `saveOnnx` in
 * `onnx/node.ts` writes them to a file.
 *
 * The graph is built from the module tree, not traced: each supported module maps to ONNX
 * operators, and its parameters become initializers. Recurrent layers use ONNX's `RNN`, `LSTM` and
 * `GRU` operators, with the gate blocks reordered (PyTorch's LSTM i,f,g,o to ONNX's i,o,f,c; GRU
 * r,z,n to z,r,h, with `linear_before_reset = 1`), `batchFirst` as a `Transpose`, and per-sequence
 * lengths passed as `sequence_lens`. The exported graph is the model's eval-mode behaviour:
 * dropout is the identity and batch normalization uses its running statistics.
 */
import protobuf from "protobufjs/light.js";
import { CELLS } from "../cells/spec.js";
import { BatchNorm1d } from "../nn/batchnorm.js";
import { Dropout, Embedding, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid, Softmax, Tanh } from "../nn/layers.js";
import type { Module } from "../nn/module.js";
import { Residual } from "../nn/residual.js";
import { RNNBase } from "../nn/rnn.js";
import { packPaddedSequence as packPaddedImpl, padPackedSequence as padPackedImpl, type PackedSequence } from "../nn/utils/rnn.js";
import { noGrad } from "../autograd.js";
import { fmtShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { SequenceEncoder, SequenceRegressor, TextClassifier } from "../models/text.js";
import { ONNX_SCHEMA } from "./schema.js";

/** The opsets the exporter writes (every operator it emits has the same meaning across them). */
export const ONNX_OPSETS = [14, 15, 16, 17, 18, 19, 20, 21] as const;
export const DEFAULT_ONNX_OPSET = 17;
/** The IR version that goes with each opset (ONNX's versioning table). */
const IR_VERSION: Record<number, number> = { 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

export interface ExportOnnxOptions {
  /** ONNX opset version (default 17; one of `ONNX_OPSETS`). */
  opset?: number;
  /** Graph input names, in the order of `exampleInputs` (defaults depend on the model). */
  inputNames?: string[];
  /** Graph output names (defaults depend on the model). */
  outputNames?: string[];
  /**
   * Axes of inputs and outputs that may change size, by name: `{ input: { 0: "batch", 1: "seq" } }`
   * or `{ input: [0, 1] }` (named `<name>_dim<axis>`). Other axes are fixed to the example's sizes.
   */
  dynamicAxes?: Record<string, Record<number, string> | number[]>;
  /** Free text stored as the model's `doc_string`. */
  docString?: string;
}

/** A model the exporter cannot express in ONNX, or options it cannot honour. */
export class OnnxExportError extends Error {
  override name = "OnnxExportError";
}

const FLOAT = 1, INT32 = 6, INT64 = 7;
const ELEM_TYPE: Partial<Record<Tensor["dtype"], number>> = { float32: FLOAT, int32: INT32 };

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | string | string[]>;
}

/** Collects nodes and initializers with unique names. */
class GraphBuilder {
  readonly nodes: object[] = [];
  readonly initializers: object[] = [];
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** Adds a node and returns its first output's name. */
  node(op: string, inputs: string[], attrs?: NodeSpec["attrs"], outputCount = 1): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(op));
    this.nodes.push({ op_type: op, name: this.fresh(`${op}_node`), input: inputs, output: outputs, attribute: attributes(attrs ?? {}) });
    return outputs;
  }

  one(op: string, inputs: string[], attrs?: NodeSpec["attrs"]): string {
    return this.node(op, inputs, attrs)[0]!;
  }

  /** Adds a float32 (or int32) initializer from typed data. */
  constant(hint: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array): string {
    const name = this.fresh(hint);
    const type = data instanceof Float32Array ? FLOAT : data instanceof Int32Array ? INT32 : INT64;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dims, data_type: type, raw_data: bytes });
    return name;
  }

  ints(hint: string, values: number[]): string {
    return this.constant(hint, [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** A parameter tensor as an initializer (float32 only). */
  tensor(hint: string, t: Tensor, where: string): string {
    if (t.dtype !== "float32") throw new OnnxExportError(`exportOnnx: ${where} is ${t.dtype}; only float32 parameters are exported`);
    return this.constant(hint, [...t.shape], Float32Array.from(t.data as Float32Array));
  }
}

function attributes(attrs: Record<string, number | number[] | string | string[]>): object[] {
  const enc = new TextEncoder();
  return Object.entries(attrs).map(([name, v]) => {
    // AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8.
    if (typeof v === "string") return { name, type: 3, s: enc.encode(v) };
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { name, type: 8, strings: (v as string[]).map((s) => enc.encode(s)) };
    if (typeof v === "number") return Number.isInteger(v) && !FLOAT_ATTRS.has(name) ? { name, type: 2, i: v } : { name, type: 1, f: v };
    return FLOAT_ATTRS.has(name) ? { name, type: 6, floats: v } : { name, type: 7, ints: v };
  });
}
/** Attributes that ONNX types as floats even when the value is a whole number. */
const FLOAT_ATTRS = new Set(["alpha", "epsilon", "momentum", "activation_alpha", "activation_beta"]);

/** Rows `[G·H, *]` of one gate-stacked weight reordered by block (`order[k]` = source block of block k). */
function reorderBlocks(t: Tensor, order: readonly number[], H: number): Float32Array {
  const src = t.data as Float32Array;
  const row = t.shape.length > 1 ? t.shape[1]! : 1;
  const out = new Float32Array(src.length);
  order.forEach((from, k) => out.set(src.subarray(from * H * row, (from + 1) * H * row), k * H * row));
  return out;
}

/** ONNX's gate order as PyTorch block indices: LSTM i,o,f,c from i,f,g,o; GRU z,r,h from r,z,n. */
const GATE_ORDER: Record<string, readonly number[]> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnn: [0], "rnn-relu": [0], "rnn-leaky": [0] };

interface RecurrentOut {
  /** `[T, N, D·out]` time-major. */
  y: string;
  /** The final states, `[D·numLayers, N, H]` each (h, then c for an LSTM). */
  states: string[];
  /** The last layer's `Y_h`, `[D, N, H]`. */
  lastH: string;
}

/** Emits a stacked recurrent layer on a time-major input `[T, N, I]`. */
function recurrent(g: GraphBuilder, rnn: RNNBase, where: string, x: string, lengths: string | null, initial: string[]): RecurrentOut {
  const kind = rnn.cell;
  if (kind === "jordan") throw new OnnxExportError(`exportOnnx: ${where} (JordanRNN) has no ONNX operator`);
  if (rnn.projSize > 0) throw new OnnxExportError(`exportOnnx: ${where} (LSTM with projSize=${rnn.projSize}) cannot be exported: ONNX's LSTM operator has no projection`);
  const op = kind === "lstm" ? "LSTM" : kind === "gru" ? "GRU" : "RNN";
  const D = rnn.bidirectional ? 2 : 1;
  const H = rnn.hiddenSize;
  const G = CELLS[kind].gates.length;
  const order = GATE_ORDER[kind]!;
  const attrs: NodeSpec["attrs"] = { hidden_size: H, direction: D === 2 ? "bidirectional" : "forward" };
  if (kind === "gru") attrs.linear_before_reset = 1;
  if (kind === "rnn-relu") attrs.activations = Array<string>(D).fill("Relu");
  if (kind === "rnn-leaky") {
    attrs.activations = Array<string>(D).fill("LeakyRelu");
    attrs.activation_alpha = Array<number>(D).fill(rnn.negativeSlope);
  }
  const hs: string[] = [], cs: string[] = [];
  let lastH = "";
  for (let layer = 0; layer < rnn.numLayers; layer++) {
    const dirs = Array.from({ length: D }, (_, d) => rnn.layerWeights(layer, d));
    const I = dirs[0]!.weight_ih!.shape[1]!;
    const cat = (pick: (w: (typeof dirs)[number]) => Float32Array): Float32Array => {
      const parts = dirs.map(pick);
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      return out;
    };
    const W = g.constant(`${where}_W_l${layer}`, [D, G * H, I], cat((w) => reorderBlocks(w.weight_ih!, order, H)));
    const R = g.constant(`${where}_R_l${layer}`, [D, G * H, H], cat((w) => reorderBlocks(w.weight_hh!, order, H)));
    const B = rnn.bias
      ? g.constant(`${where}_B_l${layer}`, [D, 2 * G * H], cat((w) => {
        const b = new Float32Array(2 * G * H);
        b.set(reorderBlocks(w.bias_ih!, order, H), 0);
        b.set(reorderBlocks(w.bias_hh!, order, H), G * H);
        return b;
      }))
      : "";
    const slice = (s: string): string => g.one("Slice", [s, g.ints("start", [layer * D]), g.ints("end", [layer * D + D]), g.ints("axis", [0])]);
    const inputs = [x, W, R, B, lengths ?? "", ...initial.map(slice)];
    while (inputs.at(-1) === "") inputs.pop();
    const [Y, Yh, Yc] = g.node(op, inputs, attrs, kind === "lstm" ? 3 : 2) as [string, string, string?];
    hs.push(Yh);
    if (Yc) cs.push(Yc);
    lastH = Yh;
    // Y [T, D, N, H] → [T, N, D, H] → [T, N, D·H].
    const y = g.one("Reshape", [g.one("Transpose", [Y], { perm: [0, 2, 1, 3] }), g.ints("shape", [0, 0, -1])]);
    x = rnn.residual && layer > 0 ? g.one("Add", [y, x]) : y;
  }
  const concat = (list: string[]): string => (list.length === 1 ? list[0]! : g.one("Concat", list, { axis: 0 }));
  return { y: x, states: kind === "lstm" ? [concat(hs), concat(cs)] : [concat(hs)], lastH };
}

/** Emits a module that maps one tensor to one tensor. */
function tensorModule(g: GraphBuilder, m: Module, where: string, x: string): string {
  if (m instanceof Sequential) {
    m.children().forEach((c, i) => { x = tensorModule(g, c, `${where}.${i}`, x); });
    return x;
  }
  if (m instanceof Linear) {
    const w = m.getParameter("weight")!;
    const wt = g.tensor(`${where}.weight`, w.transpose(0, 1).contiguousCopy(), `${where}.weight`);
    const y = g.one("MatMul", [x, wt]);
    const b = m.getParameter("bias");
    return b ? g.one("Add", [y, g.tensor(`${where}.bias`, b, `${where}.bias`)]) : y;
  }
  if (m instanceof Embedding) return g.one("Gather", [g.tensor(`${where}.weight`, m.getParameter("weight")!, `${where}.weight`), x], { axis: 0 });
  if (m instanceof ReLU) return g.one("Relu", [x]);
  if (m instanceof LeakyReLU) return g.one("LeakyRelu", [x], { alpha: m.negativeSlope });
  if (m instanceof Tanh) return g.one("Tanh", [x]);
  if (m instanceof Sigmoid) return g.one("Sigmoid", [x]);
  if (m instanceof Softmax) return g.one("Softmax", [x], { axis: m.dim });
  if (m instanceof LogSoftmax) return g.one("LogSoftmax", [x], { axis: m.dim });
  if (m instanceof Dropout || m instanceof Identity) return x;
  if (m instanceof Residual) return g.one("Add", [x, tensorModule(g, m.module as unknown as Module, `${where}.module`, x)]);
  if (m instanceof BatchNorm1d) {
    if (!m.runningMean || !m.runningVar) throw new OnnxExportError(`exportOnnx: ${where} (BatchNorm1d with trackRunningStats=false) normalizes with batch statistics, which ONNX inference cannot express`);
    const C = m.numFeatures;
    const scale = m.weight ? g.tensor(`${where}.weight`, m.weight, `${where}.weight`) : g.constant(`${where}.weight`, [C], new Float32Array(C).fill(1));
    const bias = m.bias ? g.tensor(`${where}.bias`, m.bias, `${where}.bias`) : g.constant(`${where}.bias`, [C], new Float32Array(C));
    const mean = g.tensor(`${where}.running_mean`, m.runningMean, `${where}.running_mean`);
    const variance = g.tensor(`${where}.running_var`, m.runningVar, `${where}.running_var`);
    return g.one("BatchNormalization", [x, scale, bias, mean, variance], { epsilon: m.eps });
  }
  throw new OnnxExportError(`exportOnnx: ${where} (${m.constructor.name}) cannot be exported to ONNX; supported: Linear, Embedding, RNN, LSTM, GRU, ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, LogSoftmax, Dropout, Identity, BatchNorm1d, Residual, Sequential, TextClassifier, SequenceRegressor`);
}

/** The text models' graph: tokens `[N, L]` int32 and lengths `[N]` int32 to `[N, outputs]`. */
function textModel(g: GraphBuilder, m: TextClassifier | SequenceRegressor, tokens: string, lengths: string): string {
  const enc: SequenceEncoder = m.encoder;
  const emb = tensorModule(g, enc.embedding, "encoder.embedding", tokens);
  const out = recurrent(g, enc.rnn, "encoder.rnn", g.one("Transpose", [emb], { perm: [1, 0, 2] }), lengths, []);
  let pooled: string;
  if (enc.options.pooling === "last") {
    // The last layer's Y_h [D, N, H] → [N, D, H] → [N, D·H]: the directions side by side.
    pooled = g.one("Reshape", [g.one("Transpose", [out.lastH], { perm: [1, 0, 2] }), g.ints("shape", [0, -1])]);
  } else {
    // ONNX's recurrent operators write zeros past each length, so the sum over time counts real steps only.
    const sum = g.one("ReduceSum", [out.y, g.ints("axes", [0])], { keepdims: 0 });
    const denom = g.one("Unsqueeze", [g.one("Cast", [lengths], { to: FLOAT }), g.ints("axes", [1])]);
    pooled = g.one("Div", [sum, denom]);
  }
  return tensorModule(g, m.head, "head", pooled);
}

interface Plan {
  inputs: string[];
  outputs: string[];
  /** Emits the graph given the input value names; returns the output value names. */
  emit: (g: GraphBuilder, inputs: string[]) => string[];
  /** Runs the model in seqtorch on the example inputs (for the output shapes). */
  run: () => Tensor[];
}

function plan(model: Module, examples: Tensor[]): Plan {
  const need = (n: number, what: string): void => {
    if (examples.length !== n) throw new OnnxExportError(`exportOnnx: ${model.constructor.name} takes ${what}, got ${examples.length} example input(s)`);
  };
  if (model instanceof TextClassifier || model instanceof SequenceRegressor) {
    need(2, "2 example inputs (tokens int32 [N, L], lengths int32 [N])");
    const [tokens, lengths] = examples as [Tensor, Tensor];
    if (lengths.dtype !== "int32" || lengths.ndim !== 1) throw new OnnxExportError(`exportOnnx: lengths must be an int32 [N] tensor, got ${lengths.dtype} ${fmtShape(lengths.shape)}`);
    return {
      inputs: ["tokens", "lengths"],
      outputs: ["output"],
      emit: (g, [t, l]) => [textModel(g, model, t!, l!)],
      run: () => [model.forward(tokens, lengths.data as Int32Array)],
    };
  }
  if (model instanceof RNNBase) {
    const [input, ...rest] = examples;
    const lengths = rest[0]?.dtype === "int32" ? rest.shift()! : null;
    const stateNames = CELLS[model.cell].states.map((s) => (s.name === "c" ? "c0" : "h0"));
    if (!input || input.ndim !== 3) throw new OnnxExportError(`exportOnnx: ${model.constructor.name} needs a batched 3-D example input, got ${input ? fmtShape(input.shape) : "none"}`);
    if (rest.length !== 0 && rest.length !== stateNames.length) {
      throw new OnnxExportError(`exportOnnx: ${model.constructor.name} takes [input, lengths?, ${stateNames.join(", ")}] (all initial states or none), got ${examples.length} example inputs`);
    }
    const outputs = ["output", ...stateNames.map((n) => `${n[0]}n`)];
    return {
      inputs: ["input", ...(lengths ? ["lengths"] : []), ...(rest.length ? stateNames : [])],
      outputs,
      emit: (g, names) => {
        let x = names[0]!;
        const lens = lengths ? names[1]! : null;
        const states = names.slice(lengths ? 2 : 1);
        if (model.batchFirst) x = g.one("Transpose", [x], { perm: [1, 0, 2] });
        const out = recurrent(g, model, model.constructor.name, x, lens, states);
        const y = model.batchFirst ? g.one("Transpose", [out.y], { perm: [1, 0, 2] }) : out.y;
        return [y, ...out.states];
      },
      run: () => {
        const hx = rest.length === 0 ? null : rest.length === 1 ? rest[0]! : rest;
        if (!lengths) {
          const [y, s] = model.forward(input, hx as never);
          return [y, ...(Array.isArray(s) ? s : [s])];
        }
        return runPacked(model, input, lengths, hx);
      },
    };
  }
  need(1, "1 example input");
  return { inputs: ["input"], outputs: ["output"], emit: (g, [x]) => [tensorModule(g, model, model.constructor.name, x!)], run: () => [(model as unknown as { forward(x: Tensor): Tensor }).forward(examples[0]!)] };
}

/** An RNN run on a padded batch with lengths, as ONNX runs it: packed, then padded with zeros. */
function runPacked(model: RNNBase, input: Tensor, lengths: Tensor, hx: unknown): Tensor[] {
  const lens = Array.from(lengths.data as Int32Array);
  const packed = packPadded(input, lens, model.batchFirst);
  const [out, s] = model.forward(packed, hx as never);
  const T = input.shape[model.batchFirst ? 1 : 0]!;
  const [y] = padPacked(out, model.batchFirst, T);
  return [y, ...(Array.isArray(s) ? s : [s])];
}

const packPadded = (x: Tensor, lens: number[], batchFirst: boolean): PackedSequence => packPaddedImpl(x, lens, { batchFirst, enforceSorted: false });
const padPacked = (p: PackedSequence, batchFirst: boolean, totalLength: number): [Tensor, unknown] => padPackedImpl(p, { batchFirst, totalLength });

function valueInfo(name: string, t: Tensor, dynamic: Record<number, string> | undefined): object {
  const type = ELEM_TYPE[t.dtype];
  if (type === undefined) throw new OnnxExportError(`exportOnnx: ${name} is ${t.dtype}; inputs and outputs must be float32 or int32`);
  const dim = t.shape.map((size, axis) => (dynamic?.[axis] !== undefined ? { dim_param: dynamic[axis] } : { dim_value: size }));
  return { name, type: { tensor_type: { elem_type: type, shape: { dim } } } };
}

function normalizeDynamic(names: string[], axes: ExportOnnxOptions["dynamicAxes"]): Record<string, Record<number, string>> {
  const out: Record<string, Record<number, string>> = {};
  for (const [name, spec] of Object.entries(axes ?? {})) {
    if (!names.includes(name)) throw new OnnxExportError(`exportOnnx: dynamicAxes names "${name}", which is not an input or output (${names.join(", ")})`);
    out[name] = Array.isArray(spec) ? Object.fromEntries(spec.map((a) => [a, `${name}_dim${a}`])) : spec;
  }
  return out;
}

let modelType: protobuf.Type | null = null;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType("onnx.ModelProto");
  return modelType;
}

/**
 * Exports `model` as ONNX model bytes.
 *
 * `exampleInputs` are what the graph's inputs look like (their dtypes and sizes; sizes not named
 * in `dynamicAxes` are fixed):
 * - a module of tensors (Sequential, Linear, ...): `[input]`
 * - `nn.RNN`, `nn.LSTM`, `nn.GRU`: `[input, lengths?, h0?, c0?]`, input 3-D; `lengths` int32 `[N]`
 *   runs each sequence of a padded batch to its length (ONNX `sequence_lens`; outputs past a
 *   length are zeros, as `padPackedSequence` gives); outputs `output, hn (, cn)`
 * - `TextClassifier`, `SequenceRegressor`: `[tokens int32 [N, L], lengths int32 [N]]`
 *
 * Throws `OnnxExportError` naming the module for one ONNX cannot express (an LSTM with projSize,
 * JordanRNN, an unsupported module) and for an unknown opset.
 * @example
 * const bytes = exportOnnx(model, [randn([2, 5, 8])], { dynamicAxes: { input: { 0: "batch", 1: "seq" } } });
 */
export function exportOnnx(model: Module, exampleInputs: Tensor | Tensor[], options: ExportOnnxOptions = {}): Uint8Array {
  const opset = options.opset ?? DEFAULT_ONNX_OPSET;
  if (!(ONNX_OPSETS as readonly number[]).includes(opset)) throw new OnnxExportError(`exportOnnx: opset ${opset} is not supported; choose one of ${ONNX_OPSETS.join(", ")}`);
  const examples = Array.isArray(exampleInputs) ? exampleInputs : [exampleInputs];
  examples.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new OnnxExportError(`exportOnnx: example input ${i} is not a Tensor`);
  });
  const p = plan(model, examples);
  const inputs = options.inputNames ?? p.inputs;
  const outputs = options.outputNames ?? p.outputs;
  if (inputs.length !== p.inputs.length) throw new OnnxExportError(`exportOnnx: inputNames has ${inputs.length} names, the graph has ${p.inputs.length} inputs (${p.inputs.join(", ")})`);
  if (outputs.length !== p.outputs.length) throw new OnnxExportError(`exportOnnx: outputNames has ${outputs.length} names, the graph has ${p.outputs.length} outputs (${p.outputs.join(", ")})`);
  const dynamic = normalizeDynamic([...inputs, ...outputs], options.dynamicAxes);
  const wasTraining = model.training;
  model.eval();
  try {
    const results = noGrad(() => p.run());
    const g = new GraphBuilder();
    const produced = p.emit(g, inputs);
    // Outputs get their own names through Identity (a graph input may also be an output, e.g. an empty Sequential).
    produced.forEach((v, i) => g.nodes.push({ op_type: "Identity", name: g.fresh("output_node"), input: [v], output: [outputs[i]!] }));
    const graph = {
      name: model.constructor.name,
      node: g.nodes,
      initializer: g.initializers,
      input: inputs.map((n, i) => valueInfo(n, examples[i]!, dynamic[n])),
      output: outputs.map((n, i) => valueInfo(n, results[i]!, dynamic[n])),
    };
    const msg = {
      ir_version: IR_VERSION[opset],
      producer_name: "seqtorch",
      opset_import: [{ domain: "", version: opset }],
      graph,
      ...(options.docString ? { doc_string: options.docString } : {}),
    };
    const type = modelProto();
    const err = type.verify(msg);
    if (err) throw new OnnxExportError(`exportOnnx: internal error building the model: ${err}`);
    return type.encode(type.fromObject(msg)).finish();
  } finally {
    model.train(wasTraining);
  }
}

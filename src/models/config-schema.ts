/**
 * The checks a text model's checkpoint passes before anything is allocated: `checkBundleConfig`
 * validates config.json field by field (types, ranges, the cell table's kinds, the tokenizer's
 * settings, the labels), and `checkWeightShapes` compares every tensor the config implies with the
 * shapes in the weights file's header, so a config that would build a model the file cannot hold
 * fails in microseconds instead of allocating gigabytes. Browser-safe.
 */
import { CELL_KINDS, cellParameters, isCellKind, type CellKind } from "../cells/spec.js";
import { showJson } from "../message.js";
import type { TokenizerConfig } from "../text/tokenizer.js";
import type { SequenceRegressorOptions, TextClassifierOptions } from "./text.js";

export const BUNDLE_FORMAT = "seqtorch-text-model";
export const BUNDLE_VERSION = 1;

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

/** A checkpoint file that fails a check; the message is `<file>: <detail>`, one line. */
export class ConfigError extends Error {
  constructor(readonly file: "config.json" | "model.safetensors" | "vocab.json", readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = "ConfigError";
  }
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const show = (x: unknown): string => {
  if (typeof x === "number") return String(x);
  if (x === undefined) return "nothing";
  const json = showJson(x);
  return json.length <= 60 ? json : Array.isArray(x) ? `a list of ${x.length} items` : `${json.slice(0, 57)}...`;
};
const fail = (field: string, what: string, got: unknown): never => {
  throw new ConfigError("config.json", `${field} must be ${what}, got ${show(got)}`);
};

/** Field checkers: each returns the value (typed) or throws naming the field. */
const posInt = (field: string, x: unknown): number => (Number.isSafeInteger(x) && (x as number) > 0 ? (x as number) : fail(field, "a positive integer", x));
const bool = (field: string, x: unknown): boolean => (typeof x === "boolean" ? x : fail(field, "true or false", x));
const oneOf = <T extends string>(field: string, choices: readonly T[], x: unknown): T =>
  (choices as readonly unknown[]).includes(x) ? (x as T) : fail(field, `one of ${choices.map((c) => `"${c}"`).join(", ")}`, x);
const optional = <T>(x: unknown, dflt: T, check: (x: unknown) => T): T => (x === undefined ? dflt : check(x));

function onlyKeys(where: string, o: Obj, allowed: readonly string[]): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) throw new ConfigError("config.json", `unknown ${where}field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k)).join(", ")} (known: ${allowed.join(", ")})`);
}

const MODEL_KEYS = ["vocabSize", "embeddingDim", "hiddenSize", "cell", "numLayers", "bidirectional", "dropout", "pooling", "paddingIdx"] as const;
const TOKENIZER_KEYS = { word: ["locale", "lowercase", "keepPunctuation"], char: ["lowercase", "keepWhitespace"], whitespace: ["lowercase", "keepPunctuation"] } as const;

function checkModel(task: BundleConfig["task"], m: unknown, labels: string[]): Required<TextClassifierOptions> | Required<SequenceRegressorOptions> {
  if (!isObj(m)) return fail("model", "an object with the model's sizes", m);
  const head = task === "classification" ? "numClasses" : "numOutputs";
  onlyKeys("model ", m, [...MODEL_KEYS, head]);
  const vocabSize = posInt("vocabSize", m.vocabSize);
  const encoder = {
    vocabSize,
    embeddingDim: optional(m.embeddingDim, 64, (x) => posInt("embeddingDim", x)),
    hiddenSize: optional(m.hiddenSize, 128, (x) => posInt("hiddenSize", x)),
    cell: optional<CellKind>(m.cell, "lstm", (x) => (isCellKind(x) ? x : oneOf("cell", CELL_KINDS, x))),
    numLayers: optional(m.numLayers, 1, (x) => posInt("numLayers", x)),
    bidirectional: optional(m.bidirectional, false, (x) => bool("bidirectional", x)),
    dropout: optional(m.dropout, 0, (x) => (typeof x === "number" && x >= 0 && x < 1 ? x : fail("dropout", "a number in [0, 1)", x))),
    pooling: optional(m.pooling, "last" as const, (x) => oneOf("pooling", ["last", "mean"] as const, x)),
    paddingIdx: optional(m.paddingIdx, 0, (x) => (Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) < vocabSize ? (x as number) : fail("paddingIdx", `an integer in [0, vocabSize ${vocabSize})`, x))),
  };
  const size = optional(m[head], task === "classification" ? undefined : 1, (x) => posInt(head, x));
  if (size !== labels.length) fail(head, `the number of labels (${labels.length})`, size);
  return task === "classification" ? { ...encoder, numClasses: size! } : { ...encoder, numOutputs: size! };
}

function checkTokenizer(t: unknown): TokenizerConfig {
  if (!isObj(t)) return fail("tokenizer", "an object such as { \"kind\": \"word\" }", t);
  const kind = oneOf("tokenizer.kind", ["word", "char", "whitespace"] as const, t.kind);
  onlyKeys(`${kind} tokenizer `, t, ["kind", ...TOKENIZER_KEYS[kind]]);
  for (const k of TOKENIZER_KEYS[kind]) {
    if (k === "locale") optional(t.locale, "en", (x) => (typeof x === "string" && x !== "" ? x : fail("tokenizer.locale", "a non-empty BCP 47 tag such as \"en\"", x)));
    else optional(t[k], false, (x) => bool(`tokenizer.${k}`, x));
  }
  return t as unknown as TokenizerConfig;
}

function checkLabels(task: BundleConfig["task"], labels: unknown): string[] {
  const min = task === "classification" ? 2 : 1;
  const what = `a list of at least ${min} distinct non-empty strings`;
  if (!Array.isArray(labels) || labels.length < min) return fail("labels", what, labels);
  const seen = new Set<string>();
  labels.forEach((l, i) => {
    if (typeof l !== "string" || l === "") fail(`labels[${i}]`, "a non-empty string", l);
    if (seen.has(l as string)) throw new ConfigError("config.json", `labels[${i}] must be distinct from the others (${JSON.stringify(l)} appears twice)`);
    seen.add(l as string);
  });
  return labels as string[];
}

/**
 * Validates a parsed config.json and returns it with the model's defaults filled in. Throws a
 * `ConfigError` naming the first bad field, e.g. `config.json: hiddenSize must be a positive integer, got "8"`.
 */
export function checkBundleConfig(config: unknown): BundleConfig & { model: Required<TextClassifierOptions> | Required<SequenceRegressorOptions> } {
  const c = isObj(config) ? config : {};
  if (c.format !== BUNDLE_FORMAT) throw new ConfigError("config.json", `not a seqtorch text model: format is ${show(isObj(config) ? c.format : config)}, expected "${BUNDLE_FORMAT}"`);
  if (c.version !== BUNDLE_VERSION) throw new ConfigError("config.json", `unsupported text model version ${show(c.version)} (this seqtorch reads version ${BUNDLE_VERSION})`);
  onlyKeys("", c, ["format", "version", "task", "model", "tokenizer", "labels", "maxLen", "training"]);
  const task = oneOf("task", ["classification", "regression"] as const, c.task);
  const labels = checkLabels(task, c.labels);
  const model = checkModel(task, c.model, labels);
  const tokenizer = checkTokenizer(c.tokenizer);
  const maxLen = c.maxLen === undefined || c.maxLen === null ? null : posInt("maxLen", c.maxLen);
  if (c.training !== undefined && !isObj(c.training)) fail("training", "an object", c.training);
  return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, task, model, tokenizer, labels, maxLen, ...(c.training ? { training: c.training as Obj } : {}) };
}

/**
 * The state dict a checked config implies, one `[key, shape, fields]` at a time, in registration
 * order (`fields` are the config fields the shape depends on). Lazy, so a config with `numLayers`
 * 1e9 costs nothing until compared.
 */
export function* expectedTensors(m: Required<TextClassifierOptions> | Required<SequenceRegressorOptions>): Generator<[string, number[], string]> {
  yield ["encoder.embedding.weight", [m.vocabSize, m.embeddingDim], "vocabSize, embeddingDim"];
  const D = m.bidirectional ? 2 : 1;
  for (let k = 0; k < m.numLayers; k++) {
    const I = k === 0 ? m.embeddingDim : m.hiddenSize * D;
    for (const suffix of D === 2 ? ["", "_reverse"] : [""]) {
      for (const [name, shape] of cellParameters(m.cell, { I, H: m.hiddenSize, P: 0, O: m.hiddenSize }, { bias: true })) {
        yield [`encoder.rnn.${name}_l${k}${suffix}`, shape, `cell "${m.cell}", hiddenSize, ${k === 0 ? "embeddingDim" : "bidirectional"}, numLayers`];
      }
    }
  }
  const rows = "numClasses" in m ? m.numClasses : m.numOutputs;
  yield ["head.weight", [rows, m.hiddenSize * D], "labels, hiddenSize, bidirectional"];
  yield ["head.bias", [rows], "labels"];
}

/**
 * Checks that the weights file holds exactly the tensors the config implies, with those shapes,
 * from the shapes alone (a safetensors header, or a loaded state dict). Throws a `ConfigError`
 * naming the tensor, both shapes and the config fields concerned.
 */
export function checkWeightShapes(config: ReturnType<typeof checkBundleConfig>, shapes: Record<string, readonly number[]>): void {
  const unused = new Set(Object.keys(shapes));
  const lead = "the weights do not fit the model described by config.json:";
  for (const [key, shape, fields] of expectedTensors(config.model)) {
    const got = Object.hasOwn(shapes, key) ? shapes[key]! : undefined;
    if (!got) throw new ConfigError("model.safetensors", `${lead} missing tensor "${key}" (check ${fields})`);
    if (got.length !== shape.length || got.some((n, i) => n !== shape[i])) {
      throw new ConfigError("model.safetensors", `${lead} size mismatch for "${key}": the file has [${got.join(", ")}], config.json implies [${shape.join(", ")}] (check ${fields})`);
    }
    unused.delete(key);
  }
  if (unused.size) throw new ConfigError("model.safetensors", `${lead} unexpected tensor${unused.size > 1 ? "s" : ""} ${[...unused].slice(0, 3).map((k) => JSON.stringify(k)).join(", ")}${unused.size > 3 ? ", ..." : ""} (check numLayers, bidirectional, cell)`);
}

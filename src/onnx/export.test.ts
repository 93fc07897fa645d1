/**
 * ONNX export, checked by running every exported model in ONNX Runtime (onnxruntime-node) and
 * comparing its outputs with seqtorch's on inputs other than the export's examples (other batch
 * sizes and lengths where the axes are dynamic).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { manualSeed, nn, randint, randn, tensor, type Tensor } from "../index.js";
import { SequenceRegressor, TextClassifier } from "../models/text.js";
import { assertValuesClose } from "../../test/helpers.js";
import { exportOnnx, OnnxExportError } from "./index.js";
import { saveOnnx } from "./node.js";

/** Runs ONNX model bytes in ONNX Runtime on named seqtorch tensors. */
async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype, t.data as Float32Array | Int32Array, [...t.shape])]));
  return session.run(inputs);
}

function expectClose(got: ort.Tensor | undefined, want: Tensor, label: string): void {
  expect(got, label).toBeDefined();
  expect([...got!.dims], `${label} shape`).toEqual([...want.shape]);
  assertValuesClose(got!.data as Float32Array, want.data as Float32Array, label, 2e-5, 1e-4);
}

const lengthsTensor = (lens: number[]): Tensor => tensor(lens, { dtype: "int32" });

describe("recurrent layers in ONNX Runtime", () => {
  const cases: [string, () => nn.RNNBase][] = [
    ["LSTM 2 layers bidirectional", () => new nn.LSTM(4, 6, { numLayers: 2, bidirectional: true })],
    ["LSTM batchFirst, no bias", () => new nn.LSTM(4, 6, { batchFirst: true, bias: false })],
    ["GRU 2 layers bidirectional batchFirst", () => new nn.GRU(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true })],
    ["RNN tanh 3 layers", () => new nn.RNN(4, 5, { numLayers: 3 })],
    ["RNN relu bidirectional", () => new nn.RNN(4, 5, { nonlinearity: "relu", bidirectional: true })],
    ["RNN leakyRelu", () => new nn.RNN(4, 5, { nonlinearity: "leakyRelu", negativeSlope: 0.2, numLayers: 2 })],
    ["GRU residual stack", () => new nn.GRU(5, 5, { numLayers: 3, residual: true })],
  ];
  for (const [label, make] of cases) {
    test(`${label}: dynamic batch and length, with and without initial states`, async () => {
      manualSeed(3);
      const rnn = make();
      const D = rnn.bidirectional ? 2 : 1;
      const shape = (N: number, T: number): number[] => (rnn.batchFirst ? [N, T, rnn.inputSize] : [T, N, rnn.inputSize]);
      const [nAxis, tAxis] = rnn.batchFirst ? [0, 1] : [1, 0];
      const isLstm = rnn instanceof nn.LSTM;
      const stateNames = isLstm ? ["h0", "c0"] : ["h0"];
      const states = (N: number): Tensor[] => stateNames.map(() => randn([D * rnn.numLayers, N, rnn.hiddenSize]));
      const dynamicAxes = {
        input: { [nAxis]: "batch", [tAxis]: "seq" }, output: { [nAxis]: "batch", [tAxis]: "seq" },
        ...Object.fromEntries([...stateNames, "hn", ...(isLstm ? ["cn"] : [])].map((n) => [n, { 1: "batch" }])),
      };
      const withStates = exportOnnx(rnn, [randn(shape(2, 5)), ...states(2)], { dynamicAxes });
      const x = randn(shape(3, 7));
      const h = states(3);
      const got = await runOrt(withStates, { input: x, ...Object.fromEntries(stateNames.map((n, i) => [n, h[i]!])) });
      const [y, s] = rnn.forward(x, (isLstm ? h : h[0]) as never);
      expectClose(got.output, y, "output");
      const finals = Array.isArray(s) ? s : [s];
      expectClose(got.hn, finals[0]!, "hn");
      if (isLstm) expectClose(got.cn, finals[1]!, "cn");

      const outputAxes = Object.fromEntries(Object.entries(dynamicAxes).filter(([n]) => !stateNames.includes(n)));
      const noStates = exportOnnx(rnn, [randn(shape(2, 5))], { dynamicAxes: outputAxes });
      const got2 = await runOrt(noStates, { input: x });
      expectClose(got2.output, rnn.forward(x)[0], "output from zero states");
    });

    test(`${label}: a padded batch with unsorted lengths (sequence_lens)`, async () => {
      manualSeed(4);
      const rnn = make();
      const [nAxis, tAxis] = rnn.batchFirst ? [0, 1] : [1, 0];
      const shape = (N: number, T: number): number[] => (rnn.batchFirst ? [N, T, rnn.inputSize] : [T, N, rnn.inputSize]);
      const bytes = exportOnnx(rnn, [randn(shape(2, 4)), lengthsTensor([4, 2])], {
        dynamicAxes: { input: { [nAxis]: "batch", [tAxis]: "seq" }, lengths: [0], output: { [nAxis]: "batch", [tAxis]: "seq" }, hn: { 1: "batch" }, ...(rnn instanceof nn.LSTM ? { cn: { 1: "batch" } } : {}) },
      });
      const lens = [3, 6, 1, 5];
      const x = randn(shape(4, 6));
      const got = await runOrt(bytes, { input: x, lengths: lengthsTensor(lens) });
      const [out, s] = rnn.forward(nn.utils.packPaddedSequence(x, lens, { batchFirst: rnn.batchFirst, enforceSorted: false }));
      const [y] = nn.utils.padPackedSequence(out, { batchFirst: rnn.batchFirst, totalLength: 6 });
      expectClose(got.output, y, "output (zeros past each length)");
      const finals = Array.isArray(s) ? s : [s];
      expectClose(got.hn, finals[0]!, "hn at each sequence's last step");
      if (rnn instanceof nn.LSTM) expectClose(got.cn, finals[1]!, "cn");
    });
  }
});

describe("feed-forward modules in ONNX Runtime", () => {
  test("Sequential of Linear, activations, Dropout, BatchNorm1d (eval) and Residual; dynamic batch", async () => {
    manualSeed(5);
    const bn = new nn.BatchNorm1d(6);
    bn.forward(randn([16, 6]).mul(3).add(1)); // training step: running statistics away from 0 and 1
    const model = new nn.Sequential(
      new nn.Linear(3, 6), bn, new nn.ReLU(), new nn.Dropout(0.5),
      new nn.Residual(new nn.Sequential(new nn.Linear(6, 6), new nn.Tanh())),
      new nn.LeakyReLU(0.1), new nn.Linear(6, 4, { bias: false }), new nn.Sigmoid(), new nn.Linear(4, 3), new nn.LogSoftmax(-1),
    );
    model.train();
    const bytes = exportOnnx(model, [randn([2, 3])], { dynamicAxes: { input: { 0: "batch" }, output: { 0: "batch" } } });
    expect(model.training).toBe(true); // the model's mode is restored
    const x = randn([5, 3]);
    const got = await runOrt(bytes, { input: x });
    model.eval();
    expectClose(got.output, model.forward(x), "output");
  });

  test("Embedding then Linear on int32 token ids of any shape; names chosen by the caller", async () => {
    manualSeed(6);
    const model = new nn.Sequential(new nn.Embedding(10, 4), new nn.Linear(4, 2));
    const bytes = exportOnnx(model, [randint(0, 10, [2, 3], { dtype: "int32" })], {
      inputNames: ["ids"], outputNames: ["scores"], dynamicAxes: { ids: [0, 1], scores: [0, 1] },
    });
    const ids = randint(0, 10, [4, 7], { dtype: "int32" });
    const got = await runOrt(bytes, { ids });
    expectClose(got.scores, model.forward(ids), "scores");
  });
});

describe("text models in ONNX Runtime", () => {
  const configs = [
    { cell: "lstm", pooling: "last", bidirectional: true, numLayers: 2 },
    { cell: "gru", pooling: "mean", bidirectional: true, numLayers: 1 },
    { cell: "rnn", pooling: "mean", bidirectional: false, numLayers: 2 },
    { cell: "gru", pooling: "last", bidirectional: false, numLayers: 1 },
  ] as const;
  for (const c of configs) {
    test(`TextClassifier ${JSON.stringify(c)} and SequenceRegressor on padded batches`, async () => {
      manualSeed(7);
      const common = { vocabSize: 20, embeddingDim: 5, hiddenSize: 6, dropout: 0.3, ...c };
      for (const model of [new TextClassifier({ ...common, numClasses: 3 }), new SequenceRegressor({ ...common, numOutputs: 2 })]) {
        const bytes = exportOnnx(model, [randint(1, 20, [2, 4], { dtype: "int32" }), lengthsTensor([4, 3])], {
          dynamicAxes: { tokens: { 0: "batch", 1: "seq" }, lengths: { 0: "batch" }, output: { 0: "batch" } },
        });
        const lens = [2, 8, 5];
        const tokens = randint(1, 20, [3, 8], { dtype: "int32" });
        const got = await runOrt(bytes, { tokens, lengths: lengthsTensor(lens) });
        model.eval();
        expectClose(got.output, model.forward(tokens, lens), `${model.constructor.name} output`);
      }
    });
  }
});

describe("what cannot be exported", () => {
  test("an LSTM with a projection, a JordanRNN and an unsupported module are named", () => {
    expect(() => exportOnnx(new nn.LSTM(3, 4, { projSize: 2 }), [randn([2, 1, 3])])).toThrow(/LSTM \(LSTM with projSize=2\) cannot be exported: ONNX's LSTM operator has no projection/);
    expect(() => exportOnnx(new nn.JordanRNN(3, 4, { outputSize: 2 }), [randn([2, 1, 3])])).toThrow(/JordanRNN/);
    expect(() => exportOnnx(new nn.Sequential(new nn.Linear(3, 3), new nn.Flatten()), [randn([2, 3])])).toThrow(/Sequential\.1 \(Flatten\) cannot be exported to ONNX/);
    expect(() => exportOnnx(new nn.Linear(3, 3), [randn([2, 3])], { opset: 13 })).toThrow(OnnxExportError);
    expect(() => exportOnnx(new nn.Linear(3, 3), [randn([2, 3])], { opset: 13 })).toThrow(/opset 13 is not supported; choose one of 14, /);
    expect(() => exportOnnx(new nn.Linear(3, 3), [randn([2, 3])], { dynamicAxes: { x: [0] } })).toThrow(/dynamicAxes names "x"/);
    expect(() => exportOnnx(new nn.Linear(3, 3), [randn([2, 3])], { outputNames: ["a", "b"] })).toThrow(/outputNames has 2 names/);
  });

  test("saveOnnx writes the model atomically and leaves nothing behind when the export fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seqtorch-onnx-"));
    manualSeed(8);
    const model = new nn.Linear(3, 2);
    const path = join(dir, "model.onnx");
    const n = await saveOnnx(path, model, [randn([1, 3])], { opset: 18 });
    expect(readFileSync(path).byteLength).toBe(n);
    const x = randn([1, 3]);
    expectClose((await runOrt(readFileSync(path), { input: x })).output, model.forward(x), "output read back");
    await expect(saveOnnx(join(dir, "bad.onnx"), new nn.LSTM(3, 4, { projSize: 2 }), [randn([2, 1, 3])])).rejects.toThrow(OnnxExportError);
    expect(readdirSync(dir)).toEqual(["model.onnx"]);
    rmSync(dir, { recursive: true, force: true });
  });
});

test("a browser bundle of the exporter (no Node built-ins) writes the same bytes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "seqtorch-onnx-bundle-"));
  const src = (f: string): string => JSON.stringify(fileURLToPath(new URL(`../${f}`, import.meta.url)));
  const program = `import { manualSeed, nn, tensor } from ${src("core.ts")};
import { exportOnnx } from ${src("onnx/index.ts")};
manualSeed(9);
const model = new nn.Sequential(new nn.Embedding(7, 3), new nn.Linear(3, 2));
const bytes = exportOnnx(model, [tensor([[1, 2]], { dtype: "int32" })]);
let s = "";
for (const b of bytes) s += String.fromCharCode(b);
console.log(btoa(s));`;
  writeFileSync(join(dir, "entry.ts"), program);
  // platform "browser" with no externals: a Node built-in anywhere in the import graph fails the build.
  const res = await build({ entryPoints: [join(dir, "entry.ts")], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022", logLevel: "silent" });
  writeFileSync(join(dir, "entry.mjs"), res.outputFiles[0]!.text);
  const bundled = execFileSync(process.execPath, [join(dir, "entry.mjs")], { encoding: "utf8" }).trim();
  manualSeed(9);
  const model = new nn.Sequential(new nn.Embedding(7, 3), new nn.Linear(3, 2));
  const direct = exportOnnx(model, [tensor([[1, 2]], { dtype: "int32" })]);
  rmSync(dir, { recursive: true, force: true });
  expect(Buffer.from(bundled, "base64").equals(Buffer.from(direct))).toBe(true);
}, 60_000);

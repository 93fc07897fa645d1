/** The word_language_model port (examples/ports/word-language-model.ts) trains, anneals by hand, ties and saves as the original does. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { io, manualSeed, tensor } from "../src/index.js";
import { Corpus, EMBEDDED_TEXT, main, RNNModel } from "../examples/ports/word-language-model.js";

const dir = mkdtempSync(join(tmpdir(), "seqtorch-wlm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a tiny tied 2-layer LSTM: validation perplexity drops clearly in 3 epochs, and the best model is saved and reloaded tied", () => {
  const save = join(dir, "model.safetensors");
  const lines: string[] = [];
  const r = main({ model: "LSTM", emsize: 32, nhid: 32, nlayers: 2, dropout: 0.2, epochs: 3, batchSize: 4, bptt: 10, tied: true, logInterval: 5, save, log: (l) => lines.push(l) });
  const ntokens = r.corpus.dictionary.length;
  const valPpl = r.valLosses.map(Math.exp);

  expect(r.trainLosses).toHaveLength(3);
  expect(r.valLosses).toHaveLength(3);
  for (const l of [...r.trainLosses, ...r.valLosses, r.testLoss]) expect(Number.isFinite(l)).toBe(true);
  // An untrained model is close to uniform (perplexity about ntokens); after 3 epochs it is far below.
  expect(valPpl[0]!).toBeLessThan(0.75 * ntokens);
  expect(valPpl[2]!).toBeLessThan(0.85 * valPpl[0]!);
  expect(Math.min(...valPpl)).toBeLessThan(0.5 * ntokens);
  expect(Math.exp(r.testLoss)).toBeLessThan(0.5 * ntokens);
  // The learning rate is only ever divided by 4, after an epoch that did not improve.
  let lr = 20;
  let best: number | null = null;
  for (let e = 0; e < 3; e++) {
    expect(r.lrs[e]).toBe(lr);
    if (best === null || r.valLosses[e]! < best) best = r.valLosses[e]!;
    else lr /= 4;
  }
  expect(lines.some((l) => l.startsWith("| end of epoch   3 |"))).toBe(true);
  expect(lines.some((l) => l.startsWith("| End of training | test loss"))).toBe(true);

  // The reloaded best model is still tied: one tensor, listed once, saved under both keys.
  const m = r.model;
  expect(m.decoder.weight).toBe(m.encoder.weight);
  expect(m.parameters().filter((p) => p === m.encoder.weight)).toHaveLength(1);
  const keys = Object.keys(m.stateDict());
  expect(keys).toContain("encoder.weight");
  expect(keys).toContain("decoder.weight");
  expect(m.parameters().length).toBe(keys.length - 1);
  const saved = io.parseSafetensors(readFileSync(save)).tensors;
  expect(Object.keys(saved).sort()).toEqual([...keys].sort());
  expect(saved["decoder.weight"]!.tolist()).toEqual(saved["encoder.weight"]!.tolist());
  expect(m.encoder.weight.tolist()).toEqual(saved["encoder.weight"]!.tolist());
});

test("tie_weights: the decoder takes the encoder's weight, both keys in stateDict, one parameter; sizes are checked", () => {
  manualSeed(0);
  const model = new RNNModel("GRU", 50, 8, 8, 1, 0, true);
  expect(model.decoder.weight).toBe(model.encoder.weight);
  expect(model.parameters()).toHaveLength(6); // encoder.weight, 4 GRU tensors, decoder.bias (decoder.weight is encoder.weight)
  expect(model.parameters().filter((p) => p === model.encoder.weight)).toHaveLength(1);
  const sd = model.stateDict();
  expect(Object.keys(sd)).toEqual(["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "decoder.weight", "decoder.bias"]);
  // As in PyTorch, state-dict entries are detached tensors over the parameters' storage: one storage here.
  expect(sd["decoder.weight"]!.data).toBe(sd["encoder.weight"]!.data);
  // init_weights: U(-0.1, 0.1) for the shared weight, zeros for the decoder bias.
  const w = (model.encoder.weight.tolist() as number[][]).flat();
  expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.1);
  expect(model.decoder.bias!.tolist()).toEqual(new Array(50).fill(0));
  // A gradient step through the decoder reaches the embedding, since they are one tensor.
  const [out] = model.forward(tensor([[1], [2]], { dtype: "int64" }), model.initHidden(1));
  out.sum().backward();
  expect(model.encoder.weight.grad!.abs().sum().item()).toBeGreaterThan(0);

  expect(() => new RNNModel("LSTM", 50, 8, 16, 1, 0, true)).toThrow("When using the tied flag, nhid must be equal to emsize");
  expect(() => new RNNModel("RNN" as "RNN_TANH", 50, 8, 8, 1)).toThrow(/An invalid option for `--model`/);
});

test("init_hidden gives zeros of [nlayers, bsz, nhid] (a pair for an LSTM), and batchify's columns come from the corpus", () => {
  const lstm = new RNNModel("LSTM", 10, 4, 6, 2, 0);
  const h = lstm.initHidden(3);
  expect(Array.isArray(h) && h.map((t) => t.shape)).toEqual([[2, 3, 6], [2, 3, 6]]);
  const relu = new RNNModel("RNN_RELU", 10, 4, 6, 2, 0);
  const h0 = relu.initHidden(3);
  expect(!Array.isArray(h0) && h0.shape).toEqual([2, 3, 6]);

  const corpus = new Corpus({ train: "a b\nb c", valid: "c a", test: "a" });
  expect(corpus.dictionary.idx2word).toEqual(["a", "b", "<eos>", "c"]);
  expect(corpus.train.tolist()).toEqual([0, 1, 2, 1, 3, 2]);
  expect(corpus.valid.tolist()).toEqual([3, 0, 2]);
  expect(new Corpus(EMBEDDED_TEXT).train.size(0)).toBeGreaterThan(400);
  expect(new Corpus({ train: "constructor toString\n", valid: "x", test: "x" }).dictionary.idx2word).toEqual(["constructor", "toString", "<eos>", "x"]);
});

/**
 * One seqtorch measurement in a fresh process, started by bench/run.ts as
 *   node --import tsx bench/child.ts '<ChildArgs JSON>'
 * `{"mode":"probe"}` prints the registered backends; a "measure" argument builds the workload on the
 * given backend and thread count, times it with the shared protocol and prints one MeasureResult JSON
 * line. On an error it prints `failed: <message>` to stderr and exits with status 1.
 */
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { firstLine, measure, rss, runMain, summarize } from "./measure.js";
import type { ChildArgs, Phase, Workload } from "./workloads.js";

type Lib = typeof import("../src/index.js");
type Tensor = import("../src/index.js").Tensor;

/**
 * Imports the library, then any backend folder under src/backend/ that has an index.ts but did not
 * register itself through the main barrel (e.g. one meant to be imported as a subpath). Returns the
 * library and the backends that failed to load, with the reason.
 */
async function loadLibrary(): Promise<{ lib: Lib; loadErrors: Record<string, string> }> {
  const lib = await import("../src/index.js");
  const loadErrors: Record<string, string> = {};
  const dir = fileURLToPath(new URL("../src/backend/", import.meta.url));
  for (const name of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
    if (lib.listBackends().includes(name) || !existsSync(`${dir}${name}/index.ts`)) continue;
    try {
      const mod = (await import(`../src/backend/${name}/index.js`)) as Record<string, unknown>;
      // A backend imported as a subpath registers on request (registerNativeBackend, ...).
      for (const [key, fn] of Object.entries(mod)) if (/^register\w*Backend$/.test(key) && typeof fn === "function") fn({ select: false });
      if (!lib.listBackends().includes(name)) loadErrors[name] = `src/backend/${name}/index.ts loaded but registered no backend "${name}"`;
    } catch (e) {
      loadErrors[name] = firstLine(e);
    }
  }
  return { lib, loadErrors };
}

/** Builds the workload's model, inputs (and optimizer) with seed 0 and returns one step of `phase`. */
function setup(lib: Lib, w: Workload, phase: Phase): () => void {
  const { nn, optim, manualSeed, randn, randint, noGrad } = lib;
  manualSeed(0);
  const r = w.model.rnn;
  const opts = { numLayers: r.numLayers, bidirectional: r.bidirectional, batchFirst: r.batchFirst };
  const rnn: import("../src/index.js").nn.RNNBase = r.mode === "LSTM" ? new nn.LSTM(r.inputSize, r.hiddenSize, opts) : new nn.GRU(r.inputSize, r.hiddenSize, opts);
  const runRnn = (x: Tensor): Tensor => rnn.forward(x)[0];
  const T = w.seqLen, N = w.batch, dirs = r.bidirectional ? 2 : 1;

  if (w.model.kind === "cellLoop") return cellLoop(lib, w, phase);
  if (w.model.kind === "rnn" && w.model.packedShort !== undefined) {
    // One sequence of T steps, the others packedShort long, packed as pack_padded_sequence packs them.
    const short = w.model.packedShort;
    const lengths = Array.from({ length: N }, (_, i) => (i === 0 ? T : short));
    const x = randn([T, N, r.inputSize]);
    const runPacked = (input: Tensor): Tensor => rnn.forward(nn.utils.packPaddedSequence(input, lengths))[0].data;
    if (phase === "forward") return () => void noGrad(() => runPacked(x));
    const up = randn([T + (N - 1) * short, r.hiddenSize * dirs]);
    x.requiresGrad_();
    return () => {
      rnn.zeroGrad();
      x.grad = null;
      runPacked(x).mul(up).sum().backward();
    };
  }
  if (w.model.kind === "rnn") {
    const x = randn(r.batchFirst ? [N, T, r.inputSize] : [T, N, r.inputSize]);
    if (phase === "forward") return () => void noGrad(() => runRnn(x));
    if (phase !== "forwardBackward") throw new Error(`phase ${phase} is not defined for a bare recurrent layer`);
    const up = randn(r.batchFirst ? [N, T, r.hiddenSize * dirs] : [T, N, r.hiddenSize * dirs]);
    x.requiresGrad_();
    return () => {
      rnn.zeroGrad();
      x.grad = null;
      runRnn(x).mul(up).sum().backward();
    };
  }

  const { vocab, classes } = w.model;
  if (!r.batchFirst) throw new Error("the classifier workload takes the last step with select(1, -1), so it needs batchFirst");
  const embedding = new nn.Embedding(vocab, r.inputSize);
  const head = new nn.Linear(r.hiddenSize * dirs, classes);
  const ids = randint(0, vocab, [N, T]);
  const forward = () => head.forward(runRnn(embedding.forward(ids)).select(1, -1));
  if (phase === "forward") return () => void noGrad(forward);
  if (phase !== "trainStep") throw new Error(`phase ${phase} is not defined for the classifier`);
  const target = randint(0, classes, [N]);
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.Adam([...embedding.parameters(), ...rnn.parameters(), ...head.parameters()]);
  return () => {
    opt.zeroGrad();
    lossFn.forward(forward(), target).backward();
    opt.step();
  };
}

/**
 * PyTorch's time_sequence_prediction model, stepped in a loop as the example does: two LSTMCells and
 * a Linear per step over a [N, T] signal, MSE against the signal one step ahead, an Adam step.
 */
function cellLoop(lib: Lib, w: Workload, phase: Phase): () => void {
  const { nn, optim, manualSeed, randn, zeros, stack } = lib;
  if (phase !== "trainStep") throw new Error(`phase ${phase} is not defined for the cell loop`);
  manualSeed(0);
  const H = w.model.rnn.hiddenSize, T = w.seqLen, N = w.batch;
  const cell1 = new nn.LSTMCell(1, H), cell2 = new nn.LSTMCell(H, H), head = new nn.Linear(H, 1);
  const signal = randn([N, T]);
  const inputs = signal.chunk(T, 1);
  const target = signal;
  const lossFn = new nn.MSELoss();
  const opt = new optim.Adam([...cell1.parameters(), ...cell2.parameters(), ...head.parameters()]);
  return () => {
    opt.zeroGrad();
    let s1: [Tensor, Tensor] = [zeros([N, H]), zeros([N, H])];
    let s2: [Tensor, Tensor] = [zeros([N, H]), zeros([N, H])];
    const outputs: Tensor[] = [];
    for (const x of inputs) {
      s1 = cell1.forward(x, s1);
      s2 = cell2.forward(s1[0], s2);
      outputs.push(head.forward(s2[0]));
    }
    lossFn.forward(stack(outputs, 1).squeeze(2), target).backward();
    opt.step();
  };
}

async function main(): Promise<string> {
  const start = performance.now();
  const args = JSON.parse(process.argv[2] ?? "null") as ChildArgs | null;
  if (!args || args.mode === "export") throw new Error("usage: node --import tsx bench/child.ts '<json args>'");
  const { lib, loadErrors } = await loadLibrary();
  if (args.mode === "probe") {
    return JSON.stringify({ backends: lib.listBackends(), loadErrors });
  }
  if (loadErrors[args.backend]) throw new Error(`backend ${args.backend} failed to load: ${loadErrors[args.backend]}`);
  lib.setBackend(args.backend);
  lib.setNumThreads(args.threads);
  const step = setup(lib, args.workload, args.phase);
  const baseline = rss().current;
  const timing = await measure(step, args.protocol, start);
  return JSON.stringify(summarize({ case: args.case, backend: args.backend, threads: args.threads }, timing, baseline));
}

runMain(main);

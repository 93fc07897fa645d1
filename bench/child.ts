/**
 * One seqtorch measurement in a fresh process, started by bench/run.ts as
 *   node --import tsx bench/child.ts '<ChildArgs JSON>'
 * `{"mode":"probe"}` prints the registered backends; a "measure" argument builds the workload on the
 * given backend and thread count, times it with the shared protocol and prints one MeasureResult JSON
 * line. On an error it prints `failed: <message>` to stderr and exits with status 1.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ChildArgs, MeasureResult, Phase, Protocol, Workload } from "./workloads.js";

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

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

/** Current and peak resident set size in bytes: /proc/self/status on Linux, else Node's own counters. */
function rss(): { current: number; peak: number; peakSource: string } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kb = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const current = kb("VmRSS"), peak = kb("VmHWM");
    if (current !== undefined && peak !== undefined) return { current, peak, peakSource: "VmHWM" };
  } catch {
    // not Linux: fall through
  }
  return { current: process.memoryUsage().rss, peak: process.resourceUsage().maxRSS * 1024, peakSource: "maxRSS" };
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

/** The shared protocol (see Protocol in workloads.ts); `start` is when this process started, in performance.now() ms. */
function measure(step: () => void, p: Protocol, start: number): { times: number[]; warmups: number; truncated: boolean } {
  let last = 0, warmups = 0;
  while (warmups < Math.max(1, p.warmup)) {
    const t0 = performance.now();
    step();
    last = performance.now() - t0;
    warmups++;
    if (last > p.targetSec * 1000) break;
  }
  const deadline = start + p.budgetSec * 1000;
  const times: number[] = [];
  let truncated = false, elapsed = 0;
  while (times.length < p.maxReps && (times.length < p.minReps || elapsed < p.targetSec * 1000)) {
    if (times.length > 0 && performance.now() + times[times.length - 1]! > deadline) {
      truncated = true;
      break;
    }
    const t0 = performance.now();
    step();
    const dt = performance.now() - t0;
    times.push(dt);
    elapsed += dt;
  }
  return { times, warmups, truncated };
}

async function main(): Promise<string> {
  const start = performance.now();
  const args = JSON.parse(process.argv[2] ?? "null") as ChildArgs | null;
  if (!args) throw new Error("usage: node --import tsx bench/child.ts '<json args>'");
  const { lib, loadErrors } = await loadLibrary();
  if (args.mode === "probe") {
    return JSON.stringify({ backends: lib.listBackends(), loadErrors });
  }
  if (loadErrors[args.backend]) throw new Error(`backend ${args.backend} failed to load: ${loadErrors[args.backend]}`);
  lib.setBackend(args.backend);
  lib.setNumThreads(args.threads);
  const step = setup(lib, args.workload, args.phase);
  const baseline = rss().current;
  const { times, warmups, truncated } = measure(step, args.protocol, start);
  const end = rss();
  const sorted = [...times].sort((a, b) => a - b);
  const n = sorted.length;
  const result: MeasureResult = {
    case: args.case, backend: args.backend, threads: args.threads,
    medianMs: n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2,
    minMs: sorted[0]!, reps: n, warmups, truncated,
    baselineRssBytes: baseline, peakRssBytes: end.peak, peakSource: end.peakSource,
  };
  return JSON.stringify(result);
}

main().then(
  // Exit explicitly (once the line is written): a backend's worker threads must not keep the process alive.
  (line) => process.stdout.write(`${line}\n`, () => process.exit(0)),
  (e: unknown) => {
    if (process.env.BENCH_DEBUG) console.error(e);
    process.stderr.write(`failed: ${firstLine(e)}\n`);
    process.exit(1);
  },
);

/**
 * What a backward pass leaves behind. The graph keeps no activations of its own once a backward
 * has used them; an upstream gradient that only the backward held goes back for the next buffer of
 * its length (and one passed on is not given back); narrow cells keep no gates, recomputing them in
 * backward to the same bits.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, test } from "vitest";
import { adoptableGradient, record } from "../src/autograd.js";
import { allocBuf } from "../src/dtype.js";
import { getBackend, manualSeed, nn, randn, registerBackend, setBackend, setCellRecomputeWidth, tensor, zeros, type Backend, type Tensor } from "../src/index.js";
import { goldenBackends } from "./backends.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Collects garbage once the current job is over (a WeakRef holds its target until then). */
async function collect(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
}

describe("what the graph keeps after backward", () => {
  async function intermediateAlive(retainGraph: boolean): Promise<boolean> {
    const x = randn([64, 64], { requiresGrad: true });
    let ref!: WeakRef<Tensor>;
    const loss = (() => {
      const mid = x.mul(2).exp();
      ref = new WeakRef(mid);
      return mid.tanh().sum();
    })();
    loss.backward(undefined, { retainGraph });
    await collect();
    expect(loss.gradFn).toBe("sum"); // the loss, and its graph, are still held here
    return ref.deref() !== undefined;
  }

  test("a loss still held keeps no activation alive once backward has run", async () => {
    expect(await intermediateAlive(false)).toBe(false);
  });

  test("with retainGraph the saved activations stay, for a second backward", async () => {
    expect(await intermediateAlive(true)).toBe(true);
  });
});

describe("upstream gradients given back", () => {
  const n = 4096;
  /** One op over `x` whose backward gives a fresh gradient of its own and shows the one it received. */
  function freshOp(x: Tensor, seen: Float32Array[]): Tensor {
    const [y] = record("fresh", [x], [x.mul(1)], ([dy]) => {
      seen.push(dy!.data as Float32Array);
      return [adoptableGradient(dy!.mul(3))];
    });
    return y;
  }

  test("a gradient only the walk held is the next buffer of its length, zeroed", () => {
    const seen: Float32Array[] = [];
    const a = randn([n], { requiresGrad: true });
    freshOp(freshOp(a, seen), seen).sum().backward();
    // The outer op's backward made a fresh gradient; the inner one read it and is done with it.
    const next = allocBuf("float32", n);
    expect(next).toBe(seen[1]);
    expect(next.every((v) => v === 0)).toBe(true);
    expect(Array.from(a.grad!.data).every((v) => v === 9)).toBe(true);
  });

  test("a gradient passed on as it is, or summed with another, is not given back while in use", () => {
    // The identity's backward hands its upstream gradient on, and the leaf keeps it as its .grad.
    const a = randn([n], { requiresGrad: true });
    const ramp = tensor(Array.from({ length: n }, (_, i) => i));
    const [y] = record("identity", [a], [a.mul(1)], ([dy]) => [dy]);
    const [z] = record("ramp", [y], [y.sum()], () => [adoptableGradient(ramp)]);
    z.backward();
    expect(a.grad!.data).toBe(ramp.data);
    expect(allocBuf("float32", n)).not.toBe(ramp.data);
    expect(a.grad!.data[5]).toBe(5);
    // Two fresh gradients into one tensor: summed in place in one of them, the other given back.
    const b = randn([n], { requiresGrad: true });
    const seen: Float32Array[] = [];
    const mid = freshOp(b, seen);
    const first: Float32Array[] = [], second: Float32Array[] = [];
    freshOp(mid, first).add(freshOp(mid, second)).sum().backward();
    expect(Array.from(b.grad!.data).every((v) => v === 18)).toBe(true);
    expect(seen).toHaveLength(1);
  });
});

describe("narrow cells recompute their gates", () => {
  afterEach(() => {
    setCellRecomputeWidth(256);
    setBackend("cpu");
  });

  /** The backend `name` with its recurrent forward counted: one entry per call, whether it saved. */
  function counted(name: string, saves: boolean[]): string {
    setBackend(name);
    const inner = getBackend();
    const kernels = inner.recurrent!;
    const wrapped: Backend = {
      ...inner,
      name: `${name}-counted`,
      recurrent: { ...kernels, forward: (a) => (saves.push(a.save), kernels.forward(a)) },
    };
    registerBackend(wrapped);
    return wrapped.name;
  }

  function run(kind: "LSTM" | "GRU" | "RNN", width: number, backend: string): { grads: number[][]; saves: boolean[] } {
    setCellRecomputeWidth(width);
    const saves: boolean[] = [];
    setBackend(counted(backend, saves));
    manualSeed(3);
    const cell = kind === "LSTM" ? new nn.LSTMCell(3, 5) : kind === "GRU" ? new nn.GRUCell(3, 5) : new nn.RNNCell(3, 5);
    const xs = [0, 1, 2].map(() => randn([4, 3], { requiresGrad: true }));
    let state: Tensor[] = kind === "LSTM" ? [zeros([4, 5]), zeros([4, 5])] : [zeros([4, 5])];
    let loss = zeros([]);
    for (const x of xs) {
      const out = cell.forward(x, (kind === "LSTM" ? state : state[0]) as never) as Tensor | [Tensor, Tensor];
      state = Array.isArray(out) ? out : [out];
      loss = loss.add(state[0]!.mul(state[0]!).sum());
    }
    loss.backward();
    return { grads: [...cell.parameters(), ...xs].map((t) => Array.from(t.grad!.data)), saves };
  }

  const fused = goldenBackends().filter((b) => b !== "primitives");
  for (const backend of fused) {
    for (const kind of ["LSTM", "GRU", "RNN"] as const) {
      test(`${kind}Cell on ${backend}: the same gradients, bit for bit, with the gates kept or recomputed`, () => {
        const kept = run(kind, 0, backend);
        const recomputed = run(kind, 256, backend);
        expect(kept.saves).toEqual([true, true, true]);
        // Three steps forward keeping nothing, then each step's forward again in backward.
        expect(recomputed.saves).toEqual([false, false, false, true, true, true]);
        expect(recomputed.grads).toEqual(kept.grads);
        // I + H = 8: a width of 7 keeps the gates.
        expect(run(kind, 7, backend).saves).toEqual([true, true, true]);
      });
    }
  }

  test("the width is a whole number", () => {
    expect(() => setCellRecomputeWidth(-1)).toThrow(/whole number >= 0, got -1/);
    expect(setCellRecomputeWidth(10)).toBe(256);
  });
});

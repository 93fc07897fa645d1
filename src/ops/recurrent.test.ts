import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { cellLayer } from "../cells/layer.js";
import { FUSED_KINDS, gateCount, kernelSlope, type FusedCellKind } from "../cells/spec.js";
import { cellStep } from "../cells/steps.js";
import { Generator } from "../random.js";
import { ShapeError, type Shape } from "../shape.js";
import { randn, tensor, Tensor, zeros } from "../tensor.js";
import { linear } from "./composite.js";
import { cat, stack } from "./movement.js";
import { recurrentCell, recurrentLayer, type RecurrentWeights } from "./recurrent.js";
import { absTol, expectAllClose, expectGradcheck, randn64, randn64From, thrown } from "../../test/helpers.js";

const T = 3, I = 2, H = 3;
const kinds: readonly FusedCellKind[] = FUSED_KINDS;

interface Setup {
  kind: FusedCellKind;
  x: Tensor;
  h0: Tensor;
  c0: Tensor | null;
  w: RecurrentWeights;
  /** Every tensor above, in a fixed order, for gradcheck. */
  all: Tensor[];
}

function setup(kind: FusedCellKind, N: number, opts: { bias?: boolean; P?: number; seed?: number } = {}): Setup {
  const r64 = randn64From(new Generator(opts.seed ?? 88));
  const r = (shape: Shape, scale = 0.6): Tensor => r64(shape, { scale });
  const G = gateCount(kind);
  const P = opts.P ?? 0;
  const Hr = P || H;
  const bias = opts.bias ?? true;
  const w: RecurrentWeights = {
    wIh: r([G * H, I]),
    wHh: r([G * H, Hr]),
    bIh: bias ? r([G * H]) : null,
    bHh: bias ? r([G * H]) : null,
    wHr: P ? r([P, H]) : null,
  };
  const x = r([T, N, I], 1);
  const h0 = r([N, Hr], 0.5);
  const c0 = kind === "lstm" ? r([N, H], 0.5) : null;
  const all = [x, h0, c0, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr].filter((t): t is Tensor => t !== null);
  return { kind, x, h0, c0, w, all };
}

const run = (s: Setup, reverse: boolean, lengths: Int32Array | null = null) =>
  recurrentLayer(s.kind, s.x, s.h0, s.c0, s.w, { reverse, lengths, slope: kernelSlope(s.kind, undefined) });

/** The same layer from the cells' composed steps, one sequence at a time, each run for its own length. */
function reference(s: Setup, reverse: boolean, lengths: Int32Array | null): [Tensor, Tensor, Tensor | null] {
  const { kind, x, w } = s;
  const N = x.shape[1]!;
  const Hr = w.wHr ? w.wHr.shape[0]! : H;
  const ys: Tensor[] = [], hs: Tensor[] = [], cs: Tensor[] = [];
  for (let b = 0; b < N; b++) {
    const L = lengths ? lengths[b]! : T;
    let h = s.h0.narrow(0, b, 1);
    let c = s.c0 ? s.c0.narrow(0, b, 1) : null;
    const out: Tensor[] = new Array<Tensor>(T).fill(zeros([1, Hr], { dtype: "float64" }));
    for (let k = 0; k < L; k++) {
      const t = reverse ? L - 1 - k : k;
      const xt = x.select(0, t).narrow(0, b, 1);
      const cw = { weight_ih: w.wIh, weight_hh: w.wHh, bias_ih: w.bIh, bias_hh: w.bHh, weight_hr: w.wHr };
      [h, c = null] = cellStep(kind)(linear(xt, w.wIh, w.bIh), c ? [h, c] : [h], cw, {}) as [Tensor, Tensor?];
      out[t] = h;
    }
    ys.push(cat(out, 0));
    hs.push(h);
    if (c) cs.push(c);
  }
  return [stack(ys, 1), cat(hs, 0), cs.length ? cat(cs, 0) : null];
}


const variants: { name: string; N: number; bias: boolean; P: number; lengths: number[] | null }[] = [
  { name: "bias", N: 2, bias: true, P: 0, lengths: null },
  { name: "no bias", N: 2, bias: false, P: 0, lengths: null },
  { name: "bias, lengths [3, 1, 2]", N: 3, bias: true, P: 0, lengths: [3, 1, 2] },
  { name: "no bias, lengths [2, 3, 1]", N: 3, bias: false, P: 0, lengths: [2, 3, 1] },
];
const projVariants = [
  { name: "projection", N: 2, bias: true, P: 2, lengths: null },
  { name: "projection, no bias", N: 2, bias: false, P: 2, lengths: null },
  { name: "projection, lengths [3, 1, 2]", N: 3, bias: true, P: 2, lengths: [3, 1, 2] },
];

describe("recurrentLayer", () => {
  for (const kind of kinds) {
    for (const v of kind === "lstm" ? [...variants, ...projVariants] : variants) {
      for (const reverse of [false, true]) {
        const label = `${kind}, ${reverse ? "reverse" : "forward"}, ${v.name}`;
        const lengths = v.lengths ? Int32Array.from(v.lengths) : null;

        test(`gradcheck: ${label}`, () => {
          const s = setup(kind, v.N, { bias: v.bias, P: v.P });
          // Rebuild the call from the gradcheck arguments so every input is checked.
          expectGradcheck(() => run(s, reverse, lengths), s.all);
        });

        test(`matches the composed reference, forward and backward: ${label}`, () => {
          const s = setup(kind, v.N, { bias: v.bias, P: v.P, seed: 99 });
          const [y, hN, cN] = run(s, reverse, lengths);
          const [ry, rhN, rcN] = reference(s, reverse, lengths);
          expectAllClose(y, ry, "y", absTol(1e-12));
          expectAllClose(hN, rhN, "hN", absTol(1e-12));
          expectAllClose(cN, rcN, "cN", { ...absTol(1e-12), allowNull: true });
          const up = (t: Tensor, seed: number) => randn(t.shape, { dtype: "float64", generator: new Generator(seed) });
          const loss = (o: [Tensor, Tensor, Tensor | null]) => {
            const l = o[0].mul(up(o[0], 1)).sum().add(o[1].mul(up(o[1], 2)).sum());
            return o[2] ? l.add(o[2].mul(up(o[2], 3)).sum()) : l;
          };
          loss([y, hN, cN]).backward();
          const fused = s.all.map((t) => t.grad);
          s.all.forEach((t) => (t.grad = null));
          loss([ry, rhN, rcN]).backward();
          s.all.forEach((t, i) => expectAllClose(fused[i], t.grad, `grad of input ${i}`, absTol(1e-12)));
        });
      }
    }
  }

  describe("lengths (packed sequences)", () => {
    const cases: [FusedCellKind, number][] = [...kinds.map((k): [FusedCellKind, number] => [k, 0]), ["lstm", 2]];
    for (const [kind, P] of cases) {
      for (const reverse of [false, true]) {
        test(`${kind}${P ? " with projection" : ""}, ${reverse ? "reverse" : "forward"}: zero output past the length, hN as if run alone`, () => {
          const lengths = Int32Array.from([3, 1, 2]);
          const s = setup(kind, 3, { P, seed: 5 });
          const [y, hN, cN] = run(s, reverse, lengths);
          for (let b = 0; b < 3; b++) {
            const L = lengths[b]!;
            for (let t = L; t < T; t++) expect(y.select(0, t).select(0, b).tolist()).toEqual(new Array<number>(P || H).fill(0));
            const alone = recurrentLayer(kind, s.x.narrow(0, 0, L).narrow(1, b, 1), s.h0.narrow(0, b, 1), s.c0 ? s.c0.narrow(0, b, 1) : null, s.w, { reverse, slope: kernelSlope(kind, undefined) });
            expectAllClose(hN.narrow(0, b, 1), alone[1], `hN of sequence ${b}`, absTol(1e-14));
            expectAllClose(cN ? cN.narrow(0, b, 1) : null, alone[2], `cN of sequence ${b}`, { ...absTol(1e-14), allowNull: true });
            expectAllClose(y.narrow(0, 0, L).narrow(1, b, 1), alone[0], `y of sequence ${b}`, absTol(1e-14));
          }
        });
      }
    }

    test("full lengths equal no lengths", () => {
      const s = setup("lstm", 2, { P: 2 });
      const a = run(s, true, Int32Array.from([3, 3]));
      const b = run(s, true);
      expectAllClose(a[0], b[0], "y", absTol(0));
      expectAllClose(a[1], b[1], "hN", absTol(0));
      expectAllClose(a[2], b[2], "cN", absTol(0));
    });
  });

  describe("PyTorch golden values for one step (test/golden/cells.json)", () => {
    interface G { shape: number[]; data: number[] }
    interface Case {
      name: string;
      module: string;
      options: { nonlinearity?: string };
      stateDict: Record<string, G>;
      inputs: Record<string, G>;
      outputs: Record<string, G>;
      upstream: Record<string, G>;
      grads: Record<string, G>;
    }
    const golden = JSON.parse(readFileSync(new URL("../../test/golden/cells.json", import.meta.url), "utf8")) as { cases: Case[] };
    for (const c of golden.cases) {
      test(c.name, () => {
        const kind: FusedCellKind = c.module === "LSTMCell" ? "lstm" : c.module === "GRUCell" ? "gru" : c.options.nonlinearity === "relu" ? "rnn-relu" : "rnn";
        const t = (g: G, shape?: number[]): Tensor => tensor(g.data, shape ?? g.shape, { dtype: "float64", requiresGrad: true });
        const inp = c.inputs.input!;
        const N = inp.shape.length === 2 ? inp.shape[0]! : 1;
        const Hs = c.stateDict.weight_hh!.shape[1]!;
        const x = t(inp, [1, N, inp.shape[inp.shape.length - 1]!]);
        const h0 = c.inputs.h0 ? t(c.inputs.h0, [N, Hs]) : zeros([N, Hs], { dtype: "float64" });
        const c0 = kind !== "lstm" ? null : c.inputs.c0 ? t(c.inputs.c0, [N, Hs]) : zeros([N, Hs], { dtype: "float64" });
        const sd = c.stateDict;
        const w: RecurrentWeights = {
          wIh: t(sd.weight_ih!),
          wHh: t(sd.weight_hh!),
          bIh: sd.bias_ih ? t(sd.bias_ih) : null,
          bHh: sd.bias_hh ? t(sd.bias_hh) : null,
          wHr: null,
        };
        const [, hN, cN] = recurrentLayer(kind, x, h0, c0, w);
        const flat = (g: G): Tensor => tensor(g.data, [g.data.length], { dtype: "float64" });
        const tol = 2e-6;
        expectAllClose(hN.reshape(-1), flat(c.outputs.h!), "h", absTol(tol));
        if (c.outputs.c) expectAllClose(cN!.reshape(-1), flat(c.outputs.c), "c", absTol(tol));
        let loss = hN.reshape(-1).mul(flat(c.upstream.h!)).sum();
        if (c.upstream.c) loss = loss.add(cN!.reshape(-1).mul(flat(c.upstream.c)).sum());
        loss.backward();
        const byKey: Record<string, Tensor | null> = {
          input: x, h0, c0, weight_ih: w.wIh, weight_hh: w.wHh, bias_ih: w.bIh, bias_hh: w.bHh,
        };
        for (const [key, g] of Object.entries(c.grads)) {
          expectAllClose(byKey[key]!.grad!.reshape(-1), flat(g), `grad ${key}`, absTol(tol));
        }
      });
    }
  });

  test("shape errors name the op and shapes", () => {
    const s = setup("lstm", 2);
    const err = thrown(() => recurrentLayer("lstm", s.x, s.h0.narrow(0, 0, 1), s.c0, s.w), ShapeError);
    expect(err.op).toBe("recurrentLayer(lstm)");
    expect(err.shapes).toEqual([[2, 3], [1, 3]]);
    expect(() => recurrentLayer("lstm", s.x, s.h0, null, s.w)).toThrow(/needs c0/);
    expect(() => recurrentLayer("gru", s.x, s.h0, null, s.w)).toThrow(/weight_hh must have shape \[12, 4\], got \[12, 3\]/);
    expect(() => recurrentLayer("lstm", s.x.reshape(6, 2), s.h0, s.c0, s.w)).toThrow(/expected input \[T, N, I\], got \[6, 2\]/);
    expect(() => recurrentLayer("lstm", s.x, s.h0, s.c0, s.w, { lengths: Int32Array.from([1]) })).toThrow(/lengths has 1 entries/);
  });
});

describe("recurrentLayer with a leaky ReLU (rnn-leaky: the kernels' slope)", () => {
  const g = new Generator(5);
  const r = (shape: number[], scale = 1): Tensor => randn64(shape, { scale, generator: g });
  const [T, N, I, H] = [4, 2, 3, 5];
  const w = { wIh: r([H, I], 0.8), wHh: r([H, H], 0.8), bIh: r([H], 0.3), bHh: r([H], 0.3), wHr: null };
  const x = r([T, N, I]);
  const h0 = r([N, H]);

  test("gradcheck, and the state gradient the diagnostics report", () => {
    for (const reverse of [false, true]) {
      expectGradcheck((...ts) => recurrentLayer("rnn-leaky", ts[0]!, ts[1]!, null, { wIh: ts[2]!, wHh: ts[3]!, bIh: ts[4]!, bHh: ts[5]!, wHr: null }, { reverse, slope: 0.1 }).slice(0, 2) as Tensor[], [x, h0, w.wIh, w.wHh, w.bIh, w.bHh]);
    }
  });

  test("matches leakyRelu composed step by step; the composed layer reports d loss / d h_t", () => {
    const [y] = recurrentLayer("rnn-leaky", x, h0, null, w, { slope: 0.1 });
    let h = h0;
    const steps: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      h = linear(x.select(0, t), w.wIh, w.bIh).add(linear(h, w.wHh, w.bHh)).leakyRelu(0.1);
      steps.push(h);
    }
    expectAllClose(y, stack(steps, 0), "y", absTol(1e-12));
    // Loss on the last step only: d loss / d h_t is the gradient flowing back from the end.
    const seen: Tensor[] = [];
    const cw = { weight_ih: w.wIh, weight_hh: w.wHh, bias_ih: w.bIh, bias_hh: w.bHh };
    const [y2] = cellLayer("rnn-leaky", x, [h0], cw, { cell: { negativeSlope: 0.1 }, onStepGrad: (t, dh) => (seen[t] = dh) });
    expectAllClose(y2, y, "composed y", absTol(1e-12));
    const up = randn([N, H], { dtype: "float64", generator: g });
    y2.select(0, T - 1).mul(up).sum().backward();
    expect(seen.length).toBe(T);
    const dh = stack(seen, 0);
    expect(dh.shape).toEqual([T, N, H]);
    expectAllClose(dh.select(0, T - 1), up, "last step", absTol(1e-12));
    // One step back: d h_{T-1} / d h_{T-2} = diag(act') W_hh.
    const pre = linear(x.select(0, T - 1), w.wIh, w.bIh).add(linear(steps[T - 2]!, w.wHh, w.bHh)).detach();
    const act = pre.gt(0).add(pre.le(0).mul(0.1));
    expectAllClose(dh.select(0, T - 2), up.mul(act).matmul(w.wHh.detach()), "one step back", absTol(1e-12));
  });
});

describe("recurrentCell (one step of a cell, float64 on the reference backend)", () => {
  for (const kind of kinds) {
    for (const bias of [true, false]) {
      const label = `${kind}${bias ? "" : ", no bias"}`;
      const cellOf = (s: Setup) => (...ts: Tensor[]): Tensor[] => {
        const [x, h, c] = ts as [Tensor, Tensor, Tensor | undefined];
        const i = s.c0 ? 3 : 2;
        const w = { wIh: ts[i]!, wHh: ts[i + 1]!, bIh: bias ? ts[i + 2]! : null, bHh: bias ? ts[i + 3]! : null };
        const [h1, c1] = recurrentCell(kind, x, h, s.c0 ? c! : null, w, kernelSlope(kind, undefined));
        return c1 ? [h1, c1] : [h1];
      };

      test(`gradcheck: ${label}`, () => {
        const s = setup(kind, 3, { bias, seed: 21 });
        expectGradcheck(cellOf(s), [s.x.select(0, 1).detach().requiresGrad_(), ...s.all.slice(1)]);
      });

      test(`equals the composed step, forward and backward: ${label}`, () => {
        const s = setup(kind, 3, { bias, seed: 22 });
        const x = s.x.select(0, 0).detach().requiresGrad_();
        const inputs = [x, ...s.all.slice(1)];
        const fused = cellOf(s)(...inputs);
        const cw = { weight_ih: s.w.wIh, weight_hh: s.w.wHh, bias_ih: s.w.bIh, bias_hh: s.w.bHh };
        const composed = cellStep(kind)(linear(x, s.w.wIh, s.w.bIh), s.c0 ? [s.h0, s.c0] : [s.h0], cw, {});
        const loss = (outs: Tensor[]) => outs.reduce((l, t, i) => l.add(t.mul(t.mul(i + 1).sin()).sum()), zeros([], { dtype: "float64" }));
        fused.forEach((t, i) => expectAllClose(t, composed[i], `state ${i}`, absTol(1e-12)));
        loss(fused).backward();
        const grads = inputs.map((t) => t.grad);
        inputs.forEach((t) => (t.grad = null));
        loss(composed).backward();
        inputs.forEach((t, i) => expectAllClose(grads[i], t.grad, `grad of input ${i}`, absTol(1e-12)));
      });
    }
  }

  test("shape errors name the op and shapes", () => {
    const s = setup("lstm", 2);
    const w = { wIh: s.w.wIh, wHh: s.w.wHh, bIh: s.w.bIh, bHh: s.w.bHh };
    const x = s.x.select(0, 0);
    expect(() => recurrentCell("lstm", s.x, s.h0, s.c0, w)).toThrow(/recurrentCell\(lstm\): expected input \[N, I\], got \[3, 2, 2\]/);
    expect(() => recurrentCell("lstm", x, s.h0.narrow(0, 0, 1), s.c0, w)).toThrow(/h0 must have shape \[2, 3\], got \[1, 3\]/);
    expect(() => recurrentCell("lstm", x, s.h0, null, w)).toThrow(/needs c0/);
  });
});

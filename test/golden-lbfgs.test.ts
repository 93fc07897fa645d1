/**
 * `optim.LBFGS` against PyTorch 1.13 (tools/golden/lbfgs.py): the Rosenbrock function in float64,
 * with and without the strong Wolfe line search, and a small LSTM regression in float32, several
 * calls to `step(closure)` each, comparing the loss step returns, the parameters and the counters.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getBackend, nn, optim, setBackend, tensor, type Tensor } from "../src/index.js";
import { goldenBackends } from "./backends.js";
import { loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";
import { expectAllClose, relTol } from "./helpers.js";

interface Step { loss: number; funcEvals: number; nIter: number; x?: GoldenTensor; weights?: Record<string, GoldenTensor> }
interface Case {
  name: string;
  kind: "rosenbrock" | "lstm";
  options: Partial<optim.LBFGSOptions>;
  start?: number[];
  weights?: Record<string, GoldenTensor>;
  input?: GoldenTensor;
  target?: GoldenTensor;
  steps: Step[];
}

const golden = loadGolden<Case>("lbfgs");

/** The loss, with x.grad set from the closed-form gradient, in the generator's order of operations. */
function rosenbrock(x: Tensor): number {
  const [x0, x1] = x.data as unknown as [number, number];
  const [a, b] = [1 - x0, x1 - x0 * x0];
  x.grad = tensor([-2 * a - 400 * x0 * b, 200 * b], { dtype: "float64" });
  return a * a + 100 * (b * b);
}

describe("LBFGS matches PyTorch 1.13", () => {
  for (const c of golden.cases.filter((c) => c.kind === "rosenbrock")) {
    test(`${c.name} (float64)`, () => {
      const x = tensor(c.start!, { dtype: "float64", requiresGrad: true });
      const opt = new optim.LBFGS([x], c.options);
      const closure = (): number => rosenbrock(x);
      c.steps.forEach((s, i) => {
        const loss = opt.step(closure);
        expectAllClose([loss], [s.loss], `${c.name} step ${i} loss`, relTol(1e-10));
        expectAllClose(x, s.x!.data, `${c.name} step ${i} x`, relTol(1e-10));
        const st = opt.state.get(x)!;
        expect([st.func_evals, st.n_iter], `${c.name} step ${i} counters`).toEqual([s.funcEvals, s.nIter]);
      });
    });
  }

});

describe.each(goldenBackends())("LBFGS on an LSTM matches PyTorch 1.13 (%s backend)", (backend) => {
  const previous = getBackend().name;
  beforeAll(() => void setBackend(backend));
  afterAll(() => void setBackend(previous));
  for (const c of golden.cases.filter((c) => c.kind === "lstm")) {
    test(`${c.name} (float32)`, () => {
      const lstm = new nn.LSTM(1, 8);
      const head = new nn.Linear(8, 1);
      const strip = (prefix: string): Record<string, Tensor> =>
        Object.fromEntries(Object.entries(c.weights!).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), toTensor(v)]));
      lstm.loadStateDict(strip("lstm."));
      head.loadStateDict(strip("head."));
      const named: [string, Tensor][] = [
        ...[...lstm.namedParameters()].map(([k, p]): [string, Tensor] => [`lstm.${k}`, p]),
        ...[...head.namedParameters()].map(([k, p]): [string, Tensor] => [`head.${k}`, p]),
      ];
      const [input, target] = [toTensor(c.input!), toTensor(c.target!)];
      const mse = new nn.MSELoss();
      const opt = new optim.LBFGS(named.map(([, p]) => p), c.options);
      const closure = (): Tensor => {
        opt.zeroGrad();
        const [out] = lstm.forward(input);
        const loss = mse.forward(head.forward(out), target);
        loss.backward();
        return loss;
      };
      c.steps.forEach((s, i) => {
        const loss = opt.step(closure);
        const st = opt.state.get(named[0]![1])!;
        expect([st.func_evals, st.n_iter], `${c.name} step ${i} counters`).toEqual([s.funcEvals, s.nIter]);
        expectAllClose([loss.item()], [s.loss], `${c.name} step ${i} loss`, relTol(1e-4));
        for (const [k, p] of named) expectAllClose(p, s.weights![k]!.data, `${c.name} step ${i} ${k}`, relTol(1e-4));
      });
    });
  }
});

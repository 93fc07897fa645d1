/**
 * Basic layers, losses and activations against PyTorch 1.13 (tools/golden/nn.py), forward and
 * backward. Module weights go in through `loadStateDict`. A case was made like:
 *   m = nn.Linear(4, 3); y = m(x); up = torch.randn(y.shape); (y*up).sum().backward()
 *   loss = nn.CrossEntropyLoss(reduction="mean")(x, t); loss.backward()   # scalar: no upstream
 */
import { describe, expect, test } from "vitest";
import { nn, Tensor } from "../src/index.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

type Reduction = "mean" | "sum" | "none";

interface ModuleCase {
  name: string;
  module: "Linear" | "Embedding" | "ReLU" | "LeakyReLU" | "Sigmoid" | "Tanh" | "softmax" | "logSoftmax";
  options: {
    inFeatures?: number; outFeatures?: number; bias?: boolean;
    numEmbeddings?: number; embeddingDim?: number; paddingIdx?: number;
    negativeSlope?: number; dim?: number;
  };
  stateDict?: Record<string, GoldenTensor>;
  input: GoldenTensor;
  output: GoldenTensor;
  upstream: GoldenTensor;
  grads: Record<string, GoldenTensor>;
}

interface LossCase {
  name: string;
  module: "CrossEntropyLoss" | "MSELoss" | "BCEWithLogitsLoss";
  options: { reduction: Reduction; ignoreIndex?: number; posWeight?: GoldenTensor };
  input: GoldenTensor;
  target: GoldenTensor;
  output: GoldenTensor;
  upstream: GoldenTensor | null;
  grads: { input: GoldenTensor };
}

const LOSSES = new Set(["CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss"]);
const golden = loadGolden<ModuleCase | LossCase>("nn");
const moduleCases = golden.cases.filter((c): c is ModuleCase => !LOSSES.has(c.module));
const lossCases = golden.cases.filter((c): c is LossCase => LOSSES.has(c.module));

/** The seqtorch module for a case, and its forward; `null` module for the functional cases. */
function build(c: ModuleCase): [nn.Module | null, (x: Tensor) => Tensor] {
  const o = c.options;
  switch (c.module) {
    case "Linear": {
      const m = new nn.Linear(o.inFeatures!, o.outFeatures!, { bias: o.bias! });
      return [m, (x) => m.forward(x)];
    }
    case "Embedding": {
      const m = new nn.Embedding(o.numEmbeddings!, o.embeddingDim!, { paddingIdx: o.paddingIdx ?? null });
      return [m, (x) => m.forward(x)];
    }
    case "ReLU": {
      const m = new nn.ReLU();
      return [m, (x) => m.forward(x)];
    }
    case "LeakyReLU": {
      const m = o.negativeSlope === undefined ? new nn.LeakyReLU() : new nn.LeakyReLU(o.negativeSlope);
      return [m, (x) => m.forward(x)];
    }
    case "Sigmoid": {
      const m = new nn.Sigmoid();
      return [m, (x) => m.forward(x)];
    }
    case "Tanh": {
      const m = new nn.Tanh();
      return [m, (x) => m.forward(x)];
    }
    case "softmax":
      return [null, (x) => nn.functional.softmax(x, o.dim!)];
    case "logSoftmax":
      return [null, (x) => nn.functional.logSoftmax(x, o.dim!)];
  }
}

function buildLoss(c: LossCase): { forward(input: Tensor, target: Tensor): Tensor } {
  const { reduction, ignoreIndex, posWeight } = c.options;
  if (c.module === "CrossEntropyLoss") return new nn.CrossEntropyLoss(ignoreIndex === undefined ? { reduction } : { reduction, ignoreIndex });
  if (c.module === "MSELoss") return new nn.MSELoss({ reduction });
  return new nn.BCEWithLogitsLoss(posWeight ? { reduction, posWeight: toTensor(posWeight) } : { reduction });
}

describe("nn golden file", () => {
  test("covers every module, loss and activation", () => {
    const kinds = new Set(golden.cases.map((c) => c.module));
    for (const k of ["Linear", "Embedding", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "softmax", "logSoftmax"]) {
      expect(kinds.has(k as ModuleCase["module"]), k).toBe(true);
    }
    expect(golden.meta.script).toBe("tools/golden/nn.py");
    expect(golden.cases.length).toBe(moduleCases.length + lossCases.length);
  });
});

describe("modules and activations match PyTorch", () => {
  test.each(moduleCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const [m, forward] = build(c);
    if (c.stateDict) {
      expect(Object.keys(m!.stateDict())).toEqual(Object.keys(c.stateDict));
      m!.loadStateDict(c.stateDict);
    }
    const intInput = c.input.dtype === "int32";
    const x = toTensor(c.input, !intInput);
    const y = forward(x);
    expectClose(y, c.output, `${c.name} output`);
    y.mul(toTensor(c.upstream)).sum().backward();
    if (!intInput) expectClose(x.grad, c.grads.input!, `${c.name} grad input`);
    for (const [k, p] of m ? m.namedParameters() : []) expectClose(p.grad, c.grads[k]!, `${c.name} grad ${k}`);
    const paramNames = m ? m.namedParameters().map(([k]) => k) : [];
    expect([...paramNames, ...(intInput ? [] : ["input"])].sort()).toEqual(Object.keys(c.grads).sort());
  });
});

describe("losses match PyTorch", () => {
  test.each(lossCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const loss = buildLoss(c);
    const x = toTensor(c.input, true);
    const y = loss.forward(x, toTensor(c.target));
    expectClose(y, c.output, `${c.name} output`);
    if (c.upstream === null) {
      expect(y.ndim).toBe(0);
      y.backward();
    } else {
      y.mul(toTensor(c.upstream)).sum().backward();
    }
    expectClose(x.grad, c.grads.input, `${c.name} grad input`);
  });
});

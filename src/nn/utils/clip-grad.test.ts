import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { tensor, zeros, type Tensor } from "../../tensor.js";
import { clipGradNorm_, clipGradValue_ } from "./index.js";
import { expectClose } from "../../../test/golden-helpers.js";
import { expectAllClose } from "../../../test/helpers.js";

// Golden data: tools/golden/clip.py (PyTorch 1.13). Per case, in short:
//   torch.manual_seed(seed)
//   ps = [Parameter(zeros(s)) for s in [(3, 4), (4,), (2, 3)]]; for p in ps: p.grad = randn(p.shape) * scale
//   total = clip_grad_norm_(ps, max_norm, norm_type)   # or clip_grad_value_(ps, clip_value)
interface T {
  shape: number[];
  data: number[];
}
type ClipCase = { name: string; grads: T[]; after: T[] } & (
  | { fn: "clipGradNorm_"; maxNorm: number; normType: number | "inf"; total: number }
  | { fn: "clipGradValue_"; clipValue: number }
);
const golden = JSON.parse(readFileSync(new URL("../../../test/golden/clip.json", import.meta.url), "utf8")) as { cases: ClipCase[] };

const withGrad = (g: T): Tensor => {
  const p = zeros(g.shape, { requiresGrad: true });
  p.grad = tensor(g.data, g.shape);
  return p;
};

// PyTorch computes the norms in float32, we in float64. Tolerance: |a - b| <= 1e-5 + 1e-4 * |b|
// (the golden expectClose's default).

describe("gradient clipping matches PyTorch (test/golden/clip.json)", () => {
  for (const c of golden.cases) {
    test(c.name, () => {
      const params = c.grads.map(withGrad);
      if (c.fn === "clipGradNorm_") {
        const total = clipGradNorm_(params, c.maxNorm, c.normType);
        expectAllClose([total], [c.total], "total", { atol: 1e-5, rtol: 1e-4 });
      } else {
        expect(clipGradValue_(params, c.clipValue)).toBeUndefined();
      }
      params.forEach((p, i) => expectClose(p.grad!, c.after[i]!, `${c.name} grad ${i}`));
    });
  }
});

describe("clipGradNorm_", () => {
  test("returns the norm before clipping and scales by maxNorm / (total + 1e-6)", () => {
    const a = withGrad({ shape: [2], data: [3, 0] });
    const b = withGrad({ shape: [1], data: [4] });
    expect(clipGradNorm_([a, b], 1)).toBe(5);
    expect(a.grad!.data[0]).toBeCloseTo(3 / (5 + 1e-6), 7);
    expect(b.grad!.data[0]).toBeCloseTo(4 / (5 + 1e-6), 7);
    expect(clipGradNorm_([a, b], 1)).toBeCloseTo(1, 6);
  });

  test("leaves gradients below maxNorm unchanged, and accepts a single tensor", () => {
    const a = withGrad({ shape: [2], data: [0.3, -0.4] });
    expect(clipGradNorm_(a, 1)).toBeCloseTo(0.5, 7);
    expect([...a.grad!.data]).toEqual([...tensor([0.3, -0.4]).data]);
  });

  test("inf norm, as Infinity or \"inf\", is the largest |g| over all gradients", () => {
    const make = (): Tensor[] => [withGrad({ shape: [2], data: [1, -6] }), withGrad({ shape: [1], data: [2] })];
    const [a, b] = make();
    expect(clipGradNorm_([a!, b!], 3, "inf")).toBe(6);
    expect(a!.grad!.data[1]).toBeCloseTo(-3, 5);
    expect(b!.grad!.data[0]).toBeCloseTo(1, 5);
    expect(clipGradNorm_(make(), 3, Infinity)).toBe(6);
  });

  test("an empty list, or parameters without grads, give 0 and change nothing", () => {
    expect(clipGradNorm_([], 1)).toBe(0);
    const noGrad = zeros([3], { requiresGrad: true });
    const withG = withGrad({ shape: [1], data: [10] });
    expect(clipGradNorm_([noGrad], 1)).toBe(0);
    expect(noGrad.grad).toBeNull();
    expect(clipGradNorm_([noGrad, withG], 1)).toBe(10);
    expect(noGrad.grad).toBeNull();
  });

  test("a non-finite total throws with errorIfNonfinite, naming the escape hatch", () => {
    const a = withGrad({ shape: [2], data: [Infinity, 1] });
    expect(() => clipGradNorm_([a], 1, 2, true)).toThrow(/non-finite \(Infinity\).*set errorIfNonfinite=false/);
    const n = withGrad({ shape: [2], data: [Number.NaN, 1] });
    expect(() => clipGradNorm_([n], 1, "inf", true)).toThrow(/norm of order Infinity .* \(NaN\)/);
    // without the flag PyTorch scales anyway: coef = 1 / inf = 0, and inf * 0 = NaN
    expect(clipGradNorm_([a], 1)).toBe(Infinity);
    expect([...a.grad!.data]).toEqual([Number.NaN, 0]);
  });
});

describe("clipGradValue_", () => {
  test("clamps every grad to [-v, v] in place and skips null grads", () => {
    const a = withGrad({ shape: [4], data: [-2, -0.5, 0.25, 3] });
    const g = a.grad!;
    const none = zeros([2], { requiresGrad: true });
    clipGradValue_([a, none], 1);
    expect(a.grad).toBe(g);
    expect([...g.data]).toEqual([-1, -0.5, 0.25, 1]);
    expect(none.grad).toBeNull();
  });
});

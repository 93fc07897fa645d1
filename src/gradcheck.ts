/**
 * Finite-difference gradient checking, after `torch.autograd.gradcheck`: compares the analytical
 * gradient of a random projection of the outputs with central differences, in float64.
 */
import { noGrad } from "./autograd.js";
import { Generator } from "./random.js";
import { randn, Tensor } from "./tensor.js";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytical - numerical| over all checked elements. */
  maxError: number;
  /** Where the first mismatch was found, when not ok. */
  message: string;
}

/**
 * Checks `fn`'s backward against central differences for every element of every input that
 * requires a gradient. Inputs should be float64 (`randn(shape, { dtype: "float64", requiresGrad: true })`).
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor | (Tensor | null)[], inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 1234 } = options;
  for (const x of inputs) {
    if (x.requiresGrad && x.dtype !== "float64") throw new Error(`gradcheck: inputs that require grad must be float64, got ${x.dtype}`);
  }
  const outs = (): Tensor[] => {
    const r = fn(...inputs);
    return (Array.isArray(r) ? r : [r]).filter((t): t is Tensor => t !== null);
  };
  const g = new Generator(seed);
  const first = outs();
  const weights = first.map((o) => randn(o.shape, { dtype: "float64", generator: g }));
  const loss = (os: Tensor[]): number => {
    let s = 0;
    os.forEach((o, i) => {
      const w = weights[i]!.data;
      for (let j = 0; j < o.numel(); j++) s += o.data[j]! * w[j]!;
    });
    return s;
  };

  for (const x of inputs) x.grad = null;
  let total: Tensor | null = null;
  first.forEach((o, i) => {
    if (!o.requiresGrad) return;
    const term = o.mul(weights[i]!).sum();
    total = total ? total.add(term) : term;
  });
  if (total) (total as Tensor).backward();

  let maxError = 0;
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k]!;
    if (!x.requiresGrad) continue;
    const analytical = x.grad ? x.grad.data : new Float64Array(x.numel());
    for (let j = 0; j < x.numel(); j++) {
      const orig = x.data[j]!;
      x.data[j] = orig + eps;
      const up = noGrad(() => loss(outs()));
      x.data[j] = orig - eps;
      const down = noGrad(() => loss(outs()));
      x.data[j] = orig;
      const numerical = (up - down) / (2 * eps);
      const a = analytical[j]!;
      const err = Math.abs(a - numerical);
      maxError = Math.max(maxError, err);
      if (!(err <= atol + rtol * Math.abs(numerical))) {
        return { ok: false, maxError: err, message: `input ${k} element ${j}: analytical ${a}, numerical ${numerical}` };
      }
    }
  }
  return { ok: true, maxError, message: "" };
}

/**
 * PyTorch's tensor repr (`torch/_tensor_str.py` with the default print options: precision 4,
 * line width 80, summarised past 1000 elements with 3 edge items): one width for every element,
 * scientific notation when the magnitudes demand it, integral floats as `1.`, and the `dtype=`,
 * `requires_grad=True` and `grad_fn=<...>` suffixes.
 *
 * seqtorch's int32 stands in for PyTorch's default integer dtype (int64, what index tensors are), so
 * an int32 tensor prints without a dtype suffix, as `torch.tensor([1, 2])` does; float64 prints
 * `dtype=torch.float64`.
 */
import { numel } from "./shape.js";
import type { Tensor } from "./tensor.js";

const PRECISION = 4;
const LINE_WIDTH = 80;
const THRESHOLD = 1000;
const EDGE = 3;

const EXTRA = 30; // digits past the last shown that tell an exact tie from a near one

/**
 * `a` (non-negative, finite) rounded to `digits` by JavaScript's `toFixed` or `toExponential`, but
 * with Python's rule for an exact tie (half to even) where JavaScript rounds the tie up.
 */
function rounded(a: number, digits: number, exp: boolean): string {
  const js = exp ? a.toExponential(digits) : a.toFixed(digits);
  const long = exp ? a.toExponential(digits + EXTRA) : a.toFixed(digits + EXTRA);
  const [mant, e] = long.split("e") as [string, string | undefined];
  if (!mant.endsWith("5" + "0".repeat(EXTRA - 1))) return js;
  const head = mant.slice(0, mant.length - EXTRA).replace(/\.$/, "");
  if (Number(head.charAt(head.length - 1)) % 2 === 1) return js;
  return e === undefined ? head : `${head}e${e}`;
}

/** Python's `"{:.Nf}"` or, with `exp`, `"{:.Ne}"` (two-digit exponent at least). */
function fmtFloat(v: number, digits: number, exp: boolean): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const s = rounded(Math.abs(v), digits, exp).replace(/e([+-])(\d)$/, "e$10$2");
  return v < 0 || Object.is(v, -0) ? `-${s}` : s;
}
const fixed = (v: number, digits: number): string => fmtFloat(v, digits, false);
const sci = (v: number, digits: number): string => fmtFloat(v, digits, true);

/** The shared element format, decided from every value shown (PyTorch's `_Formatter`). */
class Formatter {
  private readonly floating: boolean;
  private intMode = true;
  private sciMode = false;
  width = 1;

  constructor(t: Tensor, values: number[]) {
    this.floating = t.dtype !== "int32";
    if (!this.floating) {
      for (const v of values) this.width = Math.max(this.width, String(v).length);
      return;
    }
    const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (nz.length === 0) return;
    const abs = nz.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    this.intMode = nz.every((v) => v === Math.ceil(v));
    this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
    for (const v of nz) {
      const len = this.sciMode ? sci(v, PRECISION).length : this.intMode ? fixed(v, 0).length + 1 : fixed(v, PRECISION).length;
      this.width = Math.max(this.width, len);
    }
  }

  format(v: number): string {
    let s: string;
    if (!this.floating) s = String(v);
    else if (this.sciMode) s = sci(v, PRECISION);
    else if (this.intMode) s = fixed(v, 0) + (Number.isFinite(v) ? "." : "");
    else s = fixed(v, PRECISION);
    return s.padStart(this.width);
  }
}

/** Positions kept along a dimension of `size`: all, or the edge items when summarising. */
function kept(size: number, summarize: boolean): number[] | [number[], number[]] {
  const all = Array.from({ length: size }, (_, i) => i);
  if (!summarize || size <= 2 * EDGE) return all;
  return [all.slice(0, EDGE), all.slice(size - EDGE)];
}

/** The values shown (what PyTorch's `get_summarized_data` keeps), in order. */
function shownValues(t: Tensor, summarize: boolean): number[] {
  const out: number[] = [];
  const rec = (d: number, off: number): void => {
    if (d === t.ndim) {
      out.push(t.data[off]!);
      return;
    }
    const stride = numel(t.shape.slice(d + 1));
    const k = kept(t.shape[d]!, summarize);
    for (const i of k.flat()) rec(d + 1, off + i * stride);
  };
  rec(0, 0);
  return out;
}

function tensorStr(t: Tensor, indent: number, summarize: boolean, fmt: Formatter): string {
  const rec = (d: number, off: number, ind: number): string => {
    if (d === t.ndim) return fmt.format(t.data[off]!);
    const stride = numel(t.shape.slice(d + 1));
    const k = kept(t.shape[d]!, summarize);
    const parts = (is: number[]): string[] => is.map((i) => rec(d + 1, off + i * stride, ind + 1));
    if (d === t.ndim - 1) {
      const items = Array.isArray(k[0]) ? [...parts(k[0] as number[]), " ...", ...parts(k[1] as number[])] : parts(k as number[]);
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - ind) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
      return `[${lines.join(`,\n${" ".repeat(ind + 1)}`)}]`;
    }
    const slices = Array.isArray(k[0]) ? [...parts(k[0] as number[]), "...", ...parts(k[1] as number[])] : parts(k as number[]);
    return `[${slices.join(`,${"\n".repeat(t.ndim - d - 1)}${" ".repeat(ind + 1)}`)}]`;
  };
  return rec(0, 0, indent);
}

/** Recorded ops that PyTorch's graph names after another op. */
const TORCH_NAMES: Readonly<Record<string, string>> = { cast: "toCopy", narrow: "slice", reshape: "view" };

/** `add` → `AddBackward0`, `logSoftmax` → `LogSoftmaxBackward0`: PyTorch's naming of graph nodes. */
export function backwardName(node: string): string {
  const n = TORCH_NAMES[node] ?? node;
  return `${n.charAt(0).toUpperCase()}${n.slice(1)}Backward0`;
}

/** The tensor's PyTorch repr, e.g. `tensor([[ 0.1235, -1.0000]], requires_grad=True)`. */
export function formatTensor(t: Tensor): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const suffixes: string[] = [];
  let body: string;
  if (t.numel() === 0) {
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(", ")})`);
    if (t.dtype !== "float32") suffixes.push(`dtype=torch.${t.dtype}`);
    body = "[]";
  } else {
    if (t.dtype === "float64") suffixes.push("dtype=torch.float64");
    const summarize = t.numel() > THRESHOLD;
    const fmt = new Formatter(t, shownValues(t, summarize));
    body = t.ndim === 0 ? fmt.format(t.data[0]!) : tensorStr(t, indent, summarize, fmt);
  }
  if (t._node) suffixes.push(`grad_fn=<${backwardName(t._node.name)}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > LINE_WIDTH) {
      out += `,\n${" ".repeat(indent)}${s}`;
      lastLine = indent + s.length;
    } else {
      out += `, ${s}`;
      lastLine += s.length + 2;
    }
  }
  return `${out})`;
}

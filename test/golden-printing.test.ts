/**
 * The tensor repr against the strings PyTorch 1.13 prints (tools/golden/printing.py): fixed and
 * scientific notation, integral floats, NaN and infinities, int tensors, line wrapping, summarising
 * past 1000 elements, and the dtype / requires_grad / grad_fn suffixes. A case was made like:
 *   x = torch.tensor(data, dtype=dtype).reshape(shape); x.requires_grad_(rg); str(x * 2)
 * PyTorch's int64 is seqtorch's int32 index dtype (printed without a dtype suffix in both).
 */
import { describe, expect, test } from "vitest";
import { Tensor, tensor } from "../src/index.js";
import { loadGolden } from "./golden-helpers.js";

interface PrintCase {
  name: string;
  shape: number[];
  data: (number | "nan" | "inf" | "-inf")[];
  dtype: "float32" | "float64" | "int64";
  requires_grad: boolean;
  op?: "mul2" | "tanh";
  expected: string;
}

const golden = loadGolden<PrintCase>("printing");

function build(c: PrintCase): Tensor {
  const value = (v: PrintCase["data"][number]): number => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v));
  const x = tensor(c.data.map(value), c.shape, { dtype: c.dtype, requiresGrad: c.requires_grad });
  return c.op === "mul2" ? x.mul(2) : c.op === "tanh" ? x.tanh() : x;
}

describe("tensor printing matches PyTorch", () => {
  test.each(golden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(build(c).toString()).toBe(c.expected);
    expect(`${build(c)}`).toBe(c.expected);
  });

  test("the golden file covers what the formatter decides", () => {
    const all = golden.cases.map((c) => c.expected).join("\n");
    for (const feature of ["e-05", "e+08", "nan", "inf", "...", "dtype=torch.float64", "requires_grad=True", "grad_fn=<MulBackward0>", "size=(2, 0)", "\n\n"]) {
      expect(all).toContain(feature);
    }
  });
});

describe("printing in Node", () => {
  test("util.inspect (console.log) prints the repr", async () => {
    const { inspect } = await import("node:util");
    expect(inspect(tensor([[1, 2]], { requiresGrad: true }))).toBe("tensor([[1., 2.]], requires_grad=True)");
    expect(inspect({ t: tensor([1, 2], { dtype: "int32" }) })).toBe("{ t: tensor([1, 2]) }");
  });
});

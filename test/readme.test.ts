/** The README's tour is examples/tour.ts verbatim (but for the import path), and it runs. */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const read = (p: string): string => readFileSync(new URL(p, import.meta.url), "utf8");

test("README tour matches examples/tour.ts", () => {
  const block = /```ts\n([\s\S]*?)```/.exec(read("../README.md"))![1]!;
  const example = read("../examples/tour.ts")
    .split("\n")
    .filter((l) => !l.startsWith("// The README's tour") && !l.startsWith("export {"))
    .join("\n")
    .replace('from "../src/index.js"', 'from "seqtorch"');
  expect(example.trim()).toBe(block.trim());
});

test("the tour runs and gives the shapes it promises", async () => {
  const tour = await import("../examples/tour.js");
  expect(tour.output.shape).toEqual([5, 3, 20]);
  expect(tour.hN.shape).toEqual([2, 3, 20]);
  expect(tour.cN.shape).toEqual([2, 3, 20]);
  expect(tour.a.grad!.tolist()).toEqual([[2, 4], [6, 8]]);
  expect(String(tour.a.double())).toBe("tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64, grad_fn=<ToCopyBackward0>)");
  expect(tour.top.shape).toEqual([2, 2]);
  expect(tour.where.dtype).toBe("int32");
  expect(Number.isFinite(tour.loss.item())).toBe(true);
  expect(tour.table).toMatch(/total\s+5,920/);
});

test("the README's custom module is examples/custom-module.ts, and it registers and ties as it says", async () => {
  const block = [...read("../README.md").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("class LanguageModel"));
  const example = read("../examples/custom-module.ts")
    .split("\n")
    .filter((l) => !l.startsWith("// The README's custom-module") && !l.startsWith("export {"))
    .join("\n")
    .replace('from "../src/index.js"', 'from "seqtorch"');
  expect(example.trim()).toBe(block?.trim());
  const { model, loss } = await import("../examples/custom-module.js");
  expect(Object.keys(model.stateDict())).toEqual(["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "decoder.weight", "decoder.bias"]);
  expect(model.parameters()).toHaveLength(6);
  expect(model.decoder.weight).toBe(model.encoder.weight);
  expect(Number.isFinite(loss.item())).toBe(true);
});

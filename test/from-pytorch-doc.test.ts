/** docs/from-pytorch.md's TypeScript is examples/from-pytorch.ts verbatim (but for the import paths), and it loads PyTorch's files. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { noGrad } from "../src/index.js";
import { loadTagger } from "../examples/from-pytorch.js";
import { expectClose, loadGolden, toTensor, type GoldenTensor } from "./golden-helpers.js";

const read = (p: string): string => readFileSync(new URL(p, import.meta.url), "utf8");

test("the doc's TypeScript block is examples/from-pytorch.ts", () => {
  const doc = read("../docs/from-pytorch.md");
  const block = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("class Tagger"));
  const example = read("../examples/from-pytorch.ts")
    .split("\n")
    .filter((l) => !l.startsWith("// The tagger of docs/from-pytorch.md"))
    .join("\n")
    .replace('from "../src/index.js"', 'from "seqtorch"')
    .replace('from "../src/io/node.js"', 'from "seqtorch/io/node"');
  expect(example.trim()).toBe(block?.trim());
});

test.each(["lstm_tagger.pt", "lstm_tagger.safetensors", "lstm_tagger_legacy.pt"])("the example's tagger loads %s and gives PyTorch's logits", async (name) => {
  const c = loadGolden<{ name: string; inputs: GoldenTensor[]; logits: GoldenTensor; hp: Record<string, number> }>("pytorch_models").cases.find((x) => x.name === "lstm_tagger")!;
  expect(c.hp).toEqual({ vocab: 11, emb: 5, hidden: 4, classes: 3 });
  const model = await loadTagger(fileURLToPath(new URL(`./golden/pytorch/${name}`, import.meta.url)));
  expectClose(noGrad(() => model.forward(toTensor(c.inputs[0]!))), c.logits, name);
});

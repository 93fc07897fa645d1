// seqtorch's side of tools/golden/torch_export.py: reads {"checkpoint", "texts"} as JSON on stdin
// and prints {"ids", "logits"}: the texts as seqtorch encodes them and the model's outputs for them
// (one batch, padded, in eval mode). Run with `node --import tsx` from the repository root.
import { readFileSync } from "node:fs";
import { models, noGrad, text } from "../../src/index.ts";
import { loadBundle } from "../../src/cli/use.ts";

const { checkpoint, texts } = JSON.parse(readFileSync(0, "utf8"));
const bundle = await loadBundle(checkpoint);
const ids = models.encodeTexts(bundle, texts);
const padded = text.padSequences(ids);
const lengths = Array.from(padded.lengths, (l) => Math.max(1, l));
const out = noGrad(() => bundle.model.forward(padded.input, lengths));
const [n, k] = out.shape;
const logits = Array.from({ length: n }, (_, i) => Array.from(out.data.slice(i * k, (i + 1) * k)));
process.stdout.write(`${JSON.stringify({ ids, logits })}\n`);

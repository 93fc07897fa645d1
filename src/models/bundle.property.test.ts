/**
 * Property tests (fast-check) for loading a text model: config.json fields replaced by any JSON
 * value (in memory, through checkBundleConfig and bundleFromParts), and damaged checkpoint
 * directories loaded the way `seqtorch predict` and `eval` load them (loadBundle in cli/use.ts).
 * Each is rejected with a clean one-line error, or loads a model whose weights, sizes, labels and
 * vocabulary are those of the files.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { loadBundle } from "../cli/use.js";
import { parseSafetensors } from "../io/safetensors.js";
import { checkBundle } from "../../fuzz/checks.js";
import { seedCorpus } from "../../fuzz/corpus.js";
import { text, utf8 } from "../../fuzz/mutate.js";
import { cleanOrCorrect, cleanOrCorrectSync } from "../../fuzz/outcome.js";
import { Rng } from "../../fuzz/rng.js";
import { makeCheckpoint, writeParts } from "../../fuzz/targets.js";
import { bundleFromParts } from "./bundle.js";

const root = mkdtempSync(join(tmpdir(), "seqtorch-bundle-prop-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIELDS = [
  ["format"], ["version"], ["task"], ["labels"], ["maxLen"], ["training"], ["model"], ["tokenizer"], ["extra"],
  ["model", "vocabSize"], ["model", "embeddingDim"], ["model", "hiddenSize"], ["model", "cell"], ["model", "numLayers"],
  ["model", "bidirectional"], ["model", "dropout"], ["model", "pooling"], ["model", "paddingIdx"], ["model", "numClasses"],
  ["model", "numOutputs"], ["tokenizer", "kind"], ["tokenizer", "locale"], ["tokenizer", "lowercase"], ["tokenizer", "keepWhitespace"],
] as const;
/** An edit that writes a field's own value back, so that a run also exercises the accepting path often. */
const SAME = Symbol("same");
const value = fc.oneof(
  { arbitrary: fc.constant<unknown>(SAME), weight: 2 },
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(0, -1, 1, 2, 3, 4, 5, 1.5, 0.5, 1e9, 2 ** 31, 2 ** 53, 1e300, "", "lstm", "gru", "rnn-relu", "mean", "zh", true, false, null, ["neg", "pos"], undefined),
);

describe("loading a text model from malformed files", () => {
  test("config.json fields replaced by any JSON value: a clean error, or the model the files describe", () => {
    const seeds = seedCorpus().checkpoints;
    let accepted = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.constantFrom(...FIELDS), value), { minLength: 1, maxLength: 3 }), (which, edits) => {
      const files = seeds[which]!.files;
      const config = JSON.parse(text(files["config.json"])) as Record<string, any>;
      for (const [path, v] of edits) {
        const parent = path.length === 1 ? config : config[path[0]];
        if (typeof parent !== "object" || parent === null) continue;
        if (v === SAME) parent[path[path.length - 1]!] = structuredClone(parent[path[path.length - 1]!]);
        else if (v === undefined) delete parent[path[path.length - 1]!];
        else parent[path[path.length - 1]!] = v;
      }
      const stateDict = parseSafetensors(files["model.safetensors"]).tensors;
      const vocab = JSON.parse(text(files["vocab.json"])) as unknown;
      if (cleanOrCorrectSync(() => bundleFromParts({ config, stateDict, vocab }), (bundle) => checkBundle({ ...files, "config.json": utf8(JSON.stringify(config)) }, stateDict, bundle))) accepted++;
    }), { numRuns: 600 });
    expect(accepted).toBeGreaterThan(60);
  });

  test("damaged checkpoint directories, loaded as predict and eval load them", async () => {
    let accepted = 0;
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
      const { files } = makeCheckpoint(new Rng(seed));
      const dir = join(root, `c${n++}`);
      writeParts(dir, files);
      if (await cleanOrCorrect(() => loadBundle(dir), (b) => checkBundle(files, parseSafetensors(files["model.safetensors"]!).tensors, b))) accepted++;
      rmSync(dir, { recursive: true, force: true });
    }), { numRuns: 250 });
    expect(accepted).toBeGreaterThan(10);
  });
});

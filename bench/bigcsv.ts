/**
 * Writes a large labelled CSV for measuring `seqtorch train --data` on big files: short random
 * sentences over a seeded vocabulary (Zipf-like word frequencies, some with commas and quotes),
 * labelled pos/neg/neutral by a few signal words.
 *
 *   npx tsx bench/bigcsv.ts /tmp/big.csv [--mb 100] [--words 20000]
 *   /usr/bin/time -v node dist/cli/main.js train --data /tmp/big.csv --epochs 1 --checkpoint /tmp/bigckpt
 */
import { createWriteStream } from "node:fs";
import { Generator } from "../src/random.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const path = process.argv[2];
if (!path || path.startsWith("--")) throw new Error("usage: npx tsx bench/bigcsv.ts OUT.csv [--mb 100] [--words 20000]");
const bytes = arg("--mb", 100) * 1_000_000;
const g = new Generator(0);
const letters = "abcdefghijklmnopqrstuvwxyz";
const words = Array.from({ length: arg("--words", 20_000) }, () => Array.from({ length: 2 + g.randint(8) }, () => letters[g.randint(26)]).join(""));
const signal = { pos: ["great", "good", "loved"], neg: ["bad", "awful", "boring"] };
// Word k is drawn with probability about 1 / (k + 1): a few very common words and a long tail.
const pick = (): string => words[Math.min(words.length - 1, Math.floor(Math.exp(g.random() * Math.log(words.length + 1))) - 1)]!;

const out = createWriteStream(path);
let written = 0;
let rows = 0;
out.write("text,label\n");
while (written < bytes) {
  let block = "";
  for (let r = 0; r < 1000; r++, rows++) {
    const label = ["pos", "neg", "neutral"][g.randint(3)]!;
    const sentence = Array.from({ length: 4 + g.randint(16) }, pick);
    if (label !== "neutral") sentence[g.randint(sentence.length)] = signal[label as "pos"][g.randint(3)]!;
    const text = sentence.join(" ") + (g.random() < 0.1 ? ", \"really\"" : ".");
    block += `"${text.replace(/"/g, '""')}",${label}\n`;
  }
  written += Buffer.byteLength(block);
  if (!out.write(block)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
}
out.end(() => process.stderr.write(`${path}: ${rows} rows, ${(written / 1e6).toFixed(1)} MB\n`));

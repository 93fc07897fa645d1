/**
 * `npm run bench:tokenize`: tokens per second of each built-in tokenizer at 1 KB, 100 KB, 1 MB and
 * 10 MB of English-like and Chinese-like text. A flat rate across sizes means linear time.
 *
 *   npx tsx bench/tokenize.ts [--max-mb 10]
 */
import os from "node:os";
import { CharTokenizer, WhitespaceTokenizer, WordTokenizer, type Tokenizer } from "../src/text/index.js";
import { cpuModel } from "./machine.js";


const maxArg = process.argv.indexOf("--max-mb");
const maxBytes = (maxArg >= 0 ? Number(process.argv[maxArg + 1]) : 10) * 1_000_000;

const ENGLISH = "The model reads a sequence of tokens, one at a time; it learns what comes next (mostly). ";
const CHINESE = "接触LSTM模型不久，简单看了一些相关的论文。我喜欢深度学习和自然语言处理！";
/** `n` characters of text built from a seeded mix of sentences and line breaks. */
function makeText(base: string, n: number): string {
  const parts: string[] = [];
  let len = 0, seed = 1;
  while (len < n) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const start = seed % base.length;
    const piece = base.slice(start) + base.slice(0, start) + (seed % 7 === 0 ? "\n" : "");
    parts.push(piece);
    len += piece.length;
  }
  return parts.join("").slice(0, n);
}

const TOKENIZERS: [string, Tokenizer][] = [
  ["word", new WordTokenizer()],
  ["word zh", new WordTokenizer({ locale: "zh" })],
  ["char", new CharTokenizer()],
  ["whitespace", new WhitespaceTokenizer({ keepPunctuation: false })],
];
const SIZES: [string, number][] = ([["1 KB", 1e3], ["100 KB", 1e5], ["1 MB", 1e6], ["10 MB", 1e7]] as [string, number][]).filter(([, n]) => n <= maxBytes);

console.log(`date: ${new Date().toISOString()}`);
console.log(`CPU: ${cpuModel()}, ${os.cpus().length} logical CPUs, load average ${os.loadavg()[0]!.toFixed(2)} at start`);
console.log(`Node ${process.version}; sizes in characters; best of repeats totalling >= 0.3 s (one run at 10 MB)\n`);
const header = ["text", "tokenizer", ...SIZES.map(([label]) => label)];
const rows: string[][] = [];
for (const [textName, base] of [["English", ENGLISH], ["Chinese", CHINESE]] as const) {
  const texts = SIZES.map(([, n]) => makeText(base, n));
  for (const [name, t] of TOKENIZERS) {
    const row = [textName, name];
    for (const s of texts) {
      let best = Infinity, total = 0, tokens = 0;
      do {
        const t0 = performance.now();
        tokens = t.tokenize(s).length;
        const ms = performance.now() - t0;
        best = Math.min(best, ms);
        total += ms;
      } while (total < 300 && s.length < 1e7);
      row.push(`${((tokens / best) * 1000 / 1e6).toFixed(2)} M/s`);
      process.stderr.write(".");
    }
    rows.push(row);
  }
}
process.stderr.write("\n");
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
console.log("\ntokens per second (millions); a flat row means linear time");

// The bar, read directly: seconds to tokenize 1 MB (10^6 characters) of each text, best of three.
const mb: string[] = [];
for (const [textName, base] of [["English", ENGLISH], ["Chinese", CHINESE]] as const) {
  const s = makeText(base, 1e6);
  for (const [name, t] of TOKENIZERS) {
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      t.tokenize(s);
      best = Math.min(best, performance.now() - t0);
    }
    mb.push(`${textName} ${name} ${(best / 1000).toFixed(2)} s`);
  }
}
console.log(`1 MB of text: ${mb.join(", ")}`);

/**
 * Property tests (fast-check) for tables: CSV and JSON Lines round trips, and malformed CSV, TSV
 * and JSON Lines texts (and files, through readTable) rejected with a clean one-line error or read
 * into consistent records.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { checkTable } from "../../fuzz/checks.js";
import { cleanOrCorrectSync } from "../../fuzz/outcome.js";
import { Rng } from "../../fuzz/rng.js";
import { makeTableText } from "../../fuzz/targets.js";
import { readTable } from "./files.js";
import { parseDelimited, parseJsonLines } from "./table.js";

const field = fc.string({ unit: "binary", maxLength: 8 });
const quote = (s: string): string => `"${s.replaceAll("\"", "\"\"")}"`;
const dir = mkdtempSync(join(tmpdir(), "seqtorch-table-prop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("table properties", () => {
  test("CSV and TSV with every field quoted read back as written", () => {
    // Header names are trimmed and must be unique and non-empty, so they are plain words here.
    const table = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(
      fc.uniqueArray(fc.constantFrom("text", "label", "a", "b_2", "Score", "x y", "id"), { minLength: n, maxLength: n }),
      fc.array(fc.array(field, { minLength: n, maxLength: n }), { maxLength: 6 }),
    ));
    fc.assert(fc.property(table, fc.constantFrom(",", "\t", ";") as fc.Arbitrary<"," | "\t" | ";">, fc.constantFrom("\n", "\r\n"), ([columns, rows], delimiter, eol) => {
      const text = [columns, ...rows].map((r) => r.map(quote).join(delimiter)).join(eol) + eol;
      const t = parseDelimited(text, { delimiter });
      expect(t.columns).toEqual(columns);
      expect(t.rows.map((r) => columns.map((c) => r[c]))).toEqual(rows);
    }), { numRuns: 300 });
  });

  test("JSON Lines read back as written", () => {
    const record = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    fc.assert(fc.property(fc.array(record, { maxLength: 6 }), fc.constantFrom("\n", "\r\n"), (records, eol) => {
      const back = parseJsonLines(records.map((r) => JSON.stringify(r)).join(eol));
      expect(back).toEqual(records.map((r) => JSON.parse(JSON.stringify(r)) as unknown));
    }), { numRuns: 300 });
  });

  test("malformed CSV, TSV and JSON Lines are rejected cleanly or read consistently", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom("csv", "tsv", "jsonl") as fc.Arbitrary<"csv" | "tsv" | "jsonl">, (seed, kind) => {
      const text = new TextDecoder().decode(makeTableText(new Rng(seed), kind));
      if (kind === "jsonl") cleanOrCorrectSync(() => parseJsonLines(text), (rows) => checkTable("jsonl", text.replace(/^\ufeff/, ""), { columns: [...new Set(rows.flatMap((r) => Object.keys(r)))], rows }));
      else cleanOrCorrectSync(() => parseDelimited(text, kind === "tsv" ? { delimiter: "\t" } : {}), (t) => checkTable("csv", text, t));
    }), { numRuns: 700 });
  });

  test("readTable on malformed files (bytes, not only text) is rejected cleanly or agrees with the parsers", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(".csv", ".tsv", ".jsonl", ".txt"), (seed, ext) => {
      const bytes = makeTableText(new Rng(seed), ext === ".jsonl" ? "jsonl" : ext === ".tsv" ? "tsv" : "csv");
      const path = join(dir, `data${ext}`);
      writeFileSync(path, bytes);
      cleanOrCorrectSync(() => readTable(path), (t) => {
        const text = new TextDecoder().decode(bytes).replace(/^\ufeff/, "");
        checkTable(ext === ".jsonl" ? "jsonl" : "csv", text, t);
        if (ext !== ".jsonl") expect(t).toEqual(parseDelimited(text, ext === ".tsv" ? { delimiter: "\t" } : {}));
      });
    }), { numRuns: 300 });
  });
});

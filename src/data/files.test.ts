import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readTable, readTextFile, selectColumns } from "./node.js";

const dir = mkdtempSync(join(tmpdir(), "seqtorch-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("readTable", () => {
  test("CSV by extension, with a BOM and a quoted newline", () => {
    const path = file("reviews.csv", '\ufefftext,label\n"great, really\ngreat",pos\nmeh,neg\n');
    expect(readTable(path)).toEqual({
      columns: ["text", "label"],
      rows: [{ text: "great, really\ngreat", label: "pos" }, { text: "meh", label: "neg" }],
    });
  });

  test("TSV by extension, and a tab-separated .csv detected from its header", () => {
    expect(readTable(file("a.tsv", "text\tlabel\nx, y\t1\n")).rows).toEqual([{ text: "x, y", label: "1" }]);
    expect(readTable(file("b.csv", "text\tlabel\nx, y\t1\n")).rows).toEqual([{ text: "x, y", label: "1" }]);
  });

  test("JSON Lines by .jsonl, .ndjson and .json-lines; columns are every key seen", () => {
    const content = '{"text":"a","label":1}\n{"text":"b","label":0,"id":7}\n';
    for (const name of ["c.jsonl", "c.ndjson", "c.json-lines", "C.JSONL"]) {
      const table = readTable(file(name, content));
      expect(table.columns).toEqual(["text", "label", "id"]);
      expect(selectColumns(table.rows)).toEqual({ texts: ["a", "b"], labels: ["1", "0"], skipped: 0 });
    }
  });

  test("format overrides the extension; an unknown extension asks for it", () => {
    const path = file("data.txt", "text,label\na,1\n");
    expect(readTable(path, { format: "csv" }).rows).toEqual([{ text: "a", label: "1" }]);
    expect(() => readTable(path)).toThrow(`readTable: cannot tell the format of ${path} from its extension .txt; pass { format: "csv" | "tsv" | "jsonl" }`);
  });

  test("parse errors name the file and the line, once", () => {
    const path = file("bad.jsonl", '{"text":"a"}\n{"text": }\n');
    expect(() => readTable(path)).toThrow(new RegExp(`^readTable: ${path.replace(/[.\\]/g, "\\$&")}: line 2: `));
  });
});

describe("readTextFile errors are one line and name the path", () => {
  test("missing file", () => {
    const path = join(dir, "nope.csv");
    expect(() => readTable(path)).toThrow(`file not found: ${path}`);
    expect(() => readTextFile(join(dir, "nope", "deeper.csv"))).toThrow("file not found: ");
  });

  test("empty or whitespace-only file", () => {
    expect(() => readTable(file("empty.csv", ""))).toThrow(`file is empty: ${join(dir, "empty.csv")}`);
    expect(() => readTable(file("blank.jsonl", "\ufeff \n\n"))).toThrow("file is empty: ");
  });

  test("directory", () => {
    const path = join(dir, "folder.csv");
    mkdirSync(path);
    expect(() => readTable(path)).toThrow(`expected a file, got a directory: ${path}`);
  });

  test("bytes that are not UTF-8", () => {
    const binary = file("binary.csv", new Uint8Array([0x74, 0x65, 0x78, 0x74, 0x0a, 0xc3, 0x28, 0x80, 0x00]));
    expect(() => readTable(binary)).toThrow(`not valid UTF-8 text: ${binary}`);
    const utf16 = file("utf16.csv", new Uint8Array([0xff, 0xfe, 0x00, 0xd8, 0x61, 0x00]));
    expect(() => readTable(utf16)).toThrow(`not valid UTF-8 text: ${utf16} (it looks like UTF-16; save it as UTF-8)`);
  });

  test("a UTF-8 BOM is stripped", () => {
    expect(readTextFile(file("bom.txt", "\ufeffhello"))).toBe("hello");
  });
});

test("the browser entry imports no Node module", () => {
  for (const name of ["index.ts", "table.ts", "loader.ts"]) {
    const source = readFileSync(new URL(name, import.meta.url), "utf8");
    expect(source, name).not.toMatch(/from "(node:|fs|path|os)|import\("node:|csv-parse\/sync"/);
  }
});

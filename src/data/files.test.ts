import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readTable, readTextFile, selectColumns, streamTable, type ReadTableOptions } from "./node.js";

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

describe("streamTable", () => {
  async function collect(path: string, options?: ReadTableOptions): Promise<{ columns: string[]; rows: Record<string, unknown>[]; fingerprint: string }> {
    const table = streamTable(path, options);
    const rows: Record<string, unknown>[] = [];
    for await (const row of table) rows.push(row);
    return { columns: table.columns, rows, fingerprint: table.fingerprint };
  }
  const message = (f: () => unknown): string => {
    try {
      f();
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  };
  /** streamTable gives readTable's rows and columns, and the SHA-256 of the file; or readTable's error, under its own name. */
  async function expectSame(path: string, options?: ReadTableOptions): Promise<void> {
    const expected = message(() => readTable(path, options)).replace(/^readTable: /, "streamTable: ");
    const streamed = await collect(path, options).catch((err: Error) => err.message);
    if (expected) return void expect(streamed).toBe(expected);
    expect(streamed).toEqual({ ...readTable(path, options), fingerprint: createHash("sha256").update(readFileSync(path)).digest("hex") });
  }

  test("the same rows, columns and errors as readTable, and the file's SHA-256", async () => {
    const fixtures = new URL("../../test/fixtures/", import.meta.url);
    for (const name of ["en-reviews.csv", "zh-reviews.csv"]) await expectSame(new URL(name, fixtures).pathname);
    const cases: [string, string | Uint8Array, ReadTableOptions?][] = [
      ["bom.csv", '\ufefftext,label\n"great, really\r\ngreat",pos\r\n\r\nmeh,neg'],
      ["t.tsv", "text\tlabel\nx, y\t1\n"],
      ["tab.csv", "text\tlabel\nx, y\t1\n"],
      ["semi.csv", "text;label\na,b;1\n", { delimiter: ";" }],
      ["names.csv", " text ,,__proto__,constructor\na,b,c,d\n"],
      ["noheader.csv", "a,1\nb,2\n", { header: false }],
      ["r.jsonl", '\ufeff{"text":"a","label":1}\r\n\n  \n{"text":"b","label":0,"id":7}\n{"__proto__":1}'],
      ["fields.csv", "text,label\na,1\nb,2,3\n"],
      ["quote.csv", 'text,label\na,1\n"b,2\n'],
      ["dup.csv", "text, text\na,1\n"],
      ["bad.jsonl", '{"text":"a"}\n[1]\n'],
      ["json.jsonl", '{"text":"a"}\n\n{"text": }\n'],
      ["blank.csv", "\ufeff \n\n"],
      ["empty.tsv", ""],
      ["binary.csv", new Uint8Array([0x74, 0x65, 0x78, 0x74, 0x0a, 0xc3, 0x28, 0x80, 0x00])],
      ["utf16.csv", new Uint8Array([0xff, 0xfe, 0x00, 0xd8, 0x61, 0x00])],
      ["data.txt", "text,label\na,1\n"],
      ["xml.csv", "text,label\na,1\n", { format: "xml" as never }],
    ];
    for (const [name, content, options] of cases) await expectSame(file(name, content), options);
    await expectSame(join(dir, "nope.csv"));
    mkdirSync(join(dir, "dir.jsonl"));
    await expectSame(join(dir, "dir.jsonl"));
    expect(Object.getPrototypeOf((await collect(join(dir, "names.csv"))).rows[0])).toBeNull();
  });

  test("many chunks: fields, lines and UTF-8 characters cut across chunk boundaries", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `"é ${i}, ""q""\n😀 ${"ü".repeat(i % 7)}",${i % 3}`);
    await expectSame(file("big.csv", `text,label\n${lines.join("\r\n")}\n`));
    await expectSame(file("big.jsonl", lines.map((l, i) => JSON.stringify({ text: l, label: i % 3 })).join("\n")));
    const late = file("late.csv", `text,label\n${lines.slice(0, 5000).join("\n")}\nx,1,2\n`);
    await expectSame(late);
    expect(await collect(late).catch((err: Error) => err.message)).toMatch(/^streamTable: .*late\.csv: Invalid Record Length: expect 2, got 3 on line 10002$/);
  });

  test("a stream stopped early has no fingerprint, and the file reads again", async () => {
    const path = file("stop.csv", `text,label\n${"a,1\n".repeat(20_000)}`);
    const table = streamTable(path);
    let n = 0;
    for await (const row of table) if (++n === 3 || !row) break;
    expect([n, table.fingerprint]).toEqual([3, ""]);
    await expectSame(path);
  });
});

test("the browser entry imports no Node module", () => {
  for (const name of ["index.ts", "table.ts", "loader.ts"]) {
    const source = readFileSync(new URL(name, import.meta.url), "utf8");
    expect(source, name).not.toMatch(/from "(node:|fs|path|os)|import\("node:|csv-parse\/sync"/);
  }
});

test("streamTable's parse errors stay on one line when the parser quotes a line break (found by fuzzing)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "seqtorch-stream-"));
  for (const [name, body] of [["cr.csv", 'text,label\n"ab"\r,x\n'], ["lf.csv", 'text,label\nx,"a"b\n"\n']] as const) {
    const path = join(dir, name);
    writeFileSync(path, body);
    let message = "";
    try {
      for await (const row of streamTable(path)) void row;
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(new RegExp(`^streamTable: .*${name}: Invalid Closing Quote: got "."`));
    expect(message).not.toMatch(/[\r\n]/);
  }
  rmSync(dir, { recursive: true, force: true });
});

test("streamTable refuses a file that ends inside a UTF-8 character, as readTable does (found by fuzzing)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "seqtorch-stream-"));
  for (const [name, body] of [["cut.jsonl", '{"text":"w","label":"a"}'], ["cut.csv", "text,label\nw,a"]] as const) {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([Buffer.from(body), Buffer.from([0xe2, 0x82])]));
    expect(() => readTable(path)).toThrow(`not valid UTF-8 text: ${path}`);
    let message = "";
    try {
      for await (const row of streamTable(path)) void row;
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`not valid UTF-8 text: ${path}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

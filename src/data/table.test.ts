import { describe, expect, test } from "vitest";
import { parseDelimited, parseJsonLines, selectColumns, toNumbers } from "./table.js";
import { thrown } from "../../test/helpers.js";

describe("parseDelimited", () => {
  test("quotes, delimiters, doubled quotes and newlines inside fields", () => {
    const csv = 'text,label\n"Hello, world",pos\n"She said ""hi""\nthen left",neg\nplain,neu\n';
    expect(parseDelimited(csv)).toEqual({
      columns: ["text", "label"],
      rows: [
        { text: "Hello, world", label: "pos" },
        { text: 'She said "hi"\nthen left', label: "neg" },
        { text: "plain", label: "neu" },
      ],
    });
  });

  test("CRLF line ends, blank lines and a BOM", () => {
    const { columns, rows } = parseDelimited("\ufefftext,label\r\na,1\r\n\r\nb,2\r\n");
    expect(columns).toEqual(["text", "label"]);
    expect(rows).toEqual([{ text: "a", label: "1" }, { text: "b", label: "2" }]);
  });

  test("detects tabs from the header line; commas stay inside TSV fields", () => {
    expect(parseDelimited("text\tlabel\na, b\t1\n").rows).toEqual([{ text: "a, b", label: "1" }]);
    expect(parseDelimited("text,label\na\tb,1\n").rows).toEqual([{ text: "a\tb", label: "1" }]);
  });

  test("explicit semicolon delimiter", () => {
    expect(parseDelimited("text;label\n1,5;x\n", { delimiter: ";" }).rows).toEqual([{ text: "1,5", label: "x" }]);
  });

  test("header: false numbers the columns", () => {
    expect(parseDelimited("a,1\nb,2\n", { header: false })).toEqual({
      columns: ["0", "1"],
      rows: [{ "0": "a", "1": "1" }, { "0": "b", "1": "2" }],
    });
  });

  test("header names are trimmed; empty ones are named, repeated ones rejected", () => {
    expect(parseDelimited(" text ,label,\na,1,\n").columns).toEqual(["text", "label", "Unnamed: 2"]);
    expect(() => parseDelimited("text,label,text\na,b,c\n")).toThrow(/duplicate column "text" in the header \(columns 1 and 3\)/);
  });

  test("empty text gives an empty table", () => {
    expect(parseDelimited("")).toEqual({ columns: [], rows: [] });
    expect(parseDelimited("text,label\n")).toEqual({ columns: ["text", "label"], rows: [] });
  });

  test("malformed rows are errors that name the line", () => {
    expect(() => parseDelimited("a,b\n1,2\n1,2,3\n")).toThrow(/^parseDelimited: .*expect 2, got 3 on line 3/);
    expect(() => parseDelimited('a,b\n"open,2\n')).toThrow(/^parseDelimited: Quote Not Closed/);
    expect(() => parseDelimited("a|b\n", { delimiter: "|" as never })).toThrow(/invalid delimiter: "\|"/);
  });
});

describe("parseJsonLines", () => {
  test("one object per line; blank lines, CRLF and a BOM are fine", () => {
    expect(parseJsonLines('\ufeff{"text":"a","label":1}\r\n\n  \n{"text":"b","label":"x"}')).toEqual([
      { text: "a", label: 1 },
      { text: "b", label: "x" },
    ]);
  });

  test("invalid JSON names the 1-based line number and the problem", () => {
    const err = thrown(() => parseJsonLines('{"a":1}\n\n{"a": oops}\n'));
    expect(err.message).toMatch(/^parseJsonLines: line 3: .*JSON/);
    expect(err.message).not.toContain("\n");
  });

  test("a line that is not an object is an error", () => {
    expect(() => parseJsonLines('{"a":1}\n[1, 2]\n')).toThrow("parseJsonLines: line 2: expected a JSON object, got an array");
    expect(() => parseJsonLines('"text"')).toThrow("line 1: expected a JSON object, got a string");
    expect(() => parseJsonLines('{"a":1}\nnull')).toThrow("line 2: expected a JSON object, got null");
  });
});

describe("selectColumns", () => {
  const rows = [
    { text: "good film", sentiment: "pos" },
    { text: "", sentiment: "neg" },
    { text: "bad film", sentiment: "neg" },
    { text: "   ", sentiment: "pos" },
  ];

  test("keeps text and label, skipping and counting empty texts", () => {
    expect(selectColumns(rows, { textCol: "text", labelCol: "sentiment" })).toEqual({
      texts: ["good film", "bad film"],
      labels: ["pos", "neg"],
      skipped: 2,
    });
  });

  test("a missing column lists the available ones", () => {
    expect(() => selectColumns(rows)).toThrow('selectColumns: column "label" not found; available columns: text, sentiment');
    expect(() => selectColumns(rows, { textCol: "review", labelCol: "sentiment" })).toThrow(
      'column "review" not found; available columns: text, sentiment',
    );
  });

  test("JSON Lines: numeric and boolean labels become strings; missing or null text is skipped", () => {
    const records = parseJsonLines('{"text":"a","label":1}\n{"label":0}\n{"text":null,"label":2}\n{"text":"b","label":true}');
    expect(selectColumns(records)).toEqual({ texts: ["a", "b"], labels: ["1", "true"], skipped: 2 });
  });

  test("a missing label or a non-scalar value is an error naming the row", () => {
    expect(() => selectColumns([{ text: "a", label: "x" }, { text: "b" }])).toThrow('row 2: missing label in column "label"');
    expect(() => selectColumns([{ text: "a", label: [1] }])).toThrow(/row 1: label .* must be a string or a number, got an array/);
    expect(() => selectColumns([{ text: 5, label: "x" }])).toThrow(/row 1: text .* must be a string, got a number/);
  });

  test("no records gives empty lists", () => {
    expect(selectColumns([])).toEqual({ texts: [], labels: [], skipped: 0 });
  });
});

describe("toNumbers", () => {
  test("parses regression targets", () => {
    expect(toNumbers(["0.5", " 3 ", "-1e-2", "7"])).toEqual([0.5, 3, -0.01, 7]);
  });

  test("names the first non-numeric value and its row", () => {
    expect(() => toNumbers(["1", "2.5", "high", "nope"])).toThrow('toNumbers: row 3: "high" is not a finite number');
    expect(() => toNumbers(["1", ""])).toThrow('row 2: "" is not a finite number');
    expect(() => toNumbers(["Infinity"])).toThrow("row 1");
  });
});

describe("columns named like Object's properties", () => {
  test("__proto__ and constructor are ordinary columns", () => {
    const t = parseDelimited("__proto__,constructor,text\na,b,c\n");
    expect(t.columns).toEqual(["__proto__", "constructor", "text"]);
    expect(Object.keys(t.rows[0]!)).toEqual(["__proto__", "constructor", "text"]);
    expect(t.rows[0]!["__proto__"]).toBe("a");
    expect(t.rows[0]!["constructor"]).toBe("b");
    expect(selectColumns(t.rows, { textCol: "__proto__", labelCol: "constructor" })).toEqual({ texts: ["a"], labels: ["b"], skipped: 0 });
    const j = parseJsonLines('{"__proto__": "x", "constructor": "y"}\n');
    expect(selectColumns(j, { textCol: "__proto__", labelCol: "constructor" })).toEqual({ texts: ["x"], labels: ["y"], skipped: 0 });
  });
  test("a record without a constructor column does not read Object's constructor", () => {
    expect(thrown(() => selectColumns([{ text: "a", constructor: "b" }, { text: "c" }], { labelCol: "constructor" })).message).toBe('selectColumns: row 2: missing label in column "constructor"');
  });
});

describe("errors quoting the file stay on one line", () => {
  test("a JSON Lines line holding a bare CR, a CSV value holding a newline, a column name holding one", () => {
    // Found by fuzzing: JSON.parse and csv-parse quote the offending text, line breaks included.
    const oneLine = (fn: () => unknown, pattern: RegExp): void => {
      const e = thrown(fn);
      expect(e.message).toMatch(pattern);
      expect(e.message).not.toMatch(/[\r\n]/);
    };
    oneLine(() => parseJsonLines('{"a":1}\n{"text":\rx}\n'), /^parseJsonLines: line 2: /);
    oneLine(() => parseDelimited('a,b\nx "y\nz",2\n'), /^parseDelimited: Invalid Opening Quote/);
    oneLine(() => selectColumns([{ "te\nxt": "a" }]), /^selectColumns: column "text" not found; available columns: te xt$/);
  });
});

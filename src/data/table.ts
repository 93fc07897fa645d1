/**
 * Tables from text: CSV/TSV (through csv-parse) and JSON Lines, then the two columns a sequence
 * model needs. Browser-safe: everything here takes text, never a path (see `files.ts` for that).
 */
// NOTE: `csv-parse/sync` reads the global `Buffer` when it is imported, which throws in a browser;
// the package's browser build is the same parser with its own Buffer, and runs in Node as well.
import { parse } from "csv-parse/browser/esm/sync";
import { oneLine } from "../message.js";

/** A field separator `parseDelimited` understands. */
export type Delimiter = "," | "\t" | ";";

/** Column names in file order, and one record per data row keyed by those names. */
export interface Table<V = string> {
  columns: string[];
  rows: Record<string, V>[];
}

export interface ParseDelimitedOptions {
  /** The field separator. Default: tab if the first line holds a tab, else comma. */
  delimiter?: Delimiter;
  /** Whether the first record names the columns. Default true; when false the columns are named "0", "1", ... */
  header?: boolean;
}

export interface SelectColumnsOptions {
  /** The column holding the input text. Default "text". */
  textCol?: string;
  /** The column holding the target. Default "label". */
  labelCol?: string;
}

/** What `selectColumns` keeps: parallel lists of texts and labels, and how many rows it skipped. */
export interface TextLabels {
  texts: string[];
  labels: string[];
  /** Rows dropped because their text was empty, blank or missing. */
  skipped: number;
}

const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
const errorMessage = (err: unknown): string => oneLine(err instanceof Error ? err.message : String(err));

/**
 * Parses CSV or TSV text: quoted fields may hold the delimiter, doubled quotes and newlines; a UTF-8
 * byte-order mark and empty lines are dropped. Header names are trimmed; an empty one becomes
 * `Unnamed: <index>` (as pandas names it), and a repeated one is an error since rows are records.
 * A row with the wrong number of fields is an error that names its line.
 *
 * @example
 * parseDelimited('text,label\n"Hello, world",pos\n');
 * // { columns: ["text", "label"], rows: [{ text: "Hello, world", label: "pos" }] }
 * @see https://csv.js.org/parse/
 */
export function parseDelimited(text: string, options: ParseDelimitedOptions = {}): Table {
  const { header = true } = options;
  const body = stripBom(text);
  const delimiter = delimiterOf(body, options.delimiter);
  let records: string[][];
  try {
    records = parse(body, { delimiter, bom: true, skip_empty_lines: true });
  } catch (err) {
    throw new Error(`parseDelimited: ${errorMessage(err)}`, { cause: err });
  }
  if (records.length === 0) return { columns: [], rows: [] };
  const columns = header ? headerNames(records[0]) : records[0].map((_, i) => String(i));
  return { columns, rows: records.slice(header ? 1 : 0).map((fields) => toRecord(columns, fields)) };
}

/** A data row keyed by `columns`. No prototype, so a column named "__proto__" or "constructor" is an ordinary key. */
export function toRecord(columns: readonly string[], fields: readonly string[]): Record<string, string> {
  const row = Object.create(null) as Record<string, string>;
  columns.forEach((c, i) => (row[c] = fields[i]));
  return row;
}

/** `delimiter` if it is one `parseDelimited` understands; by default, tab if the first line of `text` holds a tab, else comma. */
export function delimiterOf(text: string, delimiter?: Delimiter): Delimiter {
  const end = text.search(/\r?\n/);
  delimiter ??= (end < 0 ? text : text.slice(0, end)).includes("\t") ? "\t" : ",";
  if (delimiter !== "," && delimiter !== "\t" && delimiter !== ";") {
    throw new RangeError(`parseDelimited: invalid delimiter: ${JSON.stringify(delimiter)} (must be ",", "\\t" or ";")`);
  }
  return delimiter;
}

/** Trimmed header names (`Unnamed: <index>` for an empty one); a repeated name is an error. */
export function headerNames(fields: string[]): string[] {
  const names = fields.map((f, i) => f.trim() || `Unnamed: ${i}`);
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new Error(`parseDelimited: duplicate column ${JSON.stringify(name)} in the header (columns ${first + 1} and ${i + 1})`);
    }
    seen.set(name, i);
  });
  return names;
}

/**
 * Parses JSON Lines (also called NDJSON): one JSON object per line; blank lines are skipped and a
 * UTF-8 byte-order mark is dropped. A line that is not valid JSON, or not an object, is an error
 * naming its 1-based line number.
 *
 * @example
 * parseJsonLines('{"text": "good", "label": 1}\n{"text": "bad", "label": 0}\n');
 * // [{ text: "good", label: 1 }, { text: "bad", label: 0 }]
 * @see https://jsonlines.org/
 */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  stripBom(text)
    .split(/\r?\n/)
    .forEach((line, i) => {
      const record = parseJsonLine(line, i + 1);
      if (record) records.push(record);
    });
  return records;
}

/** One line of JSON Lines: the object it holds, or null for a blank line; errors name `lineNumber`. */
export function parseJsonLine(line: string, lineNumber: number): Record<string, unknown> | null {
  if (line.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new Error(`parseJsonLines: line ${lineNumber}: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`parseJsonLines: line ${lineNumber}: expected a JSON object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A record's own value for `key` ("constructor" is not inherited from Object). */
const own = (record: Record<string, unknown>, key: string): unknown => (Object.hasOwn(record, key) ? record[key] : undefined);

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Column names across `records`, in the order they first appear. */
export function columnsOf(records: readonly Record<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) names.add(k);
  return [...names];
}

/**
 * Picks the text and label columns out of table rows or JSON Lines records. Rows whose text is
 * empty, blank or missing are skipped and counted. Labels become strings (JSON numbers and booleans
 * included), ready for a classification vocabulary; use `toNumbers` for regression targets.
 * A column absent from every record is an error that lists the columns there are; a missing or
 * empty label on a kept row is an error naming the row (1-based, header not counted).
 *
 * @example
 * const { texts, labels, skipped } = selectColumns(table.rows, { textCol: "review", labelCol: "sentiment" });
 */
export function selectColumns(records: readonly Record<string, unknown>[], options: SelectColumnsOptions = {}): TextLabels {
  const { textCol = "text", labelCol = "label" } = options;
  const out: TextLabels = { texts: [], labels: [], skipped: 0 };
  if (records.length === 0) return out;
  checkColumns(columnsOf(records), [textCol, labelCol]);
  records.forEach((record, i) => {
    const picked = selectRow(record, i + 1, textCol, labelCol);
    if (!picked) out.skipped++;
    else {
      out.texts.push(picked[0]);
      out.labels.push(picked[1]);
    }
  });
  return out;
}

/** The `selectColumns` error for the first of `wanted` that is not among the `available` columns. */
export function checkColumns(available: readonly string[], wanted: readonly string[]): void {
  for (const col of wanted) {
    if (!available.includes(col)) {
      throw new Error(`selectColumns: column ${JSON.stringify(col)} not found; available columns: ${oneLine(available.join(", ")) || "(none)"}`);
    }
  }
}

/** `selectColumns` for one record: `[text, label]`, or null when the text is empty, blank or missing; errors name `row`. */
export function selectRow(record: Record<string, unknown>, row: number, textCol: string, labelCol: string): [string, string] | null {
  const text = own(record, textCol);
  if (text === undefined || text === null || (typeof text === "string" && text.trim() === "")) return null;
  if (typeof text !== "string") {
    throw new TypeError(`selectColumns: row ${row}: text in column ${JSON.stringify(textCol)} must be a string, got ${describe(text)}`);
  }
  const label = own(record, labelCol);
  if (label === undefined || label === null || label === "") {
    throw new Error(`selectColumns: row ${row}: missing label in column ${JSON.stringify(labelCol)}`);
  }
  if (typeof label !== "string" && typeof label !== "number" && typeof label !== "boolean") {
    throw new TypeError(`selectColumns: row ${row}: label in column ${JSON.stringify(labelCol)} must be a string or a number, got ${describe(label)}`);
  }
  return [text, String(label)];
}

/**
 * Converts string labels to numbers for regression. Surrounding whitespace is allowed; anything
 * that is not a finite number is an error naming the first such value and its 1-based row.
 *
 * @example
 * toNumbers(["0.5", " 3", "-1e-2"]); // [0.5, 3, -0.01]
 */
export function toNumbers(labels: readonly string[]): number[] {
  return labels.map((s, i) => toNumber(s, i + 1));
}

/** `toNumbers` for one label; the error names `row`. */
export function toNumber(s: string, row: number): number {
  const x = s.trim() === "" ? NaN : Number(s);
  if (!Number.isFinite(x)) throw new Error(`toNumbers: row ${row}: ${JSON.stringify(s)} is not a finite number`);
  return x;
}

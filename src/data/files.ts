/**
 * Reading tables from disk (Node only: this is the one file of `data/` that imports `fs`, and it is
 * exported from `seqtorch/data/node` so that `seqtorch/data` stays browser-safe).
 */
import { readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { columnsOf, parseDelimited, parseJsonLines, type Delimiter, type Table } from "./table.js";

/** A table format `readTable` reads. */
export type TableFormat = "csv" | "tsv" | "jsonl";

export interface ReadTableOptions {
  /** Default: from the extension (.csv; .tsv, .tab; .jsonl, .json-lines, .ndjson). */
  format?: TableFormat;
  /** CSV only: the field separator. Default: tab if the header line holds a tab, else comma. */
  delimiter?: Delimiter;
  /** CSV/TSV only: whether the first row names the columns. Default true. */
  header?: boolean;
}

const EXTENSIONS: Record<string, TableFormat> = {
  ".csv": "csv",
  ".tsv": "tsv",
  ".tab": "tsv",
  ".jsonl": "jsonl",
  ".json-lines": "jsonl",
  ".ndjson": "jsonl",
};

/**
 * Reads a UTF-8 text file, dropping a byte-order mark. Fails with a one-line message for a path that
 * does not exist, is a directory, cannot be read, is empty (or only whitespace), or is not UTF-8.
 */
export function readTextFile(path: string): string {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new Error(`expected a file, got a directory: ${path}`);
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new Error(`file not found: ${path}`, { cause: err });
    if (code === "EACCES" || code === "EPERM") throw new Error(`permission denied: ${path}`, { cause: err });
    throw err;
  }
  let text: string;
  try {
    // fatal: a wrong encoding fails here rather than turning into U+FFFD characters in the vocabulary.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
    throw new Error(`not valid UTF-8 text: ${path}${utf16 ? " (it looks like UTF-16; save it as UTF-8)" : ""}`, { cause: err });
  }
  if (text.trim() === "") throw new Error(`file is empty: ${path}`);
  return text;
}

/**
 * Reads a CSV, TSV or JSON Lines file into `{ columns, rows }`, ready for `selectColumns`. CSV and TSV
 * values are strings; JSON Lines values keep their JSON types, and the columns are every key seen,
 * in order of first appearance. Reads synchronously, as a training script wants its data before it
 * starts; errors are one line and name the path.
 *
 * @example
 * import { readTable, selectColumns } from "seqtorch/data/node";
 * const { rows } = readTable("reviews.tsv");
 * const { texts, labels } = selectColumns(rows, { textCol: "review", labelCol: "sentiment" });
 */
export function readTable(path: string, options: ReadTableOptions = {}): Table<unknown> {
  const text = readTextFile(path);
  const format = options.format ?? EXTENSIONS[extname(path).toLowerCase()];
  if (format === undefined) {
    const ext = extname(path) || "(none)";
    throw new Error(`readTable: cannot tell the format of ${path} from its extension ${ext}; pass { format: "csv" | "tsv" | "jsonl" }`);
  }
  try {
    if (format === "jsonl") {
      const rows = parseJsonLines(text);
      return { columns: columnsOf(rows), rows };
    }
    if (format !== "csv" && format !== "tsv") throw new RangeError(`invalid format: ${JSON.stringify(format)} (must be "csv", "tsv" or "jsonl")`);
    const delimiter = options.delimiter ?? (format === "tsv" ? "\t" : undefined);
    return parseDelimited(text, { delimiter, header: options.header });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/^(parseDelimited|parseJsonLines): /, "");
    throw new Error(`readTable: ${path}: ${message}`, { cause: err });
  }
}

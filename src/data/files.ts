/**
 * Reading tables from disk (Node only: this is the one file of `data/` that imports `fs`, and it is
 * exported from `seqtorch/data/node` so that `seqtorch/data` stays browser-safe).
 */
import { parse } from "csv-parse";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, type ReadStream } from "node:fs";
import { extname } from "node:path";
import { pipeline } from "node:stream";
import { oneLine } from "../message.js";
import { columnsOf, delimiterOf, headerNames, parseDelimited, parseJsonLine, parseJsonLines, toRecord, type Delimiter, type Table } from "./table.js";

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

/** An error reported as it is, without the `<caller>: <path>: ` of parse errors: the file is missing, unreadable, empty or not UTF-8, or has no known format. */
class ReadError extends Error {}

function fileError(err: unknown, path: string, head?: Uint8Array): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return new ReadError(`file not found: ${path}`, { cause: err });
  if (code === "EACCES" || code === "EPERM") return new ReadError(`permission denied: ${path}`, { cause: err });
  if (code === "EISDIR") return new ReadError(`expected a file, got a directory: ${path}`, { cause: err });
  if (code !== "ERR_ENCODING_INVALID_ENCODED_DATA") return err;
  const utf16 = head !== undefined && head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff));
  return new ReadError(`not valid UTF-8 text: ${path}${utf16 ? " (it looks like UTF-16; save it as UTF-8)" : ""}`, { cause: err });
}

// fatal: a wrong encoding fails here rather than turning into U+FFFD characters in the vocabulary.
const utf8 = (): TextDecoder => new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads a UTF-8 text file, dropping a byte-order mark. Fails with a one-line message for a path that
 * does not exist, is a directory, cannot be read, is empty (or only whitespace), or is not UTF-8.
 */
export function readTextFile(path: string): string {
  let bytes: Uint8Array | undefined;
  let text: string;
  try {
    bytes = readFileSync(path);
    text = utf8().decode(bytes);
  } catch (err) {
    throw fileError(err, path, bytes);
  }
  if (text.trim() === "") throw new ReadError(`file is empty: ${path}`);
  return text;
}

function formatOf(path: string, format: TableFormat | undefined, caller: string): TableFormat {
  format ??= EXTENSIONS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new ReadError(`${caller}: cannot tell the format of ${path} from its extension ${extname(path) || "(none)"}; pass { format: "csv" | "tsv" | "jsonl" }`);
  }
  if (format !== "csv" && format !== "tsv" && format !== "jsonl") {
    throw new ReadError(`${caller}: ${path}: invalid format: ${JSON.stringify(format)} (must be "csv", "tsv" or "jsonl")`);
  }
  return format;
}

function wrapped(err: unknown, path: string, caller: string): unknown {
  if (err instanceof ReadError) return err;
  const message = (err instanceof Error ? err.message : String(err)).replace(/^(parseDelimited|parseJsonLines): /, "");
  // Parsers quote the text they stopped at, line breaks included (found by fuzzing): one line always.
  return new Error(oneLine(`${caller}: ${path}: ${message}`), { cause: err });
}

/**
 * Reads a CSV, TSV or JSON Lines file into `{ columns, rows }`, ready for `selectColumns`. CSV and TSV
 * values are strings; JSON Lines values keep their JSON types, and the columns are every key seen,
 * in order of first appearance. Reads synchronously, as a training script wants its data before it
 * starts; errors are one line and name the path. For files too big to hold as text, see `streamTable`.
 *
 * @example
 * import { readTable, selectColumns } from "seqtorch/data/node";
 * const { rows } = readTable("reviews.tsv");
 * const { texts, labels } = selectColumns(rows, { textCol: "review", labelCol: "sentiment" });
 */
export function readTable(path: string, options: ReadTableOptions = {}): Table<unknown> {
  const text = readTextFile(path);
  const format = formatOf(path, options.format, "readTable");
  try {
    if (format === "jsonl") {
      const rows = parseJsonLines(text);
      return { columns: columnsOf(rows), rows };
    }
    const delimiter = options.delimiter ?? (format === "tsv" ? "\t" : undefined);
    return parseDelimited(text, { delimiter, header: options.header });
  } catch (err) {
    throw wrapped(err, path, "readTable");
  }
}

/** The rows of a file being read by `streamTable`, and what is known of the file so far. */
export interface TableStream extends AsyncIterable<Record<string, unknown>> {
  /** The column names: the header (CSV/TSV) once the first row is out; JSON Lines: every key seen so far. */
  readonly columns: string[];
  /** Hex SHA-256 of the file's bytes, set once the rows have been read to the end ("" until then). */
  readonly fingerprint: string;
}

/**
 * `readTable` one row at a time, for files too big to hold as text: the file is read as a stream
 * (csv-parse's stream API; JSON Lines split line by line), so memory holds a chunk and a row, and
 * its bytes are hashed on the way (`fingerprint`, with no second read). Same formats, options,
 * rows and one-line errors as `readTable` (named `streamTable`), but an error in the middle of the
 * file comes when the stream reaches it, after the rows before it. Iterate it once.
 *
 * @example
 * import { streamTable } from "seqtorch/data/node";
 * const table = streamTable("reviews.csv");
 * for await (const row of table) count(row.text);
 * table.fingerprint; // "e3b0c442..."
 */
export function streamTable(path: string, options: ReadTableOptions = {}): TableStream {
  const columns = new Set<string>();
  const table = {
    get columns() {
      return [...columns];
    },
    fingerprint: "",
    [Symbol.asyncIterator]: () => streamRows(path, options, columns, table),
  };
  return table;
}

/** The decoded text of `file` in chunks (without a BOM); sets `out.fingerprint` at the end. */
async function* textChunks(file: ReadStream, path: string, out: { fingerprint: string }): AsyncGenerator<string> {
  const hash = createHash("sha256");
  const decoder = utf8();
  let head: Uint8Array | undefined;
  let blank = true;
  try {
    for await (const bytes of file as AsyncIterable<Buffer>) {
      head ??= bytes;
      hash.update(bytes);
      const text = decoder.decode(bytes, { stream: true });
      blank &&= !/\S/.test(text);
      yield text;
    }
    // The decoder's flush always runs (an incomplete UTF-8 sequence at the end is an error; found by fuzzing).
    const tail = decoder.decode();
    blank &&= !/\S/.test(tail);
    if (tail) yield tail;
  } catch (err) {
    throw fileError(err, path, head);
  }
  if (blank) throw new ReadError(`file is empty: ${path}`);
  out.fingerprint = hash.digest("hex");
}

async function* streamRows(path: string, options: ReadTableOptions, columnSet: Set<string>, table: { fingerprint: string }): AsyncGenerator<Record<string, unknown>> {
  const file = createReadStream(path);
  try {
    const chunks = textChunks(file, path, table);
    // Read the first line before anything else: it decides the delimiter, and file errors come before format errors.
    let head = "";
    for (let next; !(next = await chunks.next()).done; ) {
      head += next.value;
      if (next.value.includes("\n")) break;
    }
    const format = formatOf(path, options.format, "streamTable");
    const text = (async function* () {
      yield head;
      yield* chunks;
      if (format === "jsonl") yield "\n"; // ends the last line
    })();
    if (format === "jsonl") return yield* jsonLines(text, columnSet);
    const delimiter = delimiterOf(head, options.delimiter ?? (format === "tsv" ? "\t" : undefined));
    const header = options.header ?? true;
    const parser = parse({ delimiter, bom: true, skip_empty_lines: true });
    pipeline(text, parser, () => {}); // an error reaches the loop below through the parser
    let columns: string[] | undefined;
    for await (const fields of parser as AsyncIterable<string[]>) {
      if (columns) yield toRecord(columns, fields);
      else {
        columns = header ? headerNames(fields) : fields.map((_, i) => String(i));
        for (const c of columns) columnSet.add(c);
        if (!header) yield toRecord(columns, fields);
      }
    }
  } catch (err) {
    throw wrapped(err, path, "streamTable");
  } finally {
    file.destroy(); // when the reader stops early
  }
}

/** JSON Lines records from text chunks that end with a newline; `columns` collects every key seen. */
async function* jsonLines(text: AsyncIterable<string>, columns: Set<string>): AsyncGenerator<Record<string, unknown>> {
  let rest = "";
  let line = 0;
  for await (const chunk of text) {
    rest += chunk;
    if (!chunk.includes("\n")) continue;
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const l of lines) {
      const record = parseJsonLine(l.endsWith("\r") ? l.slice(0, -1) : l, ++line);
      if (!record) continue;
      for (const key of Object.keys(record)) columns.add(key);
      yield record;
    }
  }
}

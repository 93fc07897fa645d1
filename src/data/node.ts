/** `seqtorch/data/node`: everything in `seqtorch/data`, plus reading tables from files (Node only). */
export * from "./index.js";
export { readTable, readTextFile, streamTable, type ReadTableOptions, type TableFormat, type TableStream } from "./files.js";

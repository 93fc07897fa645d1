/** `seqtorch/data/node`: everything in `seqtorch/data`, plus reading tables from files (Node only). */
export * from "./index.js";
export { readTable, readTextFile, type ReadTableOptions, type TableFormat } from "./files.js";

/**
 * `seqtorch/data`: tables from CSV/TSV/JSON Lines text, seeded splits, and a length-bucketing batch
 * loader. Browser-safe; reading files from disk lives in `seqtorch/data/node`.
 */
export {
  parseDelimited, parseJsonLines, selectColumns, toNumbers, columnsOf,
  type Delimiter, type Table, type ParseDelimitedOptions, type SelectColumnsOptions, type TextLabels,
} from "./table.js";
export {
  shuffle, trainValSplit, BucketLoader,
  type TrainValSplitOptions, type Split, type BucketLoaderOptions,
} from "./loader.js";
export {
  addingProblem, copyMemory, copyBaseline, ADDING_BASELINE_MSE, COPY_BLANK, COPY_DELIMITER, COPY_VOCAB,
  type AddingBatch, type CopyBatch,
} from "./tasks.js";
export { TensorDataset, DataLoader, type DataLoaderOptions } from "./dataset.js";

/**
 * `seqtorch/train`: tools around a training loop — preparing a text task (labels, token ids, the
 * model), the loop itself, training curves, keeping the best checkpoint, classification metrics
 * and text reports, and SVG line charts. Browser-safe.
 */
export {
  confusionMatrix, accuracy, precisionRecallF1, macroF1, majorityBaseline, formatConfusionMatrix,
  classificationReport, classificationSummary, type ClassScores, type ClassificationSummary,
} from "./metrics.js";
export {
  svgLineChart, svgSmallMultiples, PALETTE,
  type LineSeries, type LineChartOptions, type SmallMultiplesOptions,
} from "./plot.js";
export {
  fit, evaluate, makeOptimizer, makeScheduler, makeBatch, DivergenceError, DIVERGENCE_DEFAULTS, type DivergenceOptions,
  PackedSequences, type IdSequences, type IdArray,
  type SequenceModel, type Task, type EncodedDataset, type OptimizerName, type SchedulerName, type FitOptions,
  type BatchProgress, type Evaluation, type EvaluateOptions, type EpochResult, type FitResult,
} from "./fit.js";
export {
  TaskModel, runLab, taskBaseline, compareGradientFlow, gradflowSvg,
  type LabTask, type LabOptions, type LabProgress, type LabResult,
  type GradflowOptions, type GradflowCell, type GradflowResult,
} from "./lab.js";
export {
  encodeLabels, encodeTextSplit, encodeTextRows, buildTextModel,
  type EncodeLabelsOptions, type EncodedLabels, type EncodeTextSplitOptions, type EncodeTextRowsOptions, type EncodedTextRows, type TextModelSpec,
} from "./text.js";
export { TrainingCurves } from "./curves.js";
export {
  packTrainingState, unpackTrainingState, checkTrainingState, TRAINING_STATE_FORMAT, TRAINING_STATE_VERSION,
  type TrainingState, type EpochRecord, type FitCounters,
} from "./state.js";
export { BestCheckpoint, betterThan, scoreOf, type BestCheckpointOptions, type CheckpointParts, type CheckpointWriter, type CheckpointScore } from "./best.js";

export {
  SequenceEncoder, TextClassifier, SequenceRegressor,
  type CellType, type Pooling, type SequenceEncoderOptions, type ResolvedEncoderOptions,
  type TextClassifierOptions, type SequenceRegressorOptions,
} from "./text.js";

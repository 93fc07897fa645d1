/** Neural network modules, losses and utilities, named as in `torch.nn`. */
export {
  Module, Parameter, parameter, isParameter, StateDictError,
  type StateDict, type StateDictInput, type LoadResult, type LoadStateDictOptions, type SizeMismatch,
} from "./module.js";
export {
  Linear, Embedding, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Identity, Flatten, Dropout, Sequential,
  type TensorModule, type EmbeddingOptions,
} from "./layers.js";
export { CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss } from "./loss.js";
export {
  RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell,
  type RNNMode, type Nonlinearity, type RNNBaseOptions, type RNNOptions, type LSTMOptions, type StackOptions,
  type RecurrentState, type StepGradObserver,
} from "./rnn.js";
export { createRecurrent, type CreateRecurrentOptions } from "./create.js";
export { countParameters, tutorialParameterCount, summary } from "./count.js";
export * as init from "./init.js";
export * as functional from "./functional.js";
export * as utils from "./utils/index.js";
export { BatchNorm1d, batchNorm1d, type BatchNormOptions } from "./batchnorm.js";
export { Residual } from "./residual.js";
export {
  JordanRNN, JordanRNNCell, jordanRNNStep, jordanRNNLayer,
  type JordanRNNOptions, type JordanRNNCellOptions, type JordanWeights, type JordanActivations, type OutputNonlinearity,
} from "./jordan.js";
export { gradientFlow, hasRecurrentLayers, type GradientFlow, type HiddenGradientFlow, type GradientFlowBatch } from "./diagnostics.js";

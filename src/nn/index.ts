/** Neural network modules, losses and utilities, named as in `torch.nn`. */
export { Module, parameter, type StateDict, type StateDictInput, type LoadResult } from "./module.js";
export {
  Linear, Embedding, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Identity, Flatten, Dropout, Sequential,
  type TensorModule, type EmbeddingOptions,
} from "./layers.js";
export { CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss } from "./loss.js";
export {
  RNNBase, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell,
  type RNNMode, type Nonlinearity, type RNNBaseOptions, type RNNOptions, type LSTMOptions,
} from "./rnn.js";
export { countParameters, tutorialParameterCount, summary } from "./count.js";
export * as init from "./init.js";
export * as functional from "./functional.js";
export * as utils from "./utils/index.js";

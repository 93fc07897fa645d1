/** A recurrent layer from a cell kind: the one place a kind is mapped to its `nn` class. */
import { unhandledKind, type CellKind } from "../cells/spec.js";
import { JordanRNN } from "./jordan.js";
import { BASE_OPTION_KEYS, GRU, LSTM, RNN, type RNNBase, type RNNBaseOptions } from "./rnn.js";
import { checkOptions } from "../options.js";

export interface CreateRecurrentOptions extends RNNBaseOptions {
  /** LSTM only. */
  projSize?: number;
  /** rnn-leaky only (default 0.01). */
  negativeSlope?: number;
  /** jordan only (default hiddenSize). */
  outputSize?: number;
}

/**
 * The layer class of `kind` with `options`: `rnn` → `RNN` (tanh), `rnn-relu` and `rnn-leaky` → `RNN`
 * with that nonlinearity, `lstm` → `LSTM`, `gru` → `GRU`, `jordan` → `JordanRNN`.
 * @example
 * const layer = nn.createRecurrent("gru", 16, 32, { batchFirst: true });
 * const [output, hN] = layer.forward(x);
 */
export function createRecurrent(kind: CellKind, inputSize: number, hiddenSize: number, options: CreateRecurrentOptions = {}): RNNBase {
  checkOptions("createRecurrent", options, { ...BASE_OPTION_KEYS, projSize: true, negativeSlope: true, outputSize: true });
  const { projSize, negativeSlope, outputSize, ...base } = options;
  switch (kind) {
    case "rnn": return new RNN(inputSize, hiddenSize, { ...base, nonlinearity: "tanh" });
    case "rnn-relu": return new RNN(inputSize, hiddenSize, { ...base, nonlinearity: "relu" });
    case "rnn-leaky": return new RNN(inputSize, hiddenSize, { ...base, nonlinearity: "leakyRelu", negativeSlope });
    case "lstm": return new LSTM(inputSize, hiddenSize, { ...base, projSize });
    case "gru": return new GRU(inputSize, hiddenSize, base);
    case "jordan": return new JordanRNN(inputSize, hiddenSize, { ...base, outputSize });
    default: return unhandledKind(kind);
  }
}

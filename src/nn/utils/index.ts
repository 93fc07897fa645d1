/** Utilities for training, like `torch.nn.utils`. */
export { clipGradNorm_, clipGradValue_ } from "./clip-grad.js";
export {
  PackedSequence, packPaddedSequence, padPackedSequence, padSequence, packSequence,
  type PackPaddedOptions, type PadPackedOptions, type PadSequenceOptions,
} from "./rnn.js";
/** `torch.nn.utils.rnn`'s names under the same path: `nn.utils.rnn.packPaddedSequence`. */
export * as rnn from "./rnn.js";

/** Utilities for training, like `torch.nn.utils`. */
export { clipGradNorm_, clipGradValue_ } from "./clip-grad.js";
export {
  PackedSequence, packPaddedSequence, padPackedSequence, padSequence, packSequence,
  type PackPaddedOptions, type PadPackedOptions, type PadSequenceOptions,
} from "./rnn.js";

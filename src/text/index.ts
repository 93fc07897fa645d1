/** Text preprocessing: tokenizers, vocabularies and padding, after torchtext and Keras' text utilities. */
export {
  WordTokenizer, CharTokenizer, WhitespaceTokenizer, createTokenizer, tokenizerFromJSON,
  type Tokenizer, type TokenizerKind, type TokenizerConfig, type WordTokenizerOptions, type CharTokenizerOptions,
  type WhitespaceTokenizerOptions, type WordTokenizerConfig, type CharTokenizerConfig, type WhitespaceTokenizerConfig,
} from "./tokenizer.js";
export {
  Vocab, PAD, UNK, PAD_INDEX, UNK_INDEX,
  type VocabOptions, type VocabBuildOptions, type VocabDecodeOptions, type VocabJSON,
} from "./vocab.js";
export { padSequences, encodeBatch, type PadSide, type PadSequencesOptions, type PaddedBatch, type EncodedBatch } from "./pad.js";

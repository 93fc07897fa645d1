export {
  SequenceEncoder, TextClassifier, SequenceRegressor,
  type Pooling, type SequenceEncoderOptions, type ResolvedEncoderOptions,
  type TextClassifierOptions, type SequenceRegressorOptions,
} from "./text.js";
export {
  bundleToParts, bundleFromParts, checkFinite, encodeTexts, BUNDLE_FORMAT, BUNDLE_VERSION,
  type TextModel, type TextModelBundle, type BundleConfig,
} from "./bundle.js";
export { checkBundleConfig, checkWeightShapes, expectedTensors, ConfigError } from "./config-schema.js";

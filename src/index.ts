/** seqtorch: tensors with autograd and PyTorch-faithful recurrent networks. */
export {
  Tensor, tensor, zeros, ones, full, zerosLike, onesLike, rand, randn, randint, randperm, arange,
  type DType, type NestedArray, type TensorLike, type TensorOptions, type RandomOptions,
} from "./tensor.js";
export { noGrad, enableGrad, isGradEnabled } from "./autograd.js";
export { manualSeed, Generator, defaultGenerator } from "./random.js";
export { ShapeError, fmtShape, type Shape } from "./shape.js";
export { setBackend, getBackend, listBackends, registerBackend, setNumThreads, getNumThreads, initWasmBackend, type Backend } from "./backend/index.js";
export { createWasmBackend, supportedVariants as wasmVariants, type WasmBackend, type WasmBackendInfo } from "./backend/wasm/index.js";
export { cat, stack, matmul, softmax, logSoftmax } from "./ops/index.js";
export { gradcheck, type GradcheckOptions, type GradcheckResult } from "./gradcheck.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as io from "./io/index.js";
export * as text from "./text/index.js";
export * as data from "./data/index.js";
export * as models from "./models/index.js";
export * as train from "./train/index.js";

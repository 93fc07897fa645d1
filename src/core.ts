/**
 * seqtorch without the WebAssembly backend (`seqtorch/core`): everything the package exports, on
 * the reference backend unless a backend is registered and selected. `seqtorch` is this plus the
 * wasm backend's registration.
 */
export {
  Tensor, tensor, zeros, ones, full, zerosLike, onesLike, fullLike, rand, randn, randLike, randnLike, randint, randperm, arange,
  type NestedArray, type TensorLike, type TensorOptions, type RandomOptions,
} from "./tensor.js";
export type { DType, DTypeName } from "./dtype.js";
export { setSlabAllocation } from "./dtype.js";
export { noGrad, enableGrad, isGradEnabled } from "./autograd.js";
export { manualSeed, getRngState, setRngState, Generator, defaultGenerator, type GeneratorState } from "./random.js";
export { ShapeError, fmtShape, type Shape } from "./shape.js";
export { setBackend, getBackend, listBackends, registerBackend, setNumThreads, getNumThreads, cpuBackend, type Backend, type RecurrentKernels } from "./backend/index.js";
export { cat, stack, matmul, softmax, logSoftmax, setCellRecomputeWidth } from "./ops/index.js";
export { slice, ellipsis, type Slice, type IndexEntry } from "./ops/index-helper.js";
export { gradcheck, type GradcheckOptions, type GradcheckResult } from "./gradcheck.js";
export * as cells from "./cells/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as io from "./io/index.js";
export * as text from "./text/index.js";
export * as data from "./data/index.js";
export * as models from "./models/index.js";
export * as train from "./train/index.js";

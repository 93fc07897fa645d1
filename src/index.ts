/** seqtorch: tensors with autograd and PyTorch-faithful recurrent networks. */
export * from "./core.js";
// The one import with an effect: the WebAssembly SIMD backend registers and becomes the default
// where it can (see backend/wasm/auto.ts; its API is `seqtorch/wasm`).
import "./backend/wasm/auto.js";

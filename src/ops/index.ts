export * as elementwise from "./elementwise.js";
export { matmul, bmm } from "./matmul.js";
export { gather, embedding, indexSelect, indexAdd } from "./indexing.js";
export { cat, stack } from "./movement.js";
export { softmax, logSoftmax, linear, dropout } from "./composite.js";
export { recurrentLayer, setCellRecomputeWidth, type RecurrentWeights, type RecurrentLayerOptions } from "./recurrent.js";
export { sort, argsort, topk } from "./sort.js";

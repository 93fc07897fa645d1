/** Each recurrent cell described once: the cell table, the composed steps, and one layer over time. */
export {
  CELLS, CELL_KINDS, cellSpec, gateCount, isFused, carriesCell, isCellKind, FUSED_KINDS, cellParameters, stateSizes,
  savedBuffers, kernelSlope, unhandledKind,
  type CellKind, type FusedCellKind, type CellSpec, type CellDims, type ParamSpec, type StateSpec, type SavedSpec,
} from "./spec.js";
export { cellStep, jordanFromProjection, inputProjection, type CellStep, type CellWeights, type CellOptions, type OutputNonlinearity } from "./steps.js";
export { cellLayer, type CellLayerOptions } from "./layer.js";

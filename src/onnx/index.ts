/** ONNX export: a model's inference graph as ONNX model bytes (browser-safe). */
export { exportOnnx, OnnxExportError, ONNX_OPSETS, DEFAULT_ONNX_OPSET, type ExportOnnxOptions } from "./export.js";

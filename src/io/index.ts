/**
 * Reading and writing tensors: the safetensors format, and PyTorch's `torch.save` files (read
 * only), in memory. Browser-safe; the file and checkpoint helpers (Node only) are in the
 * `seqtorch/io/node` entry point.
 */
export { serializeSafetensors, parseSafetensors, readSafetensorsHeader, SafetensorsError, type SafetensorsDType, type SafetensorsEntry } from "./safetensors.js";
export { parseTorchFile, TorchFileError, type TorchFile } from "./torch.js";

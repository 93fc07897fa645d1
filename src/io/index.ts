/**
 * Reading and writing tensors: the safetensors format, in memory. Browser-safe; the file and
 * checkpoint helpers (Node only) are in the `seqtorch/io/node` entry point.
 */
export { serializeSafetensors, parseSafetensors, readSafetensorsHeader, SafetensorsError, type SafetensorsDType, type SafetensorsEntry } from "./safetensors.js";

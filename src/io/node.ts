/**
 * The Node-only part of `io` (entry point `seqtorch/io/node`): durable atomic file writes,
 * safetensors and torch.save files, atomic checkpoint directories, plus everything in the browser-safe
 * `seqtorch/io`.
 */
export * from "./index.js";
export { writeFileAtomic } from "./atomic.js";
export {
  saveCheckpoint, loadCheckpoint, saveSafetensorsFile, loadSafetensorsFile, loadTorchFile, CheckpointError,
  MODEL_FILE, CONFIG_FILE, VOCAB_FILE, type SaveCheckpointOptions, type LoadCheckpointOptions, type Checkpoint,
} from "./checkpoint.js";
export { lockDirectory, recoverCheckpoint, processAlive, LockError, type DirectoryLock, type LockOwner, type Recovery } from "./lock.js";

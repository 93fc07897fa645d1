// Messages between the page and its training worker.

/** A model as the CLI writes it to a checkpoint directory: config.json, model.safetensors, vocab.json. */
export interface ModelParts {
  config: unknown;
  weights: Uint8Array;
  vocab: unknown;
}

export interface GradflowRequest {
  length: number;
  initScale: number;
  clipNorm: number;
}

export type ToWorker =
  | { type: "train"; epochs: number; threads: number }
  | { type: "stop" }
  | { type: "gradflow"; request: GradflowRequest };

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  seconds: number;
}

export interface GradflowReport {
  length: number;
  cells: { cell: string; byDistance: number[]; gradNorm: number; gradNormClipped: number }[];
}

export type FromWorker =
  | { type: "ready"; backend: string; threads: number; isolated: boolean }
  | { type: "progress"; epoch: number; batch: number; batches: number; loss: number; accuracy: number | null; examplesPerSecond: number }
  | { type: "epoch"; report: EpochReport; parts: ModelParts }
  /** threads: what the kernels were allowed; workers: the worker threads the wasm backend has running. */
  | { type: "done"; stopped: boolean; examplesPerSecond: number; threads: number; workers: number }
  | { type: "gradflow"; report: GradflowReport }
  | { type: "error"; message: string };

/**
 * `seqtorch` as Node loads it (the "node" export condition): everything in the package entry,
 * with the native kernels as the default backend where they were built (see backend/native). Browsers
 * and bundlers get `index.ts`, whose default is the wasm backend.
 */
export * from "./index.js";
import "./backend/native/auto.js";

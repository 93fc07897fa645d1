/**
 * Imported by the package entry (`seqtorch`) for this one effect: the wasm backend registers and
 * becomes the default where the engine can compile it synchronously (Node, workers). A bundle that
 * leaves this module out (or imports `seqtorch/core`) keeps the reference backend and carries no
 * wasm code.
 */
import { registerWasmBackend } from "./register.js";

registerWasmBackend();

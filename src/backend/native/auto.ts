/**
 * Imported by the Node entry of the package (`seqtorch` under Node's "node" export condition) for
 * this one effect: where the native kernels were built and load, they register and become the
 * default backend; elsewhere the wasm backend stays the default.
 */
// The wasm backend registers first (its module awaits at the top level, so without this import
// the two could register in either order), then the native one takes over as the default.
import "../wasm/auto.js";
import { registerNativeBackend } from "./index.js";

registerNativeBackend();

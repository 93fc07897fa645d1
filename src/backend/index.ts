/** The backend registry with the reference CPU backend registered (and active) by default. */
import { registerBackend } from "./backend.js";
import { cpuBackend } from "./cpu/index.js";

registerBackend(cpuBackend);

export * from "./backend.js";
export { cpuBackend };

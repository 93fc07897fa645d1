/**
 * The backends the golden tests run on: every registered one (the native one too, where its addon
 * was built), plus a backend that has only the
 * primitives (the reference loops, no fused recurrent kernels), so that every recurrent layer also
 * runs composed from its cell's step, as it would on a new backend that starts from primitives.
 */
import { cpuBackend, listBackends, registerBackend, type Backend } from "../src/index.js";
import { registerNativeBackend } from "../src/backend/native/index.js";

/** The seam filled with primitives only: every member named, no `recurrent`. */
export const primitivesOnly: Backend = {
  name: "primitives",
  maxThreads: 1,
  unary: cpuBackend.unary,
  leakyRelu: cpuBackend.leakyRelu,
  binary: cpuBackend.binary,
  matmul: cpuBackend.matmul,
  reduce: cpuBackend.reduce,
  argReduce: cpuBackend.argReduce,
  permute: cpuBackend.permute,
  copyAxis: cpuBackend.copyAxis,
  takeRows: cpuBackend.takeRows,
  addRows: cpuBackend.addRows,
  gather: cpuBackend.gather,
  scatterAdd: cpuBackend.scatterAdd,
  cast: cpuBackend.cast,
};

export function goldenBackends(): string[] {
  registerBackend(primitivesOnly);
  registerNativeBackend({ select: false }); // where the addon was built

  return listBackends();
}

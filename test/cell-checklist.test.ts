/**
 * Adding a cell kind is a checklist the compiler enforces: with one more entry in the cell table and
 * nothing else, type-checking src/ fails exactly where the new kind must be handled. The sources are
 * checked in memory with the TypeScript compiler API; only cells/spec.ts is served patched.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const specPath = fileURLToPath(new URL("../src/cells/spec.ts", import.meta.url));
const config = ts.getParsedCommandLineOfConfigFile(fileURLToPath(new URL("../tsconfig.build.json", import.meta.url)), { noEmit: true }, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); },
})!;

/** The table with a peephole LSTM added: composed only (`kernel: null`) or with a fused kernel id. */
function specWithNewKind(kernel: "null" | "4"): string {
  const spec = readFileSync(specPath, "utf8");
  const entry = `  "lstm-peephole": {
    mode: "LSTM_PEEPHOLE", layer: "LSTM", description: "LSTM with peephole connections",
    gates: ["i", "f", "g", "o"],
    states: [{ name: "h", size: H, layerArg: "h0", cellArg: "hx", sizeSymbol: "H" }, { name: "c", size: H, layerArg: "c0", cellArg: "cx", sizeSymbol: "H" }],
    params: [...ELMAN_PARAMS, { name: "weight_ch", shape: (d) => [3 * d.H] }],
    saved: [],
    kernel: ${kernel},
  },
  jordan: {`;
  expect(spec).toContain("\n  jordan: {");
  return spec.replace("\n  jordan: {", `\n${entry}`);
}

let oldProgram: ts.Program | undefined;
/** The files (relative to the repository) where type-checking src/ fails with `spec` as the cell table. */
function filesWithErrors(spec: string | null): string[] {
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
    spec !== null && fileName === specPath ? ts.createSourceFile(fileName, spec, languageVersion) : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host, oldProgram });
  oldProgram = program;
  const files = ts.getPreEmitDiagnostics(program).map((d) => (d.file ? relative(root, d.file.fileName) : "(global)"));
  return [...new Set(files)].sort();
}

test("the sources type-check as they are", () => {
  expect(filesWithErrors(null)).toEqual([]);
}, 120_000);

test("a new composed-only kind fails to compile where it needs a step, a class, a count rule and a lab gate", () => {
  expect(filesWithErrors(specWithNewKind("null"))).toEqual([
    "src/cells/steps.ts", "src/nn/count.ts", "src/nn/create.ts", "src/train/lab.ts",
  ]);
}, 120_000);

test("a new fused kind also fails in the reference kernel, the wasm backend and the kernels' slope", () => {
  expect(filesWithErrors(specWithNewKind("4"))).toEqual([
    "src/backend/cpu/recurrent.ts", "src/backend/wasm/index.ts", "src/cells/spec.ts",
    "src/cells/steps.ts", "src/nn/count.ts", "src/nn/create.ts", "src/train/lab.ts",
  ]);
}, 120_000);

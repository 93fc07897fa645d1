/** The functions and globals the kernels' module exports. */
export const exported: string[];
/** The clang flags of each compiled variant, by the name it is exported under. */
export const variants: Record<string, string[]>;
/** The generated files (paths from the repository root) and the variants each holds. */
export const outputs: Record<string, string[]>;
/** The first line of `clang-16 --version`, or null where it is not installed. */
export function compilerVersion(): string | null;
/** Every file the compiler may read (src/backend/c/ and src/backend/wasm/pool.c), by path from the repository root. */
export function readInputFiles(): Promise<Record<string, Uint8Array>>;
/** SHA-256 (hex) of the build inputs: each file's path and bytes (strings are UTF-8), the flags of each variant and the compiler's version. */
export function inputsHash(files: Record<string, string | Uint8Array>, options: { compiler: string | null; flags?: Record<string, string[]> }): string;
/** The text of kernels-wasm.ts for a compiler version, an inputs hash and the base64 binaries by variant name. */
export function render(compiler: string, inputs: string, payloads: Record<string, string>): string;
/** Reads kernels-wasm.ts back: the recorded compiler and hashes (null when absent), payload lines, their digest, payloads by name. */
export function parse(text: string): {
  compiler: string | null;
  inputs: string | null;
  output: string | null;
  body: string[];
  bodyDigest: string;
  payloads: Record<string, string | null>;
};
/** Compiles the C kernels with clang-16 and returns the text of each generated file, by path. */
export function build(): Promise<Record<string, string>>;
/**
 * Whether `committed`, the text of the generated file `out`, is what `files` compile to; `rebuild`
 * (default: `build`'s text of `out`) runs only when the inputs hash with the recorded compiler
 * differs and a compiler is here (`compiler` not null).
 */
export function checkGenerated(
  out: string,
  committed: string,
  files: Record<string, string | Uint8Array>,
  compiler: string | null,
  rebuild?: () => Promise<string>,
): Promise<{ ok: boolean; rebuilt: boolean; message: string }>;

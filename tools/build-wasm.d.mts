/** The asc flags of each compiled variant, by the name it is exported under. */
export const variants: Record<string, string[]>;
/** The installed compiler versions: assemblyscript, and the binaryen it optimizes with. */
export function toolchainVersions(): Promise<{ assemblyscript: string; binaryen: string }>;
/** Every file asc may read (src/backend/wasm/assembly/ and asconfig.json), by path from the repository root. */
export function readInputFiles(): Promise<Record<string, Uint8Array>>;
/**
 * SHA-256 (hex) of the build inputs: each file's path and bytes (strings are UTF-8), the entry
 * file, the flags of each variant and the toolchain versions.
 */
export function inputsHash(
  files: Record<string, string | Uint8Array>,
  options: { versions: { assemblyscript: string; binaryen: string }; entry?: string; flags?: Record<string, string[]> },
): string;
/** The inputs hash of the working tree as it is now. */
export function currentInputsHash(): Promise<string>;
/** The text of kernels-wasm.ts for an inputs hash and the base64 binaries by variant name. */
export function render(inputs: string, payloads: Record<string, string>): string;
/** Reads kernels-wasm.ts back: recorded hashes (null when absent), payload lines, their digest, payloads by name. */
export function parse(text: string): {
  inputs: string | null;
  output: string | null;
  body: string[];
  bodyDigest: string;
  payloads: Record<string, string | null>;
};
/** Compiles the AssemblyScript kernels and returns the text of src/backend/wasm/kernels-wasm.ts. */
export function build(): Promise<string>;
/**
 * Whether `committed` is what the inputs hashing to `currentHash` compile to; `rebuild` (default
 * `build`) runs only when the recorded inputs hash differs.
 */
export function checkGenerated(
  committed: string,
  currentHash: string,
  rebuild?: () => Promise<string>,
): Promise<{ ok: boolean; rebuilt: boolean; message: string }>;

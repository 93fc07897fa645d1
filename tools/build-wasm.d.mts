/** Compiles the AssemblyScript kernels and returns the text of src/backend/wasm/kernels-wasm.ts. */
export function build(): Promise<string>;

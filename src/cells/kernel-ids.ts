// The recurrence ids the fused kernels dispatch on. Read by TypeScript (`cells/spec.ts`) and by
// the AssemblyScript kernels (`backend/wasm/assembly/kernels.ts`), so plain constants only.
export const KERNEL_LSTM = 0;
export const KERNEL_GRU = 1;
export const KERNEL_RNN_TANH = 2;
export const KERNEL_RNN_RELU = 3;

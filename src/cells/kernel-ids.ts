// The recurrence ids the fused kernels dispatch on. Read by TypeScript (`cells/spec.ts`); the C
// kernels define the same values in `backend/c/cells.h` (a test checks that they agree).
export const KERNEL_LSTM = 0;
export const KERNEL_GRU = 1;
export const KERNEL_RNN_TANH = 2;
export const KERNEL_RNN_RELU = 3;

/* The recurrence ids the fused kernels dispatch on: the values of src/cells/kernel-ids.ts (a test
 * checks that they agree). */
#ifndef SEQTORCH_CELLS_H
#define SEQTORCH_CELLS_H
#define ST_KERNEL_LSTM 0
#define ST_KERNEL_GRU 1
#define ST_KERNEL_RNN_TANH 2
#define ST_KERNEL_RNN_RELU 3
#endif

/*
 * Elementwise kernels over float32 arrays (the native backend runs its large same-shape and
 * scalar-broadcast binary ops here). Declared apart from kernels.h, with the same naming scheme.
 */
#ifndef SEQTORCH_ELEMENTWISE_H
#define SEQTORCH_ELEMENTWISE_H

#include "kernels.h"

/* The ops, in the order the host passes them. */
enum { ST_BIN_ADD = 0, ST_BIN_SUB = 1, ST_BIN_MUL = 2, ST_BIN_DIV = 3 };

/*
 * out[i] = a[i] op b[i] for i < n, where a (or b) with stride 0 is one value broadcast to every i
 * (the stride is 1 otherwise). out may be a or b itself (in-place ops). In float32, as the
 * reference backend rounds: for these four ops the results are the same bit for bit.
 */
void ST_NAME(st_binary)(int op, const float *a, int strideA, const float *b, int strideB, float *out, size_t n);

#endif

/*
 * Elementwise kernels over float32 arrays (the native backend runs its large same-shape and
 * scalar-broadcast binary ops here). Declared apart from kernels.h, with the same naming scheme.
 */
#ifndef SEQTORCH_ELEMENTWISE_H
#define SEQTORCH_ELEMENTWISE_H

#include <stdint.h>
#include "kernels.h"

/* The ops, in the order the host passes them. */
enum { ST_BIN_ADD = 0, ST_BIN_SUB = 1, ST_BIN_MUL = 2, ST_BIN_DIV = 3 };

/*
 * out[i] = a[i] op b[i] for i < n, where a (or b) with stride 0 is one value broadcast to every i
 * (the stride is 1 otherwise). out may be a or b itself (in-place ops). In float32, as the
 * reference backend rounds: for these four ops the results are the same bit for bit.
 */
void ST_NAME(st_binary)(int op, const float *a, int strideA, const float *b, int strideB, float *out, size_t n);

/*
 * Rows `width` floats long. Without `add`, row i of out is row index[i] of x (an embedding's
 * lookup); with it, row i of x is added into row index[i] of out, except where index[i] is skip
 * (its adjoint). Indices are the caller's to check.
 */
void ST_NAME(st_rows)(const float *x, size_t width, const int32_t *index, size_t n, float *out, int add, int32_t skip);

#endif

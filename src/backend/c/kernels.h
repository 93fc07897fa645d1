/*
 * seqtorch's compute kernels, one C source for every target. The vector width is a compile-time
 * constant: VW floats per vector (4 for WebAssembly SIMD128, SSE and NEON; 8 for AVX2; 16 for
 * AVX-512), and each build gives its functions a suffix (ST_SUFFIX) so that several widths can live
 * in one native library and be chosen at load time from the CPU's features.
 */
#ifndef SEQTORCH_KERNELS_H
#define SEQTORCH_KERNELS_H

#include <stddef.h>

#ifndef VW
#define VW 4
#endif
#ifndef ST_SUFFIX
#define ST_SUFFIX _generic
#endif
#define ST_CAT2(a, b) a##b
#define ST_CAT(a, b) ST_CAT2(a, b)
#define ST_NAME(name) ST_CAT(name, ST_SUFFIX)

/* One vector of VW floats (GCC/Clang vector extensions: +, *, [] work lane-wise; a scalar operand is broadcast). */
typedef float vf __attribute__((vector_size(VW * 4)));
/* The same in memory at any float's address, allowed to alias floats. */
typedef float vf_mem __attribute__((vector_size(VW * 4), aligned(4), may_alias));

static inline vf vload(const float *p) { return *(const vf_mem *)p; }
static inline void vstore(float *p, vf v) { *(vf_mem *)p = v; }

/*
 * C[m, n] (+)= op(A) · op(B) for row-major float32 matrices: A is [m, k] (stored [k, m] when
 * transA), B is [k, n] (stored [n, k] when transB). C is overwritten unless accumulate.
 * `scratch` holds ST_NAME(st_gemm_scratch_floats)(m, k, n) floats, aligned to 64 bytes.
 */
size_t ST_NAME(st_gemm_scratch_floats)(int m, int k, int n);
void ST_NAME(st_gemm)(const float *A, const float *B, float *C, int m, int k, int n, int transA, int transB, int accumulate, float *scratch);

#endif

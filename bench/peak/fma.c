/*
 * The limit every kernel is read against: a register-only loop of fused multiply-adds, with enough
 * independent accumulators to keep every FMA unit busy (latency x ports), no loads or stores.
 * VW floats per vector is fixed at compile time: 4 (WebAssembly SIMD128, SSE), 8 (AVX2), 16
 * (AVX-512). Compiled natively it is a program that prints GFLOP/s; compiled to wasm it exports
 * `peak(iterations)`, timed by its host. `bench/peak.ts` builds and runs both.
 */
#ifndef VW
#define VW 8
#endif
#define ACC 12

typedef float vf __attribute__((vector_size(VW * 4)));

#if defined(__wasm__)
#if defined(RELAXED)
#define MADD(a, b, c) __builtin_wasm_relaxed_madd_f32x4((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif
#define EXPORT __attribute__((export_name("peak")))
#else
#define MADD(a, b, c) ((a) * (b) + (c)) /* contracted to an FMA by -mfma -ffp-contract=fast */
#define EXPORT
#endif

EXPORT float peak(int iterations) {
  vf acc[ACC];
  vf b, c;
  for (int l = 0; l < VW; l++) {
    b[l] = 0.999999f;
    c[l] = 1e-7f;
  }
  for (int j = 0; j < ACC; j++) acc[j] = b * (float)j;
  for (int i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int j = 0; j < ACC; j++) acc[j] = MADD(acc[j], b, c);
  }
  float s = 0;
  for (int j = 0; j < ACC; j++)
    for (int l = 0; l < VW; l++) s += acc[j][l];
  return s;
}

/* Floating-point operations per iteration: ACC vectors of VW lanes, a multiply and an add each. */
#if defined(__wasm__)
__attribute__((export_name("flopsPerIteration"))) int flopsPerIteration(void) { return ACC * VW * 2; }
#else
#include <stdio.h>
#include <stdlib.h>
#include "timing.h"
int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 200000000;
  printf("%.1f\n", best_gflops(peak, iterations, (double)iterations * ACC * VW * 2));
  return 0;
}
#endif

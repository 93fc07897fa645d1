/*
 * The ceiling of seqtorch's own matrix products on this machine: the GEMM micro-kernel of
 * src/backend/c/gemm.c, compiled as the library compiles it for the target, called again and again
 * on one pair of packed panels (KC deep) that stay in L1. It is what the products could reach if
 * packing, memory and the loops around the micro-kernel cost nothing; read it next to the FMA loop
 * (fma.c), which has no loads at all. Compiled natively it is a program that prints GFLOP/s;
 * compiled to wasm it exports `run(reps)` and `flopsPerCall()`, timed by its host (bench/peak.ts).
 */
#if !defined(__wasm__)
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#endif
#include "../../src/backend/c/gemm.c"

/* gemm.c's threading contract, on one thread. */
int st_threads(void) { return 1; }
void st_parallel(int tasks, void (*fn)(void *ctx, int task, float *scratch), void *ctx, size_t scratch_floats) {
  (void)scratch_floats;
  for (int t = 0; t < tasks; t++) fn(ctx, t, NULL);
}

static float panelA[KC * MR] __attribute__((aligned(64)));
static float panelB[KC * NR] __attribute__((aligned(64)));
static float tile[MR * NR] __attribute__((aligned(64)));

static void fill(void) {
  for (int i = 0; i < KC * MR; i++) panelA[i] = 1e-3f * (float)(i % 7);
  for (int i = 0; i < KC * NR; i++) panelB[i] = 1e-3f * (float)(i % 5);
}

/* One call into a zeroed tile against plain loops: the largest difference. The probe must time
 * real products, so bench/peak.ts refuses a figure when this is off. */
#if defined(__wasm__)
__attribute__((export_name("check")))
#endif
float check(void) {
  fill();
  for (int i = 0; i < MR * NR; i++) tile[i] = 0;
  micro_kernel(KC, panelA, panelB, tile, NR, 0, NULL, 0);
  float worst = 0;
  for (int r = 0; r < MR; r++)
    for (int q = 0; q < NR; q++) {
      float want = 0;
      for (int p = 0; p < KC; p++) want += panelA[p * MR + r] * panelB[p * NR + q];
      float d = tile[r * NR + q] - want;
      if (d < 0) d = -d;
      if (!(d <= worst)) worst = d; /* NaN too */
    }
  return worst;
}

/* reps calls of the micro-kernel, each adding its KC-deep product into the tile (so that no call
 * is dead code); the compiler barrier keeps it from hoisting the product out of the loop. */
#if defined(__wasm__)
__attribute__((export_name("run")))
#endif
float run(int reps) {
  fill();
  for (int r = 0; r < reps; r++) {
    const float *a = panelA, *b = panelB;
    __asm__ volatile("" : "+r"(a), "+r"(b));
    micro_kernel(KC, a, b, tile, NR, 1, NULL, 0);
  }
  return tile[0];
}

#if defined(__wasm__)
__attribute__((export_name("flopsPerCall"))) int flopsPerCall(void) { return 2 * MR * NR * KC; }
#else
#include <stdio.h>
#include <stdlib.h>
#include "timing.h"
int main(int argc, char **argv) {
  if (argc > 1 && argv[1][0] == 'c') {
    printf("%g\n", (double)check());
    return 0;
  }
  int reps = argc > 1 ? atoi(argv[1]) : 200000;
  printf("%.1f\n", best_gflops(run, reps, (double)reps * 2 * MR * NR * KC));
  return 0;
}
#endif

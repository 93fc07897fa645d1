/*
 * The native side of the peak probes (fma.c, microkernel.c): the best of five timed runs of
 * fn(n), in GFLOP/s, for `flops` floating-point operations a run.
 */
#ifndef SEQTORCH_PEAK_TIMING_H
#define SEQTORCH_PEAK_TIMING_H
#include <time.h>

static double best_gflops(float (*fn)(int), int n, double flops) {
  double best = 0;
  volatile float sink = 0; /* keeps each run's result alive */
  for (int r = 0; r < 5; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sink += fn(n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (flops / s / 1e9 > best) best = flops / s / 1e9;
  }
  (void)sink;
  return best;
}
#endif

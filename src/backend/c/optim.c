/*
 * Optimizer updates over a parameter's elements, as PyTorch 1.13's single-tensor Adam and AdamW
 * compute them in float32: one pass reads the gradient and the moments and writes them and the
 * parameter. The loop is left to the compiler's vectoriser (no branches inside; sqrt and division
 * vectorise with -fno-math-errno).
 */
#include "kernels.h"

void ST_NAME(st_adam)(const st_adam_args *a) {
  const float b1 = a->beta1, b2 = a->beta2, nb1 = 1.0f - a->beta1, nb2 = 1.0f - a->beta2;
  const float stepSize = a->stepSize, invBc2 = 1.0f / a->bc2Sqrt, eps = a->eps;
  const float sign = a->maximize ? -1.0f : 1.0f, decay = a->decoupled ? 1.0f - a->lr * a->weightDecay : 1.0f;
  const float wd = a->decoupled ? 0.0f : a->weightDecay;
  float *restrict x = a->x, *restrict m = a->m, *restrict v = a->v, *restrict vMax = a->vMax;
  const float *restrict g = a->g;
  const size_t n = a->n;
  if (!vMax) {
    for (size_t i = 0; i < n; i++) {
      float xi = x[i] * decay;
      float gi = sign * g[i] + wd * xi;
      float mi = b1 * m[i] + nb1 * gi;
      float vi = b2 * v[i] + nb2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      x[i] = xi - stepSize * mi / (__builtin_sqrtf(vi) * invBc2 + eps);
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    float xi = x[i] * decay;
    float gi = sign * g[i] + wd * xi;
    float mi = b1 * m[i] + nb1 * gi;
    float vi = b2 * v[i] + nb2 * gi * gi;
    float vm = vMax[i] > vi ? vMax[i] : vi;
    m[i] = mi;
    v[i] = vi;
    vMax[i] = vm;
    x[i] = xi - stepSize * mi / (__builtin_sqrtf(vm) * invBc2 + eps);
  }
}

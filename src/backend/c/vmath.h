/*
 * exp, sigmoid and tanh on VW lanes at once, for the gate math of the recurrent kernels. exp is
 * Cephes' single-precision method: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two so that
 * n ln2 is exact), a degree-6 polynomial for e^r, and 2^n built in the exponent bits; inputs are
 * clamped to [-87.33, 88] so that 2^n stays a normal float. sigmoid and tanh call it only on
 * -|x| and -2|x|, so nothing overflows or divides by zero. Lanes are selected with bit masks, which
 * C's vector extensions allow (GCC has no vector ?: in C).
 */
#ifndef SEQTORCH_VMATH_H
#define SEQTORCH_VMATH_H
#include "kernels.h"

typedef int vi __attribute__((vector_size(VW * 4)));

static inline vi vsplat_i(int x) { return (vi){0} + x; }
/* mask ? a : b, lane by lane (mask lanes all ones or all zeros). */
static inline vf vselect(vi mask, vf a, vf b) { return (vf)((mask & (vi)a) | (~mask & (vi)b)); }
static inline vf vabs(vf x) { return (vf)((vi)x & vsplat_i(0x7fffffff)); }

/*
 * The clamp and floor of vexp. With AVX-512, AVX2 or WebAssembly SIMD they are single
 * instructions: x86's min and max with the constant first return x itself where x is NaN (so NaN
 * still propagates), and floor is exact, so the results are the same bits as the portable lines.
 */
#if (VW == 16 && defined(__AVX512F__)) || (VW == 8 && defined(__AVX2__))
#include <immintrin.h>
#if VW == 16
static inline vf vclamp_exp(vf x) { return (vf)_mm512_max_ps(_mm512_set1_ps(-87.33654f), _mm512_min_ps(_mm512_set1_ps(88.0f), (__m512)x)); }
static inline vf vfloor(vf t) { return (vf)_mm512_roundscale_ps((__m512)t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
#else
static inline vf vclamp_exp(vf x) { return (vf)_mm256_max_ps(_mm256_set1_ps(-87.33654f), _mm256_min_ps(_mm256_set1_ps(88.0f), (__m256)x)); }
static inline vf vfloor(vf t) { return (vf)_mm256_round_ps((__m256)t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
#endif
#define ST_VFLOOR 1
#elif VW == 4 && defined(__wasm_simd128__)
/* WebAssembly's f32x4.min and max return NaN where either operand is NaN; floor is exact. */
static inline vf vclamp_exp(vf x) { return __builtin_wasm_max_f32x4(vsplat(-87.33654f), __builtin_wasm_min_f32x4(vsplat(88.0f), x)); }
static inline vf vfloor(vf t) { return __builtin_wasm_floor_f32x4(t); }
#define ST_VFLOOR 1
#endif

static inline vf vexp(vf x) {
#ifdef ST_VFLOOR
  x = vclamp_exp(x);
  vf t = x * 1.44269504088896341f + 0.5f;
  vf nf = vfloor(t);
  vi n = __builtin_convertvector(nf, vi);
#else
  x = vselect(x < vsplat(-87.33654f), vsplat(-87.33654f), x);
  x = vselect(x > vsplat(88.0f), vsplat(88.0f), x);
  vf t = x * 1.44269504088896341f + 0.5f;
  vi n = __builtin_convertvector(t, vi); /* toward zero */
  vf nf = __builtin_convertvector(n, vf);
  vi over = nf > t; /* floor for negative t */
  n += over;        /* over is -1 where nf > t */
  nf = __builtin_convertvector(n, vf);
#endif
  vf r = x - nf * 0.693359375f + nf * 2.12194440e-4f;
  vf p = vsplat(1.9875691500e-4f);
  p = vfma(p, r, vsplat(1.3981999507e-3f));
  p = vfma(p, r, vsplat(8.3334519073e-3f));
  p = vfma(p, r, vsplat(4.1665795894e-2f));
  p = vfma(p, r, vsplat(1.6666665459e-1f));
  p = vfma(p, r, vsplat(5.0000001201e-1f));
  vf y = vfma(p, r * r, r + 1.0f);
  return y * (vf)((n + 127) << 23);
}

static inline vf vsigmoid(vf x) {
  vf e = vexp(-vabs(x));
  vf s = 1.0f / (1.0f + e);
  return vselect(x >= 0, s, e * s);
}

static inline vf vtanh(vf x) {
  vf e = vexp(-2.0f * vabs(x));
  vf t = (1.0f - e) / (1.0f + e);
  return vselect(x >= 0, t, -t);
}

/* The first n (<= VW) floats at p as a vector, zero-padded; and back. With AVX-512 and AVX2 a
 * partial vector is one masked load or store (a hidden size of 20 is a full vector and a tail of 4
 * every row, and lane-by-lane copies made the gate math of a small LSTM its slowest part). */
#if VW == 16 && defined(__AVX512F__)
#include <immintrin.h>
static inline vf vload_n(const float *p, int n) {
  return n == VW ? vload(p) : (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}
static inline void vstore_n(float *p, vf v, int n) {
  if (n == VW) vstore(p, v);
  else _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
}
#elif VW == 8 && defined(__AVX2__)
#include <immintrin.h>
static inline __m256i lanes_below(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
static inline vf vload_n(const float *p, int n) { return n == VW ? vload(p) : (vf)_mm256_maskload_ps(p, lanes_below(n)); }
static inline void vstore_n(float *p, vf v, int n) {
  if (n == VW) vstore(p, v);
  else _mm256_maskstore_ps(p, lanes_below(n), (__m256)v);
}
#else
static inline vf vload_n(const float *p, int n) {
  if (n == VW) return vload(p);
  vf v = {0};
  for (int l = 0; l < n; l++) v[l] = p[l];
  return v;
}
static inline void vstore_n(float *p, vf v, int n) {
  if (n == VW) {
    vstore(p, v);
    return;
  }
  for (int l = 0; l < n; l++) p[l] = v[l];
}
#endif
/* A bias vector's lanes, or zeros without a bias. */
static inline vf vload_or0(const float *p, int n) { return p ? vload_n(p, n) : (vf){0}; }

/* In place over n floats: whole vectors, then the tail through one padded vector. */
#define ST_MAP(fn)                                                   \
  static inline void fn##_n(float *p, int n) {                       \
    int i = 0;                                                       \
    for (; i + VW <= n; i += VW) vstore(p + i, fn(vload(p + i)));    \
    if (i < n) vstore_n(p + i, fn(vload_n(p + i, n - i)), n - i);   \
  }
ST_MAP(vsigmoid)
ST_MAP(vtanh)
#undef ST_MAP

#endif

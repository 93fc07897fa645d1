/*
 * Elementwise binary ops: VW lanes at a time, each block loaded before it is stored so that out may
 * be one of the operands, then the tail one element at a time.
 */
#include "elementwise.h"

#define BIN_LOOP(EXPR)                                                                  \
  do {                                                                                  \
    size_t i = 0;                                                                       \
    if (strideA && strideB) {                                                           \
      for (; i + VW <= n; i += VW) {                                                    \
        vf x = vload(a + i), y = vload(b + i);                                          \
        vstore(out + i, EXPR);                                                          \
      }                                                                                 \
      for (; i < n; i++) {                                                              \
        float x = a[i], y = b[i];                                                       \
        out[i] = EXPR;                                                                  \
      }                                                                                 \
    } else if (strideA) {                                                               \
      const float ys = b[0];                                                            \
      const vf y = (vf){0} + ys;                                                        \
      for (; i + VW <= n; i += VW) {                                                    \
        vf x = vload(a + i);                                                            \
        vstore(out + i, EXPR);                                                          \
      }                                                                                 \
      for (; i < n; i++) {                                                              \
        float x = a[i], y = ys;                                                         \
        out[i] = EXPR;                                                                  \
      }                                                                                 \
    } else {                                                                            \
      const float xs = a[0];                                                            \
      const vf x = (vf){0} + xs;                                                        \
      for (; i + VW <= n; i += VW) {                                                    \
        vf y = strideB ? vload(b + i) : (vf){0} + b[0];                                 \
        vstore(out + i, EXPR);                                                          \
      }                                                                                 \
      for (; i < n; i++) {                                                              \
        float x = xs, y = strideB ? b[i] : b[0];                                        \
        out[i] = EXPR;                                                                  \
      }                                                                                 \
    }                                                                                   \
  } while (0)

void ST_NAME(st_binary)(int op, const float *a, int strideA, const float *b, int strideB, float *out, size_t n) {
  switch (op) {
    case ST_BIN_ADD: BIN_LOOP(x + y); break;
    case ST_BIN_SUB: BIN_LOOP(x - y); break;
    case ST_BIN_MUL: BIN_LOOP(x * y); break;
    case ST_BIN_DIV: BIN_LOOP(x / y); break;
    default: break;
  }
}

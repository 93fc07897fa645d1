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

static void binary_range(int op, const float *a, int strideA, const float *b, int strideB, float *out, size_t n) {
  switch (op) {
    case ST_BIN_ADD: BIN_LOOP(x + y); break;
    case ST_BIN_SUB: BIN_LOOP(x - y); break;
    case ST_BIN_MUL: BIN_LOOP(x * y); break;
    case ST_BIN_DIV: BIN_LOOP(x / y); break;
    default: break;
  }
}

typedef struct {
  int op, strideA, strideB;
  const float *a, *b;
  float *out;
  size_t n, per;
} binary_split;

static void binary_task(void *ctx, int task, float *scratch) {
  const binary_split *s = (const binary_split *)ctx;
  size_t start = (size_t)task * s->per, len = s->n - start < s->per ? s->n - start : s->per;
  (void)scratch;
  if (start >= s->n) return;
  binary_range(s->op, s->strideA ? s->a + start : s->a, s->strideA, s->strideB ? s->b + start : s->b, s->strideB, s->out + start, len);
}

/* From a million elements the range is split across threads: besides the arithmetic, the first
 * writes to a fresh output fault its pages in, which then happens on every thread at once. */
void ST_NAME(st_binary)(int op, const float *a, int strideA, const float *b, int strideB, float *out, size_t n) {
  int threads = st_threads();
  if (threads > 1 && n >= ((size_t)1 << 20)) {
    binary_split s = {op, strideA, strideB, a, b, out, n, 0};
    int tasks = 2 * threads;
    s.per = ((n + (size_t)tasks - 1) / (size_t)tasks + 15) & ~(size_t)15;
    st_parallel((int)((n + s.per - 1) / s.per), binary_task, &s, 0);
    return;
  }
  binary_range(op, a, strideA, b, strideB, out, n);
}

/* Rows are fetched this many ahead: a table's rows are scattered, and each one read from memory
 * would otherwise wait out its own latency. */
#define ROWS_AHEAD 4

static void prefetch_row(const float *row, size_t width, int write) {
  const char *p = (const char *)row;
  for (size_t b = 0; b < width * sizeof(float); b += 64) {
    if (write) __builtin_prefetch(p + b, 1);
    else __builtin_prefetch(p + b, 0);
  }
}

void ST_NAME(st_rows)(const float *x, size_t width, const int32_t *index, size_t n, float *out, int add, int32_t skip) {
  for (size_t i = 0; i < n; i++) {
    if (i + ROWS_AHEAD < n) prefetch_row((add ? out : x) + (size_t)index[i + ROWS_AHEAD] * width, width, add);
    if (!add) {
      st_memcpy(out + i * width, x + (size_t)index[i] * width, width * sizeof(float));
    } else if (index[i] != skip) {
      float *dst = out + (size_t)index[i] * width;
      const float *src = x + i * width;
      for (size_t j = 0; j < width; j++) dst[j] += src[j];
    }
  }
}

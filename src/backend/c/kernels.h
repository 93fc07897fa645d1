/*
 * seqtorch's compute kernels, one C source for every target. The vector width is a compile-time
 * constant: VW floats per vector (4 for WebAssembly SIMD128, SSE and NEON; 8 for AVX2; 16 for
 * AVX-512), and each build gives its functions a suffix (ST_SUFFIX) so that several widths can live
 * in one native library and be chosen at load time from the CPU's features.
 */
#ifndef SEQTORCH_KERNELS_H
#define SEQTORCH_KERNELS_H

#include <stddef.h>

/* Freestanding: the compiler's own memcpy and memset (WebAssembly's bulk-memory instructions). */
#define st_memcpy __builtin_memcpy
#define st_memset __builtin_memset

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
/* x in every lane (x - 0 is x for every float, -0 included, so the subtraction folds away). */
static inline vf vsplat(float x) { return x - (vf){0}; }

/* a * b + c lane-wise, fused where the target has a fused multiply-add: relaxed SIMD's madd in
 * WebAssembly (-mrelaxed-simd), FMA natively (-mfma with -ffp-contract=fast contracts the plain form). */
static inline vf vfma(vf a, vf b, vf c) {
#if defined(__wasm_relaxed_simd__)
  return __builtin_wasm_relaxed_madd_f32x4(a, b, c);
#else
  return a * b + c;
#endif
}

/* Checked only in debug builds (-DST_DEBUG): a failed check stops the kernel (a trap in
 * WebAssembly, an abort natively) rather than reading or writing outside a buffer. */
#ifdef ST_DEBUG
#define ST_ASSERT(cond) ((cond) ? (void)0 : __builtin_trap())
#else
#define ST_ASSERT(cond) ((void)0)
#endif

/*
 * What the host provides (one implementation for all instruction sets: a thread pool natively,
 * workers over shared memory in WebAssembly): the thread budget, and a parallel loop that runs
 * fn(ctx, task, scratch) for task = 0 .. tasks - 1, each call with its own scratch_floats floats,
 * and returns when all are done. With one thread it runs them in order on the caller.
 */
int st_threads(void);
void st_parallel(int tasks, void (*fn)(void *ctx, int task, float *scratch), void *ctx, size_t scratch_floats);

/*
 * C[m, n] (+)= op(A) · op(B) for row-major float32 matrices: A is [m, k] (stored [k, m] when
 * transA), B is [k, n] (stored [n, k] when transB). C is overwritten unless accumulate.
 * `scratch` holds ST_NAME(st_gemm_scratch_floats)(m, k, n) floats, aligned to 64 bytes.
 */
size_t ST_NAME(st_gemm_scratch_floats)(int m, int k, int n);
void ST_NAME(st_gemm)(const float *A, const float *B, float *C, int m, int k, int n, int transA, int transB, int accumulate, float *scratch);

/* For a B that many products share: op(B) packed once (st_gemm_packed_b_floats(k, n) floats),
 * then products with it, as st_gemm computes them. */
size_t ST_NAME(st_gemm_packed_b_floats)(int k, int n);
void ST_NAME(st_gemm_pack_b)(const float *B, int k, int n, int transB, float *out);
void ST_NAME(st_gemm_prepacked)(const float *A, const float *Bp, float *C, int m, int k, int n, int transA, int accumulate, float *scratch);

/* One Adam or AdamW step over n elements (PyTorch 1.13's single-tensor algorithm, in float32):
 * stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t); vMax is NULL without amsgrad. */
typedef struct {
  float *x, *m, *v, *vMax;
  const float *g;
  size_t n;
  float lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt;
  int decoupled, maximize;
} st_adam_args;

void ST_NAME(st_adam)(const st_adam_args *a);

/*
 * One recurrent layer in one direction over a whole sequence, time-major unless batch_first (the
 * argument block of the fused kernels). Sizes: T steps, N batch, I input features, H hidden, P
 * projection (0: none), Hr = P ? P : H, G gates (4 LSTM, 3 GRU, 1 Elman), GH = G * H. Every buffer
 * is float32, row-major.
 */
typedef struct {
  int kind; /* ST_KERNEL_* (cells.h) */
  int T, N, I, H, P;
  int reverse;     /* run from t = T - 1 down to 0 */
  int save;        /* fill the saved buffers for backward */
  int batch_first; /* x, y (and dx, dy) are [N,T,*] rather than [T,N,*]; the saved buffers are not */
  int y_ld;        /* forward: floats from one row of y to the next (0: Hr); a bidirectional stack writes
                      each direction into its half of the rows of one output */
  float slope; /* Elman ReLU: the slope of negative inputs (0: ReLU) */
  const int *lengths; /* [N] valid steps per sequence, or NULL: all T */
  const float *x, *h0, *c0;                  /* [T,N,I], [N,Hr], [N,H] (LSTM) */
  const float *wIh, *wHh, *bIh, *bHh, *wHr;  /* [GH,I], [GH,Hr], [GH] or NULL, [GH] or NULL, [P,H] */
  float *y, *hN, *cN;                        /* [T,N,Hr], [N,Hr], [N,H] (LSTM) */
  /* Saved for backward, [T,N,size]: gates GH (activated), hPrev Hr, cPrev H and c H (LSTM), m H
   * (LSTM with projection: the output before it), ghn H (GRU: W_hn h + b_hn). NULL when unused. */
  float *gates, *hPrev, *cPrev, *c, *m, *ghn;
} st_rec_forward_args;

typedef struct {
  st_rec_forward_args f; /* the forward call's arguments, its saved buffers filled */
  const float *dy, *dhN, *dcN; /* [T,N,Hr], [N,Hr], [N,H]; each may be NULL (zero) */
  float *dx, *dh0, *dc0;       /* [T,N,I], [N,Hr], [N,H] (LSTM) */
  float *dwIh, *dwHh, *dbIh, *dbHh, *dwHr; /* like the weights; the biases NULL when there are none */
  int reuse_gates; /* this backward is the last to read the saved activations: an LSTM writes its gate
                      gradients over the saved gates, R * 4H floats of scratch fewer */
} st_rec_backward_args;

/* Where each scratch buffer lives, in floats from the scratch's start (64-byte aligned), and the
 * total: one function sizes the scratch and places the buffers in it. */
typedef struct {
  size_t ints;                             /* the batch order and the packed steps' counts and offsets */
  size_t xp, dxp;                          /* x (and dx) packed, when some sequence is shorter than T */
  size_t gx, g, gh, m, hp, bias;           /* forward (bias: b_ih + b_hh, added with each step's gates) */
  size_t wHhP, wHrP;                       /* W_hh and W_hr packed for the per-step products */
  size_t dG, dGh, dHall, dm, dhNext;       /* backward */
  size_t hs, cs;                           /* the running state (or its gradient), rows in sorted order */
  size_t gemm, total;
} st_rec_layout;

void ST_NAME(st_rec_forward_layout)(const st_rec_forward_args *a, st_rec_layout *out);
void ST_NAME(st_rec_backward_layout)(const st_rec_backward_args *a, st_rec_layout *out);
/* `scratch` holds layout.total floats, 64-byte aligned. */
void ST_NAME(st_rec_forward)(const st_rec_forward_args *a, float *scratch);
void ST_NAME(st_rec_backward)(const st_rec_backward_args *a, float *scratch);

#endif

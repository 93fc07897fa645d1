/*
 * The matrix product, BLIS-style: op(B) is packed into panels of NR columns and op(A) into panels of
 * MR rows, KC deep, so that the micro-kernel streams both from contiguous memory; the micro-kernel
 * keeps an MR x NR tile of C in MR * NR / VW vector registers and adds one rank-1 update per step
 * of k. Transposed operands only change how the panels are read while packing.
 */
#include "kernels.h"

/* Rows of the register tile: 8 with AVX-512 (16 accumulators of its 32 registers; a recurrent
 * step's 32 or 64 rows are then whole tiles, where 6 left an edge tile that cost a whole one),
 * 6 with 16 registers (12 accumulators); 5 in WebAssembly (ST_MR=5 from tools/build-wasm.mjs; see
 * micro_kernel_rows), whose engines keep one of their 16 vector registers for themselves. */
#ifndef ST_MR
#if VW >= 16
#define ST_MR 8
#else
#define ST_MR 6
#endif
#endif
#define MR ST_MR
#define NR (2 * VW)
#define KC 256
#define MC (MR * 20)
#define NC (NR * 64)

/* Packed weights from this many floats (4 MB) on are fetched ahead (see gemm_block). */
#define PREFETCH_FLOATS ((size_t)1 << 20)

static inline size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* A short product (m <= MC rows: a recurrent step's) packs op(A) whole, all k deep, once: its
 * column blocks, and the threads that split its columns, share the one packing. */
static inline int whole_a(int m) { return m <= MC; }

static int rows_share_b(int m, int k, int n);
static size_t packed_b_floats(int k, int n);

/* One thread's scratch for a block of a product (gemm_block). */
static size_t block_scratch(int m, int k, int n) {
  size_t kc = (size_t)(k < KC ? k : KC);
  size_t mc = round_up((size_t)(m < MC ? m : MC), MR);
  size_t nc = round_up((size_t)(n < NC ? n : NC), NR);
  /* Room for op(A) whole at up to MC rows: the sizes are asked for the most rows a caller's products
   * have, and its shorter ones (a packed batch's later steps) may pack whole. */
  return (size_t)k * mc + kc * nc + MR * NR + 64;
}

/* The caller's scratch: a block's, or, where the product splits by rows and its tasks share one
 * packing of op(B) (see gemm), room for that packing. */
size_t ST_NAME(st_gemm_scratch_floats)(int m, int k, int n) {
  size_t block = block_scratch(m, k, n);
  if (!rows_share_b(m, k, n)) return block;
  size_t shared = packed_b_floats(k, n) + 16;
  return shared > block ? shared : block;
}


/* op(A)[i, p] for i in [i0, i0 + mc), p in [p0, p0 + kc) into MR-row panels, zero-padded; A's
 * rows (columns when transA) are lda apart. Both are read along their rows, where memory is
 * contiguous. */
#if defined(__clang__)
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF(a, b, ...) __builtin_shuffle(a, b, (pack_mask){__VA_ARGS__})
#endif

/* Packing transposes PT x PT blocks in registers: 8 where the tile has 8 rows, else 4 (a tile's
 * rows past a multiple of 4 are copied one by one). */
#if MR % 8 == 0
#define PT 8
#else
#define PT 4
#endif
/* PT rows of PT floats each, as PT vectors of PT lanes. */
typedef float pack_v __attribute__((vector_size(PT * 4)));
typedef float pack_v_mem __attribute__((vector_size(PT * 4), aligned(4), may_alias));
typedef int pack_mask __attribute__((vector_size(PT * 4)));

/* PT rows of A (lda apart), kc long, transposed in PT x PT blocks: PT loads along the rows, a
 * transpose in registers, PT stores of PT floats, one step of k each, ostride apart (MR for an
 * op(A) panel; NR for PT of the NR columns of a transposed op(B) panel). The scalar loop wrote one
 * float per store. Returns how far it got (a multiple of PT); the caller copies the rest. */
static int pack_a_rows_vec(const float *A, size_t lda, int kc, float *o, size_t ostride) {
  int p = 0;
  for (; p + PT <= kc; p += PT) {
    pack_v r[PT];
    for (int i = 0; i < PT; i++) r[i] = *(const pack_v_mem *)(A + (size_t)i * lda + (size_t)p);
#if PT == 8
    pack_v a[8], b[8];
    for (int k = 0; k < 4; k++) {
      a[2 * k] = SHUF(r[2 * k], r[2 * k + 1], 0, 8, 1, 9, 2, 10, 3, 11);
      a[2 * k + 1] = SHUF(r[2 * k], r[2 * k + 1], 4, 12, 5, 13, 6, 14, 7, 15);
    }
    for (int h = 0; h < 2; h++) {     /* rows 0-3, then 4-7 */
      for (int q = 0; q < 2; q++) {   /* k 0-3, then 4-7 */
        pack_v lo = a[4 * h + q], hi = a[4 * h + 2 + q];
        b[4 * h + 2 * q] = SHUF(lo, hi, 0, 1, 8, 9, 2, 3, 10, 11);
        b[4 * h + 2 * q + 1] = SHUF(lo, hi, 4, 5, 12, 13, 6, 7, 14, 15);
      }
    }
    for (int j = 0; j < 4; j++) {
      *(pack_v_mem *)(o + (size_t)(p + 2 * j) * ostride) = SHUF(b[j], b[4 + j], 0, 1, 2, 3, 8, 9, 10, 11);
      *(pack_v_mem *)(o + (size_t)(p + 2 * j + 1) * ostride) = SHUF(b[j], b[4 + j], 4, 5, 6, 7, 12, 13, 14, 15);
    }
#else
    pack_v a0 = SHUF(r[0], r[1], 0, 4, 1, 5), a1 = SHUF(r[0], r[1], 2, 6, 3, 7);
    pack_v a2 = SHUF(r[2], r[3], 0, 4, 1, 5), a3 = SHUF(r[2], r[3], 2, 6, 3, 7);
    *(pack_v_mem *)(o + (size_t)p * ostride) = SHUF(a0, a2, 0, 1, 4, 5);
    *(pack_v_mem *)(o + (size_t)(p + 1) * ostride) = SHUF(a0, a2, 2, 3, 6, 7);
    *(pack_v_mem *)(o + (size_t)(p + 2) * ostride) = SHUF(a1, a3, 0, 1, 4, 5);
    *(pack_v_mem *)(o + (size_t)(p + 3) * ostride) = SHUF(a1, a3, 2, 3, 6, 7);
#endif
  }
  return p;
}

static void pack_a(const float *A, size_t lda, int transA, int i0, int mc, int p0, int kc, float *out) {
  for (int i = 0; i < mc; i += MR) {
    int rows = mc - i < MR ? mc - i : MR;
    float *o = out + (size_t)i * kc;
    if (transA) {
      for (int p = 0; p < kc; p++) {
        const float *src = A + (size_t)(p0 + p) * lda + (size_t)(i0 + i);
        if (rows == MR) st_memcpy(o + (size_t)p * MR, src, MR * sizeof(float));
        else for (int r = 0; r < MR; r++) o[(size_t)p * MR + r] = r < rows ? src[r] : 0;
      }
      continue;
    }
    if (rows == MR) {
      const float *src = A + (size_t)(i0 + i) * lda + (size_t)p0;
      int r0 = 0;
      for (; r0 + PT <= MR; r0 += PT) {
        const float *s0 = src + (size_t)r0 * lda;
        for (int p = pack_a_rows_vec(s0, lda, kc, o + r0, MR); p < kc; p++)
          for (int r = 0; r < PT; r++) o[(size_t)p * MR + r0 + r] = s0[(size_t)r * lda + (size_t)p];
      }
      for (int r = r0; r < MR; r++)
        for (int p = 0; p < kc; p++) o[(size_t)p * MR + r] = src[(size_t)r * lda + (size_t)p];
      continue;
    }
    for (int r = 0; r < MR; r++) {
      const float *src = A + (size_t)(i0 + i + r) * lda + (size_t)p0;
      for (int p = 0; p < kc; p++) o[(size_t)p * MR + r] = r < rows ? src[p] : 0;
    }
  }
}

/* op(A) whole, as pack_a lays out each KC-deep block (for a short product: i0 = 0, mc = m): the
 * block from depth p0, and all of them. */
static void pack_a_whole_block(const float *A, size_t lda, int transA, int m, int k, int p0, float *out) {
  pack_a(A, lda, transA, 0, m, p0, k - p0 < KC ? k - p0 : KC, out + (size_t)p0 * round_up((size_t)m, MR));
}

static void pack_a_whole(const float *A, size_t lda, int transA, int m, int k, float *out) {
  for (int p0 = 0; p0 < k; p0 += KC) pack_a_whole_block(A, lda, transA, m, k, p0, out);
}

/* op(B)[p, j] for p in [p0, p0 + kc), j in [j0, j0 + nc) into NR-column panels, zero-padded; B's
 * rows (columns when transB) are ldb apart. */
static void pack_b(const float *B, size_t ldb, int transB, int p0, int kc, int j0, int nc, float *out) {
  for (int j = 0; j < nc; j += NR) {
    int cols = nc - j < NR ? nc - j : NR;
    if (transB) {
      /* op(B)'s columns are B's rows: each read along its row, written down the panel (which stays
       * in L1); a full panel PT rows at a time, transposed in registers. */
      float *o = out + (size_t)j * kc;
#if NR % PT == 0
      if (cols == NR) {
        for (int c0 = 0; c0 < NR; c0 += PT) {
          const float *src = B + (size_t)(j0 + j + c0) * ldb + (size_t)p0;
          for (int p = pack_a_rows_vec(src, ldb, kc, o + c0, NR); p < kc; p++)
            for (int c = 0; c < PT; c++) o[(size_t)p * NR + c0 + c] = src[(size_t)c * ldb + (size_t)p];
        }
        continue;
      }
#endif
      for (int c = 0; c < cols; c++) {
        const float *src = B + (size_t)(j0 + j + c) * ldb + (size_t)p0;
        for (int p = 0; p < kc; p++) o[(size_t)p * NR + c] = src[p];
      }
      for (int p = 0; p < kc && cols < NR; p++)
        for (int c = cols; c < NR; c++) o[(size_t)p * NR + c] = 0;
      continue;
    }
    for (int p = 0; p < kc; p++) {
      float *o = out + (size_t)j * kc + (size_t)p * NR;
      size_t row = (size_t)(p0 + p);
      if (!transB && cols == NR) {
        st_memcpy(o, B + row * ldb + (size_t)(j0 + j), NR * sizeof(float));
        continue;
      }
      for (int c = 0; c < cols; c++) {
        size_t col = (size_t)(j0 + j + c);
        o[c] = transB ? B[col * ldb + row] : B[row * ldb + col];
      }
      for (int c = cols; c < NR; c++) o[c] = 0;
    }
  }
}

/*
 * C[rows, NR] (+)= Ap[kc, MR]ᵀ-panel (its first rows) · Bp[kc, NR]-panel, C with row stride ldc.
 * The loops over the tile's rows run to MR and stop at rows: clang unrolls them before it inlines
 * this (where rows becomes a constant and the tests fold away), so the rows x 2 accumulators live
 * in registers. With pf, each step of k also fetches pf + p * pfStride into L2 (see gemm_block).
 *
 * In WebAssembly the engine, not clang, allocates registers, and V8 issues a step's loads in
 * program order ahead of its arithmetic: MR broadcast loads of A would all be live at once, which
 * leaves room for 8 accumulators. So A's first VW values of the step come in one vector load and
 * each row's is shuffled out of it, an operation the engine places next to its use; an empty asm
 * on the vector keeps clang from turning the shuffles back into loads. A second empty asm after
 * each row's two multiply-adds keeps clang from gathering them at the end of the step. The 5 x 8
 * tile (10 accumulators) then runs about as fast as the FMA loop (bench/peak/microkernel.c), where
 * 4 x 8 with broadcast loads ran at 87-88% of it.
 */
static inline __attribute__((always_inline)) void micro_kernel_rows(const int rows, int kc, const float *restrict Ap, const float *restrict Bp,
                                                                    float *restrict C, size_t ldc, int add, const float *pf, size_t pfStride) {
  vf c[MR][2];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) c[r][0] = c[r][1] = vsplat(0);
  for (int p = 0; p < kc; p++) {
    if (pf) __builtin_prefetch(pf + (size_t)p * pfStride, 0, 2);
    vf b0 = vload(Bp), b1 = vload(Bp + VW);
#if defined(__wasm__)
    vf lanes = vload(Ap);
    __asm__("" : "+r"(lanes));
#endif
#pragma GCC unroll 16
    for (int r = 0; r < MR && r < rows; r++) {
#if defined(__wasm__)
      vf a = r < VW ? vsplat(lanes[r]) : vsplat(Ap[r]);
#else
      vf a = vsplat(Ap[r]);
#endif
      c[r][0] = vfma(b0, a, c[r][0]);
      c[r][1] = vfma(b1, a, c[r][1]);
#if defined(__wasm__)
      __asm__ volatile("" : "+r"(c[r][0]), "+r"(c[r][1]) :: "memory");
#endif
    }
    Ap += MR;
    Bp += NR;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR && r < rows; r++) {
    float *row = C + (size_t)r * ldc;
    if (add) {
      c[r][0] += vload(row);
      c[r][1] += vload(row + VW);
    }
    vstore(row, c[r][0]);
    vstore(row + VW, c[r][1]);
  }
}

static void micro_kernel(int kc, const float *restrict Ap, const float *restrict Bp, float *restrict C, size_t ldc, int add, const float *pf,
                         size_t pfStride) {
  micro_kernel_rows(MR, kc, Ap, Bp, C, ldc, add, pf, pfStride);
}

/* The tile's first SHORT_ROWS rows, for a block's last rows. In WebAssembly VW (a recurrent step's
 * 64 rows are 12 tiles of 5 and one of 4); natively the whole tile. */
#if defined(__wasm__)
#if MR < VW || MR > VW + 1
#error "the WebAssembly micro-kernel shuffles VW rows of A out of one load and broadcasts one more: MR is VW or VW + 1"
#endif
#define SHORT_ROWS VW
#else
#define SHORT_ROWS MR
#endif
static void micro_kernel_short(int kc, const float *restrict Ap, const float *restrict Bp, float *restrict C, size_t ldc, int add) {
  micro_kernel_rows(SHORT_ROWS, kc, Ap, Bp, C, ldc, add, NULL, 0);
}

/*
 * op(B) packed whole, for a B that many products share (a recurrent layer's W_hh, once per step):
 * for each block of NC columns, its panels for each block of KC rows, one after another.
 */
static size_t packed_b_floats(int k, int n) {
  size_t total = 0;
  for (int j0 = 0; j0 < n; j0 += NC) total += round_up((size_t)(n - j0 < NC ? n - j0 : NC), NR) * (size_t)k;
  return total;
}

size_t ST_NAME(st_gemm_packed_b_floats)(int k, int n) { return packed_b_floats(k, n); }

/* op(B) packed whole, in units that threads can share: unit u is the KC-deep block u % kBlocks of
 * the NC-wide block of columns u / kBlocks. Column blocks before column j0 take j0 * k floats, and
 * the block's KC-deep parts before p0 take round_up(nc, NR) * p0. */
typedef struct {
  const float *B;
  float *out;
  int k, n, transB, kBlocks;
} pack_b_units;

static int pack_b_unit_count(const pack_b_units *s) { return (s->n + NC - 1) / NC * s->kBlocks; }

static void pack_b_unit(const pack_b_units *s, int u) {
  int j0 = u / s->kBlocks * NC, p0 = u % s->kBlocks * KC;
  int nc = s->n - j0 < NC ? s->n - j0 : NC, kc = s->k - p0 < KC ? s->k - p0 : KC;
  float *out = s->out + (size_t)j0 * (size_t)s->k + round_up((size_t)nc, NR) * (size_t)p0;
  pack_b(s->B, s->transB ? (size_t)s->k : (size_t)s->n, s->transB, p0, kc, j0, nc, out);
}

static void pack_b_task(void *ctx, int task, float *scratch) {
  (void)scratch;
  pack_b_unit((const pack_b_units *)ctx, task);
}

void ST_NAME(st_gemm_pack_b)(const float *B, int k, int n, int transB, float *out) {
  if (k <= 0 || n <= 0) return;
  pack_b_units s = {B, out, k, n, transB, (k + KC - 1) / KC};
  int tasks = pack_b_unit_count(&s);
  /* A layer's W_hh (megabytes, packed once a pass) on every thread; small ones on the caller. */
  if (st_threads() > 1 && tasks > 1 && (size_t)k * (size_t)n >= ((size_t)1 << 18)) st_parallel(tasks, pack_b_task, &s, 0);
  else
    for (int t = 0; t < tasks; t++) pack_b_unit(&s, t);
}

/* In op(B) packed whole (st_gemm_pack_b) with preN columns, k deep: the panel of NR columns that
 * starts at column col (a multiple of NR), from depth p0 on (kc deep). The NC-column blocks before
 * col's are whole, NC * k floats each. */
static inline const float *prepacked_panel(const float *Bpre, int k, int preN, int col, int p0, int kc) {
  size_t blk = (size_t)(col / NC), first = blk * NC;
  size_t ncb = (size_t)preN - first < NC ? (size_t)preN - first : NC;
  return Bpre + first * (size_t)k + round_up(ncb, NR) * (size_t)p0 + ((size_t)col - first) * (size_t)kc;
}

/* One thread's product on a block: C[m, n] (row stride ldc) (+)= op(A) op(B), with A's and B's
 * leading dimensions given, or with op(B) already packed whole (Bpre, from st_gemm_pack_b, preN
 * columns wide), of which the block's columns start at preCol0 (a multiple of NR); a short
 * product's op(A) may come packed whole (Apre, from pack_a_whole). */
static void gemm_block(const float *A, size_t lda, const float *Apre, const float *B, size_t ldb, const float *Bpre, int preN, int preCol0,
                       float *C, size_t ldc, int m, int k, int n, int transA, int transB, int accumulate, float *scratch) {
  /* 64-byte aligned panels. */
  float *base = (float *)(((size_t)scratch + 63) & ~(size_t)63);
  size_t mpad = round_up((size_t)(m < MC ? m : MC), MR);
  float *Ap = base;
  float *own = Ap + (size_t)k * mpad; /* B's panels, packed here */
  if (whole_a(m) && !Apre) {
    pack_a_whole(A, lda, transA, m, k, Ap);
    Apre = Ap;
  }
  float *edge = own + (size_t)(k < KC ? k : KC) * round_up((size_t)(n < NC ? n : NC), NR);
  ST_ASSERT(edge + MR * NR <= scratch + ST_NAME(st_gemm_scratch_floats)(m, k, n));
  ST_ASSERT(!Bpre || (preCol0 % NR == 0 && preCol0 + n <= preN));
  for (int j0 = 0; j0 < n; j0 += NC) {
    int nc = n - j0 < NC ? n - j0 : NC;
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = k - p0 < KC ? k - p0 : KC;
      int add = accumulate || p0 > 0;
      if (!Bpre) pack_b(B, ldb, transB, p0, kc, j0, nc, own);
      for (int i0 = 0; i0 < m; i0 += MC) {
        int mc = m - i0 < MC ? m - i0 : MC;
        const float *Ablk = Apre ? Apre + (size_t)p0 * mpad : Ap;
        if (!Apre) pack_a(A, lda, transA, i0, mc, p0, kc, Ap);
        /* A packed op(B) too big to stay in a core's L2 (a large recurrent step's W_hh) comes from
         * memory, a panel at a time, once per product: each row tile's pass over a panel fetches a
         * slice of the next one into L2, pfStride floats of each of its kc rows, so that the next
         * panel's first tile does not wait on memory. A small one stays in cache between steps. */
        size_t pfStride = 0;
#if !defined(__wasm__)
        size_t tiles = ((size_t)mc + MR - 1) / MR;
        if (Bpre && tiles >= 2 && (size_t)preN * (size_t)k >= PREFETCH_FLOATS) pfStride = (NR + tiles - 1) / tiles;
#endif
        for (int j = 0; j < nc; j += NR) {
          int cols = nc - j < NR ? nc - j : NR;
          for (int i = 0; i < mc; i += MR) {
            int rows = mc - i < MR ? mc - i : MR;
            float *c = C + (size_t)(i0 + i) * ldc + (size_t)(j0 + j);
            const float *a = Ablk + (size_t)i * (size_t)kc;
            const float *b = Bpre ? prepacked_panel(Bpre, k, preN, preCol0 + j0 + j, p0, kc) : own + (size_t)j * (size_t)kc;
            const float *pf = pfStride ? b + (size_t)NR * (size_t)kc + (size_t)(i / MR) * (size_t)kc * pfStride : NULL;
            if (rows == MR && cols == NR) {
              micro_kernel(kc, a, b, c, ldc, add, pf, pfStride);
              continue;
            }
            if (rows == SHORT_ROWS && cols == NR) {
              micro_kernel_short(kc, a, b, c, ldc, add);
              continue;
            }
            /* An edge tile: computed into a scratch tile (by the short kernel where it covers the
             * rows), then the valid part added. */
            if (rows <= SHORT_ROWS) micro_kernel_short(kc, a, b, edge, NR, 0);
            else micro_kernel(kc, a, b, edge, NR, 0, NULL, 0);
            for (int r = 0; r < rows; r++)
              for (int q = 0; q < cols; q++) {
                float v = edge[r * NR + q];
                c[(size_t)r * ldc + q] = add ? c[(size_t)r * ldc + q] + v : v;
              }
          }
        }
      }
    }
  }
}

/* Units of a packing that a product's tasks share: how many, the next to take, how many are done. */
typedef struct {
  int units, next, done;
} shared_pack;

/* A product split into blocks of rows or of columns, one block a task. */
typedef struct {
  const float *A, *Apre, *B, *Bpre;
  float *C;
  int m, k, n, transA, transB, accumulate;
  int byRows, step; /* block height (byRows) or width */
  /* The operand every task reads, packed whole first by the tasks themselves (see pack_shared):
   * split by columns, op(A) into Apre, a KC-deep block a unit; split by rows (natively; see gemm),
   * op(B) into Bpre, in pack_b_units' units. */
  shared_pack packA, packB;
  pack_b_units bUnits;
} gemm_split;

#if defined(__wasm__) && !defined(__wasm_atomics__)
/* Without threads, st_parallel runs the tasks in order on the caller. */
#define FETCH_ADD(p, v) ((*(p) += (v)) - (v))
#define LOAD_ACQ(p) (*(p))
#else
#define FETCH_ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL)
#define LOAD_ACQ(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#endif

/* Takes units from the counter and packs each (pack(g, u)) until none is left, then waits until
 * all are packed: a unit taken is being packed by a running thread, so the wait ends even when the
 * pool joins late. */
static void pack_shared(gemm_split *g, shared_pack *s, void (*pack)(gemm_split *g, int u)) {
  for (int u; (u = FETCH_ADD(&s->next, 1)) < s->units;) {
    pack(g, u);
    FETCH_ADD(&s->done, 1);
  }
  while (LOAD_ACQ(&s->done) < s->units) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

static void pack_a_unit(gemm_split *g, int u) {
  pack_a_whole_block(g->A, g->transA ? (size_t)g->m : (size_t)g->k, g->transA, g->m, g->k, u * KC, (float *)g->Apre);
}

static void pack_b_unit_of(gemm_split *g, int u) { pack_b_unit(&g->bUnits, u); }

static void gemm_task(void *ctx, int task, float *scratch) {
  gemm_split *g = (gemm_split *)ctx;
  size_t lda = g->transA ? (size_t)g->m : (size_t)g->k, ldb = g->transB ? (size_t)g->k : (size_t)g->n;
  if (g->packA.units) pack_shared(g, &g->packA, pack_a_unit);
  if (g->packB.units) pack_shared(g, &g->packB, pack_b_unit_of);
  int start = task * g->step, total = g->byRows ? g->m : g->n;
  if (start >= total) return;
  int len = total - start < g->step ? total - start : g->step;
  ST_ASSERT(len > 0 && start + len <= total);
  if (g->byRows) {
    const float *A = g->transA ? g->A + start : g->A + (size_t)start * lda;
    gemm_block(A, lda, NULL, g->B, ldb, g->Bpre, g->n, 0, g->C + (size_t)start * g->n, (size_t)g->n, len, g->k, g->n, g->transA, g->transB,
               g->accumulate, scratch);
  } else {
    /* A packed op(B) is read from its panels at the block's columns; a plain one from there on. */
    const float *B = g->Bpre ? NULL : g->transB ? g->B + (size_t)start * ldb : g->B + start;
    gemm_block(g->A, lda, g->Apre, B, ldb, g->Bpre, g->n, start, g->C + start, (size_t)g->n, g->m, g->k, len, g->transA, g->transB,
               g->accumulate, scratch);
  }
}

/* How many tasks a product of m x n on `threads` threads splits into along `total` (m or n) in
 * units of `unit`: a few a thread, so that a thread that starts late still gets work. */
static int split_tasks(int total, int unit, int threads) {
  int units = (total + unit - 1) / unit;
  return units < 4 * threads ? units : 4 * threads;
}

/* Natively, a product split by rows has its tasks pack op(B) once, together, instead of each task
 * packing all of it for its rows (4 tasks a thread packed it 8 times over on two threads): the
 * weight gradients' products after a layer's steps. It needs room for the packing in the caller's
 * scratch, which st_gemm_scratch_floats adds; WebAssembly keeps every task's own packing. */
static int rows_share_b(int m, int k, int n) {
#if defined(__wasm__)
  (void)m, (void)k, (void)n;
  return 0;
#else
  int threads = st_threads();
  return threads > 1 && (double)m * (double)n * (double)k >= 1e6 && m >= n && split_tasks(m, MR, threads) > 1;
#endif
}

/* The product, on as many threads as pay off: split along the longer of m and n. A recurrent step's
 * product (few rows, op(B) packed once) is split by columns, so that each thread streams only its
 * share of the packed weights: split by rows, every thread would read all of them. */
static void gemm(const float *A, const float *B, const float *Bpre, float *C, int m, int k, int n, int transA, int transB, int accumulate,
                 float *scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) st_memset(C, 0, (size_t)m * (size_t)n * sizeof(float));
    return;
  }
  /* Threads pay off from about a million multiply-adds; each gets whole micro-tiles. */
  int threads = st_threads();
  double work = (double)m * (double)n * (double)k;
  if (threads > 1 && work >= 1e6) {
    gemm_split g = {.A = A, .B = B, .Bpre = Bpre, .C = C, .m = m, .k = k, .n = n, .transA = transA, .transB = transB, .accumulate = accumulate};
    g.byRows = m >= n;
    int total = g.byRows ? m : n, unit = g.byRows ? MR : NR;
    int units = (total + unit - 1) / unit;
    int tasks = split_tasks(total, unit, threads);
    if (tasks > 1) {
      g.step = (units + tasks - 1) / tasks * unit;
      if (!g.byRows && whole_a(m)) {
        /* Split by columns, every task reads all of op(A): packed once, into the caller's scratch. */
        g.Apre = (float *)(((size_t)scratch + 63) & ~(size_t)63);
        g.packA.units = (k + KC - 1) / KC;
      }
      if (g.byRows && !Bpre && rows_share_b(m, k, n)) {
        float *Bp = (float *)(((size_t)scratch + 63) & ~(size_t)63);
        g.bUnits = (pack_b_units){B, Bp, k, n, transB, (k + KC - 1) / KC};
        g.Bpre = Bp;
        g.packB.units = pack_b_unit_count(&g.bUnits);
      }
      int bm = g.byRows ? g.step : m, bn = g.byRows ? n : g.step;
      st_parallel((total + g.step - 1) / g.step, gemm_task, &g, block_scratch(bm, k, bn));
      return;
    }
  }
  gemm_block(A, transA ? (size_t)m : (size_t)k, NULL, B, transB ? (size_t)k : (size_t)n, Bpre, n, 0, C, (size_t)n, m, k, n, transA, transB,
             accumulate, scratch);
}

void ST_NAME(st_gemm)(const float *A, const float *B, float *C, int m, int k, int n, int transA, int transB, int accumulate, float *scratch) {
  gemm(A, B, NULL, C, m, k, n, transA, transB, accumulate, scratch);
}

void ST_NAME(st_gemm_prepacked)(const float *A, const float *Bp, float *C, int m, int k, int n, int transA, int accumulate, float *scratch) {
  gemm(A, NULL, Bp, C, m, k, n, transA, 0, accumulate, scratch);
}

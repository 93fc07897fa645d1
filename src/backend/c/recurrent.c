/*
 * Fused recurrent layers: one call runs a whole layer and direction, forward or backward through
 * time, with the same equations and gate order as the reference backend (src/backend/cpu/
 * recurrent.ts).
 *
 * Rows are sorted by length, longest first, and the steps stored packed as PyTorch's
 * PackedSequence stores them: step t holds only the n_t sequences still running, which are the
 * first n_t rows. So a batch of one long sequence and many short ones costs what its real steps
 * cost, not T * N. The input projection of all real steps is one GEMM; each step adds one GEMM with
 * W_hh over its n_t rows and the gate math; backward collects the gate gradients of all steps so
 * that the weight gradients are again one GEMM each. Without lengths the order is the identity and
 * the packed layout is the padded one, so nothing is copied.
 */
#include "cells.h"
#include "kernels.h"
#include "vmath.h"

static inline size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }
static inline size_t max2(size_t a, size_t b) { return a > b ? a : b; }
static inline int gates_of(int kind) { return kind == ST_KERNEL_LSTM ? 4 : kind == ST_KERNEL_GRU ? 3 : 1; }
static inline int len_of(const st_rec_forward_args *a, int b) {
  int l = a->lengths ? a->lengths[b] : a->T;
  return l < 0 ? 0 : l > a->T ? a->T : l;
}

/* The gate math runs VW lanes at a time: j steps by VW, and w lanes of each step are real. */
#define FOR_LANES(j, w, n) for (int j = 0, w = (n) < VW ? (n) : VW; j < (n); j += VW, w = (n) - j < VW ? (n) - j : VW)

#define GEMM_SCRATCH(m, k, n) ST_NAME(st_gemm_scratch_floats)((m), (k), (n))
#define PACKED_B(k, n) ST_NAME(st_gemm_packed_b_floats)((k), (n))
#define PACK_B ST_NAME(st_gemm_pack_b)
/* The products, on the kernel's product scratch `gs`, which (checked in debug builds) holds what
 * each one needs before the scratch's end `gs_end`. */
#define GEMM(A, B, C, m, k, n, tA, tB, acc, s) \
  (ST_ASSERT((s) + GEMM_SCRATCH(m, k, n) <= gs_end), ST_NAME(st_gemm)(A, B, C, m, k, n, tA, tB, acc, s))
#define GEMM_PACKED(A, Bp, C, m, k, n, tA, acc, s) \
  (ST_ASSERT((s) + GEMM_SCRATCH(m, k, n) <= gs_end), ST_NAME(st_gemm_prepacked)(A, Bp, C, m, k, n, tA, acc, s))

/* The real steps: R = the sum of the lengths (T * N without lengths). */
static size_t real_rows(const st_rec_forward_args *a) {
  size_t R = 0;
  for (int b = 0; b < a->N; b++) R += (size_t)len_of(a, b);
  return R;
}

/* Whether the batch needs sorting and packing (some sequence shorter than T). */
static int packed(const st_rec_forward_args *a) { return real_rows(a) != (size_t)a->T * a->N; }

/* Whether x (and dx) go through the packed, time-major copy: packed, or batch-first. */
static int gathered(const st_rec_forward_args *a) { return a->batch_first || packed(a); }

/* Whether the forward builds its gates in the saved buffer itself (the LSTM's and the plain RNN's
 * saved gates are the activated input projection plus the step's product, row for row): no
 * R * G * H floats of scratch and no copy per step. The GRU saves its gates apart from the projection. */
static int gates_in_place(const st_rec_forward_args *a) { return a->save && a->kind != ST_KERNEL_GRU; }

/* The row of step t of sequence b in x, y, dx and dy. */
static size_t row_of(const st_rec_forward_args *a, int t, int b) {
  return a->batch_first ? (size_t)b * (size_t)a->T + (size_t)t : (size_t)t * (size_t)a->N + (size_t)b;
}

/*
 * The LSTM's gate math of one step, row by row: rows are independent, so large steps split them
 * across threads (as the products are), and small ones stay on the caller.
 */
typedef struct {
  int H, Hr, GH, rows, per;
  float *g, *c, *m, *h;                     /* forward: the step's gates (activated in place), cell, output */
  const float *bias;                        /* forward: added to the gates first (NULL: none) */
  int keep;                                 /* forward: store the activated gates back (backward reads them) */
  const float *gates, *cs, *cPrev, *dmh;    /* backward: saved gates, cell and previous cell, d output (m or h) */
  float *dG, *dc;                           /* backward: gate gradients, cell gradient (updated in place) */
  /* Without a projection, each row's copies in and out of the step go with its gate math, so that
   * they (and the first writes to fresh output pages) split across threads too. Forward: h and c
   * before the step to hSave and cPrevSave, c after it to cSave (NULL: not saved), h to its row of
   * y (y NULL: copied by the caller). Backward: dy's row added to dh's (dy NULL: none, or added by
   * the caller). Rows of y and dy are found from the step t and the sequence order. */
  const st_rec_forward_args *fa;
  const int *order;
  int t;
  size_t ldy;
  float *hSave, *cPrevSave, *cSave, *y;
  const float *dy;
} lstm_rows;

static void lstm_forward_rows(void *ctx, int task, float *scratch) {
  const lstm_rows *r = (const lstm_rows *)ctx;
  const int H = r->H, GH = r->GH, end = (task + 1) * r->per < r->rows ? (task + 1) * r->per : r->rows;
  const float *bias = r->bias;
  (void)scratch;
  /* One pass over each row: the four gates of VW units, activated, then the cell and the output. */
  for (int b = task * r->per; b < end; b++) {
    float *gb = r->g + (size_t)b * GH, *cb = r->c + (size_t)b * H, *out = r->m ? r->m + (size_t)b * H : r->h + (size_t)b * r->Hr;
    if (r->hSave) st_memcpy(r->hSave + (size_t)b * r->Hr, r->h + (size_t)b * r->Hr, sizeof(float) * (size_t)r->Hr);
    if (r->cPrevSave) st_memcpy(r->cPrevSave + (size_t)b * H, cb, sizeof(float) * (size_t)H);
    FOR_LANES(j, w, H) {
      vf iv = vload_n(gb + j, w), fv = vload_n(gb + H + j, w), gv = vload_n(gb + 2 * H + j, w), ov = vload_n(gb + 3 * H + j, w);
      if (bias) {
        iv += vload_n(bias + j, w), fv += vload_n(bias + H + j, w);
        gv += vload_n(bias + 2 * H + j, w), ov += vload_n(bias + 3 * H + j, w);
      }
      iv = vsigmoid(iv), fv = vsigmoid(fv), gv = vtanh(gv), ov = vsigmoid(ov);
      if (r->keep) {
        vstore_n(gb + j, iv, w), vstore_n(gb + H + j, fv, w);
        vstore_n(gb + 2 * H + j, gv, w), vstore_n(gb + 3 * H + j, ov, w);
      }
      vf cv = vfma(fv, vload_n(cb + j, w), iv * gv);
      vstore_n(cb + j, cv, w);
      vstore_n(out + j, ov * vtanh(cv), w);
    }
    if (r->cSave) st_memcpy(r->cSave + (size_t)b * H, cb, sizeof(float) * (size_t)H);
    if (r->y) st_memcpy(r->y + row_of(r->fa, r->t, r->order[b]) * r->ldy, out, sizeof(float) * (size_t)r->Hr);
  }
}

static void lstm_backward_rows(void *ctx, int task, float *scratch) {
  const lstm_rows *r = (const lstm_rows *)ctx;
  const int H = r->H, GH = r->GH, end = (task + 1) * r->per < r->rows ? (task + 1) * r->per : r->rows;
  (void)scratch;
  for (int b = task * r->per; b < end; b++) {
    const float *gt = r->gates + (size_t)b * GH, *ct = r->cs + (size_t)b * H, *cp = r->cPrev + (size_t)b * H;
    const float *dmb = r->dmh + (size_t)b * H; /* d m (projection) or d h: H wide either way */
    const float *dyb = r->dy ? r->dy + row_of(r->fa, r->t, r->order[b]) * (size_t)r->Hr : NULL;
    float *d = r->dG + (size_t)b * GH, *dcb = r->dc + (size_t)b * H;
    FOR_LANES(j, w, H) {
      vf ig = vload_n(gt + j, w), fg = vload_n(gt + H + j, w), gg = vload_n(gt + 2 * H + j, w), og = vload_n(gt + 3 * H + j, w);
      vf tc = vtanh(vload_n(ct + j, w)), dmv = vload_n(dmb + j, w);
      if (dyb) dmv += vload_n(dyb + j, w);
      vf dct = vload_n(dcb + j, w) + dmv * og * (1.0f - tc * tc);
      vstore_n(d + j, dct * gg * ig * (1.0f - ig), w);
      vstore_n(d + H + j, dct * vload_n(cp + j, w) * fg * (1.0f - fg), w);
      vstore_n(d + 2 * H + j, dct * ig * (1.0f - gg * gg), w);
      vstore_n(d + 3 * H + j, dmv * tc * og * (1.0f - og), w);
      vstore_n(dcb + j, dct * fg, w);
    }
  }
}

/* Runs fn over r's rows: in blocks on the pool from about 64K gate values a step, else at once. */
static void run_rows(void (*fn)(void *, int, float *), lstm_rows *r) {
  int threads = st_threads(), tasks = 1;
  if (threads > 1 && (size_t)r->rows * (size_t)r->H >= ((size_t)1 << 14)) tasks = r->rows < 2 * threads ? r->rows : 2 * threads;
  r->per = (r->rows + tasks - 1) / tasks;
  if (tasks > 1) st_parallel((r->rows + r->per - 1) / r->per, fn, r, 0);
  else fn(r, 0, NULL);
}

/*
 * The bias gradients: each column of the gate gradients summed over the rows, in row order. Columns
 * split across threads; where both biases see the same gradients (all but the GRU), the second is
 * a copy of the first.
 */
typedef struct {
  const float *dG, *dGh;
  float *bi, *bh;
  int R, GH, per;
} bias_sums;

static void bias_sum_columns(void *ctx, int task, float *scratch) {
  const bias_sums *b = (const bias_sums *)ctx;
  const int from = task * b->per, to = from + b->per < b->GH ? from + b->per : b->GH;
  const int same = b->dG == b->dGh && b->bi && b->bh;
  (void)scratch;
  if (from >= to) return;
  if (b->bi) st_memset(b->bi + from, 0, sizeof(float) * (size_t)(to - from));
  if (b->bh && !same) st_memset(b->bh + from, 0, sizeof(float) * (size_t)(to - from));
  for (size_t r = 0; r < (size_t)b->R; r++) {
    const float *g = b->dG + r * (size_t)b->GH, *gh = b->dGh + r * (size_t)b->GH;
    if (b->bi) for (int j = from; j < to; j++) b->bi[j] += g[j];
    if (b->bh && !same) for (int j = from; j < to; j++) b->bh[j] += gh[j];
  }
  if (same) st_memcpy(b->bh + from, b->bi + from, sizeof(float) * (size_t)(to - from));
}

/* Int buffers in the float scratch: order [N], n [T], off [T + 1]. */
static size_t int_floats(const st_rec_forward_args *a) { return align16((size_t)a->N + 2 * (size_t)a->T + 1); }

void ST_NAME(st_rec_forward_layout)(const st_rec_forward_args *a, st_rec_layout *o) {
  size_t N = (size_t)a->N, H = (size_t)a->H, P = (size_t)a->P, R = real_rows(a);
  size_t GH = (size_t)gates_of(a->kind) * H, Hr = P ? P : H;
  st_memset(o, 0, sizeof *o);
  size_t at = 0;
  o->ints = at; at += int_floats(a);
  o->xp = at; at += gathered(a) ? align16(R * (size_t)a->I) : 0;
  o->gx = at; at += gates_in_place(a) ? 0 : align16(R * GH);
  o->g = at; at += a->kind == ST_KERNEL_GRU ? align16(N * GH) : 0; /* the GRU's gates (the others' are gx's rows) */
  o->gh = at; at += a->kind == ST_KERNEL_GRU ? align16(N * GH) : 0;
  o->m = at; at += P ? align16(N * H) : 0;
  o->hp = at; at += P ? align16(N * P) : 0;
  o->bias = at; at += align16(GH);
  o->hs = at; at += align16(N * Hr);
  o->cs = at; at += a->kind == ST_KERNEL_LSTM ? align16(N * H) : 0;
  o->wHhP = at; at += align16(PACKED_B((int)Hr, (int)GH));
  o->wHrP = at; at += P ? align16(PACKED_B(a->H, a->P)) : 0;
  o->gemm = at;
  size_t g = GEMM_SCRATCH((int)(R ? R : 1), a->I, (int)GH);
  g = max2(g, GEMM_SCRATCH(a->N, (int)Hr, (int)GH));
  if (P) g = max2(g, GEMM_SCRATCH(a->N, a->H, a->P));
  o->total = at + align16(g) + 16;
}

void ST_NAME(st_rec_backward_layout)(const st_rec_backward_args *b, st_rec_layout *o) {
  const st_rec_forward_args *a = &b->f;
  size_t N = (size_t)a->N, H = (size_t)a->H, P = (size_t)a->P, R = real_rows(a);
  size_t GH = (size_t)gates_of(a->kind) * H, Hr = P ? P : H;
  int pk = gathered(a);
  st_memset(o, 0, sizeof *o);
  size_t at = 0;
  o->ints = at; at += int_floats(a);
  o->xp = at; at += pk ? align16(R * (size_t)a->I) : 0;
  o->dxp = at; at += pk ? align16(R * (size_t)a->I) : 0;
  o->dG = at; at += b->reuse_gates && a->kind == ST_KERNEL_LSTM ? 0 : align16(R * GH);
  o->dGh = at; at += a->kind == ST_KERNEL_GRU ? align16(R * GH) : 0;
  o->dHall = at; at += P ? align16(R * P) : 0;
  o->dm = at; at += P ? align16(N * H) : 0;
  o->dhNext = at; at += align16(N * Hr);
  o->wHhP = at; at += align16(PACKED_B((int)GH, (int)Hr));
  o->wHrP = at; at += P ? align16(PACKED_B(a->P, a->H)) : 0;
  o->hs = at; at += align16(N * Hr);
  o->cs = at; at += a->kind == ST_KERNEL_LSTM ? align16(N * H) : 0;
  o->gemm = at;
  int Ri = (int)(R ? R : 1), GHi = (int)GH, Hri = (int)Hr;
  size_t g = GEMM_SCRATCH(a->N, GHi, Hri);
  g = max2(g, GEMM_SCRATCH(Ri, GHi, a->I));
  g = max2(g, GEMM_SCRATCH(GHi, Ri, a->I));
  g = max2(g, GEMM_SCRATCH(GHi, Ri, Hri));
  if (P) {
    g = max2(g, GEMM_SCRATCH(a->N, a->P, a->H));
    g = max2(g, GEMM_SCRATCH(a->P, Ri, a->H));
  }
  o->total = at + align16(g) + 16;
}

static float *aligned(float *scratch) { return (float *)(((size_t)scratch + 63) & ~(size_t)63); }

/*
 * The batch order (longest first, ties in batch order), the running count n[t] of each step and
 * the packed offset off[t] of its first row.
 */
static void plan(const st_rec_forward_args *a, int *order, int *n, int *off) {
  const int N = a->N, T = a->T;
  for (int b = 0; b < N; b++) order[b] = b;
  /* Insertion sort: stable, and N is a batch size. */
  for (int i = 1; i < N; i++) {
    int b = order[i], l = len_of(a, b), j = i - 1;
    while (j >= 0 && len_of(a, order[j]) < l) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = b;
  }
  for (int b = 0; b < N; b++) ST_ASSERT(order[b] >= 0 && order[b] < N);
  off[0] = 0;
  int running = N;
  for (int t = 0; t < T; t++) {
    while (running > 0 && len_of(a, order[running - 1]) <= t) running--;
    n[t] = running;
    off[t + 1] = off[t] + running;
  }
}

/* dst[off[t] + r] = src[row_of(t, order[r])] for r < n[t]: padded (or batch-first) rows to packed
 * time-major ones, `width` floats each. */
static void gather(const st_rec_forward_args *a, const float *src, float *dst, size_t width, const int *order, const int *n, const int *off) {
  for (int t = 0; t < a->T; t++)
    for (int r = 0; r < n[t]; r++) st_memcpy(dst + ((size_t)off[t] + r) * width, src + row_of(a, t, order[r]) * width, width * sizeof(float));
}

/* The reverse of gather into a zeroed destination. */
static void scatter(const st_rec_forward_args *a, const float *src, float *dst, size_t width, const int *order, const int *n, const int *off) {
  st_memset(dst, 0, (size_t)a->T * a->N * width * sizeof(float));
  for (int t = 0; t < a->T; t++)
    for (int r = 0; r < n[t]; r++) st_memcpy(dst + row_of(a, t, order[r]) * width, src + ((size_t)off[t] + r) * width, width * sizeof(float));
}

/* Rows of a [N, width] state in batch order to sorted order (to_sorted) or back. */
static void permute_rows(const float *src, float *dst, int N, size_t width, const int *order, int to_sorted) {
  for (int r = 0; r < N; r++) {
    size_t s = (size_t)(to_sorted ? order[r] : r) * width, d = (size_t)(to_sorted ? r : order[r]) * width;
    st_memcpy(dst + d, src + s, width * sizeof(float));
  }
}

void ST_NAME(st_rec_forward)(const st_rec_forward_args *a, float *scratch) {
  st_rec_layout L;
  ST_NAME(st_rec_forward_layout)(a, &L);
  float *base = aligned(scratch);
  const int T = a->T, N = a->N, H = a->H, P = a->P, I = a->I, kind = a->kind;
  const int GH = gates_of(kind) * H, Hr = P ? P : H;
  const int lstm = kind == ST_KERNEL_LSTM, gru = kind == ST_KERNEL_GRU, pk = gathered(a);
  int *order = (int *)(base + L.ints), *n = order + N, *off = n + T;
  float *gx = gates_in_place(a) ? a->gates : base + L.gx, *g = base + L.g, *gh = base + L.gh, *m = P ? base + L.m : NULL, *hp = base + L.hp;
  float *h = base + L.hs, *c = lstm ? base + L.cs : NULL, *gs = base + L.gemm;
  float *wHhP = base + L.wHhP, *wHrP = P ? base + L.wHrP : NULL;
  const float *gs_end = scratch + L.total;
  (void)gs_end;
  plan(a, order, n, off);
  const int R = off[T];
  ST_ASSERT((size_t)R == real_rows(a));
  /* W_hh (and W_hr) enter a product at every step: packed once here. */
  PACK_B(a->wHh, Hr, GH, 1, wHhP);
  if (P) PACK_B(a->wHr, H, P, 1, wHrP);

  /* Input projection of all real steps at once; b_hh folds in too, except for the GRU's n gate. */
  const float *x = a->x;
  if (pk) {
    gather(a, a->x, base + L.xp, (size_t)I, order, n, off);
    x = base + L.xp;
  }
  GEMM(x, a->wIh, gx, R, I, GH, 0, 1, 0, gs);
  /* The biases, summed once: the LSTM adds them to each step's gates as it activates them (a pass
   * over rows already in cache), the others to the projection in one pass. */
  float *bias = base + L.bias;
  int biased = a->bIh || (a->bHh && !gru);
  FOR_LANES(j, w, GH) vstore_n(bias + j, vload_or0(a->bIh ? a->bIh + j : NULL, w) + vload_or0(a->bHh && !gru ? a->bHh + j : NULL, w), w);
  if (biased && !lstm)
    for (size_t r = 0; r < (size_t)R; r++) FOR_LANES(j, w, GH) vstore_n(gx + r * GH + j, vload_n(gx + r * GH + j, w) + vload_n(bias + j, w), w);
  permute_rows(a->h0, h, N, (size_t)Hr, order, 1);
  if (c) {
    if (a->c0) permute_rows(a->c0, c, N, (size_t)H, order, 1);
    else st_memset(c, 0, sizeof(float) * N * H);
  }
  /* Rows past a sequence's length stay zero; without lengths every row is written. */
  const size_t ldy = a->y_ld > 0 ? (size_t)a->y_ld : (size_t)Hr;
  if ((size_t)R != (size_t)T * N) {
    if (ldy == (size_t)Hr) st_memset(a->y, 0, sizeof(float) * T * N * Hr);
    else for (size_t r = 0; r < (size_t)T * N; r++) st_memset(a->y + r * ldy, 0, sizeof(float) * Hr);
  }

  for (int s = 0; s < T; s++) {
    const int t = a->reverse ? T - 1 - s : s, nt = n[t];
    const size_t o = (size_t)off[t]; /* the step's first packed row */
    ST_ASSERT(nt <= N && o + (size_t)nt <= (size_t)R);
    if (nt == 0) continue;
    const int rowCopies = lstm && !m; /* the step's copies go with its rows' gate math */
    if (a->save && !rowCopies) {
      st_memcpy(a->hPrev + o * Hr, h, sizeof(float) * nt * Hr);
      if (c) st_memcpy(a->cPrev + o * H, c, sizeof(float) * nt * H);
    }
    if (gru) {
      GEMM_PACKED(h, wHhP, gh, nt, Hr, GH, 0, 0, gs);
      for (int b = 0; b < nt; b++) {
        float *gb = g + (size_t)b * GH, *hb = gh + (size_t)b * GH, *xb = gx + (o + b) * GH, *hrow = h + (size_t)b * H;
        const float *bh = a->bHh;
        FOR_LANES(j, w, H) {
          vf hn = vload_n(hb + 2 * H + j, w) + vload_or0(bh ? bh + 2 * H + j : NULL, w);
          vf r = vsigmoid(vload_n(xb + j, w) + vload_n(hb + j, w) + vload_or0(bh ? bh + j : NULL, w));
          vf z = vsigmoid(vload_n(xb + H + j, w) + vload_n(hb + H + j, w) + vload_or0(bh ? bh + H + j : NULL, w));
          vf nn = vtanh(vload_n(xb + 2 * H + j, w) + r * hn);
          vstore_n(gb + j, r, w);
          vstore_n(gb + H + j, z, w);
          vstore_n(gb + 2 * H + j, nn, w);
          if (a->save) vstore_n(a->ghn + (o + b) * H + j, hn, w);
          vstore_n(hrow + j, (1.0f - z) * nn + z * vload_n(hrow + j, w), w);
        }
      }
    } else {
      /* The step's rows of the input projection become its gates, in place. */
      float *gstep = gx + o * GH;
      GEMM_PACKED(h, wHhP, gstep, nt, Hr, GH, 0, 1, gs);
      if (lstm) {
        lstm_rows r = {.H = H, .Hr = Hr, .GH = GH, .rows = nt, .g = gstep, .c = c, .m = m, .h = h, .bias = biased ? bias : NULL,
                     .keep = a->save, .fa = a, .order = order, .t = t, .ldy = ldy};
        if (rowCopies) {
          r.y = a->y;
          if (a->save) r.hSave = a->hPrev + o * Hr, r.cPrevSave = a->cPrev + o * H, r.cSave = a->c + o * H;
        }
        run_rows(lstm_forward_rows, &r);
      } else {
        for (int b = 0; b < nt; b++) {
          float *gb = gstep + (size_t)b * GH;
          if (kind == ST_KERNEL_RNN_RELU) {
            for (int j = 0; j < H; j++) gb[j] = gb[j] > 0 ? gb[j] : a->slope * gb[j];
          } else {
            vtanh_n(gb, H);
          }
          st_memcpy(h + (size_t)b * H, gb, sizeof(float) * H);
        }
      }
      if (m) {
        GEMM_PACKED(m, wHrP, hp, nt, H, P, 0, 0, gs);
        st_memcpy(h, hp, sizeof(float) * nt * P);
      }
    }
    if (!rowCopies)
      for (int b = 0; b < nt; b++) st_memcpy(a->y + row_of(a, t, order[b]) * ldy, h + (size_t)b * Hr, sizeof(float) * Hr);
    if (a->save) {
      if (gru) st_memcpy(a->gates + o * GH, g, sizeof(float) * nt * GH);
      if (c && !rowCopies) st_memcpy(a->c + o * H, c, sizeof(float) * nt * H);
      if (m) st_memcpy(a->m + o * H, m, sizeof(float) * nt * H);
    }
  }
  permute_rows(h, a->hN, N, (size_t)Hr, order, 0);
  if (c) permute_rows(c, a->cN, N, (size_t)H, order, 0);
}

void ST_NAME(st_rec_backward)(const st_rec_backward_args *bw, float *scratch) {
  st_rec_layout L;
  ST_NAME(st_rec_backward_layout)(bw, &L);
  float *base = aligned(scratch);
  const st_rec_forward_args *a = &bw->f;
  const int T = a->T, N = a->N, H = a->H, P = a->P, I = a->I, kind = a->kind;
  const int GH = gates_of(kind) * H, Hr = P ? P : H;
  const int lstm = kind == ST_KERNEL_LSTM, gru = kind == ST_KERNEL_GRU, pk = gathered(a);
  int *order = (int *)(base + L.ints), *n = order + N, *off = n + T;
  plan(a, order, n, off);
  const int R = off[T];
  float *dG = bw->reuse_gates && lstm ? (float *)a->gates : base + L.dG, *dGh = gru ? base + L.dGh : dG, *dHall = P ? base + L.dHall : NULL;
  float *dm = P ? base + L.dm : NULL, *dhNext = base + L.dhNext, *wHhP = base + L.wHhP, *wHrP = P ? base + L.wHrP : NULL;
  float *dh = base + L.hs, *dc = lstm ? base + L.cs : NULL, *gs = base + L.gemm;
  const float *gs_end = scratch + L.total;
  (void)gs_end;
  ST_ASSERT((size_t)R == real_rows(a));

  if (bw->dhN) permute_rows(bw->dhN, dh, N, (size_t)Hr, order, 1);
  else st_memset(dh, 0, sizeof(float) * N * Hr);
  if (dc) {
    if (bw->dcN) permute_rows(bw->dcN, dc, N, (size_t)H, order, 1);
    else st_memset(dc, 0, sizeof(float) * N * H);
  }
  /* Every step multiplies by W_hh (and W_hr) as they are stored: packed once here. */
  PACK_B(a->wHh, GH, Hr, 0, wHhP);
  if (P) PACK_B(a->wHr, P, H, 0, wHrP);
  for (int s = T - 1; s >= 0; s--) {
    const int t = a->reverse ? T - 1 - s : s, nt = n[t];
    const size_t o = (size_t)off[t];
    ST_ASSERT(nt <= N && o + (size_t)nt <= (size_t)R);
    if (nt == 0) continue;
    const int rowDy = lstm && !dm; /* dy's rows are added with the gate gradients' */
    if (bw->dy && !rowDy) {
      for (int b = 0; b < nt; b++) {
        const float *d = bw->dy + row_of(a, t, order[b]) * Hr;
        float *dst = dh + (size_t)b * Hr;
        for (int j = 0; j < Hr; j++) dst[j] += d[j];
      }
    }
    if (lstm) {
      if (dm) {
        st_memcpy(dHall + o * P, dh, sizeof(float) * nt * P);
        GEMM_PACKED(dh, wHrP, dm, nt, P, H, 0, 0, gs);
      }
      lstm_rows r = {.H = H, .Hr = Hr, .GH = GH, .rows = nt, .gates = a->gates + o * GH, .cs = a->c + o * H,
                     .cPrev = a->cPrev + o * H, .dmh = dm ? dm : dh, .dG = dG + o * GH, .dc = dc,
                     .fa = a, .order = order, .t = t, .dy = rowDy ? bw->dy : NULL};
      run_rows(lstm_backward_rows, &r);
      GEMM_PACKED(dG + o * GH, wHhP, dhNext, nt, GH, Hr, 0, 0, gs);
    } else if (gru) {
      for (int b = 0; b < nt; b++) {
        const float *gt = a->gates + (o + b) * GH, *hp = a->hPrev + (o + b) * H, *ghn = a->ghn + (o + b) * H;
        float *d = dG + (o + b) * GH, *dhh = dGh + (o + b) * GH;
        for (int j = 0; j < H; j++) {
          float r = gt[j], z = gt[H + j], nn = gt[2 * H + j];
          float dhv = dh[(size_t)b * H + j];
          float dnp = dhv * (1 - z) * (1 - nn * nn);
          float dzp = dhv * (hp[j] - nn) * z * (1 - z);
          float drp = dnp * ghn[j] * r * (1 - r);
          d[j] = drp; d[H + j] = dzp; d[2 * H + j] = dnp;
          dhh[j] = drp; dhh[H + j] = dzp; dhh[2 * H + j] = dnp * r;
        }
      }
      GEMM_PACKED(dGh + o * GH, wHhP, dhNext, nt, GH, Hr, 0, 0, gs);
      for (int b = 0; b < nt; b++) {
        const float *gt = a->gates + (o + b) * GH;
        for (int j = 0; j < H; j++) dhNext[(size_t)b * H + j] += dh[(size_t)b * H + j] * gt[H + j];
      }
    } else {
      const int relu = kind == ST_KERNEL_RNN_RELU;
      for (int b = 0; b < nt; b++) {
        const float *gt = a->gates + (o + b) * GH;
        float *d = dG + (o + b) * GH;
        for (int j = 0; j < H; j++) {
          float hv = gt[j];
          d[j] = dh[(size_t)b * H + j] * (relu ? (hv > 0 ? 1.0f : a->slope) : 1 - hv * hv);
        }
      }
      GEMM_PACKED(dG + o * GH, wHhP, dhNext, nt, GH, Hr, 0, 0, gs);
    }
    /* dhNext becomes dh. Sequences already finished at this step (rows n_t and on) pass their
     * state gradient through untouched. */
    if (nt < N) st_memcpy(dhNext + (size_t)nt * Hr, dh + (size_t)nt * Hr, sizeof(float) * (size_t)(N - nt) * Hr);
    float *swap = dh;
    dh = dhNext;
    dhNext = swap;
  }
  permute_rows(dh, bw->dh0, N, (size_t)Hr, order, 0);
  if (dc) permute_rows(dc, bw->dc0, N, (size_t)H, order, 0);

  const float *x = a->x;
  if (pk) {
    gather(a, a->x, base + L.xp, (size_t)I, order, n, off);
    x = base + L.xp;
    GEMM(dG, a->wIh, base + L.dxp, R, GH, I, 0, 0, 0, gs);
    scatter(a, base + L.dxp, bw->dx, (size_t)I, order, n, off);
  } else {
    GEMM(dG, a->wIh, bw->dx, R, GH, I, 0, 0, 0, gs);
  }
  GEMM(dG, x, bw->dwIh, GH, R, I, 1, 0, 0, gs);
  GEMM(dGh, a->hPrev, bw->dwHh, GH, R, Hr, 1, 0, 0, gs);
  if (bw->dbIh || bw->dbHh) {
    bias_sums b = {.dG = dG, .dGh = dGh, .bi = bw->dbIh, .bh = bw->dbHh, .R = R, .GH = GH};
    int tasks = st_threads() > 1 && (size_t)R * (size_t)GH >= ((size_t)1 << 16) ? 2 * st_threads() : 1;
    b.per = (GH + tasks - 1) / tasks;
    b.per = (b.per + 15) & ~15;
    tasks = (GH + b.per - 1) / b.per;
    if (tasks > 1) st_parallel(tasks, bias_sum_columns, &b, 0);
    else bias_sum_columns(&b, 0, NULL);
  }
  if (P) GEMM(dHall, a->m, bw->dwHr, P, R, H, 1, 0, 0, gs);
}

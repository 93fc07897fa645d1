/*
 * Fused recurrent layers: one call runs a whole layer and direction, forward or backward through
 * time, with the same equations and gate order as the reference backend (src/backend/cpu/
 * recurrent.ts). The input projection of all steps is one GEMM; each step adds one GEMM with W_hh
 * and the gate math; backward collects the gate gradients of all steps so that the weight
 * gradients are again one GEMM each. Sequences past their length keep their state untouched.
 */
#include "cells.h"
#include "kernels.h"
#include "vmath.h"

static inline size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }
static inline size_t max2(size_t a, size_t b) { return a > b ? a : b; }
static inline int gates_of(int kind) { return kind == ST_KERNEL_LSTM ? 4 : kind == ST_KERNEL_GRU ? 3 : 1; }
static inline int active(const int *lengths, int b, int t) { return !lengths || t < lengths[b]; }
/* The gate math runs VW lanes at a time: j steps by VW, and w lanes of each step are real. */
#define FOR_LANES(j, w, n) for (int j = 0, w = (n) < VW ? (n) : VW; j < (n); j += VW, w = (n) - j < VW ? (n) - j : VW)

#define GEMM ST_NAME(st_gemm)
#define GEMM_SCRATCH(m, k, n) ST_NAME(st_gemm_scratch_floats)((m), (k), (n))

void ST_NAME(st_rec_forward_layout)(const st_rec_forward_args *a, st_rec_layout *o) {
  size_t N = (size_t)a->N, H = (size_t)a->H, P = (size_t)a->P, TN = (size_t)a->T * N;
  size_t GH = (size_t)gates_of(a->kind) * H, Hr = P ? P : H;
  st_memset(o, 0, sizeof *o);
  size_t at = 0;
  o->gx = at; at += align16(TN * GH);
  o->g = at; at += align16(N * GH);
  o->gh = at; at += a->kind == ST_KERNEL_GRU ? align16(N * GH) : 0;
  o->m = at; at += P ? align16(N * H) : 0;
  o->hp = at; at += P ? align16(N * P) : 0;
  o->gemm = at;
  size_t g = GEMM_SCRATCH(a->T * a->N, a->I, (int)GH);
  g = max2(g, GEMM_SCRATCH(a->N, (int)Hr, (int)GH));
  if (P) g = max2(g, GEMM_SCRATCH(a->N, a->H, a->P));
  o->total = at + align16(g) + 16;
}

void ST_NAME(st_rec_backward_layout)(const st_rec_backward_args *b, st_rec_layout *o) {
  const st_rec_forward_args *a = &b->f;
  size_t N = (size_t)a->N, H = (size_t)a->H, P = (size_t)a->P, TN = (size_t)a->T * N;
  size_t GH = (size_t)gates_of(a->kind) * H, Hr = P ? P : H;
  st_memset(o, 0, sizeof *o);
  size_t at = 0;
  o->dG = at; at += align16(TN * GH);
  o->dGh = at; at += a->kind == ST_KERNEL_GRU ? align16(TN * GH) : 0;
  o->dHall = at; at += P ? align16(TN * P) : 0;
  o->dm = at; at += P ? align16(N * H) : 0;
  o->dhNext = at; at += align16(N * Hr);
  o->wHhT = at; at += align16(GH * Hr);
  o->wHrT = at; at += P ? align16(P * H) : 0;
  o->gemm = at;
  int TNi = a->T * a->N, GHi = (int)GH, Hri = (int)Hr;
  size_t g = GEMM_SCRATCH(a->N, GHi, Hri);
  g = max2(g, GEMM_SCRATCH(TNi, GHi, a->I));
  g = max2(g, GEMM_SCRATCH(GHi, TNi, a->I));
  g = max2(g, GEMM_SCRATCH(GHi, TNi, Hri));
  if (P) {
    g = max2(g, GEMM_SCRATCH(a->N, a->P, a->H));
    g = max2(g, GEMM_SCRATCH(a->P, TNi, a->H));
  }
  o->total = at + align16(g) + 16;
}

static float *aligned(float *scratch) { return (float *)(((size_t)scratch + 63) & ~(size_t)63); }

static void transpose(const float *src, int rows, int cols, float *dst) {
  for (int r0 = 0; r0 < rows; r0 += 32)
    for (int c0 = 0; c0 < cols; c0 += 32)
      for (int r = r0; r < rows && r < r0 + 32; r++)
        for (int c = c0; c < cols && c < c0 + 32; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

void ST_NAME(st_rec_forward)(const st_rec_forward_args *a, float *scratch) {
  st_rec_layout L;
  ST_NAME(st_rec_forward_layout)(a, &L);
  float *base = aligned(scratch);
  const int T = a->T, N = a->N, H = a->H, P = a->P, kind = a->kind;
  const int GH = gates_of(kind) * H, Hr = P ? P : H;
  const int lstm = kind == ST_KERNEL_LSTM, gru = kind == ST_KERNEL_GRU;
  float *gx = base + L.gx, *g = base + L.g, *gh = base + L.gh, *m = P ? base + L.m : NULL, *hp = base + L.hp;
  float *gs = base + L.gemm;
  float *h = a->hN, *c = lstm ? a->cN : NULL;

  /* Input projection of all steps at once; b_hh folds in too, except for the GRU's n gate. */
  GEMM(a->x, a->wIh, gx, T * N, a->I, GH, 0, 1, 0, gs);
  for (size_t r = 0; r < (size_t)T * N; r++) {
    float *o = gx + r * GH;
    if (a->bIh) for (int j = 0; j < GH; j++) o[j] += a->bIh[j];
    if (a->bHh && !gru) for (int j = 0; j < GH; j++) o[j] += a->bHh[j];
  }
  st_memcpy(h, a->h0, sizeof(float) * N * Hr);
  if (c) {
    if (a->c0) st_memcpy(c, a->c0, sizeof(float) * N * H);
    else st_memset(c, 0, sizeof(float) * N * H);
  }
  st_memset(a->y, 0, sizeof(float) * T * N * Hr);

  for (int s = 0; s < T; s++) {
    const int t = a->reverse ? T - 1 - s : s;
    const size_t tN = (size_t)t * N;
    if (a->save) {
      st_memcpy(a->hPrev + tN * Hr, h, sizeof(float) * N * Hr);
      if (c) st_memcpy(a->cPrev + tN * H, c, sizeof(float) * N * H);
    }
    if (gru) {
      GEMM(h, a->wHh, gh, N, Hr, GH, 0, 1, 0, gs);
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        float *gb = g + (size_t)b * GH, *hb = gh + (size_t)b * GH, *xb = gx + (tN + b) * GH, *hrow = h + (size_t)b * H;
        const float *bh = a->bHh;
        FOR_LANES(j, w, H) {
          vf hn = vload_n(hb + 2 * H + j, w) + vload_or0(bh ? bh + 2 * H + j : NULL, w);
          vf r = vsigmoid(vload_n(xb + j, w) + vload_n(hb + j, w) + vload_or0(bh ? bh + j : NULL, w));
          vf z = vsigmoid(vload_n(xb + H + j, w) + vload_n(hb + H + j, w) + vload_or0(bh ? bh + H + j : NULL, w));
          vf n = vtanh(vload_n(xb + 2 * H + j, w) + r * hn);
          vstore_n(gb + j, r, w);
          vstore_n(gb + H + j, z, w);
          vstore_n(gb + 2 * H + j, n, w);
          if (a->save) vstore_n(a->ghn + (tN + b) * H + j, hn, w);
          vstore_n(hrow + j, (1.0f - z) * n + z * vload_n(hrow + j, w), w);
        }
      }
    } else {
      st_memcpy(g, gx + tN * GH, sizeof(float) * N * GH);
      GEMM(h, a->wHh, g, N, Hr, GH, 0, 1, 1, gs);
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        float *gb = g + (size_t)b * GH;
        if (lstm) {
          float *cb = c + (size_t)b * H, *out = m ? m + (size_t)b * H : h + (size_t)b * Hr;
          vsigmoid_n(gb, 2 * H); /* i, f */
          vtanh_n(gb + 2 * H, H); /* g */
          vsigmoid_n(gb + 3 * H, H); /* o */
          FOR_LANES(j, w, H) {
            vf cv = vload_n(gb + H + j, w) * vload_n(cb + j, w) + vload_n(gb + j, w) * vload_n(gb + 2 * H + j, w);
            vstore_n(cb + j, cv, w);
            vstore_n(out + j, vload_n(gb + 3 * H + j, w) * vtanh(cv), w);
          }
        } else {
          if (kind == ST_KERNEL_RNN_RELU) {
            for (int j = 0; j < H; j++) gb[j] = gb[j] > 0 ? gb[j] : a->slope * gb[j];
          } else {
            vtanh_n(gb, H);
          }
          st_memcpy(h + (size_t)b * H, gb, sizeof(float) * H);
        }
      }
      if (m) {
        GEMM(m, a->wHr, hp, N, H, P, 0, 1, 0, gs);
        for (int b = 0; b < N; b++)
          if (active(a->lengths, b, t)) st_memcpy(h + (size_t)b * P, hp + (size_t)b * P, sizeof(float) * P);
      }
    }
    for (int b = 0; b < N; b++) {
      if (!active(a->lengths, b, t)) continue;
      size_t tb = tN + b;
      st_memcpy(a->y + tb * Hr, h + (size_t)b * Hr, sizeof(float) * Hr);
      if (a->save) {
        st_memcpy(a->gates + tb * GH, g + (size_t)b * GH, sizeof(float) * GH);
        if (c) st_memcpy(a->c + tb * H, c + (size_t)b * H, sizeof(float) * H);
        if (m) st_memcpy(a->m + tb * H, m + (size_t)b * H, sizeof(float) * H);
      }
    }
  }
}

void ST_NAME(st_rec_backward)(const st_rec_backward_args *bw, float *scratch) {
  st_rec_layout L;
  ST_NAME(st_rec_backward_layout)(bw, &L);
  float *base = aligned(scratch);
  const st_rec_forward_args *a = &bw->f;
  const int T = a->T, N = a->N, H = a->H, P = a->P, I = a->I, kind = a->kind;
  const int GH = gates_of(kind) * H, Hr = P ? P : H, TN = T * N;
  const int lstm = kind == ST_KERNEL_LSTM, gru = kind == ST_KERNEL_GRU;
  float *dG = base + L.dG, *dGh = gru ? base + L.dGh : dG, *dHall = P ? base + L.dHall : NULL;
  float *dm = P ? base + L.dm : NULL, *dhNext = base + L.dhNext, *wHhT = base + L.wHhT, *wHrT = P ? base + L.wHrT : NULL;
  float *gs = base + L.gemm;
  float *dh = bw->dh0, *dc = lstm ? bw->dc0 : NULL;

  if (bw->dhN) st_memcpy(dh, bw->dhN, sizeof(float) * N * Hr);
  else st_memset(dh, 0, sizeof(float) * N * Hr);
  if (dc) {
    if (bw->dcN) st_memcpy(dc, bw->dcN, sizeof(float) * N * H);
    else st_memset(dc, 0, sizeof(float) * N * H);
  }
  st_memset(dG, 0, sizeof(float) * (size_t)TN * GH);
  if (gru) st_memset(dGh, 0, sizeof(float) * (size_t)TN * GH);
  if (dHall) st_memset(dHall, 0, sizeof(float) * (size_t)TN * P);
  /* Per-step products dG_t @ W_hh read W_hh column-wise; transpose it once, not at every step. */
  transpose(a->wHh, GH, Hr, wHhT);
  if (P) transpose(a->wHr, P, H, wHrT);

  for (int s = T - 1; s >= 0; s--) {
    const int t = a->reverse ? T - 1 - s : s;
    const size_t tN = (size_t)t * N;
    if (bw->dy) {
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        const float *d = bw->dy + (tN + b) * Hr;
        for (int j = 0; j < Hr; j++) dh[(size_t)b * Hr + j] += d[j];
      }
    }
    if (lstm) {
      if (dm) {
        for (int b = 0; b < N; b++)
          if (active(a->lengths, b, t)) st_memcpy(dHall + (tN + b) * P, dh + (size_t)b * P, sizeof(float) * P);
        GEMM(dh, wHrT, dm, N, P, H, 0, 1, 0, gs);
      }
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        const float *gt = a->gates + (tN + b) * GH, *ct = a->c + (tN + b) * H, *cp = a->cPrev + (tN + b) * H;
        float *d = dG + (tN + b) * GH, *dcb = dc + (size_t)b * H;
        const float *dmb = dm ? dm + (size_t)b * H : dh + (size_t)b * H;
        FOR_LANES(j, w, H) {
          vf ig = vload_n(gt + j, w), fg = vload_n(gt + H + j, w), gg = vload_n(gt + 2 * H + j, w), og = vload_n(gt + 3 * H + j, w);
          vf tc = vtanh(vload_n(ct + j, w)), dmv = vload_n(dmb + j, w);
          vf dct = vload_n(dcb + j, w) + dmv * og * (1.0f - tc * tc);
          vstore_n(d + j, dct * gg * ig * (1.0f - ig), w);
          vstore_n(d + H + j, dct * vload_n(cp + j, w) * fg * (1.0f - fg), w);
          vstore_n(d + 2 * H + j, dct * ig * (1.0f - gg * gg), w);
          vstore_n(d + 3 * H + j, dmv * tc * og * (1.0f - og), w);
          vstore_n(dcb + j, dct * fg, w);
        }
      }
      GEMM(dG + tN * GH, wHhT, dhNext, N, GH, Hr, 0, 1, 0, gs);
    } else if (gru) {
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        const float *gt = a->gates + (tN + b) * GH, *hp = a->hPrev + (tN + b) * H, *ghn = a->ghn + (tN + b) * H;
        float *d = dG + (tN + b) * GH, *dhh = dGh + (tN + b) * GH;
        for (int j = 0; j < H; j++) {
          float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
          float dhv = dh[(size_t)b * H + j];
          float dnp = dhv * (1 - z) * (1 - n * n);
          float dzp = dhv * (hp[j] - n) * z * (1 - z);
          float drp = dnp * ghn[j] * r * (1 - r);
          d[j] = drp; d[H + j] = dzp; d[2 * H + j] = dnp;
          dhh[j] = drp; dhh[H + j] = dzp; dhh[2 * H + j] = dnp * r;
        }
      }
      GEMM(dGh + tN * GH, wHhT, dhNext, N, GH, Hr, 0, 1, 0, gs);
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        const float *gt = a->gates + (tN + b) * GH;
        for (int j = 0; j < H; j++) dhNext[(size_t)b * H + j] += dh[(size_t)b * H + j] * gt[H + j];
      }
    } else {
      const int relu = kind == ST_KERNEL_RNN_RELU;
      for (int b = 0; b < N; b++) {
        if (!active(a->lengths, b, t)) continue;
        const float *gt = a->gates + (tN + b) * GH;
        float *d = dG + (tN + b) * GH;
        for (int j = 0; j < H; j++) {
          float hv = gt[j];
          d[j] = dh[(size_t)b * H + j] * (relu ? (hv > 0 ? 1.0f : a->slope) : 1 - hv * hv);
        }
      }
      GEMM(dG + tN * GH, wHhT, dhNext, N, GH, Hr, 0, 1, 0, gs);
    }
    /* Sequences already finished at this step pass their state gradient through untouched. */
    for (int b = 0; b < N; b++)
      if (active(a->lengths, b, t)) st_memcpy(dh + (size_t)b * Hr, dhNext + (size_t)b * Hr, sizeof(float) * Hr);
  }

  GEMM(dG, a->wIh, bw->dx, TN, GH, I, 0, 0, 0, gs);
  GEMM(dG, a->x, bw->dwIh, GH, TN, I, 1, 0, 0, gs);
  GEMM(dGh, a->hPrev, bw->dwHh, GH, TN, Hr, 1, 0, 0, gs);
  if (bw->dbIh || bw->dbHh) {
    float *bi = bw->dbIh, *bh = bw->dbHh;
    if (bi) st_memset(bi, 0, sizeof(float) * GH);
    if (bh) st_memset(bh, 0, sizeof(float) * GH);
    for (size_t r = 0; r < (size_t)TN; r++) {
      if (bi) for (int j = 0; j < GH; j++) bi[j] += dG[r * GH + j];
      if (bh) for (int j = 0; j < GH; j++) bh[j] += dGh[r * GH + j];
    }
  }
  if (P) GEMM(dHall, a->m, bw->dwHr, P, TN, H, 1, 0, 0, gs);
}

/*
 * The WebAssembly host side of the kernels' threading contract (src/backend/c/kernels.h), the
 * counterpart of native/pool.c. JavaScript (src/backend/wasm/runtime.ts) gives every call its
 * thread budget and one scratch region per thread, sized from the call's own layout.
 *
 * Built with shared memory (-matomics), each worker thread runs its own instance of the module over
 * the same memory, on its own stack, and lives in st_wasm_worker: it spins a while on the loop
 * generation, then sleeps in memory.atomic.wait until st_parallel posts the next loop. Built without
 * it, st_parallel runs the tasks in order on the caller.
 */
#include <stddef.h>

#include "../c/kernels.h"

typedef void (*task_fn)(void *ctx, int task, float *scratch);

static int budget = 1;
static float *scratch_base;
static size_t scratch_stride; /* floats per thread's region */

/* The next calls' thread budget and scratch: `threads` regions of `stride` floats from `scratch`. */
void st_wasm_threads(int threads, float *scratch, size_t stride) {
  budget = threads < 1 ? 1 : threads;
  scratch_base = scratch;
  scratch_stride = stride;
}

int st_threads(void) { return budget; }

#ifdef __wasm_atomics__
#define SPIN 200000
#define LOAD(p) __atomic_load_n(p, __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST)

static int generation, ready, done, next_task, participants;
static struct {
  task_fn fn;
  void *ctx;
  int tasks;
} job;

static void run_tasks(int id) {
  float *scratch = scratch_base + (size_t)id * scratch_stride;
  for (int t; (t = ADD(&next_task, 1)) < job.tasks;) job.fn(job.ctx, t, scratch);
}

/* Worker `id` (1, 2, ...): never returns. */
void st_wasm_worker(int id) {
  int seen = LOAD(&generation);
  ADD(&ready, 1);
  for (;;) {
    for (int spin = 0; LOAD(&generation) == seen;) {
      if (++spin > SPIN) {
        __builtin_wasm_memory_atomic_wait32(&generation, seen, -1);
        spin = 0;
      }
    }
    seen = LOAD(&generation);
    if (id < participants) run_tasks(id);
    ADD(&done, 1);
  }
}

/* Workers started and waiting for loops. */
int st_wasm_ready_workers(void) { return LOAD(&ready); }
#else
void st_wasm_worker(int id) { (void)id; }
int st_wasm_ready_workers(void) { return 0; }
#endif

void st_parallel(int tasks, task_fn fn, void *ctx, size_t scratch_floats) {
  /* Every thread's task writes its scratch: a region too small for it is a bug in the caller. */
  if (scratch_floats > scratch_stride) __builtin_trap();
#ifdef __wasm_atomics__
  int workers = LOAD(&ready), helpers = (budget < tasks ? budget : tasks) - 1;
  if (helpers > workers) helpers = workers;
  if (helpers > 0) {
    job.fn = fn, job.ctx = ctx, job.tasks = tasks;
    participants = helpers + 1;
    __atomic_store_n(&next_task, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&done, 0, __ATOMIC_SEQ_CST);
    ADD(&generation, 1);
    __builtin_wasm_memory_atomic_notify(&generation, (unsigned)workers);
    run_tasks(0);
    /* Every worker reports, joined or not, before the next loop may be posted. */
    while (LOAD(&done) < workers) {
    }
    return;
  }
#endif
  for (int t = 0; t < tasks; t++) fn(ctx, t, scratch_base);
}

/*
 * Where every field of the argument blocks lies, for a test of the one description the JavaScript
 * side writes them from (src/backend/wasm/abi.ts): "struct.field" with its offset and size, and
 * "struct" with its size.
 */
typedef struct {
  const char *name;
  int offset, size;
} st_field;

#define FIELD(S, f) {#S "." #f, (int)offsetof(S, f), (int)sizeof(((S *)0)->f)}
#define FWD(f) FIELD(st_rec_forward_args, f)
#define BWD(f) FIELD(st_rec_backward_args, f)
#define LAY(f) FIELD(st_rec_layout, f)
#define ADAM(f) FIELD(st_adam_args, f)
static const st_field fields[] = {
    {"st_rec_forward_args", 0, (int)sizeof(st_rec_forward_args)},
    FWD(kind), FWD(T), FWD(N), FWD(I), FWD(H), FWD(P), FWD(reverse), FWD(save), FWD(batch_first), FWD(y_ld), FWD(slope), FWD(lengths),
    FWD(x), FWD(h0), FWD(c0), FWD(wIh), FWD(wHh), FWD(bIh), FWD(bHh), FWD(wHr), FWD(y), FWD(hN), FWD(cN),
    FWD(gates), FWD(hPrev), FWD(cPrev), FWD(c), FWD(m), FWD(ghn),
    {"st_rec_backward_args", 0, (int)sizeof(st_rec_backward_args)},
    BWD(f), BWD(dy), BWD(dhN), BWD(dcN), BWD(dx), BWD(dh0), BWD(dc0), BWD(dwIh), BWD(dwHh), BWD(dbIh), BWD(dbHh), BWD(dwHr), BWD(reuse_gates),
    {"st_rec_layout", 0, (int)sizeof(st_rec_layout)},
    LAY(ints), LAY(xp), LAY(dxp), LAY(gx), LAY(g), LAY(gh), LAY(m), LAY(hp), LAY(bias), LAY(wHhP), LAY(wHrP),
    LAY(dG), LAY(dGh), LAY(dHall), LAY(dm), LAY(dhNext), LAY(hs), LAY(cs), LAY(gemm), LAY(total),
    {"st_adam_args", 0, (int)sizeof(st_adam_args)},
    ADAM(x), ADAM(m), ADAM(v), ADAM(vMax), ADAM(g), ADAM(n), ADAM(lr), ADAM(beta1), ADAM(beta2), ADAM(eps),
    ADAM(weightDecay), ADAM(stepSize), ADAM(bc2Sqrt), ADAM(decoupled), ADAM(maximize),
};

/* The table above; its length in *count. */
const st_field *st_wasm_fields(int *count) {
  *count = (int)(sizeof fields / sizeof fields[0]);
  return fields;
}

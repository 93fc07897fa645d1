/*
 * The native host side of the kernels' threading contract (src/backend/c/kernels.h): a persistent
 * pool of pthreads woken per parallel loop, the caller working too, and a scratch buffer per
 * thread that grows as needed and is kept between calls.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 256

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() ((void)0)
#endif

typedef void (*task_fn)(void *ctx, int task, float *scratch);

static int budget = 1;
static pthread_t workers[MAX_THREADS];
static int started = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static atomic_uint generation;
static int running = 0; /* workers still on the current loop */
static int participants = 0;
static struct {
  task_fn fn;
  void *ctx;
  int tasks;
  size_t scratch_floats;
} job;
static atomic_int next_task;
static atomic_long helper_tasks; /* tasks run by pool threads, for tests that threads ran */
static _Thread_local float *tl_scratch = NULL;
static _Thread_local size_t tl_floats = 0;

static float *scratch_of(size_t floats) {
  if (tl_floats < floats) {
    free(tl_scratch);
    tl_scratch = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    tl_floats = tl_scratch ? floats : 0;
  }
  return tl_scratch;
}

static void run_tasks(int helper) {
  float *scratch = scratch_of(job.scratch_floats);
  for (int t; (t = atomic_fetch_add(&next_task, 1)) < job.tasks;) {
    job.fn(job.ctx, t, scratch);
    if (helper) atomic_fetch_add(&helper_tasks, 1);
  }
}

static void *worker(void *arg) {
  int id = (int)(size_t)arg;
  unsigned seen = 0;
  for (;;) {
    /* Spin a while before sleeping: the kernels post loops back to back, and waking a sleeping
     * thread costs tens of microseconds. */
    for (int spin = 0; spin < 20000 && atomic_load(&generation) == seen; spin++) cpu_relax();
    pthread_mutex_lock(&mu);
    while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &mu);
    seen = atomic_load(&generation);
    int join = id < participants;
    pthread_mutex_unlock(&mu);
    if (!join) continue;
    run_tasks(1);
    pthread_mutex_lock(&mu);
    if (--running == 0) pthread_cond_signal(&done);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

void st_set_threads(int n) { budget = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n; }

int st_threads(void) { return budget; }

/* Pool threads started, and tasks they have run so far. */
void st_pool_stats(int *threads, long *tasks) {
  *threads = started;
  *tasks = atomic_load(&helper_tasks);
}

void st_parallel(int tasks, task_fn fn, void *ctx, size_t scratch_floats) {
  int helpers = (budget < tasks ? budget : tasks) - 1;
  while (started < helpers) {
    if (pthread_create(&workers[started], NULL, worker, (void *)(size_t)started) != 0) break;
    pthread_detach(workers[started]);
    started++;
  }
  if (helpers > started) helpers = started;
  if (helpers <= 0) {
    float *scratch = scratch_of(scratch_floats);
    for (int t = 0; t < tasks; t++) fn(ctx, t, scratch);
    return;
  }
  pthread_mutex_lock(&mu);
  job.fn = fn, job.ctx = ctx, job.tasks = tasks, job.scratch_floats = scratch_floats;
  atomic_store(&next_task, 0);
  participants = helpers;
  running = helpers;
  atomic_fetch_add(&generation, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  run_tasks(0);
  pthread_mutex_lock(&mu);
  while (running > 0) pthread_cond_wait(&done, &mu);
  pthread_mutex_unlock(&mu);
}

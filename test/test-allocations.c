/*
 * A planned context runs without allocating: every committed model (.ptl
 * and .pt) is loaded, planned and run once, then run RUNS more times on the
 * caller's thread and on a 2-thread pthreadpool while this test counts
 * every malloc, calloc, realloc and aligned allocation the process makes.
 * The count must be zero. Changing the input shape re-plans (and may
 * allocate); running the new shape again must not.
 *
 * The counting wraps glibc's allocator by defining the allocation functions
 * in this executable, so the test is built only without sanitizers (which
 * bring their own allocator).
 *
 * usage: test-allocations MODELS_DIR
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <pthreadpool.h>

#include "model-files.h"
#include "q8/runtime.h"
#include "test-util.h"

/* Counted runs per pool and shape: 20, or 5 under emulation (TEST_SWEEP). */
enum { RUNS = TEST_SWEEP(20) };

/* --- counting allocator --------------------------------------------------- */

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* p, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void* p);

static atomic_bool counting;
static atomic_size_t allocations;

static void count(void) {
  if (atomic_load_explicit(&counting, memory_order_relaxed))
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

void* malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void* memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  count();
  void* p = __libc_memalign(alignment, size);
  if (p == NULL) return 12; /* ENOMEM */
  *out = p;
  return 0;
}

static size_t allocations_during(void (*body)(void*), void* arg) {
  atomic_store(&allocations, 0);
  atomic_store(&counting, true);
  body(arg);
  atomic_store(&counting, false);
  return atomic_load(&allocations);
}

/* --- runs ------------------------------------------------------------------ */

typedef struct run_args {
  q8_context* ctx;
  pthreadpool_t pool;
  const float* input;
  q8_tensor_shape shape;
  float* output;
  q8_status status;
  char message[Q8_ERROR_MESSAGE_SIZE];
} run_args;

static void run_many(void* arg) {
  run_args* r = arg;
  q8_error err = {0};
  for (int i = 0; i < RUNS && r->status == q8_status_success; i++) {
    r->status = q8_context_run(r->ctx, r->pool, &r->input, &r->shape, &r->output, &err);
  }
  if (r->status != q8_status_success) memcpy(r->message, err.message, sizeof(r->message));
}

static size_t elements(const q8_tensor_shape* s) {
  size_t n = 1;
  for (size_t d = 0; d < s->rank; d++) n *= s->dims[d];
  return n;
}

/* Plans and runs once for `shape` (allocating as it likes), then counts. */
static void expect_no_allocations(const char* name, q8_context* ctx, pthreadpool_t pool,
                                  const q8_tensor_shape* shape) {
  q8_error err = {0};
  const size_t n = elements(shape);
  float* input = malloc(n * sizeof(float));
  assert_non_null(input);
  test_rng rng = {n};
  for (size_t i = 0; i < n; i++) input[i] = rng_float(&rng, -2.0f, 2.0f);
  atomic_store(&allocations, 0);
  atomic_store(&counting, true);
  assert_q8_ok(q8_context_plan(ctx, shape, &err));
  atomic_store(&counting, false);
  const size_t planning = atomic_load(&allocations);
  q8_tensor_shape out_shape;
  assert_q8_ok(q8_context_output_shape(ctx, 0, &out_shape, &err));
  float* output = malloc(elements(&out_shape) * sizeof(float));
  assert_non_null(output);
  assert_q8_ok(q8_context_run(ctx, pool, (const float* const*)&input, shape, &output, &err));
  run_args r = {ctx, pool, input, *shape, output, q8_status_success, ""};
  const size_t count = allocations_during(run_many, &r);
  if (r.status != q8_status_success) fail_msg("%s: run failed: %s", name, r.message);
  printf("  %-32s %zu threads: planning %3zu allocations, %d runs %zu\n", name,
         pool ? pthreadpool_get_threads_count(pool) : 1, planning, RUNS, count);
  if (count != 0) fail_msg("%s: %zu allocations in %d planned runs", name, count, RUNS);
  free(output);
  free(input);
}

/* The library's own allocations reach the counter: a first plan allocates
 * (operator setup, indirection buffers, the arena). */
static void model_runs_allocate_nothing(const char* dir, const char* file, pthreadpool_t pool) {
  char path[1024], npy[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  const size_t stem = strrchr(file, '.') - file;
  snprintf(npy, sizeof(npy), "%s/%.*s.input.npy", dir, (int)stem, file);
  q8_tensor_shape shape;
  float* golden_input = NULL;
  if (read_npy_f32(npy, &shape, &golden_input) != 0) fail_msg("cannot read %s", npy);
  free(golden_input);
  q8_error err = {0};
  q8_model* model = NULL;
  q8_context* ctx = NULL;
  assert_q8_ok(q8_model_load_file(path, NULL, &model, &err));
  assert_q8_ok(q8_context_create(model, &ctx, &err));
  atomic_store(&allocations, 0);
  atomic_store(&counting, true);
  assert_q8_ok(q8_context_plan(ctx, &shape, &err));
  atomic_store(&counting, false);
  if (atomic_load(&allocations) == 0) fail_msg("%s: the first plan allocated nothing?", file);
  expect_no_allocations(file, ctx, pool, &shape);
  /* Another batch size re-plans; its runs allocate nothing either. */
  if (shape.rank >= 1) {
    shape.dims[0] += 1;
    expect_no_allocations(file, ctx, pool, &shape);
  }
  q8_context_delete(ctx);
  q8_model_delete(model);
}

static void every_model(void** state) {
  const char* dir = *state;
  pthreadpool_t pools[2] = {NULL, pthreadpool_create(2)};
  assert_non_null(pools[1]);
  DIR* d = opendir(dir);
  assert_non_null(d);
  size_t models = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    const size_t len = strlen(e->d_name);
    const bool ptl = len > 4 && strcmp(e->d_name + len - 4, ".ptl") == 0;
    const bool pt = len > 3 && strcmp(e->d_name + len - 3, ".pt") == 0;
    if (!ptl && !pt) continue;
    for (int p = 0; p < 2; p++) model_runs_allocate_nothing(dir, e->d_name, pools[p]);
    models++;
  }
  closedir(d);
  pthreadpool_destroy(pools[1]);
  assert_true(models >= 10);
}

/* The counter itself works: a run of allocations is seen. */
static void counter_counts(void** state) {
  (void)state;
  atomic_store(&allocations, 0);
  atomic_store(&counting, true);
  void* volatile p = malloc(16);
  void* volatile q = calloc(2, 8);
  atomic_store(&counting, false);
  free(p);
  free(q);
  assert_int_equal(atomic_load(&allocations), 2);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
    return 2;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(counter_counts),
      cmocka_unit_test_prestate(every_model, argv[1]),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

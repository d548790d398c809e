/*
 * One loaded model shared by many threads: THREADS threads, each with its
 * own q8_context (created concurrently, when the model's spare program is
 * up for grabs), run the model RUNS times in total, alternating between two
 * input shapes so contexts re-plan, and every output must be bit-identical
 * to a single-threaded run. The tsan preset runs it under ThreadSanitizer.
 *
 * usage: test-concurrency MODELS_DIR [MODEL THREADS RUNS]
 *   (defaults: residual.ptl 8 1000; MODEL is a .ptl or .pt in MODELS_DIR)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>

#include "q8/runtime.h"
#include "test-util.h"

#define PATH_SIZE 1024
#define MAX_THREADS 64
#define SHAPES 2

static const char* models_dir;
static const char* model_name = "residual.ptl";
static size_t thread_count = 8, run_count = 1000;

typedef struct golden {
  q8_tensor_shape in_shape, out_shape;
  float* input;
  float* output;
  size_t in_elements, out_elements;
} golden;

typedef struct shared {
  const q8_model* model;
  golden shapes[SHAPES];
  pthread_barrier_t start;
  atomic_size_t next_run; /* runs are handed out one by one */
  atomic_size_t mismatches;
  atomic_size_t failures;
  atomic_size_t runs_done;
} shared;

typedef struct worker {
  shared* s;
  size_t index;
  size_t runs;
  char message[Q8_ERROR_MESSAGE_SIZE + 64];
} worker;

static size_t elements(const q8_tensor_shape* shape) {
  size_t n = 1;
  for (size_t d = 0; d < shape->rank; d++) n *= shape->dims[d];
  return n;
}

static void* work(void* arg) {
  worker* w = arg;
  shared* s = w->s;
  q8_error err = {0};
  q8_context* ctx = NULL;
  pthread_barrier_wait(&s->start);
  if (q8_context_create(s->model, &ctx, &err) != q8_status_success) {
    snprintf(w->message, sizeof(w->message), "context: %s", err.message);
    atomic_fetch_add(&s->failures, 1);
    return NULL;
  }
  float* output = malloc(s->shapes[0].out_elements > s->shapes[1].out_elements
                             ? s->shapes[0].out_elements * sizeof(float)
                             : s->shapes[1].out_elements * sizeof(float));
  for (;;) {
    const size_t run = atomic_fetch_add(&s->next_run, 1);
    if (run >= run_count || output == NULL) break;
    const golden* g = &s->shapes[(run + w->index) % SHAPES];
    memset(output, 0xa5, g->out_elements * sizeof(float));
    const float* in = g->input;
    if (q8_context_run(ctx, NULL, &in, &g->in_shape, &output, &err) != q8_status_success) {
      snprintf(w->message, sizeof(w->message), "run %zu: %s", run, err.message);
      atomic_fetch_add(&s->failures, 1);
      break;
    }
    q8_tensor_shape out_shape;
    if (q8_context_output_shape(ctx, 0, &out_shape, &err) != q8_status_success ||
        memcmp(&out_shape, &g->out_shape, sizeof(out_shape)) != 0 ||
        memcmp(output, g->output, g->out_elements * sizeof(float)) != 0) {
      atomic_fetch_add(&s->mismatches, 1);
    }
    w->runs++;
    atomic_fetch_add(&s->runs_done, 1);
  }
  free(output);
  q8_context_delete(ctx);
  return NULL;
}

/* The single-threaded reference for one input shape, with a fresh context. */
static void make_golden(const q8_model* model, golden* g, const q8_tensor_shape* shape,
                        uint64_t seed) {
  q8_error err = {0};
  q8_context* ctx = NULL;
  g->in_shape = *shape;
  g->in_elements = elements(shape);
  g->input = malloc(g->in_elements * sizeof(float));
  assert_non_null(g->input);
  test_rng rng = {seed};
  for (size_t i = 0; i < g->in_elements; i++) g->input[i] = rng_float(&rng, -3.0f, 3.0f);
  assert_q8_ok(q8_context_create(model, &ctx, &err));
  assert_q8_ok(q8_context_plan(ctx, shape, &err));
  assert_q8_ok(q8_context_output_shape(ctx, 0, &g->out_shape, &err));
  g->out_elements = elements(&g->out_shape);
  g->output = malloc(g->out_elements * sizeof(float));
  assert_non_null(g->output);
  const float* in = g->input;
  assert_q8_ok(q8_context_run(ctx, NULL, &in, shape, &g->output, &err));
  q8_context_delete(ctx);
}

/* The model's input shape from NAME.input.npy's header, and a second one
 * with one more batch item. */
static void input_shapes(q8_tensor_shape shapes[SHAPES]) {
  char path[PATH_SIZE];
  const char* dot = strrchr(model_name, '.');
  const int stem = dot != NULL ? (int)(dot - model_name) : (int)strlen(model_name);
  snprintf(path, sizeof(path), "%s/%.*s.input.npy", models_dir, stem, model_name);
  FILE* f = fopen(path, "rb");
  assert_non_null(f);
  char header[256] = {0};
  assert_true(fread(header, 1, sizeof(header) - 1, f) > 10);
  fclose(f);
  const char* p = strstr(header + 10, "'shape': ("); /* after the magic's NULs */
  assert_non_null(p);
  q8_tensor_shape s = {0};
  for (p += 10; *p != ')' && s.rank < Q8_MAX_TENSOR_DIMS; p++) {
    if (*p == ' ' || *p == ',') continue;
    char* end;
    s.dims[s.rank++] = strtoul(p, &end, 10);
    p = end - 1;
  }
  shapes[0] = s;
  shapes[1] = s;
  shapes[1].dims[0] += 1; /* the batch: models with a linear head fix the rest */
}

static void many_threads_one_model(void** state) {
  (void)state;
  char path[PATH_SIZE];
  snprintf(path, sizeof(path), "%s/%s", models_dir, model_name);
  q8_error err = {0};
  q8_model* model = NULL;
  assert_q8_ok(q8_model_load_file(path, NULL, &model, &err));
  shared* s = calloc(1, sizeof(shared));
  assert_non_null(s);
  s->model = model;
  q8_tensor_shape shapes[SHAPES];
  input_shapes(shapes);
  for (size_t k = 0; k < SHAPES; k++) make_golden(model, &s->shapes[k], &shapes[k], 7 + k);

  worker workers[MAX_THREADS];
  pthread_t threads[MAX_THREADS];
  memset(workers, 0, sizeof(workers));
  assert_int_equal(pthread_barrier_init(&s->start, NULL, (unsigned)thread_count), 0);
  for (size_t t = 0; t < thread_count; t++) {
    workers[t].s = s, workers[t].index = t;
    assert_int_equal(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
  }
  for (size_t t = 0; t < thread_count; t++) pthread_join(threads[t], NULL);
  pthread_barrier_destroy(&s->start);

  for (size_t t = 0; t < thread_count; t++) {
    if (workers[t].message[0] != '\0') printf("  thread %zu: %s\n", t, workers[t].message);
  }
  printf("  %s: %zu threads, %zu runs (", model_name, thread_count,
         atomic_load(&s->runs_done));
  for (size_t t = 0; t < thread_count; t++) printf("%s%zu", t ? " " : "", workers[t].runs);
  printf(" per thread), %zu mismatches\n", atomic_load(&s->mismatches));
  assert_int_equal(atomic_load(&s->failures), 0);
  assert_int_equal(atomic_load(&s->mismatches), 0);
  assert_int_equal(atomic_load(&s->runs_done), run_count);

  for (size_t k = 0; k < SHAPES; k++) free(s->shapes[k].input), free(s->shapes[k].output);
  free(s);
  q8_model_delete(model);
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 5) {
    fprintf(stderr, "usage: %s MODELS_DIR [MODEL THREADS RUNS]\n", argv[0]);
    return 2;
  }
  models_dir = argv[1];
  if (argc == 5) {
    model_name = argv[2];
    thread_count = strtoul(argv[3], NULL, 10);
    run_count = strtoul(argv[4], NULL, 10);
    if (thread_count == 0 || thread_count > MAX_THREADS) return 2;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(many_threads_one_model)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

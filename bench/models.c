/*
 * Whole-model benchmarks: model/<file name>/threads:<n> for every model
 * given with --q8_models=A.ptl,B.pt (or the environment variable
 * Q8_BENCH_MODELS, paths separated by ':'), at the thread counts of
 * --q8_threads=1,2 (default 1 and 2). This is what a device farm runs:
 *
 *   q8-bench --q8_models=mobilenet_v2.ptl --benchmark_filter=^model/
 *            --benchmark_repetitions=5 --benchmark_format=json
 *
 * The input has the shape of MODEL.input.npy when that file sits next to
 * the model (its values are used too), else 1x3x224x224 of fixed pseudo-
 * random values. Counters: ms (per run), GOPS (convolution and linear work
 * per second, from the model's profile), load_ms (file to prepacked model,
 * measured once at registration).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>

#include "bench.h"
#include "npy.h"
#include "q8/runtime.h"

#define MAX_MODELS 32
#define MAX_THREAD_COUNTS 8

typedef struct model_bench {
  const q8_model* model;
  const float* input;
  q8_tensor_shape shape;
  double load_ms;
  size_t threads;
} model_bench;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static size_t elements(const q8_tensor_shape* s) {
  size_t n = 1;
  for (size_t d = 0; d < s->rank; d++) n *= s->dims[d];
  return n;
}

/* 2 x multiply-adds of one run, from a profiled run. */
static double profiled_ops(q8_context* ctx, pthreadpool_t pool, const float* const* in,
                           const q8_tensor_shape* shape, float* const* out) {
  q8_context_set_profiling(ctx, true);
  double ops = 0.0;
  if (q8_context_run(ctx, pool, in, shape, out, NULL) == q8_status_success) {
    q8_profile_entry e;
    for (size_t i = 0; i < q8_context_profile_count(ctx); i++)
      if (q8_context_profile_entry(ctx, i, &e, NULL) == q8_status_success) ops += (double)e.ops;
  }
  q8_context_set_profiling(ctx, false);
  return ops;
}

static void bench_model(q8_bench_state* state, const void* arg) {
  const model_bench* b = arg;
  q8_error error = {0};
  q8_context* ctx = NULL;
  float* output = NULL;
  pthreadpool_t pool = b->threads > 1 ? pthreadpool_create(b->threads) : NULL;
  q8_tensor_shape out_shape;
  q8_status st = q8_context_create(b->model, &ctx, &error);
  if (st == q8_status_success) st = q8_context_plan(ctx, &b->shape, &error);
  if (st == q8_status_success) st = q8_context_output_shape(ctx, 0, &out_shape, &error);
  if (st == q8_status_success && (output = malloc(elements(&out_shape) * sizeof(float))) == NULL)
    st = q8_status_out_of_memory;
  const float* in = b->input;
  if (st == q8_status_success) st = q8_context_run(ctx, pool, &in, &b->shape, &output, &error);
  if (st != q8_status_success) {
    q8_bench_skip(state, error.message[0] ? error.message : "out of memory");
  } else {
    const double ops = profiled_ops(ctx, pool, &in, &b->shape, &output);
    size_t runs = 0;
    const double t0 = now_ms();
    while (q8_bench_keep_running(state)) {
      q8_context_run(ctx, pool, &in, &b->shape, &output, NULL);
      runs++;
    }
    const double ms = (now_ms() - t0) / (double)(runs ? runs : 1);
    q8_bench_counter(state, "ms", ms);
    q8_bench_counter(state, "GOPS", ms > 0 ? ops / (ms * 1e6) : 0.0);
    q8_bench_counter(state, "load_ms", b->load_ms);
  }
  if (pool) pthreadpool_destroy(pool);
  free(output);
  q8_context_delete(ctx);
}

/* The input next to the model, or the default image shape. */
static float* model_input(const char* path, q8_tensor_shape* shape) {
  char npy[1024];
  const char* dot = strrchr(path, '.');
  const int stem = dot ? (int)(dot - path) : (int)strlen(path);
  snprintf(npy, sizeof(npy), "%.*s.input.npy", stem, path);
  float* data = NULL;
  char message[256];
  if (q8_npy_read(npy, shape, &data, message, sizeof(message)) == 0) return data;
  *shape = (q8_tensor_shape){4, {1, 3, 224, 224}};
  const size_t n = elements(shape);
  data = malloc(n * sizeof(float));
  uint32_t x = 12345;
  for (size_t i = 0; data != NULL && i < n; i++) {
    x = x * 1664525u + 1013904223u;
    data[i] = (float)(x >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
  }
  return data;
}

static void register_model(const char* path, const size_t* thread_counts, size_t counts) {
  q8_error error = {0};
  q8_model* model = NULL;
  const double t0 = now_ms();
  if (q8_model_load_file(path, NULL, &model, &error) != q8_status_success) {
    fprintf(stderr, "q8-bench: %s: %s\n", path, error.message);
    return;
  }
  model_bench b = {.model = model, .load_ms = now_ms() - t0};
  b.input = model_input(path, &b.shape);
  if (b.input == NULL || q8_model_input_count(model) != 1) {
    fprintf(stderr, "q8-bench: %s: needs one input tensor\n", path);
    q8_model_delete(model);
    return;
  }
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  /* The model and input live until the process exits, like the shim's copies. */
  for (size_t i = 0; i < counts; i++) {
    char name[512];
    b.threads = thread_counts[i];
    snprintf(name, sizeof(name), "model/%s/threads:%zu", base, b.threads);
    q8_bench_register(name, bench_model, &b, sizeof(b));
  }
}

static size_t parse_threads(const char* list, size_t* out) {
  size_t n = 0;
  for (const char* p = list; p != NULL && *p != '\0' && n < MAX_THREAD_COUNTS;) {
    char* end;
    const unsigned long t = strtoul(p, &end, 10);
    if (end == p) break;
    if (t > 0 && t <= 256) out[n++] = t;
    p = *end == ',' ? end + 1 : NULL;
  }
  return n;
}

void q8_bench_register_models(const char* models, char separator, const char* threads) {
  size_t thread_counts[MAX_THREAD_COUNTS] = {1, 2};
  size_t counts = threads != NULL ? parse_threads(threads, thread_counts) : 2;
  if (counts == 0) {
    fprintf(stderr, "q8-bench: --q8_threads=%s: expected counts like 1,2,4\n", threads);
    return;
  }
  char* list = models != NULL ? strdup(models) : NULL;
  size_t registered = 0;
  for (char* p = list; p != NULL && *p != '\0' && registered < MAX_MODELS; registered++) {
    char* next = strchr(p, separator);
    if (next != NULL) *next++ = '\0';
    if (*p != '\0') register_model(p, thread_counts, counts);
    p = next;
  }
  free(list);
}

/*
 * q8-run: runs a .ptl or .pt model on NumPy inputs and writes NumPy outputs.
 *
 *   q8-run MODEL --input X.npy [--input ...] --output Y.npy [...]
 *          [--threads N] [--repeat N] [--profile]
 *
 * Inputs and outputs are float32 C-order .npy files, in the layout the
 * TorchScript forward takes and returns. --repeat N times N runs after one
 * warm-up and ends the output with "time_ms median=<f> min=<f> runs=<N>".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>
#include <q8/runtime.h>

#include "npy.h"

#define MAX_TENSORS 16

typedef struct array {
  q8_tensor_shape shape;
  float* data;
} array;

static int read_npy(const char* path, array* a) {
  char message[512];
  if (q8_npy_read(path, &a->shape, &a->data, message, sizeof(message)) == 0) return 0;
  fprintf(stderr, "q8-run: %s\n", message);
  return -1;
}

static int write_npy(const char* path, const array* a) {
  char message[512];
  if (q8_npy_write(path, &a->shape, a->data, message, sizeof(message)) == 0) return 0;
  fprintf(stderr, "q8-run: %s\n", message);
  return -1;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

typedef struct options {
  const char* model;
  const char* inputs[MAX_TENSORS];
  const char* outputs[MAX_TENSORS];
  size_t num_inputs, num_outputs, threads, repeat;
  int profile;
  int times; /* print every timed run, in order */
  int no_spin;
  double load_ms; /* measured by main */
} options;

static int usage(void) {
  fprintf(stderr,
          "usage: q8-run MODEL --input X.npy [--input ...] --output Y.npy [...]\n"
          "              [--threads N] [--repeat N] [--times] [--profile] [--no-spin]\n"
          "  --repeat N   time N runs after a warm-up: 'time_ms median=.. min=.. runs=N'\n"
          "  --times      also print every run's time: 'times_ms t1 t2 ...'\n"
          "  --profile    per-operator time, output shape, GOPS and share of one run\n"
          "  --no-spin    thread pool workers sleep after each run instead of spinning\n"
          "Always prints 'load_ms load=.. plan=..' (file to prepacked model; first plan).\n");
  return 2;
}

static int parse_args(int argc, char** argv, options* o) {
  memset(o, 0, sizeof(*o));
  o->threads = 1;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const int has_value = i + 1 < argc;
    if (strcmp(a, "--input") == 0 && has_value && o->num_inputs < MAX_TENSORS) {
      o->inputs[o->num_inputs++] = argv[++i];
    } else if (strcmp(a, "--output") == 0 && has_value && o->num_outputs < MAX_TENSORS) {
      o->outputs[o->num_outputs++] = argv[++i];
    } else if (strcmp(a, "--threads") == 0 && has_value) {
      o->threads = strtoul(argv[++i], NULL, 10);
    } else if (strcmp(a, "--repeat") == 0 && has_value) {
      o->repeat = strtoul(argv[++i], NULL, 10);
    } else if (strcmp(a, "--profile") == 0) {
      o->profile = 1;
    } else if (strcmp(a, "--times") == 0) {
      o->times = 1;
    } else if (strcmp(a, "--no-spin") == 0) {
      o->no_spin = 1;
    } else if (a[0] != '-' && o->model == NULL) {
      o->model = a;
    } else {
      return -1;
    }
  }
  return o->model == NULL || o->threads == 0 ? -1 : 0;
}

static void print_profile(const q8_context* ctx) {
  const size_t n = q8_context_profile_count(ctx);
  double total = 0.0, total_ops = 0.0;
  q8_profile_entry e;
  for (size_t i = 0; i < n; i++) {
    if (q8_context_profile_entry(ctx, i, &e, NULL) != q8_status_success) continue;
    total += e.milliseconds;
    total_ops += (double)e.ops;
  }
  printf("%-36s %-22s %10s %7s %8s\n", "op", "output shape", "ms", "%", "GOPS");
  for (size_t i = 0; i < n; i++) {
    if (q8_context_profile_entry(ctx, i, &e, NULL) != q8_status_success) continue;
    char shape[64] = "(";
    size_t used = 1;
    for (size_t d = 0; d < e.shape.rank && used < sizeof(shape); d++)
      used += (size_t)snprintf(shape + used, sizeof(shape) - used, "%zu%s", e.shape.dims[d],
                               d + 1 < e.shape.rank ? "," : "");
    if (used < sizeof(shape) - 1) strcat(shape, ")");
    printf("%-36s %-22s %10.3f %6.1f%% %8.1f\n", e.op, shape, e.milliseconds,
           total > 0 ? 100.0 * e.milliseconds / total : 0.0, e.gops);
  }
  printf("%-36s %-22s %10.3f %6.1f%% %8.1f\n", "total", "", total, 100.0,
         total > 0 ? total_ops / (total * 1e6) : 0.0);
}

/* Warm-up, then `repeat` timed runs; prints the timing line last. */
static q8_status timed_runs(q8_context* ctx, pthreadpool_t pool, const float* const* in,
                            const q8_tensor_shape* shapes, float* const* out, size_t repeat,
                            int print_each, q8_error* err) {
  double* times = malloc((repeat ? repeat : 1) * sizeof(double));
  if (times == NULL) return q8_status_out_of_memory;
  q8_status status = q8_status_success;
  for (size_t r = 0; r < repeat && status == q8_status_success; r++) {
    const double start = now_ms();
    status = q8_context_run(ctx, pool, in, shapes, out, err);
    times[r] = now_ms() - start;
  }
  if (status == q8_status_success && print_each) {
    printf("times_ms");
    for (size_t r = 0; r < repeat; r++) printf(" %.4f", times[r]);
    printf("\n");
  }
  if (status == q8_status_success) {
    qsort(times, repeat, sizeof(double), compare_double);
    const double median = repeat % 2 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
    printf("time_ms median=%.3f min=%.3f runs=%zu\n", median, times[0], repeat);
  }
  free(times);
  return status;
}

static int run(const options* o, q8_context* ctx, const q8_model* model, array* inputs,
               array* outputs) {
  q8_error err = {0};
  const float* in[MAX_TENSORS];
  float* out[MAX_TENSORS];
  q8_tensor_shape shapes[MAX_TENSORS];
  for (size_t i = 0; i < o->num_inputs; i++) in[i] = inputs[i].data, shapes[i] = inputs[i].shape;
  const double plan_start = now_ms();
  if (q8_context_plan(ctx, shapes, &err) != q8_status_success) goto fail;
  printf("load_ms load=%.3f plan=%.3f\n", o->load_ms, now_ms() - plan_start);
  for (size_t i = 0; i < q8_model_output_count(model); i++) {
    if (q8_context_output_shape(ctx, i, &outputs[i].shape, &err) != q8_status_success) goto fail;
    const size_t n = q8_npy_element_count(&outputs[i].shape);
    if ((outputs[i].data = malloc((n ? n : 1) * sizeof(float))) == NULL) return 1;
    out[i] = outputs[i].data;
  }
  pthreadpool_t pool = o->threads > 1 ? pthreadpool_create(o->threads) : NULL;
  /* The first run also warms up (thread pool, caches); profile the second. */
  q8_status status = q8_context_run(ctx, pool, in, shapes, out, &err);
  if (status == q8_status_success && o->profile) {
    q8_context_set_profiling(ctx, true);
    status = q8_context_run(ctx, pool, in, shapes, out, &err);
    if (status == q8_status_success) print_profile(ctx);
    q8_context_set_profiling(ctx, false);
  }
  if (status == q8_status_success && o->repeat > 0)
    status = timed_runs(ctx, pool, in, shapes, out, o->repeat, o->times, &err);
  if (pool != NULL) pthreadpool_destroy(pool);
  if (status != q8_status_success) goto fail;
  for (size_t i = 0; i < o->num_outputs; i++)
    if (write_npy(o->outputs[i], &outputs[i]) != 0) return 1;
  return 0;
fail:
  fprintf(stderr, "q8-run: %s: %s\n", o->model, err.message);
  return 1;
}

int main(int argc, char** argv) {
  options o;
  if (parse_args(argc, argv, &o) != 0) return usage();
  q8_error err = {0};
  q8_model* model = NULL;
  q8_context* ctx = NULL;
  array inputs[MAX_TENSORS] = {{{0}, NULL}}, outputs[MAX_TENSORS] = {{{0}, NULL}};
  int rc = 1;
  const double load_start = now_ms();
  if (q8_model_load_file(o.model, NULL, &model, &err) != q8_status_success ||
      q8_context_create(model, &ctx, &err) != q8_status_success) {
    fprintf(stderr, "q8-run: %s: %s\n", o.model, err.message);
    goto done;
  }
  o.load_ms = now_ms() - load_start;
  q8_context_set_worker_spin(ctx, !o.no_spin);
  if (o.num_inputs != q8_model_input_count(model) || o.num_outputs > q8_model_output_count(model) ||
      q8_model_output_count(model) > MAX_TENSORS) {
    fprintf(stderr, "q8-run: %s takes %zu inputs and returns %zu outputs; got %zu --input, %zu --output\n",
            o.model, q8_model_input_count(model), q8_model_output_count(model), o.num_inputs,
            o.num_outputs);
    goto done;
  }
  for (size_t i = 0; i < o.num_inputs; i++)
    if (read_npy(o.inputs[i], &inputs[i]) != 0) goto done;
  rc = run(&o, ctx, model, inputs, outputs);
done:
  for (size_t i = 0; i < MAX_TENSORS; i++) free(inputs[i].data), free(outputs[i].data);
  q8_context_delete(ctx);
  q8_model_delete(model);
  return rc;
}

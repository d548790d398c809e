/*
 * q8-demo: loads the bundled quantized CNN (apps/models/tiny_cnn.ptl, made by
 * tools/make_demo_model.py with PyTorch), runs it on the bundled input,
 * prints the top-5 classes, how many outputs equal PyTorch's, and the run
 * time.
 *
 *   q8-demo [MODEL.ptl|MODEL.pt [INPUT.npy [PYTORCH_OUTPUT.npy]]]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>
#include <q8/runtime.h>

#include "npy.h"

#ifndef Q8_DEMO_MODELS
#define Q8_DEMO_MODELS "apps/models"
#endif

enum { runs = 200 };

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void print_top5(const float* scores, size_t n) {
  int used[1024] = {0};
  printf("top-5:");
  for (int k = 0; k < 5 && (size_t)k < n && n <= 1024; k++) {
    size_t best = n;
    for (size_t i = 0; i < n; i++) {
      if (!used[i] && (best == n || scores[i] > scores[best])) best = i;
    }
    used[best] = 1;
    printf("  class %zu (%.4f)", best, scores[best]);
  }
  printf("\n");
}

int main(int argc, char** argv) {
  const char* model_path = argc > 1 ? argv[1] : Q8_DEMO_MODELS "/tiny_cnn.ptl";
  const char* input_path = argc > 2 ? argv[2] : Q8_DEMO_MODELS "/tiny_cnn.input.npy";
  const char* golden_path = argc > 3 ? argv[3] : Q8_DEMO_MODELS "/tiny_cnn.output.npy";
  q8_tensor_shape in_shape, out_shape, golden_shape;
  float *input = NULL, *golden = NULL;
  char message[512];
  if (q8_npy_read(input_path, &in_shape, &input, message, sizeof(message)) != 0) {
    fprintf(stderr, "q8-demo: %s\n", message);
    return 1;
  }
  q8_error error = {0};
  q8_model* model = NULL;
  q8_context* ctx = NULL;
  pthreadpool_t pool = pthreadpool_create(0); /* one thread per core */
  float* output = NULL;
  int rc = 1;
  if (q8_model_load_file(model_path, NULL, &model, &error) ||
      q8_context_create(model, &ctx, &error) || q8_context_plan(ctx, &in_shape, &error) ||
      q8_context_output_shape(ctx, 0, &out_shape, &error)) {
    fprintf(stderr, "q8-demo: %s\n", error.message);
    goto done;
  }
  const size_t n = q8_npy_element_count(&out_shape);
  output = malloc(n * sizeof(float));
  double times[runs];
  for (int r = 0; r < runs; r++) {
    const double t0 = now_ms();
    const float* in[1] = {input};
    float* out[1] = {output};
    if (q8_context_run(ctx, pool, in, &in_shape, out, &error)) {
      fprintf(stderr, "q8-demo: %s\n", error.message);
      goto done;
    }
    times[r] = now_ms() - t0;
  }
  qsort(times, runs, sizeof(double), compare_doubles);
  printf("model: %s (%zu output values)\n", model_path, n);
  print_top5(output, n);
  if (q8_npy_read(golden_path, &golden_shape, &golden, message, sizeof(message)) == 0 &&
      q8_npy_element_count(&golden_shape) == n) {
    size_t exact = 0;
    for (size_t i = 0; i < n; i++) exact += output[i] == golden[i];
    printf("PyTorch (qnnpack) gives the same value for %zu of %zu outputs\n", exact, n);
  }
  printf("kernel table: %s, threads: %zu\n", q8_isa_name(q8_default_isa()),
         pthreadpool_get_threads_count(pool));
  printf("time_ms median=%.4f min=%.4f runs=%d\n", times[runs / 2], times[0], runs);
  rc = 0;
done:
  free(output);
  free(golden);
  free(input);
  q8_context_delete(ctx);
  q8_model_delete(model);
  pthreadpool_destroy(pool);
  return rc;
}

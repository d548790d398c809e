/*
 * q8-demo: runs a small quantized convolutional network through q8's
 * operator API and prints its output and run time.
 *
 * The network (weights generated deterministically, like a random-init
 * model): 32x32x3 image -> conv 3x3/2 + relu (16) -> depthwise 3x3 + relu6
 * -> conv 1x1 + relu (32) -> conv 3x3/2 (32) -> fully connected (10).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <q8/operators.h>

typedef struct layer {
  const char* name;
  uint32_t kernel, stride, padding, groups;
  size_t in_channels, out_channels;
  int relu6, relu, dense;
} layer;

static const layer layers[] = {
    {"conv 3x3/2 + relu", 3, 2, 1, 1, 3, 16, 0, 1, 0},
    {"depthwise 3x3 + relu6", 3, 1, 1, 16, 16, 16, 1, 0, 0},
    {"conv 1x1 + relu", 1, 1, 0, 1, 16, 32, 0, 1, 0},
    {"conv 3x3/2", 3, 2, 1, 1, 32, 32, 0, 0, 0},
    {"fully connected", 0, 0, 0, 1, 8 * 8 * 32, 10, 0, 0, 1},
};
enum { layer_count = sizeof(layers) / sizeof(layers[0]), image = 32 };

static uint32_t lcg(uint32_t* s) { return *s = *s * 1664525u + 1013904223u; }

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static int die(const char* what, const q8_error* error) {
  fprintf(stderr, "q8-demo: %s: %s\n", what, error->message);
  return 1;
}

int main(void) {
  q8_error error = {0};
  q8_operator* ops[layer_count] = {0};
  q8_quantization act = {1.0f / 64.0f, 128}; /* input image in [-2, 2) */
  uint8_t* buffers[layer_count + 1];
  size_t h = image, w = image;
  buffers[0] = malloc(image * image * 3);
  for (size_t i = 0; i < image * image * 3; i++) {
    const float x = sinf((float)i * 0.05f) * 1.5f;
    buffers[0][i] = (uint8_t)(128 + lrintf(x * 64.0f));
  }
  uint32_t seed = 42;
  for (size_t l = 0; l < layer_count; l++) {
    const layer* L = &layers[l];
    const size_t k = L->dense ? L->in_channels : L->kernel * L->kernel * (L->in_channels / L->groups);
    const size_t count = L->out_channels * k;
    int8_t* weights = malloc(count);
    float* bias = malloc(L->out_channels * sizeof(float));
    for (size_t i = 0; i < count; i++) weights[i] = (int8_t)(lcg(&seed) >> 24);
    /* Scales so that activations keep spanning many quantization steps. */
    const float weight_scale = 3.0f / (128.0f * sqrtf((float)k));
    for (size_t i = 0; i < L->out_channels; i++) {
      bias[i] = ((float)(lcg(&seed) >> 16) / 65536.0f - 0.5f) * 0.1f;
    }
    const q8_quantization out = {L->relu || L->relu6 ? 1.0f / 64.0f : 1.0f / 32.0f,
                                 L->relu || L->relu6 ? 0 : 128};
    const uint8_t out_max = L->relu6 ? (uint8_t)fminf(255.0f, 6.0f / out.scale) : 255;
    const q8_weight_quantization wq = {1, &weight_scale, NULL};
    q8_status s;
    if (L->dense) {
      const q8_fully_connected_params p = {.input_channels = L->in_channels,
                                           .output_channels = L->out_channels, .input = act,
                                           .weight = wq, .output = out, .output_max = 255};
      s = q8_fully_connected_create(&p, weights, bias, q8_isa_auto, &ops[l], &error);
    } else {
      const q8_convolution2d_params p = {
          .padding_top = L->padding, .padding_right = L->padding, .padding_bottom = L->padding,
          .padding_left = L->padding, .kernel_height = L->kernel, .kernel_width = L->kernel,
          .stride_height = L->stride, .stride_width = L->stride, .dilation_height = 1,
          .dilation_width = 1, .groups = L->groups,
          .group_input_channels = L->in_channels / L->groups,
          .group_output_channels = L->out_channels / L->groups, .input = act, .weight = wq,
          .output = out, .output_min = (uint8_t)out.zero_point, .output_max = out_max};
      s = q8_convolution2d_create_nhwc(&p, weights, bias, q8_isa_auto, &ops[l], &error);
    }
    free(weights);
    free(bias);
    if (s != q8_status_success) return die(L->name, &error);
    size_t oh = 1, ow = 1;
    if (!L->dense) {
      const size_t ph = (h + 2 * L->padding - L->kernel) / L->stride + 1;
      const size_t pw = (w + 2 * L->padding - L->kernel) / L->stride + 1;
      buffers[l + 1] = malloc(ph * pw * L->out_channels);
      if (q8_convolution2d_setup_nhwc(ops[l], 1, h, w, buffers[l], buffers[l + 1], &oh, &ow,
                                      &error) != q8_status_success) {
        return die(L->name, &error);
      }
    } else {
      buffers[l + 1] = malloc(L->out_channels);
      if (q8_fully_connected_setup(ops[l], 1, buffers[l], buffers[l + 1], &error)) {
        return die(L->name, &error);
      }
    }
    printf("%-24s -> %zux%zux%zu\n", L->name, oh, ow, L->out_channels);
    h = oh;
    w = ow;
    act = out;
  }

  pthreadpool_t pool = pthreadpool_create(0); /* one thread per core */
  enum { runs = 200 };
  double times[runs];
  for (int r = 0; r < runs; r++) {
    const double t0 = now_ms();
    for (size_t l = 0; l < layer_count; l++) {
      if (q8_operator_run(ops[l], pool, &error)) return die(layers[l].name, &error);
    }
    times[r] = now_ms() - t0;
  }
  qsort(times, runs, sizeof(double), compare_doubles);

  const uint8_t* logits = buffers[layer_count];
  printf("output (dequantized):");
  for (int i = 0; i < 10; i++) printf(" %.3f", (logits[i] - act.zero_point) * act.scale);
  printf("\ntop-5 classes:");
  int used[10] = {0};
  for (int k = 0; k < 5; k++) {
    int best = -1;
    for (int i = 0; i < 10; i++) {
      if (!used[i] && (best < 0 || logits[i] > logits[best])) best = i;
    }
    used[best] = 1;
    printf(" %d", best);
  }
  printf("\nkernel table: %s, threads: %zu\n", q8_isa_name(q8_default_isa()),
         pthreadpool_get_threads_count(pool));
  printf("time_ms median=%.4f min=%.4f runs=%d\n", times[runs / 2], times[0], runs);

  pthreadpool_destroy(pool);
  for (size_t l = 0; l < layer_count; l++) {
    q8_operator_delete(ops[l]);
    free(buffers[l]);
  }
  free(buffers[layer_count]);
  return 0;
}

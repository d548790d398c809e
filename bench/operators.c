/*
 * gemm/<isa>/<M>x<K>x<N>, dwconv/<isa>/<H>x<W>x<C>/k<K>s<S> and
 * conv/<isa>/<model>/<layer>: whole operators (packed weights, requantized
 * output) through the public API, single thread unless the name ends in
 * /threads:<n>. Counters: GOPS (2 ops per MAC) and, for GEMM, peak_pct of
 * peak/<isa> measured in the same process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "q8/operators.h"

static const q8_isa bench_isas[] = {q8_isa_scalar, q8_isa_avx2,   q8_isa_avx512vnni,
                                    q8_isa_amx,    q8_isa_neon,   q8_isa_neon64,
                                    q8_isa_neondot, q8_isa_neoni8mm};
enum { bench_isa_count = sizeof(bench_isas) / sizeof(bench_isas[0]) };

typedef struct conv_shape {
  const char* name; /* layer name, or NULL for gemm/dwconv */
  size_t height, width, input_channels, output_channels;
  uint32_t kernel, stride, groups;
} conv_shape;

typedef struct op_bench {
  q8_isa isa;
  size_t threads;
  int gemm; /* fully connected: M = height, K = input_channels, N = output_channels */
  conv_shape shape;
} op_bench;

/* Random weights and inputs; scales that keep outputs in range. */
static q8_operator* create(const op_bench* b, size_t* macs, size_t* in_bytes,
                           size_t* out_bytes, q8_error* error) {
  const conv_shape* s = &b->shape;
  const size_t gin = s->input_channels / s->groups, gout = s->output_channels / s->groups;
  const size_t k = b->gemm ? s->input_channels : (size_t)s->kernel * s->kernel * gin;
  const size_t weight_count = s->output_channels * k;
  int8_t* weights = malloc(weight_count);
  float* bias = malloc(s->output_channels * sizeof(float));
  for (size_t i = 0; i < weight_count; i++) weights[i] = (int8_t)(i * 2654435761u >> 24);
  for (size_t i = 0; i < s->output_channels; i++) bias[i] = (float)(i % 7) - 3.0f;
  const float weight_scale = 0.01f;
  const q8_quantization in = {0.05f, 120}, out = {0.05f * 0.01f * 16.0f, 128};
  q8_operator* op = NULL;
  q8_status st;
  if (b->gemm) {
    const q8_fully_connected_params p = {.input_channels = s->input_channels,
                                         .output_channels = s->output_channels, .input = in,
                                         .weight = {1, &weight_scale, NULL}, .output = out,
                                         .output_max = 255};
    st = q8_fully_connected_create(&p, weights, bias, b->isa, &op, error);
    *macs = s->height * k * s->output_channels;
    *in_bytes = s->height * s->input_channels;
    *out_bytes = s->height * s->output_channels;
  } else {
    const uint32_t pad = s->kernel / 2;
    const q8_convolution2d_params p = {
        .padding_top = pad, .padding_right = pad, .padding_bottom = pad, .padding_left = pad,
        .kernel_height = s->kernel, .kernel_width = s->kernel, .stride_height = s->stride,
        .stride_width = s->stride, .dilation_height = 1, .dilation_width = 1,
        .groups = s->groups, .group_input_channels = gin, .group_output_channels = gout,
        .input = in, .weight = {1, &weight_scale, NULL}, .output = out, .output_max = 255};
    st = q8_convolution2d_create_nhwc(&p, weights, bias, b->isa, &op, error);
    const size_t oh = (s->height + 2 * pad - s->kernel) / s->stride + 1;
    const size_t ow = (s->width + 2 * pad - s->kernel) / s->stride + 1;
    *macs = oh * ow * s->output_channels * k;
    *in_bytes = s->height * s->width * s->input_channels;
    *out_bytes = oh * ow * s->output_channels;
  }
  free(weights);
  free(bias);
  return st == q8_status_success ? op : NULL;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Runs the benchmark loop; returns the achieved GOPS (0 if skipped). */
static double run_operator(q8_bench_state* state, const op_bench* b) {
  q8_error error = {0};
  size_t macs, in_bytes, out_bytes;
  q8_operator* op = create(b, &macs, &in_bytes, &out_bytes, &error);
  if (op == NULL) {
    q8_bench_skip(state, error.message);
    return 0.0;
  }
  uint8_t* input = malloc(in_bytes);
  uint8_t* output = malloc(out_bytes);
  for (size_t i = 0; i < in_bytes; i++) input[i] = (uint8_t)(i * 40503u >> 8);
  const q8_status st = b->gemm
      ? q8_fully_connected_setup(op, b->shape.height, input, output, &error)
      : q8_convolution2d_setup_nhwc(op, 1, b->shape.height, b->shape.width, input, output, NULL,
                                    NULL, &error);
  pthreadpool_t pool = b->threads > 1 ? pthreadpool_create(b->threads) : NULL;
  double gops = 0.0;
  if (st != q8_status_success) {
    q8_bench_skip(state, error.message);
  } else {
    /* Timed here as well as by Google Benchmark, so that GOPS and peak_pct
     * are plain counters that aggregate over repetitions (median). */
    size_t runs = 0;
    const double t0 = seconds();
    while (q8_bench_keep_running(state)) {
      q8_operator_run(op, pool, NULL);
      runs++;
    }
    gops = 2.0 * (double)macs * (double)runs / (seconds() - t0) * 1e-9;
    q8_bench_counter(state, "GOPS", gops);
  }
  if (pool) pthreadpool_destroy(pool);
  q8_operator_delete(op);
  free(input);
  free(output);
  return gops;
}

static void bench_operator(q8_bench_state* state, const void* arg) { run_operator(state, arg); }

static void bench_gemm(q8_bench_state* state, const void* arg) {
  const op_bench* b = arg;
  const double peak = q8_bench_peak_gops(b->isa); /* before the timed loop */
  const double gops = run_operator(state, b);
  if (peak > 0.0) q8_bench_counter(state, "peak_pct", 100.0 * gops / (peak * (double)b->threads));
}

static void add(const char* name, q8_bench_fn fn, op_bench b) {
  q8_bench_register(name, fn, &b, sizeof(b));
}

static void register_gemm_shape(q8_isa isa, size_t m, size_t k, size_t n) {
  char name[96];
  const op_bench b = {.isa = isa, .threads = 1, .gemm = 1,
                      .shape = {NULL, m, 1, k, n, 1, 1, 1}};
  snprintf(name, sizeof(name), "gemm/%s/%zux%zux%zu", q8_isa_name(isa), m, k, n);
  add(name, bench_gemm, b);
  op_bench two = b;
  two.threads = 2;
  snprintf(name, sizeof(name), "gemm/%s/%zux%zux%zu/threads:2", q8_isa_name(isa), m, k, n);
  add(name, bench_gemm, two);
}

/* The last two: MobileNetV2's narrow 1x1 projections (N = 16, 24). */
const size_t q8_bench_gemm_shapes[Q8_BENCH_GEMM_SHAPES][3] = {
    {3136, 576, 64}, {196, 1152, 256}, {49, 960, 160},  {1, 1280, 1000},
    {3136, 64, 64},  {784, 128, 512},  {12544, 32, 16}, {3136, 144, 24}};

const size_t q8_bench_dwconv_shapes[Q8_BENCH_DWCONV_SHAPES][5] = {
    {112, 112, 32, 3, 1}, {56, 56, 144, 3, 2}, {14, 14, 672, 5, 1}, {28, 28, 240, 5, 2}};

void q8_bench_register_gemm(void) {
  for (size_t i = 0; i < bench_isa_count; i++) {
    if (!q8_isa_supported(bench_isas[i])) continue;
    for (size_t s = 0; s < Q8_BENCH_GEMM_SHAPES; s++) {
      const size_t* shape = q8_bench_gemm_shapes[s];
      register_gemm_shape(bench_isas[i], shape[0], shape[1], shape[2]);
    }
  }
}

/* --- depthwise and model layers -------------------------------------------- */

static void register_conv(q8_isa isa, const char* prefix, conv_shape shape, const char* suffix) {
  char name[128];
  snprintf(name, sizeof(name), "%s/%s/%s", prefix, q8_isa_name(isa), suffix);
  add(name, bench_operator, (op_bench){.isa = isa, .threads = 1, .shape = shape});
}

static void register_dwconv(q8_isa isa, size_t h, size_t w, size_t c, uint32_t k, uint32_t s) {
  char suffix[64];
  snprintf(suffix, sizeof(suffix), "%zux%zux%zu/k%us%u", h, w, c, k, s);
  register_conv(isa, "dwconv", (conv_shape){NULL, h, w, c, c, k, s, (uint32_t)c}, suffix);
}

/* Conv layers of the published architectures at 224x224 input, each
 * distinct shape once: {height, width, in, out, kernel, stride, groups}. */
static const conv_shape mobilenet_v2[] = {
    {"conv0", 224, 224, 3, 32, 3, 2, 1},         {"b1_dw", 112, 112, 32, 32, 3, 1, 32},
    {"b1_project", 112, 112, 32, 16, 1, 1, 1},   {"b2_expand", 112, 112, 16, 96, 1, 1, 1},
    {"b2_dw", 112, 112, 96, 96, 3, 2, 96},       {"b2_project", 56, 56, 96, 24, 1, 1, 1},
    {"b3_expand", 56, 56, 24, 144, 1, 1, 1},     {"b3_dw", 56, 56, 144, 144, 3, 1, 144},
    {"b3_project", 56, 56, 144, 24, 1, 1, 1},    {"b4_dw", 56, 56, 144, 144, 3, 2, 144},
    {"b4_project", 28, 28, 144, 32, 1, 1, 1},    {"b5_expand", 28, 28, 32, 192, 1, 1, 1},
    {"b5_dw", 28, 28, 192, 192, 3, 1, 192},      {"b5_project", 28, 28, 192, 32, 1, 1, 1},
    {"b7_dw", 28, 28, 192, 192, 3, 2, 192},      {"b7_project", 14, 14, 192, 64, 1, 1, 1},
    {"b8_expand", 14, 14, 64, 384, 1, 1, 1},     {"b8_dw", 14, 14, 384, 384, 3, 1, 384},
    {"b8_project", 14, 14, 384, 64, 1, 1, 1},    {"b11_project", 14, 14, 384, 96, 1, 1, 1},
    {"b12_expand", 14, 14, 96, 576, 1, 1, 1},    {"b12_dw", 14, 14, 576, 576, 3, 1, 576},
    {"b12_project", 14, 14, 576, 96, 1, 1, 1},   {"b14_dw", 14, 14, 576, 576, 3, 2, 576},
    {"b14_project", 7, 7, 576, 160, 1, 1, 1},    {"b15_expand", 7, 7, 160, 960, 1, 1, 1},
    {"b15_dw", 7, 7, 960, 960, 3, 1, 960},       {"b15_project", 7, 7, 960, 160, 1, 1, 1},
    {"b17_project", 7, 7, 960, 320, 1, 1, 1},    {"conv_last", 7, 7, 320, 1280, 1, 1, 1},
};

static const conv_shape resnet18[] = {
    {"conv1", 224, 224, 3, 64, 7, 2, 1},          {"layer1_conv", 56, 56, 64, 64, 3, 1, 1},
    {"layer2_conv1", 56, 56, 64, 128, 3, 2, 1},   {"layer2_downsample", 56, 56, 64, 128, 1, 2, 1},
    {"layer2_conv", 28, 28, 128, 128, 3, 1, 1},   {"layer3_conv1", 28, 28, 128, 256, 3, 2, 1},
    {"layer3_downsample", 28, 28, 128, 256, 1, 2, 1}, {"layer3_conv", 14, 14, 256, 256, 3, 1, 1},
    {"layer4_conv1", 14, 14, 256, 512, 3, 2, 1},  {"layer4_downsample", 14, 14, 256, 512, 1, 2, 1},
    {"layer4_conv", 7, 7, 512, 512, 3, 1, 1},
};

void q8_bench_register_conv(void) {
  for (size_t i = 0; i < bench_isa_count; i++) {
    const q8_isa isa = bench_isas[i];
    if (!q8_isa_supported(isa)) continue;
    for (size_t s = 0; s < Q8_BENCH_DWCONV_SHAPES; s++) {
      const size_t* d = q8_bench_dwconv_shapes[s];
      register_dwconv(isa, d[0], d[1], d[2], (uint32_t)d[3], (uint32_t)d[4]);
    }
    for (size_t l = 0; l < sizeof(mobilenet_v2) / sizeof(mobilenet_v2[0]); l++) {
      char suffix[64];
      snprintf(suffix, sizeof(suffix), "mobilenet_v2/%s", mobilenet_v2[l].name);
      register_conv(isa, "conv", mobilenet_v2[l], suffix);
    }
    for (size_t l = 0; l < sizeof(resnet18) / sizeof(resnet18[0]); l++) {
      char suffix[64];
      snprintf(suffix, sizeof(suffix), "resnet18/%s", resnet18[l].name);
      register_conv(isa, "conv", resnet18[l], suffix);
    }
  }
}

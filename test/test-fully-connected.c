/*
 * Fully connected and dynamic fully connected against naive references:
 * odd channel counts, batch 1 and above, strided rows, per-tensor and
 * per-channel weights with and without zero points, clamps; every case on 1,
 * 2, 3 and 7 threads.
 */
#include "reference.h"
#include "test-util.h"

static pthreadpool_t pools[TEST_THREAD_COUNTS];

static const int64_t channel_counts[] = {1, 2, 3, 4, 7, 16, 17, 33, 64, 129, 300};

typedef struct fc_case {
  size_t batch, ic, oc, input_stride, output_stride, wq_count;
  float* wscales;
  int32_t* wzps;
  int8_t* weights;
  float* bias;
  bool relu;
} fc_case;

static void make_fc_case(test_rng* rng, fc_case* c) {
  c->batch = rng_next(rng) % 3 == 0 ? 1 : (size_t)rng_int(rng, 1, 13);
  c->ic = (size_t)rng_pick(rng, 11, channel_counts);
  c->oc = (size_t)rng_pick(rng, 11, channel_counts);
  c->input_stride = c->ic + (rng_next(rng) % 3 == 0 ? (size_t)rng_int(rng, 1, 9) : 0);
  c->output_stride = c->oc + (rng_next(rng) % 3 == 0 ? (size_t)rng_int(rng, 1, 9) : 0);
  c->wq_count = rng_next(rng) % 2 ? c->oc : 1;
  c->wscales = malloc(c->wq_count * sizeof(float));
  c->wzps = NULL;
  for (size_t i = 0; i < c->wq_count; i++) c->wscales[i] = rng_scale(rng, 0.0005f, 0.05f);
  if (rng_next(rng) % 3 == 0) {
    c->wzps = malloc(c->wq_count * sizeof(int32_t));
    for (size_t i = 0; i < c->wq_count; i++) c->wzps[i] = (int32_t)rng_int(rng, -128, 127);
  }
  c->weights = malloc(c->oc * c->ic);
  rng_fill_s8(rng, c->weights, c->oc * c->ic);
  c->bias = NULL;
  if (rng_next(rng) % 4 != 0) {
    c->bias = malloc(c->oc * sizeof(float));
    for (size_t i = 0; i < c->oc; i++) c->bias[i] = rng_float(rng, -5.0f, 5.0f);
  }
  c->relu = rng_next(rng) % 2;
}

static void free_fc_case(fc_case* c) {
  free(c->wscales);
  free(c->wzps);
  free(c->weights);
  free(c->bias);
}

static void static_case(size_t index) {
  test_rng rng = {index * 31337 + 5};
  fc_case c;
  make_fc_case(&rng, &c);
  /* The reference: a 1x1 convolution over a batch x 1 image. */
  const ref_conv r = {
      .batch = c.batch, .input_height = 1, .input_width = 1, .kernel_height = 1,
      .kernel_width = 1, .stride_height = 1, .stride_width = 1, .dilation_height = 1,
      .dilation_width = 1, .groups = 1, .group_input_channels = c.ic,
      .group_output_channels = c.oc, .input_pixel_stride = c.input_stride,
      .output_pixel_stride = c.output_stride, .input_scale = rng_scale(&rng, 0.001f, 2.0f),
      .output_scale = rng_scale(&rng, 0.001f, 0.5f), .input_zero_point = rng_zero_point(&rng),
      .output_zero_point = rng_zero_point(&rng), .weight_quant_count = c.wq_count,
      .weight_scales = c.wscales, .weight_zero_points = c.wzps, .output_min = 0,
      .output_max = 255};
  ref_conv rr = r;
  if (c.relu) rr.output_min = (uint8_t)r.output_zero_point;
  const size_t in_bytes = c.batch * c.input_stride, out_bytes = c.batch * c.output_stride;
  uint8_t* input = malloc(in_bytes);
  uint8_t* expected = malloc(out_bytes);
  uint8_t* actual = malloc(out_bytes);
  rng_fill_u8(&rng, input, in_bytes);
  memset(expected, 0x5A, out_bytes);
  ref_convolution(&rr, input, c.weights, c.bias, expected);

  q8_error err = {0};
  q8_operator* op = NULL;
  const q8_fully_connected_params p = {
      .input_channels = c.ic, .output_channels = c.oc, .input_stride = c.input_stride,
      .output_stride = c.output_stride, .input = {r.input_scale, r.input_zero_point},
      .weight = {c.wq_count, c.wscales, c.wzps}, .output = {r.output_scale, r.output_zero_point},
      .output_min = rr.output_min, .output_max = 255};
  assert_q8_ok(q8_fully_connected_create(&p, c.weights, c.bias, q8_isa_auto, &op, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(actual, 0x5A, out_bytes);
    assert_q8_ok(q8_fully_connected_setup(op, c.batch, input, actual, &err));
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(expected, actual, out_bytes, "output", index);
  }
  q8_operator_delete(op);
  free(input);
  free(expected);
  free(actual);
  free_fc_case(&c);
}

static void fill_activations(test_rng* rng, float* x, size_t n) {
  /* Ranges that straddle zero, that are all positive and all negative. */
  const int kind = (int)(rng_next(rng) % 3);
  const float spread = rng_scale(rng, 0.01f, 50.0f);
  for (size_t i = 0; i < n; i++) {
    const float v = rng_float(rng, -spread, spread);
    x[i] = kind == 0 ? v : kind == 1 ? fabsf(v) + 0.5f : -fabsf(v) - 0.5f;
  }
}

static void dynamic_case(size_t index) {
  test_rng rng = {index * 7717 + 11};
  fc_case c;
  make_fc_case(&rng, &c);
  float* input = malloc(c.batch * c.ic * sizeof(float));
  float* expected = malloc(c.batch * c.oc * sizeof(float));
  float* actual = malloc(c.batch * c.oc * sizeof(float));
  fill_activations(&rng, input, c.batch * c.ic);
  float scale;
  int32_t zero_point;
  ref_dynamic_linear(c.batch, c.ic, c.oc, input, c.weights, c.wq_count, c.wscales, c.wzps,
                     c.bias, c.relu, expected, &scale, &zero_point);

  q8_error err = {0};
  q8_operator* op = NULL;
  const q8_dynamic_fully_connected_params p = {
      .input_channels = c.ic, .output_channels = c.oc,
      .weight = {c.wq_count, c.wscales, c.wzps}, .relu = c.relu};
  assert_q8_ok(q8_dynamic_fully_connected_create(&p, c.weights, c.bias, q8_isa_auto, &op, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(actual, 0, c.batch * c.oc * sizeof(float));
    assert_q8_ok(q8_dynamic_fully_connected_setup(op, c.batch, input, actual, &err));
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    for (size_t i = 0; i < c.batch * c.oc; i++) {
      if (expected[i] != actual[i]) {
        fail_msg("case %zu: output %zu is %.9g, expected %.9g (input scale %g, zero point %d)",
                 index, i, actual[i], expected[i], scale, zero_point);
      }
    }
  }
  q8_operator_delete(op);
  free(input);
  free(expected);
  free(actual);
  free_fc_case(&c);
}

int main(void) {
  if (test_skip_unsupported_isa("fully_connected")) return 0;
  test_pools_create(pools);
  int failed = test_run_cases("fully_connected", TEST_SWEEP(120), static_case);
  failed += test_run_cases("dynamic_fully_connected", TEST_SWEEP(100), dynamic_case);
  test_pools_destroy(pools);
  return failed != 0;
}

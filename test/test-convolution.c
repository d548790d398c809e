/*
 * Convolution and transposed convolution against the naive reference, over
 * hundreds of random cases: 1x1 images, odd channel counts, large strides,
 * dilation, asymmetric padding, groups and depthwise multipliers, zero
 * points at their extremes, scales above 1, batch > 1, per-tensor and
 * per-channel weights, pixel strides; every case on 1, 2, 3 and 7 threads.
 * A second sweep keeps to one group of 1-8 channels and kernels up to 7x7
 * (the im2col path of tables whose KR covers the channels).
 */
#include "reference.h"
#include "test-util.h"

static pthreadpool_t pools[TEST_THREAD_COUNTS];

typedef struct conv_case {
  ref_conv r;
  int8_t* weights;
  float* bias;
  float* weight_scales;
  int32_t* weight_zero_points;
  uint8_t* input;
  size_t input_bytes;
} conv_case;

static uint32_t pick_dim(test_rng* rng, uint32_t lo, uint32_t hi) {
  return (uint32_t)rng_int(rng, lo, hi);
}

static void make_case(size_t index, bool transposed, bool few_channels, conv_case* cc) {
  test_rng rng = {index * 7919 + (transposed ? 104729 : few_channels ? 7 : 1)};
  ref_conv* r = &cc->r;
  memset(cc, 0, sizeof(*cc));
  static const int64_t channel_counts[] = {1, 2, 3, 4, 7, 8, 16, 17, 33, 129};
  r->transposed = transposed;
  r->batch = (size_t)rng_int(&rng, 1, 3);
  const int shape_kind = (int)(index % 5);
  r->kernel_height = pick_dim(&rng, 1, 5);
  r->kernel_width = pick_dim(&rng, 1, 5);
  if (shape_kind == 0) r->kernel_height = r->kernel_width = 1; /* pointwise */
  r->stride_height = pick_dim(&rng, 1, shape_kind == 1 ? 5 : 2);
  r->stride_width = pick_dim(&rng, 1, shape_kind == 1 ? 5 : 2);
  r->dilation_height = rng_next(&rng) % 4 == 0 ? pick_dim(&rng, 2, 3) : 1;
  r->dilation_width = rng_next(&rng) % 4 == 0 ? pick_dim(&rng, 2, 3) : 1;
  if (shape_kind != 0 || rng_next(&rng) % 2) {
    r->padding_top = pick_dim(&rng, 0, 3);
    r->padding_bottom = pick_dim(&rng, 0, 3);
    r->padding_left = pick_dim(&rng, 0, 3);
    r->padding_right = pick_dim(&rng, 0, 3);
  }
  r->groups = 1;
  r->group_input_channels = (size_t)rng_pick(&rng, 10, channel_counts);
  r->group_output_channels = (size_t)rng_pick(&rng, 10, channel_counts);
  if (shape_kind == 2) { /* depthwise, multiplier 1 or more */
    r->groups = (uint32_t)rng_pick(&rng, 10, channel_counts);
    r->group_input_channels = 1;
    r->group_output_channels = rng_next(&rng) % 3 == 0 ? (size_t)rng_int(&rng, 2, 3) : 1;
  } else if (shape_kind == 3) { /* grouped */
    r->groups = pick_dim(&rng, 2, 5);
    r->group_input_channels = (size_t)rng_int(&rng, 1, 9);
    r->group_output_channels = (size_t)rng_int(&rng, 1, 9);
  }
  if (few_channels) { /* one group of at most KR channels: the im2col path */
    r->groups = 1;
    r->group_input_channels = (size_t)rng_int(&rng, 1, 8);
    r->kernel_height = pick_dim(&rng, 1, 7);
    r->kernel_width = pick_dim(&rng, 1, 7);
  }
  if (transposed) {
    if (r->stride_height > 1 || r->dilation_height > 1) {
      r->output_padding_height = (uint32_t)rng_int(&rng, 0, (r->stride_height > r->dilation_height
                                                                  ? r->stride_height
                                                                  : r->dilation_height) - 1);
    }
    if (r->stride_width > 1 || r->dilation_width > 1) {
      r->output_padding_width = (uint32_t)rng_int(&rng, 0, (r->stride_width > r->dilation_width
                                                                 ? r->stride_width
                                                                 : r->dilation_width) - 1);
    }
  }
  /* Input big enough for at least one output pixel. */
  const size_t min_h = transposed ? 1 : (size_t)r->dilation_height * (r->kernel_height - 1) + 1;
  const size_t min_w = transposed ? 1 : (size_t)r->dilation_width * (r->kernel_width - 1) + 1;
  const size_t tiny = index % 7 == 0;
  r->input_height = tiny ? 1 : (size_t)rng_int(&rng, 1, 12);
  r->input_width = tiny ? 1 : (size_t)rng_int(&rng, 1, 12);
  if (!transposed) {
    const size_t pad_h = r->padding_top + r->padding_bottom, pad_w = r->padding_left + r->padding_right;
    if (r->input_height + pad_h < min_h) r->input_height = min_h - pad_h;
    if (r->input_width + pad_w < min_w) r->input_width = min_w - pad_w;
  } else {
    /* Output must be at least one pixel after removing padding. */
    while ((r->input_height - 1) * r->stride_height + r->dilation_height * (r->kernel_height - 1) +
               1 + r->output_padding_height <= r->padding_top + r->padding_bottom) {
      r->input_height++;
    }
    while ((r->input_width - 1) * r->stride_width + r->dilation_width * (r->kernel_width - 1) + 1 +
               r->output_padding_width <= r->padding_left + r->padding_right) {
      r->input_width++;
    }
  }
  const size_t ic = r->groups * r->group_input_channels, oc = r->groups * r->group_output_channels;
  r->input_pixel_stride = ic + (rng_next(&rng) % 4 == 0 ? (size_t)rng_int(&rng, 1, 5) : 0);
  r->output_pixel_stride = oc + (rng_next(&rng) % 4 == 0 ? (size_t)rng_int(&rng, 1, 5) : 0);
  r->input_zero_point = rng_zero_point(&rng);
  r->output_zero_point = rng_zero_point(&rng);
  r->input_scale = rng_scale(&rng, 0.001f, 2.0f);
  r->output_scale = rng_scale(&rng, 0.001f, 0.5f);
  const bool per_channel = rng_next(&rng) % 2;
  r->weight_quant_count = per_channel ? oc : 1;
  cc->weight_scales = malloc(r->weight_quant_count * sizeof(float));
  for (size_t i = 0; i < r->weight_quant_count; i++) {
    cc->weight_scales[i] = rng_scale(&rng, 0.0005f, 0.05f);
  }
  if (rng_next(&rng) % 3 == 0) { /* affine weights: nonzero zero points */
    cc->weight_zero_points = malloc(r->weight_quant_count * sizeof(int32_t));
    static const int64_t ends[] = {-128, 127, 0};
    for (size_t i = 0; i < r->weight_quant_count; i++) {
      cc->weight_zero_points[i] =
          rng_next(&rng) % 2 ? (int32_t)rng_pick(&rng, 3, ends) : (int32_t)rng_int(&rng, -128, 127);
    }
  }
  r->weight_scales = cc->weight_scales;
  r->weight_zero_points = cc->weight_zero_points;
  r->output_min = 0;
  r->output_max = 255;
  switch (rng_next(&rng) % 4) {
    case 0: r->output_min = (uint8_t)r->output_zero_point; break; /* relu */
    case 1:
      r->output_min = (uint8_t)rng_int(&rng, 0, 100);
      r->output_max = (uint8_t)rng_int(&rng, 150, 255);
      break;
    default: break;
  }
  const size_t wcount = oc * r->kernel_height * r->kernel_width * r->group_input_channels;
  cc->weights = malloc(wcount);
  rng_fill_s8(&rng, cc->weights, wcount);
  if (rng_next(&rng) % 5 != 0) {
    cc->bias = malloc(oc * sizeof(float));
    for (size_t i = 0; i < oc; i++) cc->bias[i] = rng_float(&rng, -20.0f, 20.0f);
  }
  cc->input_bytes = r->batch * r->input_height * r->input_width * r->input_pixel_stride;
  cc->input = malloc(cc->input_bytes);
  rng_fill_u8(&rng, cc->input, cc->input_bytes);
}

static void free_case(conv_case* cc) {
  free(cc->weights);
  free(cc->bias);
  free(cc->weight_scales);
  free(cc->weight_zero_points);
  free(cc->input);
}

static q8_operator* create_op(const conv_case* cc, q8_error* error) {
  const ref_conv* r = &cc->r;
  q8_operator* op = NULL;
  const q8_weight_quantization wq = {r->weight_quant_count, cc->weight_scales,
                                     cc->weight_zero_points};
  q8_status status;
  if (!r->transposed) {
    const q8_convolution2d_params p = {
        .padding_top = r->padding_top, .padding_right = r->padding_right,
        .padding_bottom = r->padding_bottom, .padding_left = r->padding_left,
        .kernel_height = r->kernel_height, .kernel_width = r->kernel_width,
        .stride_height = r->stride_height, .stride_width = r->stride_width,
        .dilation_height = r->dilation_height, .dilation_width = r->dilation_width,
        .groups = r->groups, .group_input_channels = r->group_input_channels,
        .group_output_channels = r->group_output_channels,
        .input_pixel_stride = r->input_pixel_stride, .output_pixel_stride = r->output_pixel_stride,
        .input = {r->input_scale, r->input_zero_point}, .weight = wq,
        .output = {r->output_scale, r->output_zero_point},
        .output_min = r->output_min, .output_max = r->output_max};
    status = q8_convolution2d_create_nhwc(&p, cc->weights, cc->bias, q8_isa_auto, &op, error);
  } else {
    const q8_deconvolution2d_params p = {
        .padding_top = r->padding_top, .padding_right = r->padding_right,
        .padding_bottom = r->padding_bottom, .padding_left = r->padding_left,
        .output_padding_height = r->output_padding_height,
        .output_padding_width = r->output_padding_width,
        .kernel_height = r->kernel_height, .kernel_width = r->kernel_width,
        .stride_height = r->stride_height, .stride_width = r->stride_width,
        .dilation_height = r->dilation_height, .dilation_width = r->dilation_width,
        .groups = r->groups, .group_input_channels = r->group_input_channels,
        .group_output_channels = r->group_output_channels,
        .input_pixel_stride = r->input_pixel_stride, .output_pixel_stride = r->output_pixel_stride,
        .input = {r->input_scale, r->input_zero_point}, .weight = wq,
        .output = {r->output_scale, r->output_zero_point},
        .output_min = r->output_min, .output_max = r->output_max};
    status = q8_deconvolution2d_create_nhwc(&p, cc->weights, cc->bias, q8_isa_auto, &op, error);
  }
  return status == q8_status_success ? op : NULL;
}

static void check_case(size_t index, bool transposed, bool few_channels) {
  conv_case cc;
  make_case(index, transposed, few_channels, &cc);
  const ref_conv* r = &cc.r;
  size_t oh, ow;
  ref_conv_output_size(r, &oh, &ow);
  const size_t out_bytes = r->batch * oh * ow * r->output_pixel_stride;
  uint8_t* expected = malloc(out_bytes);
  uint8_t* actual = malloc(out_bytes);
  memset(expected, 0xA5, out_bytes); /* bytes between pixels stay untouched */
  ref_convolution(r, cc.input, cc.weights, cc.bias, expected);

  q8_error err = {0};
  q8_operator* op = create_op(&cc, &err);
  if (op == NULL) fail_msg("case %zu: create failed: %s", index, err.message);
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(actual, 0xA5, out_bytes);
    size_t got_h = 0, got_w = 0;
    const q8_status s = transposed
        ? q8_deconvolution2d_setup_nhwc(op, r->batch, r->input_height, r->input_width, cc.input,
                                        actual, &got_h, &got_w, &err)
        : q8_convolution2d_setup_nhwc(op, r->batch, r->input_height, r->input_width, cc.input,
                                      actual, &got_h, &got_w, &err);
    if (s != q8_status_success) fail_msg("case %zu: setup failed: %s", index, err.message);
    assert_int_equal(got_h, oh);
    assert_int_equal(got_w, ow);
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(expected, actual, out_bytes, "output", index);
  }
  q8_operator_delete(op);
  free(expected);
  free(actual);
  free_case(&cc);
}

static void convolution_case(size_t index) { check_case(index, false, false); }
static void few_channel_case(size_t index) { check_case(index, false, true); }
static void deconvolution_case(size_t index) { check_case(index, true, false); }

int main(void) {
  if (test_skip_unsupported_isa("convolution")) return 0;
  test_pools_create(pools);
  int failed = test_run_cases("convolution2d", TEST_SWEEP(300), convolution_case);
  failed += test_run_cases("convolution2d few channels", TEST_SWEEP(120), few_channel_case);
  failed += test_run_cases("deconvolution2d", TEST_SWEEP(120), deconvolution_case);
  test_pools_destroy(pools);
  return failed != 0;
}

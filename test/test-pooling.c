/*
 * The pooling family against the naive references of reference-pooling.c,
 * over random cases: 1x1 images, channel counts 1, 3, 7, 17 and 129, large
 * strides, dilation, asymmetric padding, ceil_mode, count_include_pad,
 * divisor_override, zero points 0/128/255, batch > 1, pixel strides; every
 * case on 1, 2, 3 and 7 threads with identical bytes. Then invalid
 * parameters, checking status and message.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, for the kernel cases' guard pages */
#include <sys/mman.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "reference-pooling.h"
#include "test-util.h"

static pthreadpool_t pools[TEST_THREAD_COUNTS];
static const int64_t channel_counts[] = {1, 3, 7, 17, 129, 2, 8, 16};

static size_t pick_channels(test_rng* rng) { return (size_t)rng_pick(rng, 8, channel_counts); }

static size_t pick_stride(test_rng* rng, size_t channels) {
  return channels + (rng_next(rng) % 4 == 0 ? (size_t)rng_int(rng, 1, 5) : 0);
}

static uint8_t* random_bytes(test_rng* rng, size_t n) {
  uint8_t* p = malloc(n ? n : 1);
  rng_fill_u8(rng, p, n);
  return p;
}

static void pick_clamp(test_rng* rng, int32_t zero_point, uint8_t* lo, uint8_t* hi) {
  *lo = 0;
  *hi = 255;
  switch (rng_next(rng) % 4) {
    case 0: *lo = (uint8_t)zero_point; break;
    case 1:
      *lo = (uint8_t)rng_int(rng, 0, 100);
      *hi = (uint8_t)rng_int(rng, 150, 255);
      break;
    default: break;
  }
}

/* Output buffers of n bytes, filled with a guard value so that bytes
 * between pixels must stay untouched. */
typedef struct buffers {
  uint8_t *expected, *actual;
  size_t n;
} buffers;

static buffers new_buffers(size_t n) {
  buffers b = {malloc(n ? n : 1), malloc(n ? n : 1), n};
  memset(b.expected, 0xA5, n);
  return b;
}

static void free_buffers(buffers* b) {
  free(b->expected);
  free(b->actual);
}

/* --- max / average pooling --------------------------------------------- */

static void make_pool(size_t index, uint64_t salt, bool average, ref_pool* p, test_rng* rng) {
  *rng = (test_rng){index * 7919 + salt};
  memset(p, 0, sizeof(*p));
  const int kind = (int)(index % 6);
  p->batch = (size_t)rng_int(rng, 1, 3);
  p->channels = pick_channels(rng);
  p->kernel_height = (uint32_t)rng_int(rng, 1, 5);
  p->kernel_width = (uint32_t)rng_int(rng, 1, 5);
  p->stride_height = (uint32_t)rng_int(rng, 1, kind == 1 ? 6 : 3);
  p->stride_width = (uint32_t)rng_int(rng, 1, kind == 1 ? 6 : 3);
  p->dilation_height = p->dilation_width = 1;
  if (!average && rng_next(rng) % 3 == 0) {
    p->dilation_height = (uint32_t)rng_int(rng, 1, 3);
    p->dilation_width = (uint32_t)rng_int(rng, 1, 3);
  }
  if (kind != 0) {
    p->padding_top = (uint32_t)rng_int(rng, 0, 2);
    p->padding_bottom = (uint32_t)rng_int(rng, 0, 3);
    p->padding_left = (uint32_t)rng_int(rng, 0, 2);
    p->padding_right = (uint32_t)rng_int(rng, 0, 3);
  }
  p->ceil_mode = rng_next(rng) % 2;
  p->count_include_pad = rng_next(rng) % 2;
  p->divisor_override = rng_next(rng) % 4 == 0 ? (uint32_t)rng_int(rng, 1, 9) : 0;
  p->channels_last_rounding = rng_next(rng) % 2;
  const size_t eff_h = (size_t)p->dilation_height * (p->kernel_height - 1) + 1;
  const size_t eff_w = (size_t)p->dilation_width * (p->kernel_width - 1) + 1;
  p->input_height = index % 7 == 0 ? 1 : (size_t)rng_int(rng, 1, 13);
  p->input_width = index % 7 == 0 ? 1 : (size_t)rng_int(rng, 1, 13);
  const size_t pad_h = p->padding_top + p->padding_bottom, pad_w = p->padding_left + p->padding_right;
  if (p->input_height + pad_h < eff_h) p->input_height = eff_h - pad_h;
  if (p->input_width + pad_w < eff_w) p->input_width = eff_w - pad_w;
  p->input_pixel_stride = pick_stride(rng, p->channels);
  p->output_pixel_stride = pick_stride(rng, p->channels);
  p->input_zero_point = rng_zero_point(rng);
  p->output_zero_point = rng_next(rng) % 2 ? p->input_zero_point : rng_zero_point(rng);
  p->input_scale = rng_next(rng) % 2 ? 0.25f : rng_scale(rng, 0.001f, 2.0f);
  p->output_scale = rng_next(rng) % 2 ? p->input_scale : rng_scale(rng, 0.001f, 2.0f);
  pick_clamp(rng, p->output_zero_point, &p->output_min, &p->output_max);
}

static size_t input_bytes(const ref_pool* p) {
  return p->batch * p->input_height * p->input_width * p->input_pixel_stride;
}

static q8_operator* create_pool(const ref_pool* p, bool average, q8_error* err) {
  q8_operator* op = NULL;
  if (average) {
    const q8_avg_pooling2d_params ap = {
        .padding_top = p->padding_top, .padding_right = p->padding_right,
        .padding_bottom = p->padding_bottom, .padding_left = p->padding_left,
        .kernel_height = p->kernel_height, .kernel_width = p->kernel_width,
        .stride_height = p->stride_height, .stride_width = p->stride_width,
        .ceil_mode = p->ceil_mode, .count_include_pad = p->count_include_pad,
        .divisor_override = p->divisor_override,
        .channels_last_rounding = p->channels_last_rounding, .channels = p->channels,
        .input_pixel_stride = p->input_pixel_stride, .output_pixel_stride = p->output_pixel_stride,
        .input = {p->input_scale, p->input_zero_point},
        .output = {p->output_scale, p->output_zero_point},
        .output_min = p->output_min, .output_max = p->output_max};
    q8_avg_pooling2d_create_nhwc(&ap, q8_isa_auto, &op, err);
  } else {
    const q8_max_pooling2d_params mp = {
        .padding_top = p->padding_top, .padding_right = p->padding_right,
        .padding_bottom = p->padding_bottom, .padding_left = p->padding_left,
        .kernel_height = p->kernel_height, .kernel_width = p->kernel_width,
        .stride_height = p->stride_height, .stride_width = p->stride_width,
        .dilation_height = p->dilation_height, .dilation_width = p->dilation_width,
        .ceil_mode = p->ceil_mode, .channels = p->channels,
        .input_pixel_stride = p->input_pixel_stride, .output_pixel_stride = p->output_pixel_stride,
        .output_min = p->output_min, .output_max = p->output_max};
    q8_max_pooling2d_create_nhwc(&mp, q8_isa_auto, &op, err);
  }
  return op;
}

static void check_pool(size_t index, bool average) {
  ref_pool p;
  test_rng rng;
  make_pool(index, average ? 31 : 17, average, &p, &rng);
  uint8_t* input = random_bytes(&rng, input_bytes(&p));
  size_t oh, ow;
  ref_pool_output_size(&p, &oh, &ow);
  buffers b = new_buffers(p.batch * oh * ow * p.output_pixel_stride);
  (average ? ref_avg_pool : ref_max_pool)(&p, input, b.expected);
  q8_error err = {0};
  q8_operator* op = create_pool(&p, average, &err);
  if (op == NULL) fail_msg("case %zu: create failed: %s", index, err.message);
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(b.actual, 0xA5, b.n);
    size_t got_h = 0, got_w = 0;
    if (average) {
      assert_q8_ok(q8_avg_pooling2d_setup_nhwc(op, p.batch, p.input_height, p.input_width, input,
                                               b.actual, &got_h, &got_w, &err));
    } else {
      assert_q8_ok(q8_max_pooling2d_setup_nhwc(op, p.batch, p.input_height, p.input_width, input,
                                               b.actual, &got_h, &got_w, &err));
    }
    assert_int_equal(got_h, oh);
    assert_int_equal(got_w, ow);
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(b.expected, b.actual, b.n, "output", index);
  }
  q8_operator_delete(op);
  free_buffers(&b);
  free(input);
}

static void max_pool_case(size_t index) { check_pool(index, false); }
static void avg_pool_case(size_t index) { check_pool(index, true); }

/* --- adaptive and global average pooling -------------------------------- */

static void check_adaptive(size_t index, bool global) {
  ref_pool p;
  test_rng rng;
  make_pool(index, global ? 53 : 47, true, &p, &rng);
  if (index % 3 == 0) { /* divisible sizes: the QNNPACK rule */
    p.input_height = (size_t)rng_int(&rng, 1, 4) * (p.adaptive_height = (size_t)rng_int(&rng, 1, 4));
    p.input_width = (size_t)rng_int(&rng, 1, 4) * (p.adaptive_width = (size_t)rng_int(&rng, 1, 4));
  } else {
    p.adaptive_height = (size_t)rng_int(&rng, 1, (int64_t)p.input_height);
    p.adaptive_width = (size_t)rng_int(&rng, 1, (int64_t)p.input_width);
  }
  if (global) p.adaptive_height = p.adaptive_width = 1;
  uint8_t* input = random_bytes(&rng, input_bytes(&p));
  buffers b = new_buffers(p.batch * p.adaptive_height * p.adaptive_width * p.output_pixel_stride);
  (global ? ref_global_avg_pool : ref_adaptive_avg_pool)(&p, input, b.expected);
  q8_error err = {0};
  q8_operator* op = NULL;
  const q8_quantization in = {p.input_scale, p.input_zero_point};
  const q8_quantization out = {p.output_scale, p.output_zero_point};
  if (global) {
    const q8_global_avg_pooling2d_params gp = {p.channels, p.input_pixel_stride,
                                               p.output_pixel_stride, in, out, p.output_min,
                                               p.output_max};
    assert_q8_ok(q8_global_avg_pooling2d_create_nhwc(&gp, q8_isa_auto, &op, &err));
  } else {
    const q8_adaptive_avg_pooling2d_params ap = {
        p.adaptive_height, p.adaptive_width, p.channels_last_rounding, p.channels,
        p.input_pixel_stride, p.output_pixel_stride, in, out, p.output_min, p.output_max};
    assert_q8_ok(q8_adaptive_avg_pooling2d_create_nhwc(&ap, q8_isa_auto, &op, &err));
  }
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(b.actual, 0xA5, b.n);
    if (global) {
      assert_q8_ok(q8_global_avg_pooling2d_setup_nhwc(op, p.batch, p.input_height,
                                                      p.input_width, input, b.actual, &err));
    } else {
      assert_q8_ok(q8_adaptive_avg_pooling2d_setup_nhwc(op, p.batch, p.input_height,
                                                        p.input_width, input, b.actual, &err));
    }
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(b.expected, b.actual, b.n, "output", index);
  }
  q8_operator_delete(op);
  free_buffers(&b);
  free(input);
}

static void adaptive_case(size_t index) { check_adaptive(index, false); }
static void global_case(size_t index) { check_adaptive(index, true); }

/* --- concat ---------------------------------------------------------------- */

#define MAX_CONCAT 5

static void concat_case(size_t index) {
  test_rng rng = {index * 7919 + 71};
  const size_t k = (size_t)rng_int(&rng, 1, MAX_CONCAT);
  const size_t n = (size_t)rng_int(&rng, 1, 3), h = (size_t)rng_int(&rng, 1, 6);
  const size_t w = index % 5 == 0 ? 1 : (size_t)rng_int(&rng, 1, 6), pixels = n * h * w;
  size_t channels[MAX_CONCAT], strides[MAX_CONCAT], total = 0;
  float scales[MAX_CONCAT];
  int32_t zps[MAX_CONCAT];
  q8_quantization qs[MAX_CONCAT];
  uint8_t* inputs[MAX_CONCAT];
  const float out_scale = rng_scale(&rng, 0.001f, 2.0f);
  const int32_t out_zp = rng_zero_point(&rng);
  for (size_t i = 0; i < k; i++) {
    channels[i] = pick_channels(&rng);
    strides[i] = pick_stride(&rng, channels[i]);
    total += channels[i];
    const bool same = rng_next(&rng) % 3 == 0; /* the copy path */
    scales[i] = same ? out_scale : rng_scale(&rng, 0.001f, 2.0f);
    zps[i] = same ? out_zp : rng_zero_point(&rng);
    qs[i] = (q8_quantization){scales[i], zps[i]};
    inputs[i] = random_bytes(&rng, pixels * strides[i]);
  }
  const size_t out_stride = pick_stride(&rng, total);
  buffers b = new_buffers(pixels * out_stride);
  ref_concat(k, channels, strides, scales, zps, out_scale, out_zp, pixels,
             (const uint8_t* const*)inputs, b.expected, out_stride);
  const q8_concat_params cp = {k, channels, strides, qs, {out_scale, out_zp}, out_stride};
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_concat_create_nhwc(&cp, q8_isa_auto, &op, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(b.actual, 0xA5, b.n);
    assert_q8_ok(q8_concat_setup_nhwc(op, n, h, w, (const uint8_t* const*)inputs, b.actual, &err));
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(b.expected, b.actual, b.n, "output", index);
  }
  q8_operator_delete(op);
  free_buffers(&b);
  for (size_t i = 0; i < k; i++) free(inputs[i]);
}

/* --- channel shuffle ------------------------------------------------------- */

static void shuffle_case(size_t index) {
  test_rng rng = {index * 7919 + 89};
  const size_t groups = (size_t)rng_int(&rng, 1, 8), gc = (size_t)rng_int(&rng, 1, 20);
  const size_t n = (size_t)rng_int(&rng, 1, 3), h = (size_t)rng_int(&rng, 1, 9);
  const size_t w = (size_t)rng_int(&rng, 1, 9), pixels = n * h * w;
  const size_t in_stride = pick_stride(&rng, groups * gc), out_stride = pick_stride(&rng, groups * gc);
  uint8_t* input = random_bytes(&rng, pixels * in_stride);
  buffers b = new_buffers(pixels * out_stride);
  ref_channel_shuffle(groups, gc, pixels, input, in_stride, b.expected, out_stride);
  const q8_channel_shuffle_params sp = {(uint32_t)groups, gc, in_stride, out_stride};
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_channel_shuffle_create_nhwc(&sp, q8_isa_auto, &op, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(b.actual, 0xA5, b.n);
    assert_q8_ok(q8_channel_shuffle_setup_nhwc(op, n, h, w, input, b.actual, &err));
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(b.expected, b.actual, b.n, "output", index);
  }
  q8_operator_delete(op);
  free_buffers(&b);
  free(input);
}

/* --- resize ---------------------------------------------------------------- */

static void make_resize(size_t index, ref_resize* r, test_rng* rng) {
  *rng = (test_rng){index * 7919 + 97};
  memset(r, 0, sizeof(*r));
  r->bilinear = index % 2;
  r->align_corners = (index / 2) % 2;
  r->batch = (size_t)rng_int(rng, 1, 2);
  r->channels = pick_channels(rng);
  r->input_height = index % 7 == 0 ? 1 : (size_t)rng_int(rng, 1, 9);
  r->input_width = index % 7 == 0 ? 1 : (size_t)rng_int(rng, 1, 9);
  if ((index / 4) % 2) { /* a scale factor: output = floor(in * scale) */
    static const double factors[] = {0.5, 1.3, 1.5, 2.0, 2.5, 3.0};
    r->scale_height = factors[rng_next(rng) % 6];
    r->scale_width = factors[rng_next(rng) % 6];
    r->output_height = (size_t)floor((double)r->input_height * r->scale_height);
    r->output_width = (size_t)floor((double)r->input_width * r->scale_width);
    if (r->output_height == 0) r->output_height = 1;
    if (r->output_width == 0) r->output_width = 1;
  } else {
    r->output_height = (size_t)rng_int(rng, 1, 17);
    r->output_width = (size_t)rng_int(rng, 1, 17);
  }
  r->input_pixel_stride = pick_stride(rng, r->channels);
  r->output_pixel_stride = pick_stride(rng, r->channels);
  r->zero_point = rng_zero_point(rng);
}

static void resize_case(size_t index) {
  ref_resize r;
  test_rng rng;
  make_resize(index, &r, &rng);
  uint8_t* input = random_bytes(&rng, r.batch * r.input_height * r.input_width * r.input_pixel_stride);
  buffers b = new_buffers(r.batch * r.output_height * r.output_width * r.output_pixel_stride);
  ref_resize2d(&r, input, b.expected);
  const q8_resize2d_params rp = {
      r.bilinear ? q8_resize_bilinear : q8_resize_nearest, r.align_corners, r.output_height,
      r.output_width, r.scale_height, r.scale_width, r.channels, r.input_pixel_stride,
      r.output_pixel_stride, r.zero_point};
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_resize2d_create_nhwc(&rp, q8_isa_auto, &op, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(b.actual, 0xA5, b.n);
    assert_q8_ok(q8_resize2d_setup_nhwc(op, r.batch, r.input_height, r.input_width, input,
                                        b.actual, &err));
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(b.expected, b.actual, b.n, "output", index);
  }
  q8_operator_delete(op);
  free_buffers(&b);
  free(input);
}

/* --- softmax --------------------------------------------------------------- */

static void softmax_case(size_t index) {
  test_rng rng = {index * 7919 + 101};
  const size_t channels = pick_channels(&rng), pixels = (size_t)rng_int(&rng, 1, 40);
  const size_t in_stride = pick_stride(&rng, channels), out_stride = pick_stride(&rng, channels);
  const q8_quantization in = {rng_scale(&rng, 0.005f, 0.5f), rng_zero_point(&rng)};
  const q8_quantization out = index % 2 ? (q8_quantization){1.0f / 256.0f, 0}
                                        : (q8_quantization){rng_scale(&rng, 0.002f, 0.01f),
                                                            (int32_t)rng_int(&rng, 0, 30)};
  uint8_t* input = random_bytes(&rng, pixels * in_stride);
  buffers b = new_buffers(pixels * out_stride);
  ref_softmax(channels, pixels, input, in_stride, in.scale, in.zero_point, b.expected,
              out_stride, out.scale, out.zero_point);
  const q8_softmax_params sp = {channels, in_stride, out_stride, in, out};
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_softmax_create_nc(&sp, q8_isa_auto, &op, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(b.actual, 0xA5, b.n);
    assert_q8_ok(q8_softmax_setup_nc(op, pixels, input, b.actual, &err));
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(b.expected, b.actual, b.n, "output", index);
  }
  q8_operator_delete(op);
  free_buffers(&b);
  free(input);
}

/* --- invalid parameters ---------------------------------------------------- */

static const q8_max_pooling2d_params good_max = {
    .kernel_height = 2, .kernel_width = 2, .stride_height = 2, .stride_width = 2,
    .dilation_height = 1, .dilation_width = 1, .channels = 3, .output_max = 255};
static const q8_avg_pooling2d_params good_avg = {
    .kernel_height = 2, .kernel_width = 2, .stride_height = 1, .stride_width = 1, .channels = 3,
    .input = {0.5f, 3}, .output = {0.5f, 3}, .output_max = 255};

static q8_status make_max(q8_max_pooling2d_params p, q8_operator** op, q8_error* err) {
  return q8_max_pooling2d_create_nhwc(&p, q8_isa_auto, op, err);
}
static q8_status make_avg(q8_avg_pooling2d_params p, q8_operator** op, q8_error* err) {
  return q8_avg_pooling2d_create_nhwc(&p, q8_isa_auto, op, err);
}

/* Setup of a valid max pooling operator with one changed argument. */
static q8_status setup_max(size_t batch, size_t h, const uint8_t* in, q8_error* err) {
  q8_operator* op = NULL;
  uint8_t out[64];
  q8_status s = make_max(good_max, &op, err);
  if (s == q8_status_success) s = q8_max_pooling2d_setup_nhwc(op, batch, h, 4, in, out, NULL, NULL, err);
  q8_operator_delete(op);
  return s;
}

static q8_status concat_error(size_t which, q8_error* err) {
  const size_t channels[2] = {3, which == 1 ? 0 : 4};
  q8_quantization qs[2] = {{0.5f, 1}, {which == 2 ? NAN : 0.25f, 2}};
  const q8_concat_params p = {which == 0 ? 0 : 2, channels, NULL, qs, {0.5f, 1}, 0};
  q8_operator* op = NULL;
  q8_status s = q8_concat_create_nhwc(&p, q8_isa_auto, &op, err);
  if (s == q8_status_success) {
    uint8_t a[3], out[7];
    const uint8_t* inputs[2] = {a, NULL};
    s = q8_concat_setup_nhwc(op, 1, 1, 1, inputs, out, err);
  }
  q8_operator_delete(op);
  return s;
}

static q8_status adaptive_error(size_t which, q8_error* err) {
  const q8_adaptive_avg_pooling2d_params p = {.output_height = which == 0 ? 0 : 5,
                                              .output_width = 2, .channels = 3,
                                              .input = {0.5f, 3}, .output = {0.5f, 3},
                                              .output_max = 255};
  q8_operator* op = NULL;
  uint8_t in[48], out[64];
  q8_status s = q8_adaptive_avg_pooling2d_create_nhwc(&p, q8_isa_auto, &op, err);
  if (s == q8_status_success) s = q8_adaptive_avg_pooling2d_setup_nhwc(op, 1, 4, 4, in, out, err);
  q8_operator_delete(op);
  return s;
}

static q8_status resize_error(size_t which, q8_error* err) {
  q8_resize2d_params p = {.mode = q8_resize_bilinear, .output_height = 4, .output_width = 4,
                          .channels = 3};
  if (which == 0) p.mode = (q8_resize_mode)7;
  if (which == 1) p.scale_height = -1.0;
  if (which == 2) p.zero_point = 300;
  q8_operator* op = NULL;
  const q8_status s = q8_resize2d_create_nhwc(&p, q8_isa_auto, &op, err);
  q8_operator_delete(op);
  return s;
}

static q8_status other_error(size_t which, q8_error* err) {
  q8_operator* op = NULL;
  q8_status s = q8_status_success;
  if (which == 0) {
    const q8_global_avg_pooling2d_params p = {.channels = 0, .input = {1, 0}, .output = {1, 0}};
    s = q8_global_avg_pooling2d_create_nhwc(&p, q8_isa_auto, &op, err);
  } else if (which == 1) {
    const q8_global_avg_pooling2d_params p = {.channels = 4, .output_stride = 3,
                                              .input = {1, 0}, .output = {1, 0}};
    s = q8_global_avg_pooling2d_create_nhwc(&p, q8_isa_auto, &op, err);
  } else if (which == 2 || which == 3) {
    const q8_channel_shuffle_params p = {which == 2 ? 0 : 2, 3, 0, which == 3 ? 5 : 0};
    s = q8_channel_shuffle_create_nhwc(&p, q8_isa_auto, &op, err);
  } else if (which == 4 || which == 5) {
    const q8_softmax_params p = {which == 4 ? 0 : 3, 0, 0, {0.1f, 0},
                                 {which == 5 ? INFINITY : 0.1f, 0}};
    s = q8_softmax_create_nc(&p, q8_isa_auto, &op, err);
  } else if (which == 6) { /* max pooling setup on an average pooling operator */
    uint8_t in[48], out[48];
    s = make_avg(good_avg, &op, err);
    if (s == q8_status_success) s = q8_max_pooling2d_setup_nhwc(op, 1, 4, 4, in, out, NULL, NULL, err);
  } else { /* run before setup */
    s = make_avg(good_avg, &op, err);
    if (s == q8_status_success) s = q8_operator_run(op, NULL, err);
  }
  q8_operator_delete(op);
  return s;
}

typedef struct error_expectation {
  q8_status status;
  const char* message;
} error_expectation;

static const error_expectation expectations[] = {
    {q8_status_invalid_parameter, "kernel_height is 0"},
    {q8_status_invalid_parameter, "stride_width is 0"},
    {q8_status_invalid_parameter, "dilation_height is 0"},
    {q8_status_invalid_parameter, "channels is 0"},
    {q8_status_invalid_parameter, "input_pixel_stride 2 is smaller than channels 3"},
    {q8_status_invalid_parameter, "output_min 200 is greater than output_max 100"},
    {q8_status_invalid_parameter, "q8_max_pooling2d_create_nhwc: params is NULL"},
    {q8_status_invalid_parameter, "input 1x4 is smaller than the padded, dilated kernel"},
    {q8_status_invalid_parameter, "batch is 0"},
    {q8_status_invalid_parameter, "q8_max_pooling2d_setup_nhwc: input is NULL"},
    {q8_status_invalid_parameter, "input scale is 0"},
    {q8_status_invalid_parameter, "output zero point is 256"},
    {q8_status_invalid_parameter, "kernel_height * kernel_width is 25000000"},
    {q8_status_invalid_parameter, "output_height is 0"},
    {q8_status_invalid_parameter, "output size 5x2 is larger than the input 4x4"},
    {q8_status_invalid_parameter, "num_inputs is 0"},
    {q8_status_invalid_parameter, "input_channels[1] is 0"},
    {q8_status_invalid_parameter, "inputs[1] scale is nan"},
    {q8_status_invalid_parameter, "q8_concat_setup_nhwc: inputs[1] is NULL"},
    {q8_status_invalid_parameter, "mode 7 is not a q8_resize_mode value"},
    {q8_status_invalid_parameter, "scale_height -1"},
    {q8_status_invalid_parameter, "zero_point is 300"},
    {q8_status_invalid_parameter, "q8_global_avg_pooling2d_create_nhwc: channels is 0"},
    {q8_status_invalid_parameter, "output_stride 3 is smaller than channels 4"},
    {q8_status_invalid_parameter, "q8_channel_shuffle_create_nhwc: groups is 0"},
    {q8_status_invalid_parameter, "output_pixel_stride 5 is smaller than the channel count 6"},
    {q8_status_invalid_parameter, "q8_softmax_create_nc: channels is 0"},
    {q8_status_invalid_parameter, "output scale is inf"},
    {q8_status_invalid_parameter, "op is a avg_pooling2d operator"},
    {q8_status_invalid_state, "avg_pooling2d operator is not set up"},
};
#define ERROR_CASES (sizeof(expectations) / sizeof(expectations[0]))

static q8_status pool_create_error(size_t index, q8_error* err) {
  q8_operator* op = NULL;
  q8_max_pooling2d_params m = good_max;
  q8_avg_pooling2d_params a = good_avg;
  q8_status s;
  switch (index) {
    case 0: m.kernel_height = 0; break;
    case 1: m.stride_width = 0; break;
    case 2: m.dilation_height = 0; break;
    case 3: m.channels = 0; break;
    case 4: m.input_pixel_stride = 2; break;
    case 5: m.output_min = 200, m.output_max = 100; break;
    case 6: return q8_max_pooling2d_create_nhwc(NULL, q8_isa_auto, &op, err);
    case 10: a.input.scale = 0.0f; break;
    case 11: a.output.zero_point = 256; break;
    default: a.kernel_height = a.kernel_width = 5000; break;
  }
  s = index < 10 ? make_max(m, &op, err) : make_avg(a, &op, err);
  q8_operator_delete(op);
  return s;
}

static q8_status error_call(size_t index, q8_error* err) {
  uint8_t in[64] = {0};
  switch (index) {
    case 7: return setup_max(1, 1, in, err);
    case 8: return setup_max(0, 4, in, err);
    case 9: return setup_max(1, 4, NULL, err);
    default: break;
  }
  if (index < 13) return pool_create_error(index, err);
  if (index < 15) return adaptive_error(index - 13, err);
  if (index < 19) return concat_error(index - 15, err);
  if (index < 22) return resize_error(index - 19, err);
  return other_error(index - 22, err);
}

static void error_case(size_t index) {
  q8_error err = {q8_status_success, ""};
  const q8_status s = error_call(index, &err);
  test_expect_error(index, s, &err, expectations[index].status, expectations[index].message);
}

/* --- kernels vs the scalar kernels ------------------------------------- */
/* The table's pooling kernels (Q8_ISA) against the scalar table's, bit for
 * bit, called directly: every channel count from 1 to 101 (each tail of any
 * vector width) and larger ones; tap counts across the 256-tap folding of
 * 16-bit sums, with all-255 inputs; both zero point rules; 1 to 6 shuffle
 * groups. Every tap or row ends right at a PROT_NONE page, so a kernel
 * reading past its channels faults; output bytes between pixels must keep
 * their sentinel. */

static const q8_pooling_config* table_pooling;

/* Up to 64 guarded rows of `channels` bytes (random, or all 255) that the
 * tap pointers share. */
enum { KERNEL_ROWS = 64 };
typedef struct row_pool {
  guarded rows[KERNEL_ROWS];
  size_t count;
} row_pool;

static void row_pool_init(row_pool* pool, size_t count, size_t channels, bool saturated,
                          test_rng* rng) {
  pool->count = count < KERNEL_ROWS ? count : KERNEL_ROWS;
  for (size_t i = 0; i < pool->count; i++) {
    pool->rows[i] = guarded_alloc(channels);
    if (saturated)
      memset(pool->rows[i].p, 255, channels);
    else
      rng_fill_u8(rng, pool->rows[i].p, channels);
  }
}

static void row_pool_free(row_pool* pool) {
  for (size_t i = 0; i < pool->count; i++) guarded_free(&pool->rows[i]);
}

/* count pointers into the pool's rows, at random. */
static const uint8_t** random_pointers(const row_pool* pool, size_t count, test_rng* rng) {
  const uint8_t** p = malloc(count * sizeof(*p));
  for (size_t i = 0; i < count; i++) p[i] = pool->rows[rng_next(rng) % pool->count].p;
  return p;
}

static size_t kernel_channels(size_t index, test_rng* rng) {
  return index < 101 ? index + 1 : (size_t)rng_int(rng, 102, 700);
}

/* Taps per pixel: small windows, and counts across the 256-tap folding. */
static size_t kernel_taps(size_t index, test_rng* rng) {
  switch (index % 6) {
    case 0: return 9;
    case 1: return 25;
    case 2: return (size_t)rng_int(rng, 1, 8);
    case 3: return (size_t)rng_int(rng, 255, 258);
    case 4: return (size_t)rng_int(rng, 500, 800);
    default: return (size_t)rng_int(rng, 10, 60);
  }
}

/* Output pixels output_stride apart, in guarded buffers prefilled with a
 * sentinel: `call` writes the scalar kernel's into expected and the table's
 * into actual (kernel `k`, buffer `out`). */
#define COMPARE_POOLING(what, bytes, call)                                    \
  do {                                                                        \
    guarded expected_ = guarded_alloc(bytes), actual_ = guarded_alloc(bytes); \
    memset(expected_.p, 0xA5, bytes);                                         \
    memset(actual_.p, 0xA5, bytes);                                           \
    const q8_pooling_config* k = &q8_scalar_pooling_kernels;                  \
    uint8_t* out = expected_.p;                                               \
    call;                                                                     \
    k = table_pooling;                                                        \
    out = actual_.p;                                                          \
    call;                                                                     \
    test_assert_bytes_equal(expected_.p, actual_.p, bytes, what, index);      \
    guarded_free(&expected_);                                                 \
    guarded_free(&actual_);                                                   \
  } while (0)

static q8_avgpool_params random_avgpool_params(test_rng* rng) {
  q8_avgpool_params p = {.input_zero_point = rng_zero_point(rng),
                         .output_zero_point = rng_zero_point(rng),
                         .zero_point_before_rounding = (uint8_t)(rng_next(rng) % 2)};
  pick_clamp(rng, p.output_zero_point, &p.output_min, &p.output_max);
  return p;
}

/* A multiplier: scale ratio over the window, or a power of two (exact
 * ties). */
static float random_multiplier(test_rng* rng, size_t window) {
  if (rng_next(rng) % 3 == 0) return ldexpf(1.0f, (int)rng_int(rng, -12, 2));
  return rng_scale(rng, 0.01f, 10.0f) / (float)window;
}

static void pool_kernel_case(size_t index) {
  test_rng rng = {index * 104729 + 7};
  const size_t channels = kernel_channels(index, &rng), ks = kernel_taps(index, &rng);
  const size_t pixels = (size_t)rng_int(&rng, 1, 3);
  const size_t input_stride = ks + (size_t)rng_int(&rng, 0, 2);
  const size_t output_stride = channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 9) : 0);
  const size_t bytes = (pixels - 1) * output_stride + channels;
  row_pool pool;
  row_pool_init(&pool, pixels * ks, channels, index % 5 == 3, &rng);
  const uint8_t** taps = random_pointers(&pool, (pixels - 1) * input_stride + ks, &rng);

  q8_maxpool_params max = {0, 255};
  pick_clamp(&rng, (int32_t)rng_int(&rng, 0, 255), &max.output_min, &max.output_max);
  COMPARE_POOLING("maxpool", bytes,
                  k->maxpool(pixels, ks, channels, taps, input_stride, out, output_stride, &max));

  const q8_avgpool_params avg = random_avgpool_params(&rng);
  float multipliers[3];
  for (size_t i = 0; i < pixels; i++) multipliers[i] = random_multiplier(&rng, ks);
  const size_t multiplier_stride = rng_next(&rng) % 2;
  COMPARE_POOLING("avgpool", bytes,
                  k->avgpool(pixels, ks, channels, taps, input_stride, multipliers,
                             multiplier_stride, out, output_stride, &avg));
  free(taps);
  row_pool_free(&pool);
}

static void gavgpool_kernel_case(size_t index) {
  test_rng rng = {index * 15485863 + 3};
  const size_t channels = kernel_channels(index, &rng);
  const size_t rows =
      index % 4 == 0 ? (size_t)rng_int(&rng, 255, 600) : (size_t)rng_int(&rng, 1, 64);
  const size_t stride = channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 40) : 0);
  guarded input = guarded_alloc((rows - 1) * stride + channels);
  if (index % 5 == 2)
    memset(input.p, 255, (rows - 1) * stride + channels);
  else
    rng_fill_u8(&rng, input.p, (rows - 1) * stride + channels);
  const q8_avgpool_params params = random_avgpool_params(&rng);
  const float multiplier = random_multiplier(&rng, rows);
  COMPARE_POOLING("gavgpool", channels,
                  k->gavgpool(rows, channels, input.p, stride, multiplier, out, &params));
  guarded_free(&input);
}

static void shuffle_kernel_case(size_t index) {
  test_rng rng = {index * 7727 + 1};
  const size_t groups = index % 6 + 1;
  const size_t group_channels =
      index < 100 ? index / 6 * 6 % 97 + 1 + index % 5 : (size_t)rng_int(&rng, 40, 300);
  const size_t channels = groups * group_channels, pixels = (size_t)rng_int(&rng, 1, 3);
  const size_t pad = rng_next(&rng) % 2 ? 0 : (size_t)rng_int(&rng, 1, 7);
  const size_t input_stride = channels + pad;
  const size_t output_stride = channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 7) : 0);
  guarded input = guarded_alloc((pixels - 1) * input_stride + channels);
  rng_fill_u8(&rng, input.p, (pixels - 1) * input_stride + channels);
  COMPARE_POOLING(
      "shuffle", (pixels - 1) * output_stride + channels,
      k->shuffle(pixels, groups, group_channels, input.p, input_stride, out, output_stride));
  guarded_free(&input);
}

static void bilinear_kernel_case(size_t index) {
  test_rng rng = {index * 3571 + 9};
  const size_t channels = kernel_channels(index, &rng), pixels = (size_t)rng_int(&rng, 1, 3);
  const size_t output_stride = channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 9) : 0);
  row_pool pool;
  row_pool_init(&pool, 4 * pixels, channels, false, &rng);
  const uint8_t** corners = random_pointers(&pool, 4 * pixels, &rng);
  float lambdas[12];
  for (size_t i = 0; i < 2 * pixels; i++) { /* (l0, l1) pairs: l1 = 1 - l0, or anything */
    const float l0 = rng_next(&rng) % 4 == 0 ? 0.5f : rng_float(&rng, 0.0f, 1.0f);
    lambdas[2 * i] = l0;
    lambdas[2 * i + 1] = rng_next(&rng) % 4 == 0 ? rng_float(&rng, 0.0f, 1.5f) : 1.0f - l0;
  }
  const int32_t zero_point = rng_zero_point(&rng);
  COMPARE_POOLING("bilinear", (pixels - 1) * output_stride + channels,
                  k->bilinear(pixels, channels, corners, lambdas, out, output_stride, zero_point));
  free(corners);
  row_pool_free(&pool);
}
int main(void) {
  if (test_skip_unsupported_isa("pooling")) return 0;
  test_pools_create(pools);
  int failed = test_run_cases("max_pooling2d", TEST_SWEEP(70), max_pool_case);
  failed += test_run_cases("avg_pooling2d", TEST_SWEEP(80), avg_pool_case);
  failed += test_run_cases("adaptive_avg_pooling2d", TEST_SWEEP(40), adaptive_case);
  failed += test_run_cases("global_avg_pooling2d", TEST_SWEEP(25), global_case);
  failed += test_run_cases("concat", TEST_SWEEP(30), concat_case);
  failed += test_run_cases("channel_shuffle", TEST_SWEEP(20), shuffle_case);
  failed += test_run_cases("resize2d", TEST_SWEEP(40), resize_case);
  failed += test_run_cases("softmax", TEST_SWEEP(24), softmax_case);
  failed += test_run_cases("pooling_errors", ERROR_CASES, error_case);
  table_pooling = q8_kernel_table_get(q8_isa_auto)->pooling;
  failed += test_run_cases("pool_kernels_vs_scalar", 130, pool_kernel_case);
  failed += test_run_cases("gavgpool_kernel_vs_scalar", 130, gavgpool_kernel_case);
  failed += test_run_cases("shuffle_kernel_vs_scalar", 130, shuffle_kernel_case);
  failed += test_run_cases("bilinear_kernel_vs_scalar", 130, bilinear_kernel_case);
  test_pools_destroy(pools);
  return failed != 0;
}

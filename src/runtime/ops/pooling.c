/*
 * Max and average pooling 2D, NHWC, over an indirection buffer: per output
 * pixel, one pointer per kernel tap to the input pixel it reads, or to a
 * padding buffer (zeros for max, input zero points for average, so that
 * padding never wins and never adds). Adaptive average pooling reuses the
 * average kernel with windows of varying size (short windows padded with
 * padding taps) and a multiplier per output pixel.
 * Work is split by output rows; every output byte is computed by exactly one
 * kernel call whatever the thread count, so results are thread-independent.
 */
#include <stdlib.h>
#include <string.h>

#include "../../quant/pooling-params.h"
#include "operator.h"

typedef enum pool_kind { pool_max, pool_avg, pool_adaptive } pool_kind;

typedef struct pool_geometry {
  uint32_t padding_top, padding_left, padding_bottom, padding_right;
  uint32_t kernel_height, kernel_width;
  uint32_t stride_height, stride_width;
  uint32_t dilation_height, dilation_width;
  bool ceil_mode;
  size_t adaptive_height, adaptive_width; /* adaptive: the output size */
  size_t channels, input_pixel_stride, output_pixel_stride;
} pool_geometry;

typedef struct pool_op {
  q8_operator base;
  pool_kind kind;
  pool_geometry geo;
  /* average pooling */
  bool count_include_pad, channels_last_rounding;
  uint32_t divisor_override;
  q8_quantization input_q, output_q;
  q8_avgpool_params avg;
  q8_maxpool_params max;
  uint8_t* pad;
  /* setup state */
  size_t batch, input_height, input_width, output_height, output_width, ks;
  const uint8_t* input;
  uint8_t* output;
  const uint8_t** indirection;
  size_t indirection_count;
  float* multipliers; /* per output pixel of one image, or one */
  size_t multiplier_count, multiplier_stride;
} pool_op;

static q8_status run_pool(q8_operator* base, pthreadpool_t threadpool);

static void destroy_pool(q8_operator* base) {
  pool_op* op = (pool_op*)base;
  free(op->pad);
  free(op->indirection);
  free(op->multipliers);
}

/* --- create ------------------------------------------------------------- */

static q8_status check_strides(const char* fn, pool_geometry* g, q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "channels", g->channels, error))) return s;
  if (g->input_pixel_stride == 0) g->input_pixel_stride = g->channels;
  if (g->output_pixel_stride == 0) g->output_pixel_stride = g->channels;
  if (g->input_pixel_stride < g->channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_pixel_stride %zu is smaller than channels %zu", fn,
                   g->input_pixel_stride, g->channels);
  }
  if (g->output_pixel_stride < g->channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_pixel_stride %zu is smaller than channels %zu", fn,
                   g->output_pixel_stride, g->channels);
  }
  return q8_status_success;
}

static q8_status check_window(const char* fn, const pool_geometry* g, q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "kernel_height", g->kernel_height, error)) ||
      (s = q8_check_nonzero(fn, "kernel_width", g->kernel_width, error)) ||
      (s = q8_check_nonzero(fn, "stride_height", g->stride_height, error)) ||
      (s = q8_check_nonzero(fn, "stride_width", g->stride_width, error)) ||
      (s = q8_check_nonzero(fn, "dilation_height", g->dilation_height, error)) ||
      (s = q8_check_nonzero(fn, "dilation_width", g->dilation_width, error))) {
    return s;
  }
  /* 255 * K must fit the int32 sum of the average kernels. */
  if ((uint64_t)g->kernel_height * g->kernel_width > (UINT64_C(1) << 23)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: kernel_height * kernel_width is %llu; it must be at most 2^23", fn,
                   (unsigned long long)g->kernel_height * g->kernel_width);
  }
  return q8_status_success;
}

static q8_status new_pool(const char* fn, const char* kind_name, pool_kind kind,
                          const pool_geometry* g, uint8_t pad_value, q8_isa isa,
                          pool_op** out, q8_error* error) {
  q8_operator* base;
  q8_status s = q8_operator_create(sizeof(pool_op), kind_name, isa, &base, error);
  if (s != q8_status_success) return s;
  pool_op* op = (pool_op*)base;
  base->destroy = destroy_pool;
  base->run = run_pool;
  op->kind = kind;
  op->geo = *g;
  op->pad = malloc(g->channels);
  if (op->pad == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  }
  memset(op->pad, pad_value, g->channels);
  *out = op;
  return q8_status_success;
}

q8_status q8_max_pooling2d_create_nhwc(const q8_max_pooling2d_params* p, q8_isa isa,
                                       q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_max_pooling2d_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  pool_geometry g = {
      .padding_top = p->padding_top, .padding_left = p->padding_left,
      .padding_bottom = p->padding_bottom, .padding_right = p->padding_right,
      .kernel_height = p->kernel_height, .kernel_width = p->kernel_width,
      .stride_height = p->stride_height, .stride_width = p->stride_width,
      .dilation_height = p->dilation_height, .dilation_width = p->dilation_width,
      .ceil_mode = p->ceil_mode, .channels = p->channels,
      .input_pixel_stride = p->input_pixel_stride, .output_pixel_stride = p->output_pixel_stride};
  q8_status s;
  if ((s = check_window(fn, &g, error)) || (s = check_strides(fn, &g, error)) ||
      (s = q8_check_output_range(fn, p->output_min, p->output_max, error))) {
    return s;
  }
  pool_op* op;
  /* Zeros: the identity of max, so padding taps never win. */
  if ((s = new_pool(fn, "max_pooling2d", pool_max, &g, 0, isa, &op, error))) return s;
  op->max.output_min = p->output_min;
  op->max.output_max = p->output_max;
  *op_out = &op->base;
  return q8_status_success;
}

static q8_status check_avg_quantization(const char* fn, q8_quantization in, q8_quantization out,
                                        uint8_t output_min, uint8_t output_max, q8_error* error) {
  q8_status s;
  if ((s = q8_check_quantization(fn, "input", in, error)) ||
      (s = q8_check_quantization(fn, "output", out, error)) ||
      (s = q8_check_output_range(fn, output_min, output_max, error))) {
    return s;
  }
  return q8_status_success;
}

static void init_avg_params(pool_op* op, q8_quantization in, q8_quantization out,
                            uint8_t output_min, uint8_t output_max) {
  op->input_q = in;
  op->output_q = out;
  op->avg = (q8_avgpool_params){.input_zero_point = in.zero_point,
                                .output_zero_point = out.zero_point,
                                .output_min = output_min, .output_max = output_max};
}

q8_status q8_avg_pooling2d_create_nhwc(const q8_avg_pooling2d_params* p, q8_isa isa,
                                       q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_avg_pooling2d_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  pool_geometry g = {
      .padding_top = p->padding_top, .padding_left = p->padding_left,
      .padding_bottom = p->padding_bottom, .padding_right = p->padding_right,
      .kernel_height = p->kernel_height, .kernel_width = p->kernel_width,
      .stride_height = p->stride_height, .stride_width = p->stride_width,
      .dilation_height = 1, .dilation_width = 1, .ceil_mode = p->ceil_mode,
      .channels = p->channels, .input_pixel_stride = p->input_pixel_stride,
      .output_pixel_stride = p->output_pixel_stride};
  q8_status s;
  if ((s = check_window(fn, &g, error)) || (s = check_strides(fn, &g, error)) ||
      (s = check_avg_quantization(fn, p->input, p->output, p->output_min, p->output_max,
                                  error))) {
    return s;
  }
  pool_op* op;
  s = new_pool(fn, "avg_pooling2d", pool_avg, &g, (uint8_t)p->input.zero_point, isa, &op, error);
  if (s != q8_status_success) return s;
  op->count_include_pad = p->count_include_pad;
  op->divisor_override = p->divisor_override;
  op->channels_last_rounding = p->channels_last_rounding;
  init_avg_params(op, p->input, p->output, p->output_min, p->output_max);
  /* ATen's generic NCHW kernel adds the zero point before rounding. */
  op->avg.zero_point_before_rounding = p->ceil_mode && !p->channels_last_rounding;
  *op_out = &op->base;
  return q8_status_success;
}

q8_status q8_adaptive_avg_pooling2d_create_nhwc(const q8_adaptive_avg_pooling2d_params* p,
                                                q8_isa isa, q8_operator** op_out,
                                                q8_error* error) {
  static const char fn[] = "q8_adaptive_avg_pooling2d_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  pool_geometry g = {.adaptive_height = p->output_height, .adaptive_width = p->output_width,
                     .channels = p->channels, .input_pixel_stride = p->input_pixel_stride,
                     .output_pixel_stride = p->output_pixel_stride};
  q8_status s;
  if ((s = q8_check_nonzero(fn, "output_height", p->output_height, error)) ||
      (s = q8_check_nonzero(fn, "output_width", p->output_width, error)) ||
      (s = check_strides(fn, &g, error)) ||
      (s = check_avg_quantization(fn, p->input, p->output, p->output_min, p->output_max,
                                  error))) {
    return s;
  }
  pool_op* op;
  s = new_pool(fn, "adaptive_avg_pooling2d", pool_adaptive, &g, (uint8_t)p->input.zero_point,
               isa, &op, error);
  if (s != q8_status_success) return s;
  op->channels_last_rounding = p->channels_last_rounding;
  init_avg_params(op, p->input, p->output, p->output_min, p->output_max);
  *op_out = &op->base;
  return q8_status_success;
}

/* --- setup: indirection --------------------------------------------------- */

static ptrdiff_t clamp_index(ptrdiff_t i, size_t extent) {
  i = i < 0 ? 0 : i;
  return (size_t)i >= extent ? (ptrdiff_t)extent - 1 : i;
}

/* Input pixel (n, iy, ix) or the padding buffer when outside the image.
 * PyTorch's QNNPACK max pooling (ceil_mode false) reads the nearest edge
 * pixel for a padding tap instead; with dilation that pixel need not be in
 * the window, so the difference is observable and reproduced. */
static const uint8_t* tap(const pool_op* op, size_t n, ptrdiff_t iy, ptrdiff_t ix) {
  if (op->kind == pool_max && !op->geo.ceil_mode) {
    iy = clamp_index(iy, op->input_height);
    ix = clamp_index(ix, op->input_width);
  }
  if (iy < 0 || ix < 0 || (size_t)iy >= op->input_height || (size_t)ix >= op->input_width) {
    return op->pad;
  }
  return op->input +
         ((n * op->input_height + (size_t)iy) * op->input_width + (size_t)ix) *
             op->geo.input_pixel_stride;
}

static void fill_window_taps(const pool_op* op, size_t n, size_t oy, size_t ox,
                             const uint8_t** out) {
  const pool_geometry* g = &op->geo;
  const ptrdiff_t y0 = (ptrdiff_t)(oy * g->stride_height) - (ptrdiff_t)g->padding_top;
  const ptrdiff_t x0 = (ptrdiff_t)(ox * g->stride_width) - (ptrdiff_t)g->padding_left;
  for (size_t ky = 0; ky < g->kernel_height; ky++) {
    for (size_t kx = 0; kx < g->kernel_width; kx++) {
      *out++ = tap(op, n, y0 + (ptrdiff_t)(ky * g->dilation_height),
                   x0 + (ptrdiff_t)(kx * g->dilation_width));
    }
  }
}

/* Adaptive window; taps beyond its area point at the padding buffer. */
static void fill_adaptive_taps(const pool_op* op, size_t n, size_t oy, size_t ox,
                               const uint8_t** out) {
  const size_t y0 = q8_adaptive_start(oy, op->input_height, op->output_height);
  const size_t y1 = q8_adaptive_end(oy, op->input_height, op->output_height);
  const size_t x0 = q8_adaptive_start(ox, op->input_width, op->output_width);
  const size_t x1 = q8_adaptive_end(ox, op->input_width, op->output_width);
  size_t k = 0;
  for (size_t y = y0; y < y1; y++) {
    for (size_t x = x0; x < x1; x++) out[k++] = tap(op, n, (ptrdiff_t)y, (ptrdiff_t)x);
  }
  while (k < op->ks) out[k++] = op->pad;
}

static void build_indirection(pool_op* op) {
  const size_t pixels = op->batch * op->output_height * op->output_width;
  for (size_t m = 0; m < pixels; m++) {
    const size_t ox = m % op->output_width, oy = m / op->output_width % op->output_height;
    const size_t n = m / (op->output_width * op->output_height);
    if (op->kind == pool_adaptive) {
      fill_adaptive_taps(op, n, oy, ox, op->indirection + m * op->ks);
    } else {
      fill_window_taps(op, n, oy, ox, op->indirection + m * op->ks);
    }
  }
}

/* Largest adaptive window extent along an axis. */
static size_t adaptive_max_extent(size_t in, size_t out) {
  size_t most = 0;
  for (size_t o = 0; o < out; o++) {
    const size_t e = q8_adaptive_end(o, in, out) - q8_adaptive_start(o, in, out);
    most = e > most ? e : most;
  }
  return most;
}

/* --- setup: multipliers --------------------------------------------------- */

static q8_status reserve_multipliers(pool_op* op, size_t count, const char* fn, q8_error* error) {
  float* multipliers = q8_grow_buffer(op->multipliers, &op->multiplier_count, count, sizeof(float));
  if (multipliers == NULL) return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  op->multipliers = multipliers;
  return q8_status_success;
}

/* ceil_mode average pooling: ATen's per-window divisor. */
static void generic_avg_multipliers(pool_op* op) {
  const pool_geometry* g = &op->geo;
  for (size_t oy = 0; oy < op->output_height; oy++) {
    const q8_pool_window h = q8_avgpool_window(oy, op->input_height, g->padding_top,
                                               g->padding_bottom, g->kernel_height,
                                               g->stride_height);
    for (size_t ox = 0; ox < op->output_width; ox++) {
      const q8_pool_window w = q8_avgpool_window(ox, op->input_width, g->padding_left,
                                                 g->padding_right, g->kernel_width,
                                                 g->stride_width);
      const int64_t divisor = op->divisor_override != 0 ? (int64_t)op->divisor_override
                              : op->count_include_pad   ? h.pool * w.pool
                                                        : h.size * w.size;
      op->multipliers[oy * op->output_width + ox] =
          q8_avgpool_generic_multiplier(op->input_q.scale, op->output_q.scale, divisor);
    }
  }
}

static bool adaptive_uses_qnnpack(const pool_op* op) {
  return op->input_height % op->output_height == 0 && op->input_width % op->output_width == 0 &&
         (op->input_height != op->output_height || op->input_width != op->output_width);
}

static bool same_quantization(q8_quantization a, q8_quantization b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

/* ATen's generic adaptive kernels, per window (see pooling.h). */
static float adaptive_generic_multiplier(const pool_op* op, size_t kh, size_t kw) {
  if (!op->channels_last_rounding && same_quantization(op->input_q, op->output_q)) {
    return (1.0f / (float)kh) / (float)kw;
  }
  const float ratio = op->input_q.scale / op->output_q.scale;
  return ratio / (float)(kh * kw);
}

static void adaptive_multipliers(pool_op* op) {
  for (size_t oy = 0; oy < op->output_height; oy++) {
    const size_t kh = q8_adaptive_end(oy, op->input_height, op->output_height) -
                      q8_adaptive_start(oy, op->input_height, op->output_height);
    for (size_t ox = 0; ox < op->output_width; ox++) {
      const size_t kw = q8_adaptive_end(ox, op->input_width, op->output_width) -
                        q8_adaptive_start(ox, op->input_width, op->output_width);
      op->multipliers[oy * op->output_width + ox] = adaptive_generic_multiplier(op, kh, kw);
    }
  }
}

/* The NCHW generic adaptive rule sums raw codes: no zero point anywhere. */
static void set_adaptive_zero_points(pool_op* op, bool raw_codes) {
  op->avg.input_zero_point = raw_codes ? 0 : op->input_q.zero_point;
  op->avg.output_zero_point = raw_codes ? 0 : op->output_q.zero_point;
  memset(op->pad, (uint8_t)op->avg.input_zero_point, op->geo.channels);
}

static q8_status setup_multipliers(pool_op* op, const char* fn, q8_error* error) {
  const size_t per_image = op->output_height * op->output_width;
  q8_status s;
  op->multiplier_stride = 0;
  if (op->kind == pool_max) return q8_status_success;
  if ((s = reserve_multipliers(op, per_image, fn, error))) return s;
  if (op->kind == pool_avg && !op->geo.ceil_mode) {
    op->multipliers[0] = q8_avgpool_qnnpack_multiplier(op->input_q.scale, op->output_q.scale,
                                                       op->ks);
    return q8_status_success;
  }
  op->multiplier_stride = 1;
  if (op->kind == pool_avg) {
    generic_avg_multipliers(op);
    return q8_status_success;
  }
  if (adaptive_uses_qnnpack(op)) {
    set_adaptive_zero_points(op, false);
    op->multiplier_stride = 0;
    op->multipliers[0] = q8_avgpool_qnnpack_multiplier(op->input_q.scale, op->output_q.scale,
                                                       op->ks);
    return q8_status_success;
  }
  set_adaptive_zero_points(
      op, !op->channels_last_rounding && same_quantization(op->input_q, op->output_q));
  adaptive_multipliers(op);
  return q8_status_success;
}

/* --- setup ---------------------------------------------------------------- */

static q8_status output_size(pool_op* op, const char* fn, q8_error* error) {
  const pool_geometry* g = &op->geo;
  if (op->kind == pool_adaptive) {
    if (g->adaptive_height > op->input_height || g->adaptive_width > op->input_width) {
      return q8_fail(error, q8_status_invalid_parameter,
                     "%s: output size %zux%zu is larger than the input %zux%zu", fn,
                     g->adaptive_height, g->adaptive_width, op->input_height, op->input_width);
    }
    op->output_height = g->adaptive_height;
    op->output_width = g->adaptive_width;
    op->ks = adaptive_max_extent(op->input_height, op->output_height) *
             adaptive_max_extent(op->input_width, op->output_width);
    return q8_status_success;
  }
  if (!q8_pool_output_size(op->input_height, g->padding_top, g->padding_bottom, g->kernel_height,
                           g->stride_height, g->dilation_height, g->ceil_mode,
                           &op->output_height) ||
      !q8_pool_output_size(op->input_width, g->padding_left, g->padding_right, g->kernel_width,
                           g->stride_width, g->dilation_width, g->ceil_mode, &op->output_width)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input %zux%zu is smaller than the padded, dilated kernel", fn,
                   op->input_height, op->input_width);
  }
  op->ks = (size_t)g->kernel_height * g->kernel_width;
  return q8_status_success;
}

static q8_status reserve_indirection(pool_op* op, const char* fn, q8_error* error) {
  size_t entries;
  if (!q8_mul_size(op->batch, op->output_height * op->output_width, &entries) ||
      !q8_mul_size(entries, op->ks, &entries) || entries > SIZE_MAX / sizeof(void*)) {
    return q8_fail(error, q8_status_out_of_memory, "%s: indirection buffer size overflows", fn);
  }
  const uint8_t** indirection =
      q8_grow_buffer(op->indirection, &op->indirection_count, entries, sizeof(void*));
  if (indirection == NULL) {
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for the indirection buffer",
                   fn);
  }
  op->indirection = indirection;
  return q8_status_success;
}

static q8_status setup_pool(const char* fn, pool_kind kind, q8_operator* base, size_t batch,
                            size_t input_height, size_t input_width, const uint8_t* input,
                            uint8_t* output, size_t* output_height, size_t* output_width,
                            q8_error* error) {
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_pool, error))) return s;
  pool_op* op = (pool_op*)base;
  if (op->kind != kind) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op is a %s operator", fn, base->kind);
  }
  if ((s = q8_check_image(fn, batch, input_height, input_width, input, output, error))) return s;
  op->batch = batch;
  op->input_height = input_height;
  op->input_width = input_width;
  op->input = input;
  op->output = output;
  if ((s = output_size(op, fn, error)) || (s = reserve_indirection(op, fn, error)) ||
      (s = setup_multipliers(op, fn, error))) {
    return s;
  }
  build_indirection(op);
  if (output_height) *output_height = op->output_height;
  if (output_width) *output_width = op->output_width;
  base->is_setup = true;
  return q8_status_success;
}

q8_status q8_max_pooling2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                      size_t input_width, const uint8_t* input, uint8_t* output,
                                      size_t* output_height, size_t* output_width,
                                      q8_error* error) {
  return setup_pool("q8_max_pooling2d_setup_nhwc", pool_max, op, batch, input_height,
                    input_width, input, output, output_height, output_width, error);
}

q8_status q8_avg_pooling2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                      size_t input_width, const uint8_t* input, uint8_t* output,
                                      size_t* output_height, size_t* output_width,
                                      q8_error* error) {
  return setup_pool("q8_avg_pooling2d_setup_nhwc", pool_avg, op, batch, input_height,
                    input_width, input, output, output_height, output_width, error);
}

q8_status q8_adaptive_avg_pooling2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                               size_t input_width, const uint8_t* input,
                                               uint8_t* output, q8_error* error) {
  return setup_pool("q8_adaptive_avg_pooling2d_setup_nhwc", pool_adaptive, op, batch,
                    input_height, input_width, input, output, NULL, NULL, error);
}

/* --- run ------------------------------------------------------------------ */

static void pool_row(void* context, size_t row) {
  const pool_op* op = context;
  const size_t ow = op->output_width, oy = row % op->output_height;
  const q8_pooling_config* k = op->base.kernels->pooling;
  const uint8_t* const* taps = op->indirection + row * ow * op->ks;
  uint8_t* out = op->output + row * ow * op->geo.output_pixel_stride;
  if (op->kind == pool_max) {
    k->maxpool(ow, op->ks, op->geo.channels, taps, op->ks, out, op->geo.output_pixel_stride,
               &op->max);
    return;
  }
  const float* m = op->multipliers + oy * ow * op->multiplier_stride;
  k->avgpool(ow, op->ks, op->geo.channels, taps, op->ks, m, op->multiplier_stride, out,
             op->geo.output_pixel_stride, &op->avg);
}

static q8_status run_pool(q8_operator* base, pthreadpool_t threadpool) {
  pool_op* op = (pool_op*)base;
  pthreadpool_parallelize_1d(threadpool, pool_row, op, op->batch * op->output_height, 0);
  return q8_status_success;
}

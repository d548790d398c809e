#include "reference-pooling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* fp32 product computed as the exact double product rounded once. */
static float mul32(float a, float b) { return (float)((double)a * (double)b); }

static uint8_t clamp_u8(int64_t v, uint8_t lo, uint8_t hi) {
  return (uint8_t)(v < lo ? lo : v > hi ? hi : v);
}

static int64_t round_even(float v) { return (int64_t)rint((double)v); }

/* PyTorch's pooling_output_shape, with the two paddings summed. */
static size_t pool_extent(size_t in, uint32_t pa, uint32_t pb, uint32_t k, uint32_t s,
                          uint32_t d, bool ceil_mode) {
  const int64_t numerator = (int64_t)in + pa + pb - (int64_t)d * (k - 1) - 1 +
                            (ceil_mode ? (int64_t)s - 1 : 0);
  int64_t out = numerator / s + 1;
  if (ceil_mode && (out - 1) * (int64_t)s >= (int64_t)in + pa) out--;
  return (size_t)out;
}

void ref_pool_output_size(const ref_pool* p, size_t* oh, size_t* ow) {
  *oh = pool_extent(p->input_height, p->padding_top, p->padding_bottom, p->kernel_height,
                    p->stride_height, p->dilation_height, p->ceil_mode);
  *ow = pool_extent(p->input_width, p->padding_left, p->padding_right, p->kernel_width,
                    p->stride_width, p->dilation_width, p->ceil_mode);
}

static const uint8_t* at(const ref_pool* p, const uint8_t* in, size_t n, int64_t y, int64_t x) {
  return in + ((n * p->input_height + (size_t)y) * p->input_width + (size_t)x) *
                  p->input_pixel_stride;
}

static bool inside(const ref_pool* p, int64_t y, int64_t x) {
  return y >= 0 && x >= 0 && y < (int64_t)p->input_height && x < (int64_t)p->input_width;
}

void ref_max_pool(const ref_pool* p, const uint8_t* in, uint8_t* out) {
  size_t oh, ow;
  ref_pool_output_size(p, &oh, &ow);
  for (size_t n = 0; n < p->batch; n++)
    for (size_t oy = 0; oy < oh; oy++)
      for (size_t ox = 0; ox < ow; ox++)
        for (size_t c = 0; c < p->channels; c++) {
          int best = -1;
          for (uint32_t ky = 0; ky < p->kernel_height; ky++)
            for (uint32_t kx = 0; kx < p->kernel_width; kx++) {
              int64_t y = (int64_t)(oy * p->stride_height) - p->padding_top +
                          (int64_t)ky * p->dilation_height;
              int64_t x = (int64_t)(ox * p->stride_width) - p->padding_left +
                          (int64_t)kx * p->dilation_width;
              if (!p->ceil_mode) { /* QNNPACK: padding reads the nearest edge pixel */
                y = y < 0 ? 0 : y >= (int64_t)p->input_height ? (int64_t)p->input_height - 1 : y;
                x = x < 0 ? 0 : x >= (int64_t)p->input_width ? (int64_t)p->input_width - 1 : x;
              }
              if (!inside(p, y, x)) continue;
              const int v = at(p, in, n, y, x)[c];
              best = v > best ? v : best;
            }
          uint8_t* o = out + ((n * oh + oy) * ow + ox) * p->output_pixel_stride + c;
          *o = best < 0 ? p->output_min : clamp_u8(best, p->output_min, p->output_max);
        }
}

/* sum over in-image taps of (q - zp) for the window at (y0, x0). */
static int64_t window_sum(const ref_pool* p, const uint8_t* in, size_t n, size_t c, int64_t y0,
                          int64_t x0, int64_t kh, int64_t kw, int64_t zp) {
  int64_t acc = 0;
  for (int64_t y = y0; y < y0 + kh; y++)
    for (int64_t x = x0; x < x0 + kw; x++)
      if (inside(p, y, x)) acc += at(p, in, n, y, x)[c] - zp;
  return acc;
}

static uint8_t qnnpack_average(const ref_pool* p, int64_t acc, size_t k) {
  const float m = p->input_scale / (p->output_scale * (float)k);
  const float v = mul32((float)acc, m);
  return clamp_u8(round_even(v) + p->output_zero_point, p->output_min, p->output_max);
}

/* ATen's generic window divisor along both axes. */
static int64_t generic_divisor(const ref_pool* p, int64_t y0, int64_t x0) {
  if (p->divisor_override) return p->divisor_override;
  int64_t y1 = y0 + p->kernel_height, x1 = x0 + p->kernel_width;
  if (y1 > (int64_t)p->input_height + p->padding_bottom) y1 = p->input_height + p->padding_bottom;
  if (x1 > (int64_t)p->input_width + p->padding_right) x1 = p->input_width + p->padding_right;
  if (p->count_include_pad) return (y1 - y0) * (x1 - x0);
  const int64_t ya = y0 < 0 ? 0 : y0, xa = x0 < 0 ? 0 : x0;
  const int64_t yb = y1 > (int64_t)p->input_height ? (int64_t)p->input_height : y1;
  const int64_t xb = x1 > (int64_t)p->input_width ? (int64_t)p->input_width : x1;
  return yb > ya && xb > xa ? (yb - ya) * (xb - xa) : 0;
}

static uint8_t generic_average(const ref_pool* p, int64_t acc, int64_t divisor) {
  const float m = divisor == 0 ? 0.0f
                               : (float)((double)p->input_scale / p->output_scale / (double)divisor);
  const float v = mul32((float)acc, m);
  int64_t y;
  if (p->channels_last_rounding) {
    y = round_even(v) + p->output_zero_point;
  } else {
    y = round_even((float)((double)v + p->output_zero_point));
  }
  return clamp_u8(y, p->output_min, p->output_max);
}

void ref_avg_pool(const ref_pool* p, const uint8_t* in, uint8_t* out) {
  size_t oh, ow;
  ref_pool_output_size(p, &oh, &ow);
  for (size_t n = 0; n < p->batch; n++)
    for (size_t oy = 0; oy < oh; oy++)
      for (size_t ox = 0; ox < ow; ox++) {
        const int64_t y0 = (int64_t)(oy * p->stride_height) - p->padding_top;
        const int64_t x0 = (int64_t)(ox * p->stride_width) - p->padding_left;
        for (size_t c = 0; c < p->channels; c++) {
          const int64_t acc = window_sum(p, in, n, c, y0, x0, p->kernel_height, p->kernel_width,
                                         p->input_zero_point);
          out[((n * oh + oy) * ow + ox) * p->output_pixel_stride + c] =
              p->ceil_mode ? generic_average(p, acc, generic_divisor(p, y0, x0))
                           : qnnpack_average(p, acc, (size_t)p->kernel_height * p->kernel_width);
        }
      }
}

static int64_t adaptive_start(size_t o, size_t in, size_t out) {
  return (int64_t)floorf((float)(o * in) / (float)out);
}
static int64_t adaptive_end(size_t o, size_t in, size_t out) {
  return (int64_t)ceilf((float)((o + 1) * in) / (float)out);
}

static uint8_t adaptive_value(const ref_pool* p, const uint8_t* in, size_t n, size_t c,
                              size_t oy, size_t ox) {
  const size_t H = p->input_height, W = p->input_width;
  const size_t OH = p->adaptive_height, OW = p->adaptive_width;
  const int64_t y0 = adaptive_start(oy, H, OH), y1 = adaptive_end(oy, H, OH);
  const int64_t x0 = adaptive_start(ox, W, OW), x1 = adaptive_end(ox, W, OW);
  const int64_t kh = y1 - y0, kw = x1 - x0;
  const bool divisible = H % OH == 0 && W % OW == 0 && (H != OH || W != OW);
  const bool same_q = p->input_scale == p->output_scale &&
                      p->input_zero_point == p->output_zero_point;
  if (divisible) {
    return qnnpack_average(p, window_sum(p, in, n, c, y0, x0, kh, kw, p->input_zero_point),
                           (size_t)(kh * kw));
  }
  if (!p->channels_last_rounding && same_q) { /* ATen NCHW: raw codes */
    const float r = (1.0f / (float)kh) / (float)kw;
    const float v = mul32((float)window_sum(p, in, n, c, y0, x0, kh, kw, 0), r);
    return clamp_u8(round_even(v), p->output_min, p->output_max);
  }
  const float m = (p->input_scale / p->output_scale) / (float)(kh * kw);
  const float v = mul32((float)window_sum(p, in, n, c, y0, x0, kh, kw, p->input_zero_point), m);
  return clamp_u8(round_even(v) + p->output_zero_point, p->output_min, p->output_max);
}

void ref_adaptive_avg_pool(const ref_pool* p, const uint8_t* in, uint8_t* out) {
  const size_t oh = p->adaptive_height, ow = p->adaptive_width;
  for (size_t n = 0; n < p->batch; n++)
    for (size_t oy = 0; oy < oh; oy++)
      for (size_t ox = 0; ox < ow; ox++)
        for (size_t c = 0; c < p->channels; c++)
          out[((n * oh + oy) * ow + ox) * p->output_pixel_stride + c] =
              adaptive_value(p, in, n, c, oy, ox);
}

void ref_global_avg_pool(const ref_pool* p, const uint8_t* in, uint8_t* out) {
  for (size_t n = 0; n < p->batch; n++)
    for (size_t c = 0; c < p->channels; c++) {
      const int64_t acc = window_sum(p, in, n, c, 0, 0, (int64_t)p->input_height,
                                     (int64_t)p->input_width, p->input_zero_point);
      out[n * p->output_pixel_stride + c] =
          qnnpack_average(p, acc, p->input_height * p->input_width);
    }
}

/* PyTorch's quantize: zp + rne(x * (1 / scale)) in fp32, clamped. */
static uint8_t quantize(float x, float scale, int32_t zp) {
  const float inv = 1.0f / scale;
  return clamp_u8(round_even(mul32(x, inv)) + zp, 0, 255);
}

void ref_concat(size_t num_inputs, const size_t* channels, const size_t* strides,
                const float* scales, const int32_t* zps, float out_scale, int32_t out_zp,
                size_t pixels, const uint8_t* const* inputs, uint8_t* out, size_t out_stride) {
  for (size_t p = 0; p < pixels; p++) {
    size_t offset = 0;
    for (size_t i = 0; i < num_inputs; i++) {
      for (size_t c = 0; c < channels[i]; c++) {
        const int32_t q = inputs[i][p * strides[i] + c];
        const float x = mul32((float)(q - zps[i]), scales[i]);
        out[p * out_stride + offset + c] = quantize(x, out_scale, out_zp);
      }
      offset += channels[i];
    }
  }
}

void ref_channel_shuffle(size_t groups, size_t gc, size_t pixels, const uint8_t* in,
                         size_t in_stride, uint8_t* out, size_t out_stride) {
  /* view [groups][gc] -> transpose -> [gc][groups]: output channel j holds
   * input channel (j % groups) * gc + j / groups. */
  for (size_t p = 0; p < pixels; p++)
    for (size_t j = 0; j < groups * gc; j++)
      out[p * out_stride + j] = in[p * in_stride + (j % groups) * gc + j / groups];
}

static float ratio(size_t in, size_t out, double scale) {
  return scale > 0.0 ? (float)(1.0 / scale) : (float)in / (float)out;
}

static size_t nearest(size_t dst, size_t in, size_t out, double scale) {
  const double s = floor((double)mul32((float)dst, ratio(in, out, scale)));
  return s < (double)(in - 1) ? (size_t)s : in - 1;
}

static float bilinear_src(const ref_resize* r, size_t dst, size_t in, size_t out, double scale) {
  if (r->align_corners) {
    const float k = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    return mul32(k, (float)dst);
  }
  const float s = (float)((double)mul32(ratio(in, out, scale), (float)dst + 0.5f) - 0.5);
  return s < 0.0f ? 0.0f : s;
}

static uint8_t bilinear_value(const ref_resize* r, const uint8_t* in, size_t n, size_t c,
                              size_t oy, size_t ox) {
  const float sy = bilinear_src(r, oy, r->input_height, r->output_height, r->scale_height);
  const float sx = bilinear_src(r, ox, r->input_width, r->output_width, r->scale_width);
  const size_t y0 = (size_t)sy, x0 = (size_t)sx;
  const size_t y1 = y0 + (y0 < r->input_height - 1), x1 = x0 + (x0 < r->input_width - 1);
  const float h1 = sy - (float)y0, h0 = 1.0f - h1, w1 = sx - (float)x0, w0 = 1.0f - w1;
#define PX(y, x) ((float)in[((n * r->input_height + (y)) * r->input_width + (x)) * r->input_pixel_stride + c])
  const float top = (float)((double)mul32(w0, PX(y0, x0)) + (double)mul32(w1, PX(y0, x1)));
  const float bot = (float)((double)mul32(w0, PX(y1, x0)) + (double)mul32(w1, PX(y1, x1)));
#undef PX
  const float v = (float)((double)mul32(h0, top) + (double)mul32(h1, bot));
  const float shifted = (float)((double)v - r->zero_point);
  return clamp_u8(round_even(shifted) + r->zero_point, 0, 255);
}

void ref_resize2d(const ref_resize* r, const uint8_t* in, uint8_t* out) {
  const size_t oh = r->output_height, ow = r->output_width;
  for (size_t n = 0; n < r->batch; n++)
    for (size_t oy = 0; oy < oh; oy++)
      for (size_t ox = 0; ox < ow; ox++) {
        uint8_t* o = out + ((n * oh + oy) * ow + ox) * r->output_pixel_stride;
        if (!r->bilinear) {
          const size_t iy = nearest(oy, r->input_height, oh, r->scale_height);
          const size_t ix = nearest(ox, r->input_width, ow, r->scale_width);
          memcpy(o, in + ((n * r->input_height + iy) * r->input_width + ix) * r->input_pixel_stride,
                 r->channels);
          continue;
        }
        for (size_t c = 0; c < r->channels; c++) o[c] = bilinear_value(r, in, n, c, oy, ox);
      }
}

static void softmax_integer(size_t channels, const uint8_t* x, float s, uint8_t* y) {
  double q = (double)UINT32_MAX / (double)channels;
  q = q < 8388607.0 ? q : 8388607.0;
  int max = 0;
  for (size_t c = 0; c < channels; c++) max = x[c] > max ? x[c] : max;
  uint32_t sum = 0;
  for (size_t c = 0; c < channels; c++) {
    sum += (uint32_t)lrint(q * exp((double)(x[c] - max) * (double)s));
  }
  for (size_t c = 0; c < channels; c++) {
    const uint32_t t = (uint32_t)lrint(q * exp((double)(x[c] - max) * (double)s));
    const uint64_t v = (uint64_t)(uint32_t)((t << 8) + (sum >> 1)) / sum;
    y[c] = (uint8_t)(v > 255 ? 255 : v);
  }
}

static void softmax_float(size_t channels, const uint8_t* x, float s, int32_t zp, float os,
                          int32_t ozp, uint8_t* y) {
  float* e = malloc(channels * sizeof(float));
  int max = 0;
  for (size_t c = 0; c < channels; c++) max = x[c] > max ? x[c] : max;
  const float xmax = mul32((float)(max - zp), s);
  float sum = 0.0f;
  for (size_t c = 0; c < channels; c++) {
    e[c] = expf((float)((double)mul32((float)(x[c] - zp), s) - xmax));
    sum = (float)((double)sum + e[c]);
  }
  const float inv = 1.0f / sum;
  for (size_t c = 0; c < channels; c++) y[c] = quantize(mul32(e[c], inv), os, ozp);
  free(e);
}

void ref_softmax(size_t channels, size_t pixels, const uint8_t* in, size_t in_stride, float s,
                 int32_t zp, uint8_t* out, size_t out_stride, float os, int32_t ozp) {
  const bool integer = os == 1.0f / 256.0f && ozp == 0;
  for (size_t p = 0; p < pixels; p++) {
    if (integer) {
      softmax_integer(channels, in + p * in_stride, s, out + p * out_stride);
    } else {
      softmax_float(channels, in + p * in_stride, s, zp, os, ozp, out + p * out_stride);
    }
  }
}

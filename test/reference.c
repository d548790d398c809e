#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint8_t ref_requantize(int64_t acc, float input_scale, float weight_scale, float output_scale,
                       int32_t output_zero_point, uint8_t output_min, uint8_t output_max) {
  const float multiplier = (float)((double)(float)((double)weight_scale * (double)input_scale) *
                                   (double)(1.0f / output_scale));
  const float product = (float)((double)(float)acc * (double)multiplier);
  double rounded = nearbyint((double)product) + output_zero_point;
  if (rounded < output_min) rounded = output_min;
  if (rounded > output_max) rounded = output_max;
  return (uint8_t)rounded;
}

int64_t ref_quantize_bias(float bias, float input_scale, float weight_scale) {
  /* Each fp32 step modelled in double, then rounded to float. */
  const float scale = (float)((double)input_scale * (double)weight_scale);
  const float inverse = (float)(1.0 / (double)scale);
  const double q = nearbyint((double)(float)((double)bias * (double)inverse));
  if (q > 2147483647.0) return 2147483647;
  if (q < -2147483648.0) return -2147483648LL;
  return (int64_t)q;
}

static size_t extent(const ref_conv* c, size_t in, uint32_t k, uint32_t s, uint32_t d,
                     uint32_t pa, uint32_t pb, uint32_t op) {
  const size_t eff = (size_t)d * (k - 1) + 1;
  if (c->transposed) return (in - 1) * s + eff + op - pa - pb;
  return (in + pa + pb - eff) / s + 1;
}

void ref_conv_output_size(const ref_conv* c, size_t* oh, size_t* ow) {
  *oh = extent(c, c->input_height, c->kernel_height, c->stride_height, c->dilation_height,
               c->padding_top, c->padding_bottom, c->output_padding_height);
  *ow = extent(c, c->input_width, c->kernel_width, c->stride_width, c->dilation_width,
               c->padding_left, c->padding_right, c->output_padding_width);
}

static float wscale(const ref_conv* c, size_t oc) {
  return c->weight_scales[c->weight_quant_count == 1 ? 0 : oc];
}
static int32_t wzp(const ref_conv* c, size_t oc) {
  if (c->weight_zero_points == NULL) return 0;
  return c->weight_zero_points[c->weight_quant_count == 1 ? 0 : oc];
}

void ref_convolution(const ref_conv* c, const uint8_t* input, const int8_t* weights,
                     const float* bias, uint8_t* output) {
  size_t oh, ow;
  ref_conv_output_size(c, &oh, &ow);
  const size_t oc_total = c->groups * c->group_output_channels;
  const size_t kh = c->kernel_height, kw = c->kernel_width, gi = c->group_input_channels;
  int64_t* acc = calloc(c->batch * oh * ow * oc_total, sizeof(int64_t));
  /* acc[n][oy][ox][oc] = sum over contributing (input pixel, tap). */
  for (size_t n = 0; n < c->batch; n++) {
    for (size_t oy = 0; oy < oh; oy++) {
      for (size_t ox = 0; ox < ow; ox++) {
        for (size_t ky = 0; ky < kh; ky++) {
          for (size_t kx = 0; kx < kw; kx++) {
            if (c->transposed) continue;
            const long iy = (long)(oy * c->stride_height + ky * c->dilation_height) - c->padding_top;
            const long ix = (long)(ox * c->stride_width + kx * c->dilation_width) - c->padding_left;
            const bool inside = iy >= 0 && ix >= 0 && iy < (long)c->input_height &&
                                ix < (long)c->input_width;
            for (size_t oc = 0; oc < oc_total; oc++) {
              const size_t g = oc / c->group_output_channels;
              for (size_t i = 0; i < gi; i++) {
                const int32_t x = inside ? input[((n * c->input_height + (size_t)iy) * c->input_width +
                                                  (size_t)ix) * c->input_pixel_stride + g * gi + i]
                                         : c->input_zero_point;
                const int32_t w = weights[((oc * kh + ky) * kw + kx) * gi + i];
                acc[((n * oh + oy) * ow + ox) * oc_total + oc] +=
                    (int64_t)(x - c->input_zero_point) * (w - wzp(c, oc));
              }
            }
          }
        }
      }
    }
    if (!c->transposed) continue;
    /* Scatter: input pixel (iy, ix) through tap (ky, kx) lands on
     * oy = iy * stride - pad + ky * dilation. */
    for (size_t iy = 0; iy < c->input_height; iy++) {
      for (size_t ix = 0; ix < c->input_width; ix++) {
        for (size_t ky = 0; ky < kh; ky++) {
          for (size_t kx = 0; kx < kw; kx++) {
            const long oy = (long)(iy * c->stride_height + ky * c->dilation_height) - c->padding_top;
            const long ox = (long)(ix * c->stride_width + kx * c->dilation_width) - c->padding_left;
            if (oy < 0 || ox < 0 || oy >= (long)oh || ox >= (long)ow) continue;
            for (size_t oc = 0; oc < oc_total; oc++) {
              const size_t g = oc / c->group_output_channels;
              for (size_t i = 0; i < gi; i++) {
                const int32_t x = input[((n * c->input_height + iy) * c->input_width + ix) *
                                            c->input_pixel_stride + g * gi + i];
                const int32_t w = weights[((oc * kh + ky) * kw + kx) * gi + i];
                acc[((n * oh + (size_t)oy) * ow + (size_t)ox) * oc_total + oc] +=
                    (int64_t)(x - c->input_zero_point) * (w - wzp(c, oc));
              }
            }
          }
        }
      }
    }
  }
  for (size_t p = 0; p < c->batch * oh * ow; p++) {
    for (size_t oc = 0; oc < oc_total; oc++) {
      const int64_t b = bias ? ref_quantize_bias(bias[oc], c->input_scale, wscale(c, oc)) : 0;
      output[p * c->output_pixel_stride + oc] =
          ref_requantize(acc[p * oc_total + oc] + b, c->input_scale, wscale(c, oc),
                         c->output_scale, c->output_zero_point, c->output_min, c->output_max);
    }
  }
  free(acc);
}

/* PyTorch's qparams for a [min, max] range mapped onto [0, 255]: the range
 * includes 0, and a scale below 6.1e-5 is raised to it, the range growing
 * away from zero (verified against torch 1.13's dynamic linear). */
static void ref_choose_qparams(float lo, float hi, float* scale, int32_t* zero_point) {
  lo = lo < 0.0f ? lo : 0.0f;
  hi = hi > 0.0f ? hi : 0.0f;
  double s = ((double)hi - (double)lo) / 255.0;
  if ((float)s == 0.0f) s = 0.1;
  const float threshold = 6.1e-5f;
  if (s < threshold) {
    const float grow = threshold / (float)s;
    s = threshold;
    if (lo == 0.0f) {
      hi = (float)(s * 255.0);
    } else if (hi == 0.0f) {
      lo = (float)(-s * 255.0);
    } else {
      lo *= grow;
      hi *= grow;
    }
  }
  const double from_min = 0.0 - lo / s, from_max = 255.0 - hi / s;
  const double zp = fabs(lo / s) > fabs(hi / s) - 255.0 ? from_min : from_max;
  *scale = (float)s;
  *zero_point = zp < 0 ? 0 : zp > 255 ? 255 : (int32_t)nearbyint(zp);
}

void ref_dynamic_linear(size_t batch, size_t ic, size_t oc, const float* input,
                        const int8_t* weights, size_t wq_count, const float* wscales,
                        const int32_t* wzps, const float* bias, bool relu, float* output,
                        float* chosen_scale, int32_t* chosen_zero_point) {
  float lo = input[0], hi = input[0];
  for (size_t i = 0; i < batch * ic; i++) {
    lo = fminf(lo, input[i]);
    hi = fmaxf(hi, input[i]);
  }
  float xs;
  int32_t xz;
  ref_choose_qparams(lo, hi, &xs, &xz);
  *chosen_scale = xs;
  *chosen_zero_point = xz;
  const float inv = 1.0f / xs;
  for (size_t b = 0; b < batch; b++) {
    for (size_t o = 0; o < oc; o++) {
      const size_t q = wq_count == 1 ? 0 : o;
      int64_t acc = 0;
      for (size_t k = 0; k < ic; k++) {
        double r = nearbyint((double)(float)((double)input[b * ic + k] * (double)inv)) + xz;
        r = r < 0 ? 0 : r > 255 ? 255 : r;
        acc += ((int64_t)r - xz) * (weights[o * ic + k] - (wzps ? wzps[q] : 0));
      }
      const float mult = (float)((double)xs * (double)wscales[q]);
      float y = (float)((double)(float)((double)(float)acc * (double)mult) +
                        (double)(bias ? bias[o] : 0.0f));
      if (relu && y < 0.0f) y = 0.0f;
      output[b * oc + o] = y;
    }
  }
}

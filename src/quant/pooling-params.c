#include "pooling-params.h"

#include <math.h>

#include "quantize.h"

bool q8_pool_output_size(size_t in, uint32_t pad_a, uint32_t pad_b, uint32_t kernel,
                         uint32_t stride, uint32_t dilation, bool ceil_mode, size_t* out) {
  const size_t effective = (size_t)dilation * (kernel - 1) + 1;
  const size_t padded = in + pad_a + pad_b;
  if (padded < effective) return false;
  const size_t span = padded - effective;
  size_t n = (ceil_mode ? span + stride - 1 : span) / stride + 1;
  /* PyTorch drops a last window that would start in the trailing padding. */
  if (ceil_mode && (n - 1) * stride >= in + pad_a) n--;
  *out = n;
  return true;
}

float q8_avgpool_qnnpack_multiplier(float input_scale, float output_scale, size_t k) {
  const float denominator = output_scale * (float)k;
  return input_scale / denominator;
}

float q8_avgpool_generic_multiplier(float input_scale, float output_scale, int64_t divisor) {
  if (divisor == 0) return 0.0f; /* an empty window: output the zero point */
  const double ratio = (double)input_scale / (double)output_scale;
  return (float)(ratio / (double)divisor);
}

q8_pool_window q8_avgpool_window(size_t o, size_t in, uint32_t pad_a, uint32_t pad_b,
                                 uint32_t kernel, uint32_t stride) {
  int64_t start = (int64_t)(o * stride) - (int64_t)pad_a;
  int64_t end = start + (int64_t)kernel;
  const int64_t limit = (int64_t)in + (int64_t)pad_b;
  end = end < limit ? end : limit;
  q8_pool_window w = {.pool = end - start};
  start = start < 0 ? 0 : start;
  end = end < (int64_t)in ? end : (int64_t)in;
  w.size = end > start ? end - start : 0;
  return w;
}

/* ATen computes these in fp32: the products are converted to float first. */
size_t q8_adaptive_start(size_t o, size_t in, size_t out) {
  return (size_t)floorf((float)(o * in) / (float)out);
}

size_t q8_adaptive_end(size_t o, size_t in, size_t out) {
  return (size_t)ceilf((float)((o + 1) * in) / (float)out);
}

float q8_resize_ratio(size_t in, size_t out, double scale) {
  if (scale > 0.0) return (float)(1.0 / scale);
  return (float)in / (float)out;
}

/* No shortcut for out == in or out == 2 * in: PyTorch's quantized kernel
 * has none, and with a scale factor given they would differ. */
size_t q8_nearest_source(size_t dst, size_t in, size_t out, float ratio) {
  (void)out;
  const size_t src = (size_t)floorf((float)dst * ratio);
  return src < in - 1 ? src : in - 1;
}

q8_bilinear_tap q8_bilinear_source(size_t dst, size_t in, size_t out, bool align_corners,
                                   double scale) {
  float src;
  if (align_corners) {
    const float r = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    src = r * (float)dst;
  } else {
    const float r = q8_resize_ratio(in, out, scale);
    src = r * ((float)dst + 0.5f) - 0.5f;
    src = src < 0.0f ? 0.0f : src;
  }
  q8_bilinear_tap t;
  t.i0 = (size_t)src;
  t.step = t.i0 < in - 1 ? 1 : 0;
  t.l1 = src - (float)t.i0;
  t.l0 = 1.0f - t.l1;
  return t;
}

void q8_softmax_table(float input_scale, size_t channels, uint32_t table[256]) {
  const double q = fmin((double)UINT32_MAX / (double)channels, 8388607.0);
  for (int i = 0; i < 256; i++) {
    table[i] = (uint32_t)lrint(q * exp((double)(i - 255) * (double)input_scale));
  }
}

void q8_requantize_table(float from_scale, int32_t from_zero_point, float to_scale,
                         int32_t to_zero_point, uint8_t table[256]) {
  const float inverse = 1.0f / to_scale;
  for (int i = 0; i < 256; i++) {
    const float x = q8_dequantize_value((uint8_t)i, from_scale, from_zero_point);
    table[i] = q8_quantize_value(x, inverse, to_zero_point);
  }
}

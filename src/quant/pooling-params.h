/*
 * PyTorch 1.13.1's index and multiplier rules for the pooling family
 * (docs/pytorch-numerics.md sections 6 and 7; include/q8/pooling.h).
 */
#ifndef Q8_QUANT_POOLING_PARAMS_H
#define Q8_QUANT_POOLING_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pooling output size along one axis (floor or ceil mode, with the rule that
 * the last window starts inside the input or the leading padding); false if
 * the padded input is smaller than the dilated kernel. */
bool q8_pool_output_size(size_t in, uint32_t pad_a, uint32_t pad_b, uint32_t kernel,
                         uint32_t stride, uint32_t dilation, bool ceil_mode, size_t* out);

/* QNNPACK average pooling: input_scale / (output_scale * (float)k), fp32. */
float q8_avgpool_qnnpack_multiplier(float input_scale, float output_scale, size_t k);

/* ATen's generic average pooling: (float)(((double)in / out) / divisor). */
float q8_avgpool_generic_multiplier(float input_scale, float output_scale, int64_t divisor);

/* ATen's generic average pooling divisor of the window starting at
 * o * stride - pad_a (one axis per call for the extents; see pooling.h). */
typedef struct q8_pool_window {
  int64_t pool;  /* extent before clipping to the image */
  int64_t size;  /* extent inside the image */
} q8_pool_window;
q8_pool_window q8_avgpool_window(size_t o, size_t in, uint32_t pad_a, uint32_t pad_b,
                                 uint32_t kernel, uint32_t stride);

/* Adaptive pooling window [start, end) of output index o (fp32 rule). */
size_t q8_adaptive_start(size_t o, size_t in, size_t out);
size_t q8_adaptive_end(size_t o, size_t in, size_t out);

/* The fp32 ratio PyTorch's resize kernels use: scale ? 1/scale : in/out. */
float q8_resize_ratio(size_t in, size_t out, double scale);

/* Nearest source index of dst (quantized upsample_nearest2d):
 * min(floor((float)dst * ratio), in - 1). */
size_t q8_nearest_source(size_t dst, size_t in, size_t out, float ratio);

/* Bilinear source of dst: index i0, step (0 or 1) to the second sample, and
 * the weights l0, l1. */
typedef struct q8_bilinear_tap {
  size_t i0, step;
  float l0, l1;
} q8_bilinear_tap;
q8_bilinear_tap q8_bilinear_source(size_t dst, size_t in, size_t out, bool align_corners,
                                   double scale);

/* QNNPACK's softmax table: lrint(Q * exp((i - 255) * input_scale)),
 * Q = min(UINT32_MAX / channels, 8388607), in double. */
void q8_softmax_table(float input_scale, size_t channels, uint32_t table[256]);

/* Requantization table for concat: dequantize with `from`, quantize to `to`. */
void q8_requantize_table(float from_scale, int32_t from_zero_point, float to_scale,
                         int32_t to_zero_point, uint8_t table[256]);

#endif

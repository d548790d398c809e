/*
 * Pooling and data-movement micro-kernels: max / average / global average
 * pooling, channel shuffle, bilinear interpolation and the integer softmax
 * normalization. Kernels see pointers and counts only; the operators in
 * src/runtime/ops/ build indirection buffers and per-pixel multipliers.
 */
#ifndef Q8_KERNELS_POOLING_H
#define Q8_KERNELS_POOLING_H

#include <stddef.h>
#include <stdint.h>

typedef struct q8_maxpool_params {
  uint8_t output_min, output_max;
} q8_maxpool_params;

/* Max over ks taps per channel, clamped: pixel p's ks tap pointers are at
 * input[p * input_stride] (input_stride in pointers); outputs are
 * output_stride bytes apart. Padding taps point at a buffer of zeros. */
typedef void (*q8_maxpool_ukernel_fn)(size_t output_pixels, size_t ks, size_t channels,
                                      const uint8_t* const* input, size_t input_stride,
                                      uint8_t* output, size_t output_stride,
                                      const q8_maxpool_params* params);

/* Output stage of the averaging kernels:
 *   acc = sum over taps of (q - input_zero_point)                (int32)
 *   v   = (float)acc * multiplier                                (fp32)
 *   zero_point_before_rounding: y = clamp(rne(v + (float)output_zero_point))
 *   otherwise:                  y = clamp(rne(v) + output_zero_point)
 * clamped to [output_min, output_max]. */
typedef struct q8_avgpool_params {
  int32_t input_zero_point;
  int32_t output_zero_point;
  uint8_t output_min, output_max;
  uint8_t zero_point_before_rounding;
} q8_avgpool_params;

/* Average over ks taps (same tap layout as maxpool; padding taps point at a
 * buffer of input zero points). Pixel p uses multipliers[p * multiplier_stride]
 * (stride 0: one multiplier for all). */
typedef void (*q8_avgpool_ukernel_fn)(size_t output_pixels, size_t ks, size_t channels,
                                      const uint8_t* const* input, size_t input_stride,
                                      const float* multipliers, size_t multiplier_stride,
                                      uint8_t* output, size_t output_stride,
                                      const q8_avgpool_params* params);

/* Global average of `rows` pixels input_stride bytes apart into one pixel. */
typedef void (*q8_gavgpool_ukernel_fn)(size_t rows, size_t channels, const uint8_t* input,
                                       size_t input_stride, float multiplier, uint8_t* output,
                                       const q8_avgpool_params* params);

/* Channel shuffle of `pixels` pixels: y[c * groups + g] = x[g * group_channels + c]. */
typedef void (*q8_shuffle_ukernel_fn)(size_t pixels, size_t groups, size_t group_channels,
                                      const uint8_t* input, size_t input_stride, uint8_t* output,
                                      size_t output_stride);

/* Bilinear interpolation of `pixels` output pixels. Pixel p reads four
 * corner pointers corners[4p .. 4p+3] = (top-left, top-right, bottom-left,
 * bottom-right) and four fp32 weights lambdas[4p .. 4p+3] = (h_l0, h_l1,
 * w_l0, w_l1):
 *   v = (h_l0 * (w_l0 * tl + w_l1 * tr) + h_l1 * (w_l0 * bl + w_l1 * br)) - zp
 *   y = clamp(rne(v) + zp, 0, 255), every operation rounded to fp32. */
typedef void (*q8_bilinear_ukernel_fn)(size_t pixels, size_t channels,
                                       const uint8_t* const* corners, const float* lambdas,
                                       uint8_t* output, size_t output_stride,
                                       int32_t zero_point);

/* Integer softmax of one row of n codes (QNNPACK's normalization): t is a
 * 256-entry table indexed by (x + 255 - max x); S = sum t[..] (uint32);
 * y = min(255, ((t[..] << 8) + S / 2) / S) (uint32). */
typedef void (*q8_lut32norm_ukernel_fn)(size_t n, const uint8_t* x, const uint32_t table[256],
                                        uint8_t* y);

typedef struct q8_pooling_config {
  q8_maxpool_ukernel_fn maxpool;
  q8_avgpool_ukernel_fn avgpool;
  q8_gavgpool_ukernel_fn gavgpool;
  q8_shuffle_ukernel_fn shuffle;
  q8_bilinear_ukernel_fn bilinear;
  q8_lut32norm_ukernel_fn lut32norm;
} q8_pooling_config;

#endif

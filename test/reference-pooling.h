/*
 * Naive references for the pooling-family tests, written from the rules in
 * include/q8/pooling.h (PyTorch's formulas), independently of the
 * indirection buffers and micro-kernels they check.
 */
#ifndef Q8_TEST_REFERENCE_POOLING_H
#define Q8_TEST_REFERENCE_POOLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ref_pool {
  size_t batch, input_height, input_width, channels;
  size_t input_pixel_stride, output_pixel_stride; /* resolved, never 0 */
  uint32_t kernel_height, kernel_width, stride_height, stride_width;
  uint32_t dilation_height, dilation_width;
  uint32_t padding_top, padding_left, padding_bottom, padding_right;
  bool ceil_mode, count_include_pad, channels_last_rounding;
  uint32_t divisor_override;
  size_t adaptive_height, adaptive_width;
  float input_scale, output_scale;
  int32_t input_zero_point, output_zero_point;
  uint8_t output_min, output_max;
} ref_pool;

/* Max / average pooling output size (PyTorch's pooling_output_shape). */
void ref_pool_output_size(const ref_pool* p, size_t* output_height, size_t* output_width);
void ref_max_pool(const ref_pool* p, const uint8_t* input, uint8_t* output);
void ref_avg_pool(const ref_pool* p, const uint8_t* input, uint8_t* output);
void ref_adaptive_avg_pool(const ref_pool* p, const uint8_t* input, uint8_t* output);
/* Output: batch rows output_pixel_stride apart. */
void ref_global_avg_pool(const ref_pool* p, const uint8_t* input, uint8_t* output);

void ref_concat(size_t num_inputs, const size_t* channels, const size_t* strides,
                const float* scales, const int32_t* zero_points, float output_scale,
                int32_t output_zero_point, size_t pixels, const uint8_t* const* inputs,
                uint8_t* output, size_t output_stride);

void ref_channel_shuffle(size_t groups, size_t group_channels, size_t pixels,
                         const uint8_t* input, size_t input_stride, uint8_t* output,
                         size_t output_stride);

typedef struct ref_resize {
  bool bilinear, align_corners;
  size_t batch, input_height, input_width, output_height, output_width, channels;
  size_t input_pixel_stride, output_pixel_stride;
  double scale_height, scale_width; /* 0: not given */
  int32_t zero_point;
} ref_resize;
void ref_resize2d(const ref_resize* r, const uint8_t* input, uint8_t* output);

void ref_softmax(size_t channels, size_t pixels, const uint8_t* input, size_t input_stride,
                 float input_scale, int32_t input_zero_point, uint8_t* output,
                 size_t output_stride, float output_scale, int32_t output_zero_point);

#endif

/*
 * Naive references for the operator tests, written from the rules in
 * include/q8/operators.h and independently of the packing, indirection and
 * micro-kernel code they check.
 */
#ifndef Q8_TEST_REFERENCE_H
#define Q8_TEST_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The requantization rule, with double arithmetic where it is exact:
 * the product of two floats is exact in double, so rounding it to float once
 * is the fp32 multiply. */
uint8_t ref_requantize(int64_t acc, float input_scale, float weight_scale, float output_scale,
                       int32_t output_zero_point, uint8_t output_min, uint8_t output_max);

/* round_half_even(bias * (1 / (float)(input_scale * weight_scale))), every
 * step in fp32, saturated to int32: PyTorch's qint32 bias. */
int64_t ref_quantize_bias(float bias, float input_scale, float weight_scale);

typedef struct ref_conv {
  size_t batch, input_height, input_width;
  uint32_t kernel_height, kernel_width, stride_height, stride_width;
  uint32_t dilation_height, dilation_width;
  uint32_t padding_top, padding_left, padding_bottom, padding_right;
  uint32_t output_padding_height, output_padding_width;
  uint32_t groups;
  size_t group_input_channels, group_output_channels;
  size_t input_pixel_stride, output_pixel_stride;
  bool transposed;
  float input_scale, output_scale;
  int32_t input_zero_point, output_zero_point;
  size_t weight_quant_count; /* 1 or output channels */
  const float* weight_scales;
  const int32_t* weight_zero_points; /* may be NULL */
  uint8_t output_min, output_max;
} ref_conv;

void ref_conv_output_size(const ref_conv* c, size_t* output_height, size_t* output_width);

/* Convolution (or, if transposed, scatter-form transposed convolution). */
void ref_convolution(const ref_conv* c, const uint8_t* input, const int8_t* weights,
                     const float* bias, uint8_t* output);

/* Dynamic linear, in double for the accumulation. */
void ref_dynamic_linear(size_t batch, size_t input_channels, size_t output_channels,
                        const float* input, const int8_t* weights, size_t weight_quant_count,
                        const float* weight_scales, const int32_t* weight_zero_points,
                        const float* bias, bool relu, float* output, float* chosen_scale,
                        int32_t* chosen_zero_point);

#endif

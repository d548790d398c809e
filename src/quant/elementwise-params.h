/*
 * PyTorch 1.13.1's rules for the elementwise family (include/q8/elementwise.h
 * states them; docs/pytorch-numerics.md sections 1, 4 and 5).
 */
#ifndef Q8_QUANT_ELEMENTWISE_PARAMS_H
#define Q8_QUANT_ELEMENTWISE_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "q8/elementwise.h"
#include "../kernels/elementwise.h"

/* QNNPACK's fixed-point add parameters; false when a scale ratio is outside
 * [2^-10, 2^8), where q8 uses the float rule instead. */
bool q8_add_fixed_params(q8_quantization a, q8_quantization b, q8_quantization output,
                         uint8_t output_min, uint8_t output_max, q8_add_params* params);

/* ATen's float add: dequantization tables (AVX2 fmaf form) and the output
 * quantization. */
void q8_add_dq_params_init(q8_quantization a, q8_quantization b, q8_quantization output,
                           uint8_t output_min, uint8_t output_max, q8_add_dq_params* params);

/* ATen's quantized mul. */
void q8_mul_params_init(q8_quantization a, q8_quantization b, q8_quantization output,
                        uint8_t output_min, uint8_t output_max, q8_mul_params* params);

/* Dequantization as ATen's AVX2 loop body does it:
 * fmaf(f32(s), (float)q, f32(-(float)z * s)). */
float q8_dequantize_fma(uint8_t q, float scale, int32_t zero_point);

/* The 256-entry table of a unary operator (params validated by the caller;
 * NULL allowed for kinds without parameters). */
void q8_unary_table_init(q8_unary_kind kind, const q8_unary_params* params,
                         q8_quantization input, q8_quantization output, uint8_t table[256]);

#endif

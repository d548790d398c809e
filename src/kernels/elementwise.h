/* Elementwise micro-kernels: binary add/mul, table lookup, quantize and
 * dequantize. Kernels see only element counts, pointers and the params
 * structs below (built by src/quant/elementwise-params.c). */
#ifndef Q8_KERNELS_ELEMENTWISE_H
#define Q8_KERNELS_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*q8_lut_ukernel_fn)(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]);

/* QNNPACK's fixed-point add: acc = zero_point_product + a_multiplier * a +
 * b_multiplier * b (int32), y = clamp(output_zero_point + (acc >> shift
 * rounded half away from zero), output_min, output_max). shift in [14, 31]. */
typedef struct q8_add_params {
  int32_t zero_point_product; /* -(a_multiplier * a_zp + b_multiplier * b_zp) */
  int32_t a_multiplier, b_multiplier;
  uint32_t shift;
  int32_t output_zero_point;
  uint8_t output_min, output_max;
} q8_add_params;

/* Float add: y = clamp(quantize(a_table[a] + b_table[b]), output_min,
 * output_max); the tables hold each input's dequantized values. */
typedef struct q8_add_dq_params {
  float a_table[256];
  float b_table[256];
  float output_inverse_scale;
  int32_t output_zero_point;
  uint8_t output_min, output_max;
} q8_add_dq_params;

/* Multiply: y = clamp(output_zero_point + rne((float)((a - a_zp) *
 * (b - b_zp)) * multiplier), output_min, output_max). */
typedef struct q8_mul_params {
  int32_t a_zero_point, b_zero_point;
  float multiplier;
  int32_t output_zero_point;
  uint8_t output_min, output_max;
} q8_mul_params;

/* quantize: y = quantize_val(x) (see src/quant/quantize.h). */
typedef struct q8_quantize_params {
  float inverse_scale;
  int32_t zero_point;
} q8_quantize_params;

/* dequantize: y = (float)(x - zero_point) * scale. */
typedef struct q8_dequantize_params {
  float scale;
  int32_t zero_point;
} q8_dequantize_params;

/* n elements of a, b and y. */
typedef void (*q8_vadd_ukernel_fn)(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                   const q8_add_params* params);
typedef void (*q8_vadd_dq_ukernel_fn)(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                      const q8_add_dq_params* params);
typedef void (*q8_vmul_ukernel_fn)(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                   const q8_mul_params* params);
/* "c" variants: b is one element (*b) broadcast over the n elements of a. */
typedef q8_vadd_dq_ukernel_fn q8_vadd_dq_c_ukernel_fn;
typedef q8_vmul_ukernel_fn q8_vmul_c_ukernel_fn;

typedef void (*q8_quantize_ukernel_fn)(size_t n, const float* x, uint8_t* y,
                                       const q8_quantize_params* params);
typedef void (*q8_dequantize_ukernel_fn)(size_t n, const uint8_t* x, float* y,
                                         const q8_dequantize_params* params);

typedef struct q8_elementwise_config {
  q8_lut_ukernel_fn lut;
  q8_vadd_ukernel_fn vadd;
  q8_vadd_dq_ukernel_fn vadd_dq;
  q8_vadd_dq_c_ukernel_fn vadd_dq_c;
  q8_vmul_ukernel_fn vmul;
  q8_vmul_c_ukernel_fn vmul_c;
  q8_quantize_ukernel_fn quantize;
  q8_dequantize_ukernel_fn dequantize;
} q8_elementwise_config;

#endif

/*
 * Quantize and dequantize with PyTorch's rules, and the choice of qparams
 * for dynamic quantization.
 *   quantize:   q = clamp(zp + round_half_even(x * (1.0f / scale)), 0, 255)
 *               (fp32 throughout, as ATen's quantize_val does)
 *   dequantize: x = (float)(q - zp) * scale
 */
#ifndef Q8_QUANT_QUANTIZE_H
#define Q8_QUANT_QUANTIZE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline uint8_t q8_quantize_value(float x, float inverse_scale, int32_t zero_point) {
  /* Computed in float like ATen; the clamp in float keeps NaN/inf and huge
   * values defined (NaN maps to the zero point's clamp of 0 shift). */
  float r = nearbyintf(x * inverse_scale);
  const float lo = (float)(0 - zero_point), hi = (float)(255 - zero_point);
  r = r < lo ? lo : r;
  r = r > hi ? hi : r;
  if (r != r) r = 0.0f; /* NaN */
  return (uint8_t)((int32_t)r + zero_point);
}

/* ATen's quantize_val exactly, including its treatment of non-finite and
 * huge values: it converts the rounded product to int64 before clamping, and
 * on x86 (the reference build) that conversion of NaN, +-inf or |r| >= 2^63
 * yields INT64_MIN, which clamps to 0 (torch.quantize_per_tensor(inf) is 0;
 * ARM64 saturates instead). Finite products below 2^63 agree with
 * q8_quantize_value. */
static inline uint8_t q8_quantize_value_aten(float x, float inverse_scale, int32_t zero_point) {
  const float r = nearbyintf(x * inverse_scale);
  if (!(fabsf(r) < 0x1p63f)) return 0;
  return q8_quantize_value(x, inverse_scale, zero_point);
}

static inline float q8_dequantize_value(uint8_t q, float scale, int32_t zero_point) {
  return (float)((int32_t)q - zero_point) * scale;
}

typedef struct q8_dynamic_qparams {
  float scale;
  int32_t zero_point;
} q8_dynamic_qparams;

/* PyTorch's ChooseQuantizationParams for uint8 [0, 255] without
 * reduce_range, as its dynamic linear uses with the qnnpack engine. */
q8_dynamic_qparams q8_choose_dynamic_qparams(float min, float max);

#endif

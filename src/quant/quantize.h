/*
 * Quantize and dequantize with PyTorch's rules, and the choice of qparams
 * for dynamic quantization.
 *   quantize:   q = clamp(zp + round_half_even(x * (1.0f / scale)), 0, 255)
 *               (fp32 throughout, as ATen's quantize_val does; NaN gives 0)
 *   dequantize: x = (float)(q - zp) * scale
 */
#ifndef Q8_QUANT_QUANTIZE_H
#define Q8_QUANT_QUANTIZE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/*
 * ATen's quantize_val: the rounded product is converted to int64 and then
 * clamped. That conversion is where platforms differ on non-finite and huge
 * values: ARM64 (PyTorch's qnnpack platform) saturates, so +inf gives 255 and
 * -inf 0, while x86 turns every out-of-range value into INT64_MIN, so +inf
 * gives 0 there. q8 follows ARM64: saturation is also the only reading that
 * keeps quantize monotonic. NaN converts to 0 on both, and 0 clamps to 0
 * whatever the zero point. Finite products below 2^63 agree everywhere.
 * (Exception: a model's input quantize_per_tensor, in
 * src/runtime/plan/quantize-input.c, applies the x86 rule on top, so that
 * whole-model outputs match the PyTorch reference runs made on x86.)
 */
static inline uint8_t q8_quantize_value(float x, float inverse_scale, int32_t zero_point) {
  float r = nearbyintf(x * inverse_scale);
  if (r != r) return 0; /* NaN */
  const float lo = (float)(0 - zero_point), hi = (float)(255 - zero_point);
  r = r < lo ? lo : r;
  r = r > hi ? hi : r;
  return (uint8_t)((int32_t)r + zero_point);
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

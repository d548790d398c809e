/*
 * Requantization, bit-exact with PyTorch's qnnpack engine.
 *
 * For an output channel c of a convolution or linear layer:
 *   multiplier[c] = (weight_scale[c] * input_scale) * (1.0f / output_scale)
 *       every step in fp32, in this order (q8_requantization_multiplier);
 *   bias_q[c] = round_half_even(bias[c] * (1.0f / (float)((double)weight_scale[c] *
 *                                                          input_scale)))
 *       in fp32, saturated to int32 (q8_quantize_bias);
 *   acc = sum_k (x_k - input_zp) * (w_ck - weight_zp[c]) + bias_q[c]  (int32);
 *   y = clamp(round_half_even((float)acc * multiplier[c]) + output_zp,
 *             output_min, output_max).
 * Any positive, finite multiplier is accepted (qnnpack itself refuses >= 1).
 * The product is clamped in fp32 to [output_min - zp, output_max - zp] before
 * rounding, which equals clamping after an exact rounding (the bounds are
 * integers) and keeps huge products from overflowing int32. The float
 * conversion of acc rounds to nearest even when |acc| > 2^24, exactly as
 * cvtdq2ps / scvtf do.
 */
#ifndef Q8_QUANT_REQUANTIZATION_H
#define Q8_QUANT_REQUANTIZATION_H

#include <math.h>
#include <stdint.h>

static inline uint8_t q8_requantize(int32_t acc, float multiplier, int32_t output_zero_point,
                                    uint8_t output_min, uint8_t output_max) {
  float scaled = (float)acc * multiplier;
  const float lo = (float)((int32_t)output_min - output_zero_point);
  const float hi = (float)((int32_t)output_max - output_zero_point);
  scaled = scaled < lo ? lo : scaled;
  scaled = scaled > hi ? hi : scaled;
  /* nearbyintf rounds half to even in the default rounding mode. */
  return (uint8_t)((int32_t)nearbyintf(scaled) + output_zero_point);
}

/* (weight_scale * input_scale) * (1 / output_scale), all fp32. */
float q8_requantization_multiplier(float input_scale, float weight_scale, float output_scale);

/* The int32 bias PyTorch's qnnpack engine adds to the accumulator. */
int32_t q8_quantize_bias(float bias, float input_scale, float weight_scale);

#endif

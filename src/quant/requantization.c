#include "requantization.h"

float q8_requantization_multiplier(float input_scale, float weight_scale, float output_scale) {
  const float inverse_output_scale = 1.0f / output_scale;
  const float input_times_weight = weight_scale * input_scale;
  return input_times_weight * inverse_output_scale;
}

int32_t q8_quantize_bias(float bias, float input_scale, float weight_scale) {
  /* PyTorch quantizes the bias to qint32 with scale input_scale *
   * weight_scale (a double) and zero point 0, rounding half to even. */
  const double bias_scale = (double)weight_scale * (double)input_scale;
  const double q = nearbyint((double)bias / bias_scale);
  if (q >= 2147483647.0) return INT32_MAX;
  if (q <= -2147483648.0) return INT32_MIN;
  return (int32_t)q;
}

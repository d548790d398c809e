#include "requantization.h"

float q8_requantization_multiplier(float input_scale, float weight_scale, float output_scale) {
  const float inverse_output_scale = 1.0f / output_scale;
  const float input_times_weight = weight_scale * input_scale;
  return input_times_weight * inverse_output_scale;
}

int32_t q8_quantize_bias(float bias, float input_scale, float weight_scale) {
  /* PyTorch quantizes the bias as a qint32 tensor whose scale is the double
   * product weight_scale * input_scale, with its usual quantize rule: fp32
   * multiply by the fp32 reciprocal of the (fp32-rounded) scale, round half to
   * even, clamp. Dividing instead differs on near-ties (docs/pytorch-numerics.md). */
  const float bias_scale = (float)((double)weight_scale * (double)input_scale);
  const float inverse = 1.0f / bias_scale;
  const float q = nearbyintf(bias * inverse);
  if (!(q < 2147483648.0f)) return q != q ? 0 : INT32_MAX;
  if (q < -2147483648.0f) return INT32_MIN;
  return (int32_t)q;
}

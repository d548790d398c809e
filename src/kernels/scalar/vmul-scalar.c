#include "scalar-kernels.h"

#include <math.h>

/* Shared by the two multiply kernels: one product requantized in fp32. */
static inline uint8_t mul_requantize(int32_t product, const q8_mul_params* p) {
  float v = (float)product * p->multiplier;
  /* Clamping before rounding equals clamping after (the bounds are
   * integers) and keeps huge products out of int32. */
  const float lo = (float)((int32_t)p->output_min - p->output_zero_point);
  const float hi = (float)((int32_t)p->output_max - p->output_zero_point);
  v = v < lo ? lo : (v > hi ? hi : v);
  return (uint8_t)((int32_t)nearbyintf(v) + p->output_zero_point);
}

void q8_vmul_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                             const q8_mul_params* params) {
  for (size_t i = 0; i < n; i++) {
    const int32_t product =
        ((int32_t)a[i] - params->a_zero_point) * ((int32_t)b[i] - params->b_zero_point);
    y[i] = mul_requantize(product, params);
  }
}

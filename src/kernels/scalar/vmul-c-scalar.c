#include "scalar-kernels.h"

#include <math.h>

void q8_vmul_c_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                               const q8_mul_params* params) {
  const int32_t db = (int32_t)*b - params->b_zero_point;
  const float lo = (float)((int32_t)params->output_min - params->output_zero_point);
  const float hi = (float)((int32_t)params->output_max - params->output_zero_point);
  for (size_t i = 0; i < n; i++) {
    float v = (float)(((int32_t)a[i] - params->a_zero_point) * db) * params->multiplier;
    v = v < lo ? lo : (v > hi ? hi : v); /* integer bounds: same as clamping after */
    y[i] = (uint8_t)((int32_t)nearbyintf(v) + params->output_zero_point);
  }
}

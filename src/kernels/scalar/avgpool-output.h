/* The output stage shared by the scalar averaging kernels (see
 * q8_avgpool_params in ../pooling.h). */
#ifndef Q8_KERNELS_SCALAR_AVGPOOL_OUTPUT_H
#define Q8_KERNELS_SCALAR_AVGPOOL_OUTPUT_H

#include <math.h>

#include "../pooling.h"

static inline uint8_t q8_avgpool_output(int32_t acc, float multiplier,
                                        const q8_avgpool_params* p) {
  /* The bounds are integers, so clamping before rounding equals clamping
   * after it, and keeps the conversion to int in range. */
  float v = (float)acc * multiplier;
  int32_t offset = p->output_zero_point;
  if (p->zero_point_before_rounding) {
    v = v + (float)p->output_zero_point; /* PyTorch rounds after adding it */
    offset = 0;
  }
  const float lo = (float)((int32_t)p->output_min - offset);
  const float hi = (float)((int32_t)p->output_max - offset);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (uint8_t)((int32_t)nearbyintf(v) + offset);
}

#endif

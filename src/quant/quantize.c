#include "quantize.h"

q8_dynamic_qparams q8_choose_dynamic_qparams(float min, float max) {
  const int32_t qmin = 0, qmax = 255;
  /* The range always includes zero so that zero is exactly representable. */
  if (min > 0.0f) min = 0.0f;
  if (max < 0.0f) max = 0.0f;
  double scale = ((double)max - (double)min) / (double)(qmax - qmin);
  if ((float)scale == 0.0f || isinf(1.0f / (float)scale)) scale = 0.1;
  /* Very small scales are raised to a threshold, widening the range. */
  const float small_scale_threshold = 6.1e-5f;
  if (scale < small_scale_threshold) {
    const float original = (float)scale;
    scale = small_scale_threshold;
    if (min == 0.0f) {
      max = (float)(scale * (qmax - qmin));
    } else if (max == 0.0f) {
      min = (float)(-scale * (qmax - qmin));
    } else {
      const float amplifier = small_scale_threshold / original;
      min *= amplifier;
      max *= amplifier;
    }
  }
  /* The zero point comes from whichever end loses less precision. */
  const double zp_from_min = qmin - min / scale;
  const double zp_from_max = qmax - max / scale;
  const double zp_from_min_error = fabs((double)qmin) - fabs(min / scale);
  const double zp_from_max_error = fabs((double)qmax) - fabs(max / scale);
  const double initial = zp_from_min_error < zp_from_max_error ? zp_from_min : zp_from_max;
  int32_t zero_point;
  if (initial < qmin) {
    zero_point = qmin;
  } else if (initial > qmax) {
    zero_point = qmax;
  } else {
    zero_point = (int32_t)nearbyint(initial);
  }
  return (q8_dynamic_qparams){.scale = (float)scale, .zero_point = zero_point};
}

#include <math.h>

#include "scalar-kernels.h"

/* Weights multiply the raw codes and the zero point is subtracted after the
 * blend, in this association, because that is the order PyTorch's fp32
 * arithmetic rounds in (the build uses -ffp-contract=off: no FMA). */
void q8_bilinear_ukernel__scalar(size_t pixels, size_t channels, const uint8_t* const* corners,
                                 const float* lambdas, uint8_t* output, size_t output_stride,
                                 int32_t zero_point) {
  const float zp = (float)zero_point;
  for (size_t p = 0; p < pixels; p++) {
    const uint8_t *tl = corners[4 * p], *tr = corners[4 * p + 1];
    const uint8_t *bl = corners[4 * p + 2], *br = corners[4 * p + 3];
    const float hl0 = lambdas[4 * p], hl1 = lambdas[4 * p + 1];
    const float wl0 = lambdas[4 * p + 2], wl1 = lambdas[4 * p + 3];
    uint8_t* out = output + p * output_stride;
    for (size_t c = 0; c < channels; c++) {
      const float top = wl0 * (float)tl[c] + wl1 * (float)tr[c];
      const float bottom = wl0 * (float)bl[c] + wl1 * (float)br[c];
      const float v = (hl0 * top + hl1 * bottom) - zp;
      int32_t y = (int32_t)nearbyintf(v) + zero_point;
      y = y < 0 ? 0 : y;
      out[c] = (uint8_t)(y > 255 ? 255 : y);
    }
  }
}

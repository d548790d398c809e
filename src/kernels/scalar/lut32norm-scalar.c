#include "scalar-kernels.h"

/* Unsigned 32-bit arithmetic throughout, wrapping like QNNPACK's: the table
 * is scaled so that the sum of a row fits. */
void q8_lut32norm_ukernel__scalar(size_t n, const uint8_t* x, const uint32_t table[256],
                                  uint8_t* y) {
  uint8_t max = 0;
  for (size_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
  const uint32_t* t = table + (255 - max);
  uint32_t sum = 0;
  for (size_t i = 0; i < n; i++) sum += t[x[i]];
  const uint32_t rounding = sum >> 1;
  for (size_t i = 0; i < n; i++) {
    const uint32_t q = ((t[x[i]] << 8) + rounding) / sum;
    y[i] = q > 255 ? 255 : (uint8_t)q;
  }
}

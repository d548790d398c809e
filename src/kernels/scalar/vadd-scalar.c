#include "scalar-kernels.h"

/* acc >> shift, rounded half away from zero: the remainder is compared with
 * half the divisor, biased by one for negative acc so that -x.5 rounds down
 * (QNNPACK's formulation, written from its rule). */
static int32_t shift_round_away(int32_t acc, uint32_t shift) {
  const int32_t mask = (int32_t)((UINT32_C(1) << shift) - 1);
  const int32_t threshold = mask >> 1;
  const int32_t remainder = (acc & mask) - (acc < 0 ? 1 : 0);
  /* >> of a negative int32 is arithmetic with gcc and clang. */
  return (acc >> shift) + (remainder > threshold ? 1 : 0);
}

void q8_vadd_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                             const q8_add_params* params) {
  const int32_t lo = params->output_min, hi = params->output_max;
  for (size_t i = 0; i < n; i++) {
    /* Cannot overflow: both multipliers are below 2^22 and |a|, |b| <= 255. */
    const int32_t acc = params->zero_point_product + params->a_multiplier * (int32_t)a[i] +
                        params->b_multiplier * (int32_t)b[i];
    int32_t q = shift_round_away(acc, params->shift) + params->output_zero_point;
    q = q < lo ? lo : (q > hi ? hi : q);
    y[i] = (uint8_t)q;
  }
}

#include "neon-families.h"
#include "neon-kernels.h"

/* Column sums of n <= 8 channels from c over `rows` rows: uint16 lanes
 * hold 256 rows of at most 255 before they are folded into uint32 (rows
 * reach 2^23). */
static inline void sum_rows8(size_t rows, const uint8_t* input, size_t input_stride, size_t n,
                             uint32x4_t* sum_lo, uint32x4_t* sum_hi) {
  uint32x4_t lo = vdupq_n_u32(0), hi = vdupq_n_u32(0);
  for (size_t r = 0; r < rows;) {
    const size_t chunk_end = rows - r > 256 ? r + 256 : rows;
    uint16x8_t sum = vdupq_n_u16(0);
    for (; r < chunk_end; r++) sum = vaddw_u8(sum, q8_neon_load_u8x8(input + r * input_stride, n));
    lo = vaddw_u16(lo, vget_low_u16(sum));
    hi = vaddw_u16(hi, vget_high_u16(sum));
  }
  *sum_lo = lo;
  *sum_hi = hi;
}

void q8_gavgpool_ukernel_8c__neon(size_t rows, size_t channels, const uint8_t* input,
                                  size_t input_stride, float multiplier, uint8_t* output,
                                  const q8_avgpool_params* params) {
  const int32x4_t bias = vdupq_n_s32(-(int32_t)rows * params->input_zero_point);
  const float32x4_t m = vdupq_n_f32(multiplier);
  const q8_neon_average_stage stage = q8_neon_average_stage_init(params);
  for (size_t c = 0; c < channels; c += 8) {
    const size_t n = channels - c < 8 ? channels - c : 8;
    uint32x4_t sum_lo, sum_hi;
    sum_rows8(rows, input + c, input_stride, n, &sum_lo, &sum_hi);
    q8_neon_store_u8x8(output + c, q8_neon_average8(sum_lo, sum_hi, bias, m, &stage), n);
  }
}

#include "neon-families.h"
#include "neon-kernels.h"

/* The average over `rows` rows of n <= 8 channels. uint16 lanes sum 256
 * rows of at most 255 before they are folded into uint32 (rows reach 2^23). */
Q8_NEON_BODY uint8x8_t average8(size_t rows, const uint8_t* input, size_t input_stride, size_t n,
                                int32x4_t bias, float32x4_t multiplier,
                                const q8_neon_average_stage* stage) {
  uint32x4_t lo = vdupq_n_u32(0), hi = vdupq_n_u32(0);
  for (size_t r = 0; r < rows;) {
    const size_t chunk_end = rows - r > 256 ? r + 256 : rows;
    uint16x8_t sum = vdupq_n_u16(0);
    for (; r < chunk_end; r++) sum = vaddw_u8(sum, q8_neon_load_u8x8(input + r * input_stride, n));
    lo = vaddw_u16(lo, vget_low_u16(sum));
    hi = vaddw_u16(hi, vget_high_u16(sum));
  }
  return q8_neon_average8(lo, hi, bias, multiplier, stage);
}

/* The last n < 8 channels, through partial loads and stores. */
Q8_NEON_TAIL void average_tail(size_t rows, const uint8_t* input, size_t input_stride, size_t n,
                               int32x4_t bias, float32x4_t multiplier,
                               const q8_neon_average_stage* stage, uint8_t* output) {
  q8_neon_store_u8x8(output, average8(rows, input, input_stride, n, bias, multiplier, stage), n);
}

void q8_gavgpool_ukernel_8c__neon(size_t rows, size_t channels, const uint8_t* input,
                                  size_t input_stride, float multiplier, uint8_t* output,
                                  const q8_avgpool_params* params) {
  const int32x4_t bias = vdupq_n_s32(-(int32_t)rows * params->input_zero_point);
  const float32x4_t m = vdupq_n_f32(multiplier);
  const q8_neon_average_stage stage = q8_neon_average_stage_init(params);
  size_t c = 0;
  for (; channels - c >= 8; c += 8) {
    vst1_u8(output + c, average8(rows, input + c, input_stride, 8, bias, m, &stage));
  }
  if (c != channels) {
    average_tail(rows, input + c, input_stride, channels - c, bias, m, &stage, output + c);
  }
}

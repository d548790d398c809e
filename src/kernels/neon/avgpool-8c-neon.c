#include "neon-families.h"
#include "neon-kernels.h"

/* Sums of the ks taps for n <= 8 channels from c: uint16 lanes hold 256
 * taps of at most 255 before they are folded into uint32. */
static inline void sum_taps8(size_t ks, const uint8_t* const* taps, size_t c, size_t n,
                             uint32x4_t* sum_lo, uint32x4_t* sum_hi) {
  uint32x4_t lo = vdupq_n_u32(0), hi = vdupq_n_u32(0);
  for (size_t k = 0; k < ks;) {
    const size_t chunk_end = ks - k > 256 ? k + 256 : ks;
    uint16x8_t sum = vdupq_n_u16(0);
    for (; k < chunk_end; k++) sum = vaddw_u8(sum, q8_neon_load_u8x8(taps[k] + c, n));
    lo = vaddw_u16(lo, vget_low_u16(sum));
    hi = vaddw_u16(hi, vget_high_u16(sum));
  }
  *sum_lo = lo;
  *sum_hi = hi;
}

void q8_avgpool_ukernel_8c__neon(size_t output_pixels, size_t ks, size_t channels,
                                 const uint8_t* const* input, size_t input_stride,
                                 const float* multipliers, size_t multiplier_stride,
                                 uint8_t* output, size_t output_stride,
                                 const q8_avgpool_params* params) {
  /* sum(q - zp) = sum(q) - ks * zp: padding taps hold zp and cancel out. */
  const int32x4_t bias = vdupq_n_s32(-(int32_t)ks * params->input_zero_point);
  const q8_neon_average_stage stage = q8_neon_average_stage_init(params);
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    const float32x4_t multiplier = vdupq_n_f32(multipliers[p * multiplier_stride]);
    uint8_t* out = output + p * output_stride;
    for (size_t c = 0; c < channels; c += 8) {
      const size_t n = channels - c < 8 ? channels - c : 8;
      uint32x4_t sum_lo, sum_hi;
      sum_taps8(ks, taps, c, n, &sum_lo, &sum_hi);
      q8_neon_store_u8x8(out + c, q8_neon_average8(sum_lo, sum_hi, bias, multiplier, &stage), n);
    }
  }
}

#include "neon-families.h"
#include "neon-kernels.h"

/* The average of the ks taps for n <= 8 channels from c. uint16 lanes sum
 * 256 taps of at most 255 before they are folded into uint32. */
Q8_NEON_BODY uint8x8_t average8(size_t ks, const uint8_t* const* taps, size_t c, size_t n,
                                int32x4_t bias, float32x4_t multiplier,
                                const q8_neon_average_stage* stage) {
  uint32x4_t lo = vdupq_n_u32(0), hi = vdupq_n_u32(0);
  for (size_t k = 0; k < ks;) {
    const size_t chunk_end = ks - k > 256 ? k + 256 : ks;
    uint16x8_t sum = vdupq_n_u16(0);
    for (; k < chunk_end; k++) sum = vaddw_u8(sum, q8_neon_load_u8x8(taps[k] + c, n));
    lo = vaddw_u16(lo, vget_low_u16(sum));
    hi = vaddw_u16(hi, vget_high_u16(sum));
  }
  return q8_neon_average8(lo, hi, bias, multiplier, stage);
}

/* The last n < 8 channels, through partial loads and stores. */
Q8_NEON_TAIL void average_tail(size_t ks, const uint8_t* const* taps, size_t c, size_t n,
                               int32x4_t bias, float32x4_t multiplier,
                               const q8_neon_average_stage* stage, uint8_t* out) {
  q8_neon_store_u8x8(out + c, average8(ks, taps, c, n, bias, multiplier, stage), n);
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
    size_t c = 0;
    for (; channels - c >= 8; c += 8) {
      vst1_u8(out + c, average8(ks, taps, c, 8, bias, multiplier, &stage));
    }
    if (c != channels) average_tail(ks, taps, c, channels - c, bias, multiplier, &stage, out);
  }
}

#include "neon-families.h"
#include "neon-kernels.h"

/* Max over the ks taps of channels c .. c + 15, clamped. Max starts at 0,
 * the identity over uint8, as in maxpool-scalar.c. */
Q8_NEON_BODY void max16(size_t ks, const uint8_t* const* taps, size_t c, uint8_t* out,
                        uint8x16_t lo, uint8x16_t hi) {
  uint8x16_t m = vdupq_n_u8(0);
  for (size_t k = 0; k < ks; k++) m = vmaxq_u8(m, vld1q_u8(taps[k] + c));
  vst1q_u8(out + c, vminq_u8(vmaxq_u8(m, lo), hi));
}

/* The same for n <= 8 channels (half vectors; partial ones out of line). */
Q8_NEON_BODY void max8(size_t ks, const uint8_t* const* taps, size_t c, size_t n, uint8_t* out,
                       uint8x8_t lo, uint8x8_t hi) {
  uint8x8_t m = vdup_n_u8(0);
  for (size_t k = 0; k < ks; k++) m = vmax_u8(m, q8_neon_load_u8x8(taps[k] + c, n));
  q8_neon_store_u8x8(out + c, vmin_u8(vmax_u8(m, lo), hi), n);
}

Q8_NEON_TAIL void max_tail(size_t ks, const uint8_t* const* taps, size_t c, size_t n, uint8_t* out,
                           uint8x8_t lo, uint8x8_t hi) {
  max8(ks, taps, c, n, out, lo, hi);
}

void q8_maxpool_ukernel_16c__neon(size_t output_pixels, size_t ks, size_t channels,
                                  const uint8_t* const* input, size_t input_stride, uint8_t* output,
                                  size_t output_stride, const q8_maxpool_params* params) {
  const uint8x16_t lo = vdupq_n_u8(params->output_min), hi = vdupq_n_u8(params->output_max);
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    uint8_t* out = output + p * output_stride;
    size_t c = 0;
    for (; channels - c >= 16; c += 16) max16(ks, taps, c, out, lo, hi);
    /* a tail of 8 (common channel counts) takes whole half vectors */
    if (channels - c >= 8) {
      max8(ks, taps, c, 8, out, vget_low_u8(lo), vget_low_u8(hi));
      c += 8;
    }
    if (c != channels) max_tail(ks, taps, c, channels - c, out, vget_low_u8(lo), vget_low_u8(hi));
  }
}

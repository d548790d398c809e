/*
 * Depthwise convolution, any kernel size, CR = 8: for each output pixel and
 * block of 8 channels, all ks taps accumulate in two int32x4 registers, then
 * the block is requantized and stored (see dwconv-8c-neon.h).
 * Per tap: 2 loads, 2 widenings, 1 zero-point subtraction (only with
 * weight zero points) and 2 vmlal for 8 multiply-adds.
 */
#include "dwconv-8c-neon.h"
#include "neon-kernels.h"

enum { CR = Q8_NEON_DWCONV_CR };

/* The n (CR when not partial) outputs of the block at c0 for one pixel. */
Q8_NEON_INLINE uint8x8_t dwconv_block(const q8_neon_dwconv_args* d, const uint8_t* const* taps,
                                      size_t c0, size_t n, const char* block,
                                      const q8_neon_requant* r, int subtract, int has_offset,
                                      int partial) {
  const size_t ks = d->ks;
  const int32_t* bias = (const int32_t*)(const void*)block;
  const int8_t* wp = (const int8_t*)(bias + CR);
  const int32_t* tail = q8_neon_dwconv_tail(block, ks);
  const int16x8_t zero_points = q8_neon_dwconv_zero_points(tail, subtract);
  int32x4_t acc[2] = {vld1q_s32(bias), vld1q_s32(bias + 4)};
  for (size_t k = 0; k < ks; k++) {
    const uint8_t* x = q8_neon_dwconv_row(taps[k], d, has_offset) + c0;
    q8_neon_dwconv_mac(acc, q8_neon_dwconv_input(x, n, partial),
                       q8_neon_dwconv_weights(wp + k * CR, zero_points, subtract));
  }
  const float* mult = (const float*)(tail + CR);
  return q8_neon_requantize8(acc[0], acc[1], vld1q_f32(mult), vld1q_f32(mult + 4), r);
}

Q8_NEON_INLINE void dwconv_any_ks(const q8_neon_dwconv_args* d, int subtract, int has_offset) {
  const q8_neon_requant r = q8_neon_requant_init(d->params);
  const size_t block_bytes = q8_neon_dwconv_block_bytes(d->ks);
  const size_t full = d->channels - d->channels % CR, rest = d->channels % CR;
  for (size_t p = 0; p < d->output_pixels; p++) {
    const uint8_t* const* taps = d->input + p * d->input_stride;
    uint8_t* out = d->output + p * d->output_stride;
    const char* block = (const char*)d->w;
    for (size_t c0 = 0; c0 < full; c0 += CR, block += block_bytes) {
      vst1_u8(out + c0, dwconv_block(d, taps, c0, CR, block, &r, subtract, has_offset, 0));
    }
    if (rest != 0) {
      q8_neon_store_u8(out + full,
                       dwconv_block(d, taps, full, rest, block, &r, subtract, has_offset, 1), rest);
    }
  }
}

void q8_dwconv_ukernel_8c__neon(size_t channels, size_t output_pixels, size_t ks,
                                const uint8_t* const* input, size_t input_stride, const void* w,
                                uint8_t* output, size_t output_stride, size_t a_offset,
                                const uint8_t* zero, const q8_requant_params* params) {
  const q8_neon_dwconv_args d = {channels, output_pixels, ks, input, input_stride, w,
                                 output, output_stride, a_offset, zero, params};
  Q8_NEON_DWCONV_DISPATCH(dwconv_any_ks, &d);
}

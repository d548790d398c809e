/*
 * Depthwise 5x5 (ks == 25), CR = 8, single pass: the 25 weight vectors of a
 * block are widened once and reused for every output pixel of the call
 * (see q8_neon_dwconv_square in dwconv-8c-neon.h); ARM64 keeps most of them
 * in registers, ARMv7 all in a stack buffer. Per tap and pixel: the row
 * pointer load, 1 input load, 1 widening, 2 vmlal (plus a weight load on
 * ARMv7 and for the ARM64 spills) for 8 multiply-adds.
 */
#include "dwconv-8c-neon.h"
#include "neon-kernels.h"

Q8_NEON_INLINE void dwconv_5x5(const q8_neon_dwconv_args* d, int subtract, int has_offset) {
  q8_neon_dwconv_square(d, 5, subtract, has_offset);
}

void q8_dwconv_ukernel_8c5x5__neon(size_t channels, size_t output_pixels, size_t ks,
                                   const uint8_t* const* input, size_t input_stride,
                                   const void* w, uint8_t* output, size_t output_stride,
                                   size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params) {
  const q8_neon_dwconv_args d = {channels, output_pixels, ks, input, input_stride, w,
                                 output, output_stride, a_offset, zero, params};
  Q8_NEON_DWCONV_DISPATCH(dwconv_5x5, &d);
}

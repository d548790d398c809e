/*
 * Depthwise 3x3 (ks == 9), CR = 8, single pass: the 9 weight vectors of a
 * block are widened once and reused for every output pixel of the call
 * (see q8_neon_dwconv_square in dwconv-8c-neon.h); ARM64 keeps them in
 * registers, ARMv7 in a stack buffer. Per tap and pixel: the row pointer
 * load, 1 input load, 1 widening, 2 vmlal (ARMv7: plus one weight load) for
 * 8 multiply-adds.
 */
#include "dwconv-8c-neon.h"
#include "neon-kernels.h"

Q8_NEON_INLINE void dwconv_3x3(const q8_neon_dwconv_args* d, int subtract, int has_offset) {
  q8_neon_dwconv_square(d, 3, subtract, has_offset);
}

void q8_dwconv_ukernel_8c3x3__neon(size_t channels, size_t output_pixels, size_t ks,
                                   const uint8_t* const* input, size_t input_stride,
                                   const void* w, uint8_t* output, size_t output_stride,
                                   size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params) {
  const q8_neon_dwconv_args d = {channels, output_pixels, ks, input, input_stride, w,
                                 output, output_stride, a_offset, zero, params};
  Q8_NEON_DWCONV_DISPATCH(dwconv_3x3, &d);
}

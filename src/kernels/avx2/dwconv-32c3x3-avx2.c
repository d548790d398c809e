/*
 * Depthwise 3x3 (ks == 9), CR = 32, AVX2, single pass over each block's
 * pixels (q8_dw32_avx2_square in dwconv-32c-avx2.h): per pixel of a stride-1
 * row, one new column of 3 taps is loaded and interleaved, then 3 columns x
 * (a row pair and a single row) x 4 vpmaddwd + vpaddd.
 */
#include "avx2-kernels.h"
#include "dwconv-32c-avx2.h"

Q8_INLINE void dwconv_3x3(const q8_dw32_args* d, int subtract, int has_offset) {
  q8_dw32_avx2_square(d, 3, subtract, has_offset);
}

void q8_dwconv_ukernel_32c3x3__avx2(size_t channels, size_t output_pixels, size_t ks,
                                    const uint8_t* const* input, size_t input_stride,
                                    const void* w, uint8_t* output, size_t output_stride,
                                    size_t a_offset, const uint8_t* zero,
                                    const q8_requant_params* params) {
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  Q8_DW32_DISPATCH(dwconv_3x3, &d);
}

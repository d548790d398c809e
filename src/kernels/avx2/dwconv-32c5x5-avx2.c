/*
 * Depthwise 5x5 (ks == 25), CR = 32, AVX2, single pass over each block's
 * pixels (q8_dw32_avx2_square in dwconv-32c-avx2.h): per pixel of a stride-1
 * row, one new column of 5 taps is loaded and interleaved, then 5 columns x
 * (two row pairs and a single row) x 4 vpmaddwd + vpaddd.
 */
#include "avx2-kernels.h"
#include "dwconv-32c-avx2.h"

Q8_INLINE void dwconv_5x5(const q8_dw32_args* d, int subtract, int has_offset) {
  q8_dw32_avx2_square(d, 5, subtract, has_offset);
}

void q8_dwconv_ukernel_32c5x5__avx2(size_t channels, size_t output_pixels, size_t ks,
                                    const uint8_t* const* input, size_t input_stride,
                                    const void* w, uint8_t* output, size_t output_stride,
                                    size_t a_offset, const uint8_t* zero,
                                    const q8_requant_params* params) {
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  Q8_DW32_DISPATCH(dwconv_5x5, &d);
}

/*
 * Depthwise 5x5 (ks == 25), CR = 32, AVX-512 VNNI, single pass over each
 * block's pixels (q8_dw32_vnni_square in dwconv-32c-avx512vnni.h): each of
 * the 5 columns of the tap grid is a quad of rows 0-3 and row 4 alone,
 * zero-padded. Along a stride-1 row a pixel loads and interleaves only its
 * new column (5 loads, 12 shuffles) and adds it to the 5 pixels that use
 * it with 40 vpdpbusd, for 800 multiply-adds per pixel. Calls with weight
 * zero points go to the any-ks kernel.
 */
#include "avx512vnni-kernels.h"
#include "dwconv-32c-avx512vnni.h"

void q8_dwconv_ukernel_32c5x5__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                          const uint8_t* const* input, size_t input_stride,
                                          const void* w, uint8_t* output, size_t output_stride,
                                          size_t a_offset, const uint8_t* zero,
                                          const q8_requant_params* params) {
  if (params->subtract_row_sums) {
    q8_dwconv_ukernel_32c__avx512vnni(channels, output_pixels, ks, input, input_stride, w, output,
                                      output_stride, a_offset, zero, params);
    return;
  }
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  if (a_offset != 0) {
    q8_dw32_vnni_square(&d, 5, 1);
  } else {
    q8_dw32_vnni_square(&d, 5, 0);
  }
}

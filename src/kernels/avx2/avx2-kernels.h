/* Declarations of the AVX2 micro-kernels (one definition per file). */
#ifndef Q8_KERNELS_AVX2_KERNELS_H
#define Q8_KERNELS_AVX2_KERNELS_H

#include "../kernels.h"

void q8_gemm_ukernel_7x32c4__avx2(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                  size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                  const q8_requant_params* params);
void q8_igemm_ukernel_7x32c4__avx2(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const uint8_t* const* a, const void* w, uint8_t* c,
                                   size_t c_stride, size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params);
void q8_gemm_dq_ukernel_7x32c4__avx2(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                     size_t a_stride, const void* w, float* c, size_t c_stride,
                                     const q8_gemm_dq_params* params);
void q8_dwconv_ukernel_32c__avx2(size_t channels, size_t output_pixels, size_t ks,
                                 const uint8_t* const* input, size_t input_stride, const void* w,
                                 uint8_t* output, size_t output_stride, size_t a_offset,
                                 const uint8_t* zero, const q8_requant_params* params);
void q8_dwconv_ukernel_32c3x3__avx2(size_t channels, size_t output_pixels, size_t ks,
                                    const uint8_t* const* input, size_t input_stride,
                                    const void* w, uint8_t* output, size_t output_stride,
                                    size_t a_offset, const uint8_t* zero,
                                    const q8_requant_params* params);

/* Elementwise and pooling families (helper "x86fam"; avx2-families.c): the
 * elementwise kernels take 32 elements per step; the pooling kernels 32
 * channels (bilinear, shuffle: 16). */
void q8_lut_ukernel_32__avx2(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]);
void q8_vadd_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_add_params* params);
void q8_vadd_dq_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                 const q8_add_dq_params* params);
void q8_vadd_dq_c_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                   const q8_add_dq_params* params);
void q8_vmul_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_mul_params* params);
void q8_vmul_c_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_mul_params* params);
void q8_quantize_ukernel_32__avx2(size_t n, const float* x, uint8_t* y,
                                  const q8_quantize_params* params);
void q8_dequantize_ukernel_32__avx2(size_t n, const uint8_t* x, float* y,
                                    const q8_dequantize_params* params);
void q8_maxpool_ukernel_32c__avx2(size_t output_pixels, size_t ks, size_t channels,
                                  const uint8_t* const* input, size_t input_stride,
                                  uint8_t* output, size_t output_stride,
                                  const q8_maxpool_params* params);
void q8_avgpool_ukernel_32c__avx2(size_t output_pixels, size_t ks, size_t channels,
                                  const uint8_t* const* input, size_t input_stride,
                                  const float* multipliers, size_t multiplier_stride,
                                  uint8_t* output, size_t output_stride,
                                  const q8_avgpool_params* params);
void q8_gavgpool_ukernel_32c__avx2(size_t rows, size_t channels, const uint8_t* input,
                                   size_t input_stride, float multiplier, uint8_t* output,
                                   const q8_avgpool_params* params);
void q8_shuffle_ukernel_16c__avx2(size_t pixels, size_t groups, size_t group_channels,
                                  const uint8_t* input, size_t input_stride, uint8_t* output,
                                  size_t output_stride);
void q8_bilinear_ukernel_16c__avx2(size_t pixels, size_t channels, const uint8_t* const* corners,
                                   const float* lambdas, uint8_t* output, size_t output_stride,
                                   int32_t zero_point);

#endif

/* Declarations of the AVX-512 VNNI micro-kernels (one definition per file). */
#ifndef Q8_KERNELS_AVX512VNNI_KERNELS_H
#define Q8_KERNELS_AVX512VNNI_KERNELS_H

#include "../kernels.h"

void q8_gemm_ukernel_7x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                        size_t a_stride, const void* w, uint8_t* c,
                                        size_t c_stride, const q8_requant_params* params);
void q8_igemm_ukernel_7x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, size_t ks,
                                         const uint8_t* const* a, const void* w, uint8_t* c,
                                         size_t c_stride, size_t a_offset, const uint8_t* zero,
                                         const q8_requant_params* params);
void q8_gemm_dq_ukernel_7x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                           size_t a_stride, const void* w, float* c,
                                           size_t c_stride, const q8_gemm_dq_params* params);
void q8_dwconv_ukernel_32c__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                       const uint8_t* const* input, size_t input_stride,
                                       const void* w, uint8_t* output, size_t output_stride,
                                       size_t a_offset, const uint8_t* zero,
                                       const q8_requant_params* params);
void q8_dwconv_ukernel_32c3x3__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                          const uint8_t* const* input, size_t input_stride,
                                          const void* w, uint8_t* output, size_t output_stride,
                                          size_t a_offset, const uint8_t* zero,
                                          const q8_requant_params* params);
void q8_dwconv_ukernel_32c5x5__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                          const uint8_t* const* input, size_t input_stride,
                                          const void* w, uint8_t* output, size_t output_stride,
                                          size_t a_offset, const uint8_t* zero,
                                          const q8_requant_params* params);

/* Elementwise family (helper "x86fam"; avx512vnni-families.c): the table
 * lookup, 32 bytes per step; the other kernels are the AVX2 ones. */
void q8_lut_ukernel_32__avx512vnni(size_t n, const uint8_t* x, uint8_t* y,
                                   const uint8_t table[256]);

#endif

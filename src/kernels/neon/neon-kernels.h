/* Declarations of the portable NEON micro-kernels (ARMv7 and ARM64). */
#ifndef Q8_KERNELS_NEON_KERNELS_H
#define Q8_KERNELS_NEON_KERNELS_H

#include "../kernels.h"

/* GEMM family (helper "dwconv"): 4x8 tiles, KR = 1. */
void q8_gemm_ukernel_4x8__neon(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride,
                               const void* w, uint8_t* c, size_t c_stride,
                               const q8_requant_params* params);
void q8_igemm_ukernel_4x8__neon(size_t mr, size_t nc, size_t kc, size_t ks,
                                const uint8_t* const* a, const void* w, uint8_t* c,
                                size_t c_stride, size_t a_offset, const uint8_t* zero,
                                const q8_requant_params* params);
void q8_gemm_dq_ukernel_4x8__neon(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                  size_t a_stride, const void* w, float* c, size_t c_stride,
                                  const q8_gemm_dq_params* params);

/* Depthwise, CR = 8, used by every ARM table: any ks, and single-pass 3x3
 * (ks == 9) and 5x5 (ks == 25). */
void q8_dwconv_ukernel_8c__neon(size_t channels, size_t output_pixels, size_t ks,
                                const uint8_t* const* input, size_t input_stride, const void* w,
                                uint8_t* output, size_t output_stride, size_t a_offset,
                                const uint8_t* zero, const q8_requant_params* params);
void q8_dwconv_ukernel_8c3x3__neon(size_t channels, size_t output_pixels, size_t ks,
                                   const uint8_t* const* input, size_t input_stride,
                                   const void* w, uint8_t* output, size_t output_stride,
                                   size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params);
void q8_dwconv_ukernel_8c5x5__neon(size_t channels, size_t output_pixels, size_t ks,
                                   const uint8_t* const* input, size_t input_stride,
                                   const void* w, uint8_t* output, size_t output_stride,
                                   size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params);

#endif

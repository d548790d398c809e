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

/* Elementwise and pooling families (helper "families"; neon-families.c):
 * elementwise kernels take 16 elements per step, pooling kernels 16 or 8
 * channels. The LUT kernel is ARM64 only (vqtbl4q_u8). */
void q8_lut_ukernel_16__neon(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]);
void q8_vadd_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_add_params* params);
void q8_vadd_dq_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                 const q8_add_dq_params* params);
void q8_vadd_dq_c_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                   const q8_add_dq_params* params);
void q8_vmul_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_mul_params* params);
void q8_vmul_c_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_mul_params* params);
void q8_quantize_ukernel_16__neon(size_t n, const float* x, uint8_t* y,
                                  const q8_quantize_params* params);
void q8_dequantize_ukernel_16__neon(size_t n, const uint8_t* x, float* y,
                                    const q8_dequantize_params* params);
void q8_maxpool_ukernel_16c__neon(size_t output_pixels, size_t ks, size_t channels,
                                  const uint8_t* const* input, size_t input_stride,
                                  uint8_t* output, size_t output_stride,
                                  const q8_maxpool_params* params);
void q8_avgpool_ukernel_8c__neon(size_t output_pixels, size_t ks, size_t channels,
                                 const uint8_t* const* input, size_t input_stride,
                                 const float* multipliers, size_t multiplier_stride,
                                 uint8_t* output, size_t output_stride,
                                 const q8_avgpool_params* params);
void q8_gavgpool_ukernel_8c__neon(size_t rows, size_t channels, const uint8_t* input,
                                  size_t input_stride, float multiplier, uint8_t* output,
                                  const q8_avgpool_params* params);
void q8_shuffle_ukernel_16c__neon(size_t pixels, size_t groups, size_t group_channels,
                                  const uint8_t* input, size_t input_stride, uint8_t* output,
                                  size_t output_stride);
void q8_bilinear_ukernel_8c__neon(size_t pixels, size_t channels, const uint8_t* const* corners,
                                  const float* lambdas, uint8_t* output, size_t output_stride,
                                  int32_t zero_point);

#endif

/* Declarations of the ARM64 micro-kernels: baseline NEON (neon64), dotprod
 * (neondot, files *-neondot.c built with +dotprod) and i8mm (neoni8mm, files
 * *-neoni8mm.c built with +i8mm). */
#ifndef Q8_KERNELS_NEON64_KERNELS_H
#define Q8_KERNELS_NEON64_KERNELS_H

#include "../kernels.h"

/* GEMM family: 8x8, KR 1 (widening multiply-accumulate). */
void q8_gemm_ukernel_8x8__neon64(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                 size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                 const q8_requant_params* params);
void q8_igemm_ukernel_8x8__neon64(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const uint8_t* const* a, const void* w, uint8_t* c,
                                  size_t c_stride, size_t a_offset, const uint8_t* zero,
                                  const q8_requant_params* params);
void q8_gemm_dq_ukernel_8x8__neon64(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                    size_t a_stride, const void* w, float* c, size_t c_stride,
                                    const q8_gemm_dq_params* params);

/* GEMM family: 8x8c4, KR 4 (sdot on A with its sign bit flipped: the table's
 * a_value_offset is -128). */
void q8_gemm_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                    size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                    const q8_requant_params* params);
void q8_igemm_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc, size_t ks,
                                     const uint8_t* const* a, const void* w, uint8_t* c,
                                     size_t c_stride, size_t a_offset, const uint8_t* zero,
                                     const q8_requant_params* params);
void q8_gemm_dq_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                       size_t a_stride, const void* w, float* c, size_t c_stride,
                                       const q8_gemm_dq_params* params);

/* GEMM family: 8x8c8, KR 8 (usmmla, 2x8 by 8x2 blocks). */
void q8_gemm_ukernel_8x8c8__neoni8mm(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                     size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                     const q8_requant_params* params);
void q8_igemm_ukernel_8x8c8__neoni8mm(size_t mr, size_t nc, size_t kc, size_t ks,
                                      const uint8_t* const* a, const void* w, uint8_t* c,
                                      size_t c_stride, size_t a_offset, const uint8_t* zero,
                                      const q8_requant_params* params);
void q8_gemm_dq_ukernel_8x8c8__neoni8mm(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                        size_t a_stride, const void* w, float* c, size_t c_stride,
                                        const q8_gemm_dq_params* params);

#endif

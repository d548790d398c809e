/* Declarations of the AMX micro-kernels (one definition per file). */
#ifndef Q8_KERNELS_AMX_KERNELS_H
#define Q8_KERNELS_AMX_KERNELS_H

#include "../kernels.h"

void q8_gemm_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                  size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                  const q8_requant_params* params);
void q8_igemm_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const uint8_t* const* a, const void* w, uint8_t* c,
                                   size_t c_stride, size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params);
void q8_gemm_dq_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                     size_t a_stride, const void* w, float* c, size_t c_stride,
                                     const q8_gemm_dq_params* params);

#endif

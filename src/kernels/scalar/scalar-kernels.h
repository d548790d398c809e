/* Declarations of the scalar micro-kernels (one definition per file). */
#ifndef Q8_KERNELS_SCALAR_KERNELS_H
#define Q8_KERNELS_SCALAR_KERNELS_H

#include "../kernels.h"

void q8_gemm_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                 size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                 const q8_requant_params* params);
void q8_igemm_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const uint8_t* const* a, const void* w, uint8_t* c,
                                  size_t c_stride, size_t a_offset, const uint8_t* zero,
                                  const q8_requant_params* params);
void q8_gemm_dq_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                    size_t a_stride, const void* w, float* c, size_t c_stride,
                                    const q8_gemm_dq_params* params);
void q8_dwconv_ukernel_1c__scalar(size_t channels, size_t output_pixels, size_t ks,
                                  const uint8_t* const* input, size_t input_stride, const void* w,
                                  uint8_t* output, size_t output_stride, size_t a_offset,
                                  const uint8_t* zero, const q8_requant_params* params);

/* elementwise family */
void q8_lut_ukernel__scalar(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]);
void q8_vadd_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                             const q8_add_params* params);
void q8_vadd_dq_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_add_dq_params* params);
void q8_vadd_dq_c_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                  const q8_add_dq_params* params);
void q8_vmul_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                             const q8_mul_params* params);
void q8_vmul_c_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                               const q8_mul_params* params);
void q8_quantize_ukernel__scalar(size_t n, const float* x, uint8_t* y,
                                 const q8_quantize_params* params);
void q8_dequantize_ukernel__scalar(size_t n, const uint8_t* x, float* y,
                                   const q8_dequantize_params* params);

/* pooling family */
void q8_maxpool_ukernel__scalar(size_t output_pixels, size_t ks, size_t channels,
                                const uint8_t* const* input, size_t input_stride,
                                uint8_t* output, size_t output_stride,
                                const q8_maxpool_params* params);
void q8_avgpool_ukernel__scalar(size_t output_pixels, size_t ks, size_t channels,
                                const uint8_t* const* input, size_t input_stride,
                                const float* multipliers, size_t multiplier_stride,
                                uint8_t* output, size_t output_stride,
                                const q8_avgpool_params* params);
void q8_gavgpool_ukernel__scalar(size_t rows, size_t channels, const uint8_t* input,
                                 size_t input_stride, float multiplier, uint8_t* output,
                                 const q8_avgpool_params* params);
void q8_shuffle_ukernel__scalar(size_t pixels, size_t groups, size_t group_channels,
                                const uint8_t* input, size_t input_stride, uint8_t* output,
                                size_t output_stride);
void q8_bilinear_ukernel__scalar(size_t pixels, size_t channels, const uint8_t* const* corners,
                                 const float* lambdas, uint8_t* output, size_t output_stride,
                                 int32_t zero_point);
void q8_lut32norm_ukernel__scalar(size_t n, const uint8_t* x, const uint32_t table[256],
                                  uint8_t* y);

#endif

#include "../avx2/avx2-kernels.h"
#include "../kernels.h"
#include "avx512vnni-kernels.h"

/* The AVX2 elementwise kernels (avx2-families.c), except the table lookup:
 * AVX512BW's 16-bit permutes hold the whole table in registers. 512-bit
 * vectors did not pay for the other kernels, which are bound by loads and
 * stores, nor for pooling (the table uses q8_avx2_pooling_kernels). */
const q8_elementwise_config q8_avx512vnni_elementwise_kernels = {
    .lut = q8_lut_ukernel_32__avx512vnni,
    .vadd = q8_vadd_ukernel_32__avx2,
    .vadd_dq = q8_vadd_dq_ukernel_32__avx2,
    .vadd_dq_c = q8_vadd_dq_c_ukernel_32__avx2,
    .vmul = q8_vmul_ukernel_32__avx2,
    .vmul_c = q8_vmul_c_ukernel_32__avx2,
    .quantize = q8_quantize_ukernel_32__avx2,
    .dequantize = q8_dequantize_ukernel_32__avx2,
};

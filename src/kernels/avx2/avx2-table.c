#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "avx2-kernels.h"

/* GEMM family on exact AVX2; the families not vectorized yet use the scalar
 * kernels (the same initializers as scalar-table.c). */
const q8_kernel_table q8_avx2_kernels = {
    .isa = q8_isa_avx2,
    .name = "avx2",
    .gemm = {.mr = 2, .nr = 16, .kr = 4,
             .gemm = q8_gemm_ukernel_2x16c4__avx2,
             .igemm = q8_igemm_ukernel_2x16c4__avx2,
             .gemm_dq = q8_gemm_dq_ukernel_2x16c4__avx2},
    .dwconv = {.cr = 16, .dwconv = q8_dwconv_ukernel_16c__avx2},
    .elementwise = {.lut = q8_lut_ukernel__scalar, .vadd = q8_vadd_ukernel__scalar, .vadd_dq = q8_vadd_dq_ukernel__scalar, .vadd_dq_c = q8_vadd_dq_c_ukernel__scalar, .vmul = q8_vmul_ukernel__scalar, .vmul_c = q8_vmul_c_ukernel__scalar, .quantize = q8_quantize_ukernel__scalar, .dequantize = q8_dequantize_ukernel__scalar},
    .pooling = {.maxpool = q8_maxpool_ukernel__scalar, .avgpool = q8_avgpool_ukernel__scalar, .gavgpool = q8_gavgpool_ukernel__scalar, .shuffle = q8_shuffle_ukernel__scalar, .bilinear = q8_bilinear_ukernel__scalar, .lut32norm = q8_lut32norm_ukernel__scalar},
};

#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "avx512vnni-kernels.h"

/* GEMM family on AVX-512 VNNI; the families not vectorized yet use the
 * scalar kernels (the same initializers as scalar-table.c). */
const q8_kernel_table q8_avx512vnni_kernels = {
    .isa = q8_isa_avx512vnni,
    .name = "avx512vnni",
    .gemm = {.mr = 7, .nr = 32, .kr = 4,
             .gemm = q8_gemm_ukernel_7x32c4__avx512vnni,
             .igemm = q8_igemm_ukernel_7x32c4__avx512vnni,
             .gemm_dq = q8_gemm_dq_ukernel_7x32c4__avx512vnni},
    .dwconv = {.cr = 32, .dwconv = q8_dwconv_ukernel_32c__avx512vnni},
    .elementwise = {.lut = q8_lut_ukernel__scalar, .vadd = q8_vadd_ukernel__scalar, .vadd_dq = q8_vadd_dq_ukernel__scalar, .vadd_dq_c = q8_vadd_dq_c_ukernel__scalar, .vmul = q8_vmul_ukernel__scalar, .vmul_c = q8_vmul_c_ukernel__scalar, .quantize = q8_quantize_ukernel__scalar, .dequantize = q8_dequantize_ukernel__scalar},
    .pooling = {.maxpool = q8_maxpool_ukernel__scalar, .avgpool = q8_avgpool_ukernel__scalar, .gavgpool = q8_gavgpool_ukernel__scalar, .shuffle = q8_shuffle_ukernel__scalar, .bilinear = q8_bilinear_ukernel__scalar, .lut32norm = q8_lut32norm_ukernel__scalar},
};

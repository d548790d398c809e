#include "../kernels.h"
#include "scalar-kernels.h"

const q8_elementwise_config q8_scalar_elementwise_kernels = {
    .lut = q8_lut_ukernel__scalar,
    .vadd = q8_vadd_ukernel__scalar,
    .vadd_dq = q8_vadd_dq_ukernel__scalar,
    .vadd_dq_c = q8_vadd_dq_c_ukernel__scalar,
    .vmul = q8_vmul_ukernel__scalar,
    .vmul_c = q8_vmul_c_ukernel__scalar,
    .quantize = q8_quantize_ukernel__scalar,
    .dequantize = q8_dequantize_ukernel__scalar,
};

const q8_pooling_config q8_scalar_pooling_kernels = {
    .maxpool = q8_maxpool_ukernel__scalar,
    .avgpool = q8_avgpool_ukernel__scalar,
    .gavgpool = q8_gavgpool_ukernel__scalar,
    .shuffle = q8_shuffle_ukernel__scalar,
    .bilinear = q8_bilinear_ukernel__scalar,
    .lut32norm = q8_lut32norm_ukernel__scalar,
};

const q8_kernel_table q8_scalar_kernels = {
    .isa = q8_isa_scalar,
    .name = "scalar",
    .gemm = {.mr = 4, .nr = 4, .kr = 1,
             .gemm = q8_gemm_ukernel_4x4__scalar,
             .igemm = q8_igemm_ukernel_4x4__scalar,
             .gemm_dq = q8_gemm_dq_ukernel_4x4__scalar},
    .dwconv = {.cr = 1, .dwconv = q8_dwconv_ukernel_1c__scalar},
    .elementwise = &q8_scalar_elementwise_kernels,
    .pooling = &q8_scalar_pooling_kernels,
};

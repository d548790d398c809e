#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "neon64-kernels.h"

const q8_kernel_table q8_neoni8mm_kernels = {
    .isa = q8_isa_neoni8mm,
    .name = "neoni8mm",
    .gemm = {.mr = 4, .nr = 4, .kr = 1,
             .gemm = q8_gemm_ukernel_4x4__scalar,
             .igemm = q8_igemm_ukernel_4x4__scalar,
             .gemm_dq = q8_gemm_dq_ukernel_4x4__scalar},
    .dwconv = {.cr = 1, .dwconv = q8_dwconv_ukernel_1c__scalar},
    .elementwise = &q8_neon_elementwise_kernels,
    .pooling = &q8_neon_pooling_kernels,
};

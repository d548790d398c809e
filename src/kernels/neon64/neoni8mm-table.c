#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "neon64-kernels.h"
#include "../neon/neon-kernels.h" /* depthwise kernels shared with the neon table */

const q8_kernel_table q8_neoni8mm_kernels = {
    .isa = q8_isa_neoni8mm,
    .name = "neoni8mm",
    .gemm = {.mr = 8, .nr = 8, .kr = 8,
             .gemm = q8_gemm_ukernel_8x8c8__neoni8mm,
             .igemm = q8_igemm_ukernel_8x8c8__neoni8mm,
             .gemm_dq = q8_gemm_dq_ukernel_8x8c8__neoni8mm},
    .dwconv = {.cr = 8, .dwconv = q8_dwconv_ukernel_8c__neon,
               .dwconv9 = q8_dwconv_ukernel_8c3x3__neon,
               .dwconv25 = q8_dwconv_ukernel_8c5x5__neon},
    .elementwise = &q8_neon_elementwise_kernels,
    .pooling = &q8_neon_pooling_kernels,
};

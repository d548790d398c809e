#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "neon64-kernels.h"
#include "../neon/neon-kernels.h" /* depthwise kernels shared with the neon table */

const q8_kernel_table q8_neon64_kernels = {
    .isa = q8_isa_neon64,
    .name = "neon64",
    .gemm = {.mr = 8, .nr = 8, .kr = 1,
             .gemm = q8_gemm_ukernel_8x8__neon64,
             .igemm = q8_igemm_ukernel_8x8__neon64,
             .gemm_dq = q8_gemm_dq_ukernel_8x8__neon64},
    .dwconv = {.cr = 8, .dwconv = q8_dwconv_ukernel_8c__neon,
               .dwconv9 = q8_dwconv_ukernel_8c3x3__neon,
               .dwconv25 = q8_dwconv_ukernel_8c5x5__neon},
    .elementwise = &q8_neon_elementwise_kernels,
    .pooling = &q8_neon_pooling_kernels,
};

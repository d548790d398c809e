#include "../kernels.h"
#include "neon-kernels.h"

/* Portable NEON (ARMv7 with -mfpu=neon, and every ARM64 CPU): 4x8 GEMM
 * tiles with KR = 1 on raw u8 A (QNNPACK's ARMv7 tile), depthwise in blocks
 * of 8 channels. */
const q8_kernel_table q8_neon_kernels = {
    .isa = q8_isa_neon,
    .name = "neon",
    .gemm = {.mr = 4, .nr = 8, .kr = 1, .a_value_offset = 0,
             .gemm = q8_gemm_ukernel_4x8__neon,
             .igemm = q8_igemm_ukernel_4x8__neon,
             .gemm_dq = q8_gemm_dq_ukernel_4x8__neon},
    .dwconv = {.cr = 8, .dwconv = q8_dwconv_ukernel_8c__neon,
               .dwconv9 = q8_dwconv_ukernel_8c3x3__neon,
               .dwconv25 = q8_dwconv_ukernel_8c5x5__neon},
    .elementwise = &q8_neon_elementwise_kernels,
    .pooling = &q8_neon_pooling_kernels,
};

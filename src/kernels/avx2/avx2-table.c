#include "../kernels.h"
#include "avx2-kernels.h"

/* GEMM family on exact AVX2; the families not vectorized yet use the scalar
 * kernels' configs. */
const q8_kernel_table q8_avx2_kernels = {
    .isa = q8_isa_avx2,
    .name = "avx2",
    .gemm = {.mr = 7, .nr = 32, .kr = 4,
             .gemm = q8_gemm_ukernel_7x32c4__avx2,
             .igemm = q8_igemm_ukernel_7x32c4__avx2,
             .gemm_dq = q8_gemm_dq_ukernel_7x32c4__avx2},
    /* No 5x5 kernel: the any-ks kernel ran 5x5 as fast as one reusing
     * columns along runs (53-55 GOPS either way at 14x14x672 k5s1), whose
     * accumulators of five pending pixels spill on 16 registers. */
    .dwconv = {.cr = 32, .dwconv = q8_dwconv_ukernel_32c__avx2,
               .dwconv9 = q8_dwconv_ukernel_32c3x3__avx2},
    .elementwise = &q8_avx2_elementwise_kernels, /* avx2-families.c */
    .pooling = &q8_avx2_pooling_kernels,
};

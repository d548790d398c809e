#include "../kernels.h"
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
    .dwconv = {.cr = 32, .dwconv = q8_dwconv_ukernel_32c__avx512vnni,
               .dwconv9 = q8_dwconv_ukernel_32c3x3__avx512vnni,
               .dwconv25 = q8_dwconv_ukernel_32c5x5__avx512vnni},
    /* AVX-512 CPUs have AVX2: its families, with a 512-bit table lookup */
    .elementwise = &q8_avx512vnni_elementwise_kernels, /* avx512vnni-families.c */
    .pooling = &q8_avx2_pooling_kernels,
};

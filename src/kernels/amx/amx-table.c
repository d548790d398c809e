#include "../avx512vnni/avx512vnni-kernels.h"
#include "../kernels.h"
#include "amx-kernels.h"

/* AMX tiles for the static GEMM family; everything else is the avx512vnni
 * table's (every AMX CPU has AVX-512 VNNI). */
const q8_kernel_table q8_amx_kernels = {
    .isa = q8_isa_amx,
    .name = "amx",
    .gemm = {.mr = 32, .nr = 32, .kr = 4,
             .gemm = q8_gemm_ukernel_32x32c4__amx,
             .igemm = q8_igemm_ukernel_32x32c4__amx,
             .gemm_dq = q8_gemm_dq_ukernel_32x32c4__amx},
    .dwconv = {.cr = 32, .dwconv = q8_dwconv_ukernel_32c__avx512vnni,
               .dwconv9 = q8_dwconv_ukernel_32c3x3__avx512vnni,
               .dwconv25 = q8_dwconv_ukernel_32c5x5__avx512vnni},
    .elementwise = &q8_avx512vnni_elementwise_kernels,
    .pooling = &q8_avx2_pooling_kernels,
};

#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "avx2-kernels.h"

/* Elementwise and pooling kernels of the x86 tables (AVX2; the AVX-512
 * table uses them too: see avx512vnni-table.c). */
const q8_elementwise_config q8_avx2_elementwise_kernels = {
    .lut = q8_lut_ukernel_32__avx2,
    .vadd = q8_vadd_ukernel_32__avx2,
    .vadd_dq = q8_vadd_dq_ukernel_32__avx2,
    .vadd_dq_c = q8_vadd_dq_c_ukernel_32__avx2,
    .vmul = q8_vmul_ukernel_32__avx2,
    .vmul_c = q8_vmul_c_ukernel_32__avx2,
    .quantize = q8_quantize_ukernel_32__avx2,
    .dequantize = q8_dequantize_ukernel_32__avx2,
};

const q8_pooling_config q8_avx2_pooling_kernels = {
    .maxpool = q8_maxpool_ukernel_32c__avx2,
    .avgpool = q8_avgpool_ukernel_32c__avx2,
    .gavgpool = q8_gavgpool_ukernel_32c__avx2,
    .shuffle = q8_shuffle_ukernel_16c__avx2,
    .bilinear = q8_bilinear_ukernel_16c__avx2,
    /* A row is a max scan, table gathers and one uint32 division per
     * element; softmax is rare in the models q8 runs: scalar. */
    .lut32norm = q8_lut32norm_ukernel__scalar,
};

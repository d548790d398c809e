#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "neon-kernels.h"

/* Elementwise and pooling kernels shared by every ARM table (NEON
 * intrinsics common to ARMv7 and ARM64). Entries not vectorized yet use the
 * scalar reference kernels. */
const q8_elementwise_config q8_neon_elementwise_kernels = {
    .lut = q8_lut_ukernel__scalar,
    .vadd = q8_vadd_ukernel__scalar,
    .vadd_dq = q8_vadd_dq_ukernel__scalar,
    .vadd_dq_c = q8_vadd_dq_c_ukernel__scalar,
    .vmul = q8_vmul_ukernel__scalar,
    .vmul_c = q8_vmul_c_ukernel__scalar,
    .quantize = q8_quantize_ukernel__scalar,
    .dequantize = q8_dequantize_ukernel__scalar,
};

const q8_pooling_config q8_neon_pooling_kernels = {
    .maxpool = q8_maxpool_ukernel__scalar,
    .avgpool = q8_avgpool_ukernel__scalar,
    .gavgpool = q8_gavgpool_ukernel__scalar,
    .shuffle = q8_shuffle_ukernel__scalar,
    .bilinear = q8_bilinear_ukernel__scalar,
    .lut32norm = q8_lut32norm_ukernel__scalar,
};

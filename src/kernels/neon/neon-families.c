#include "../kernels.h"
#include "../scalar/scalar-kernels.h"
#include "neon-kernels.h"

/* Elementwise and pooling kernels shared by every ARM table (NEON
 * intrinsics common to ARMv7 and ARM64). */
const q8_elementwise_config q8_neon_elementwise_kernels = {
#if defined(__aarch64__)
    .lut = q8_lut_ukernel_16__neon,
#else
    /* ARMv7's vtbl reaches 32 table bytes: eight lookups per 8 bytes are no
     * faster than one byte load each (see lut-16-neon.c). */
    .lut = q8_lut_ukernel__scalar,
#endif
    .vadd = q8_vadd_ukernel_16__neon,
    .vadd_dq = q8_vadd_dq_ukernel_16__neon,
    .vadd_dq_c = q8_vadd_dq_c_ukernel_16__neon,
    .vmul = q8_vmul_ukernel_16__neon,
    .vmul_c = q8_vmul_c_ukernel_16__neon,
    .quantize = q8_quantize_ukernel_16__neon,
    .dequantize = q8_dequantize_ukernel_16__neon,
};

const q8_pooling_config q8_neon_pooling_kernels = {
    .maxpool = q8_maxpool_ukernel_16c__neon,
    .avgpool = q8_avgpool_ukernel_8c__neon,
    .gavgpool = q8_gavgpool_ukernel_8c__neon,
    .shuffle = q8_shuffle_ukernel_16c__neon,
    .bilinear = q8_bilinear_ukernel_8c__neon,
    /* A row is table gathers and one uint32 division per element; NEON has
     * neither a gather nor an integer division, and the max scan alone is
     * too little to pay. */
    .lut32norm = q8_lut32norm_ukernel__scalar,
};

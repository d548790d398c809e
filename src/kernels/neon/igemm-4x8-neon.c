#include "gemm-4x8-neon.h"
#include "neon-kernels.h"

void q8_igemm_ukernel_4x8__neon(size_t mr, size_t nc, size_t kc, size_t ks,
                                const uint8_t* const* a, const void* w, uint8_t* c,
                                size_t c_stride, size_t a_offset, const uint8_t* zero,
                                const q8_requant_params* params) {
  const q8_neon_tile_args t = {.mr = mr, .nc = nc, .kc = kc, .ks = ks, .indirect = a,
                               .a_offset = a_offset, .zero = zero, .w = w, .c = c,
                               .c_stride = c_stride, .requant = params};
  q8_neon_gemm_4x8(&t);
}

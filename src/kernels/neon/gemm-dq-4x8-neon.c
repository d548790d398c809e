#include "gemm-4x8-neon.h"
#include "neon-kernels.h"

void q8_gemm_dq_ukernel_4x8__neon(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                  size_t a_stride, const void* w, float* c, size_t c_stride,
                                  const q8_gemm_dq_params* params) {
  const q8_neon_tile_args t = {.mr = mr, .nc = nc, .kc = kc, .ks = 1, .a = a,
                               .a_stride = a_stride, .w = w, .c = c, .c_stride = c_stride,
                               .dq = params};
  q8_neon_gemm_4x8(&t);
}

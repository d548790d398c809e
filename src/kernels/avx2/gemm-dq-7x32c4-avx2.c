#include "avx2-kernels.h"
#include "gemm-avx2.h"

void q8_gemm_dq_ukernel_7x32c4__avx2(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                     size_t a_stride, const void* w, float* c, size_t c_stride,
                                     const q8_gemm_dq_params* params) {
  const q8_x86_tile_args t = {.mr = mr, .nc = nc, .kc = kc, .ks = 1, .a = a,
                               .a_stride = a_stride, .w = w, .c = c, .c_stride = c_stride,
                               .dq = params};
  q8_avx2_gemm_7x32(0, &t);
}

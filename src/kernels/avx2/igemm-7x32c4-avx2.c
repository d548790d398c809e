#include "avx2-kernels.h"
#include "gemm-avx2.h"

void q8_igemm_ukernel_7x32c4__avx2(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const uint8_t* const* a, const void* w, uint8_t* c,
                                   size_t c_stride, size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params) {
  const q8_x86_tile_args t = {.mr = mr, .nc = nc, .kc = kc, .ks = ks, .indirect = a,
                               .a_offset = a_offset, .zero = zero, .w = w, .c = c,
                               .c_stride = c_stride, .requant = params};
  q8_avx2_gemm_7x32(1, &t);
}

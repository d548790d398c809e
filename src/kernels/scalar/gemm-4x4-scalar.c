#include "gemm-tile.h"

void q8_gemm_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                 size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                 const q8_requant_params* params) {
  const uint8_t* rows[Q8_SCALAR_GEMM_MR];
  for (size_t m = 0; m < Q8_SCALAR_GEMM_MR; m++) rows[m] = a + (m < mr ? m : 0) * a_stride;
  q8_scalar_gemm_tile(mr, nc, kc, 1, rows, 0, NULL, w, c, c_stride, params);
}

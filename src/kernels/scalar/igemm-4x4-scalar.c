#include "gemm-tile.h"

void q8_igemm_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const uint8_t* const* a, const void* w, uint8_t* c,
                                  size_t c_stride, size_t a_offset, const uint8_t* zero,
                                  const q8_requant_params* params) {
  q8_scalar_gemm_tile(mr, nc, kc, ks, a, a_offset, zero, w, c, c_stride, params);
}

#include "../avx512vnni/avx512vnni-kernels.h"
#include "amx-kernels.h"

/* The dynamic (fp32 output) GEMM runs the avx512vnni 7x32 kernel, 7 rows at
 * a time (same packing): dynamic linears are mostly LSTM / GRU / MLP
 * layers with few rows, where AMX tiles of 16 rows gain little. */
void q8_gemm_dq_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                     size_t a_stride, const void* w, float* c, size_t c_stride,
                                     const q8_gemm_dq_params* params) {
  for (size_t m0 = 0; m0 < mr; m0 += 7) {
    const size_t rows = mr - m0 < 7 ? mr - m0 : 7;
    q8_gemm_dq_ukernel_7x32c4__avx512vnni(rows, nc, kc, a + m0 * a_stride, a_stride, w,
                                          (float*)((char*)c + m0 * c_stride), c_stride, params);
  }
}

#include "../avx512vnni/avx512vnni-kernels.h"
#include "amx-kernels.h"
#include "gemm-amx.h"
#include "small-amx.h"

void q8_gemm_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                  size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                  const q8_requant_params* params) {
  if (q8_amx_vnni_is_faster(mr, kc, 1)) {
    /* Same packing: the 7x32 kernel, 7 rows at a time. */
    for (size_t m0 = 0; m0 < mr; m0 += 7) {
      const size_t rows = mr - m0 < 7 ? mr - m0 : 7;
      q8_gemm_ukernel_7x32c4__avx512vnni(rows, nc, kc, a + m0 * a_stride, a_stride, w,
                                         c + m0 * c_stride, c_stride, params);
    }
    return;
  }
  const q8_x86_tile_args t = {.mr = mr, .nc = nc, .kc = kc, .ks = 1, .a = a,
                              .a_stride = a_stride, .w = w, .c = c,
                              .c_stride = c_stride, .requant = params};
  q8_amx_gemm_tile(0, &t);
}

#include "amx-kernels.h"
#include "gemm-amx.h"
#include "small-amx.h"

/* The avx512vnni 7-row tile over rows of the [ks][32] indirection. The last
 * chunk starts at row 25 so that its 7 rows stay inside the 32 pointers of a
 * tap; rows it shares with the previous chunk are stored again, unchanged. */
static void igemm_by_7_rows(const q8_x86_tile_args* t) {
  enum { chunk = 7 };
  for (size_t m0 = 0; m0 < t->mr; m0 += chunk) {
    const size_t start = m0 + chunk <= Q8_AMX_MR ? m0 : Q8_AMX_MR - chunk;
    q8_x86_tile_args sub = *t;
    sub.indirect = t->indirect + start;
    sub.mr = t->mr - start < chunk ? t->mr - start : chunk;
    sub.c = (uint8_t*)t->c + start * t->c_stride;
    q8_avx512vnni_gemm_7x32_taps(1, Q8_AMX_MR, &sub);
  }
}

void q8_igemm_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const uint8_t* const* a, const void* w, uint8_t* c,
                                   size_t c_stride, size_t a_offset, const uint8_t* zero,
                                   const q8_requant_params* params) {
  const q8_x86_tile_args t = {.mr = mr, .nc = nc, .kc = kc, .ks = ks, .indirect = a,
                              .a_offset = a_offset, .zero = zero, .w = w, .c = c,
                              .c_stride = c_stride, .requant = params};
  if (q8_amx_vnni_is_faster(mr, kc, ks)) {
    igemm_by_7_rows(&t);
  } else {
    q8_amx_gemm_tile(1, &t);
  }
}

/*
 * When the amx kernels hand a tile to the avx512vnni 7x32 tile instead
 * (same packing, bit-exact results).
 */
#ifndef Q8_KERNELS_AMX_SMALL_H
#define Q8_KERNELS_AMX_SMALL_H

#include <stddef.h>

/* mr rows, kc bytes per tap, ks taps. */
static inline int q8_amx_vnni_is_faster(size_t mr, size_t kc, size_t ks) {
  (void)ks;
  return mr <= 2 || kc < 16;
}

#endif

/*
 * When the amx kernels hand a tile to the avx512vnni 7x32 tile instead
 * (same packing, bit-exact results).
 */
#ifndef Q8_KERNELS_AMX_SMALL_H
#define Q8_KERNELS_AMX_SMALL_H

#include <stddef.h>

/* mr rows, kc bytes per tap, ks taps (kc <= 4 with several taps: the amx
 * tile packs 16 taps per block). */
static inline int q8_amx_vnni_is_faster(size_t mr, size_t kc, size_t ks) {
  if (mr <= 2) return 1;
  if (ks > 1 && kc <= 4) return 0;
  return kc < 16;
}

#endif

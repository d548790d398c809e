/*
 * The baseline ARM64 NEON GEMM tile shared by the gemm, igemm and gemm_dq
 * kernels q8_*_ukernel_8x8__neon64: 8 rows by 8 columns, KR = 1 (the tile
 * QNNPACK chose for ARM64 without dot products). Eight bytes of each row of A
 * are zero-extended to int16 once; each k then sign-extends its 8 packed
 * weights to int16 and multiply-accumulates them into int32 with one
 * smlal + smlal2 (by lane k of the row's A) per row: 16 multiply-accumulate
 * instructions and 2 for the weights per 64 products, plus 2 per row and 8 k
 * for A: 160 instructions per 8 k, 0.31 per product (the compiled inner
 * loop: 164 with clang, 166 with gcc 12, no spills). Products of u8 and s8
 * fit int16 x int16 -> int32 exactly; the last kc % 8 bytes of a row are
 * loaded without reading past it.
 */
#ifndef Q8_KERNELS_NEON64_GEMM_8X8_NEON64_H
#define Q8_KERNELS_NEON64_GEMM_8X8_NEON64_H

#include "gemm-neon64-common.h"

/* Eight bytes of A as int16 lanes (values 0..255). */
Q8_INLINE int16x8_t q8_neon64_widen_a(uint8x8_t bytes) {
  return vreinterpretq_s16_u16(vmovl_u8(bytes));
}

/* One k: the 8 weights of that k times lane `lane` (k's position within the
 * 8 loaded bytes) of every row. A macro: lanes must be constants. */
#define Q8_NEON64_MAC_K(acc, va, w, lane)                                                  \
  do {                                                                                     \
    const int16x8_t vw_ = vmovl_s8(vld1_s8((w) + Q8_NEON64_NR * (lane)));                  \
    Q8_UNROLL for (size_t m_ = 0; m_ < Q8_NEON64_MR; m_++) {                               \
      (acc)[m_][0] = vmlal_laneq_s16((acc)[m_][0], vget_low_s16(vw_), (va)[m_], (lane));   \
      (acc)[m_][1] = vmlal_high_laneq_s16((acc)[m_][1], vw_, (va)[m_], (lane));            \
    }                                                                                      \
  } while (0)

/* The first n (1..8) k of the 8 loaded A vectors against n k of weights. */
Q8_INLINE void q8_neon64_mac_8k(int32x4_t acc[Q8_NEON64_MR][2], const int16x8_t va[Q8_NEON64_MR],
                                const int8_t* w, size_t n) {
  Q8_NEON64_MAC_K(acc, va, w, 0);
  if (n > 1) Q8_NEON64_MAC_K(acc, va, w, 1);
  if (n > 2) Q8_NEON64_MAC_K(acc, va, w, 2);
  if (n > 3) Q8_NEON64_MAC_K(acc, va, w, 3);
  if (n > 4) Q8_NEON64_MAC_K(acc, va, w, 4);
  if (n > 5) Q8_NEON64_MAC_K(acc, va, w, 5);
  if (n > 6) Q8_NEON64_MAC_K(acc, va, w, 6);
  if (n > 7) Q8_NEON64_MAC_K(acc, va, w, 7);
}

Q8_INLINE void q8_neon64_gemm_tile_8x8(const q8_neon64_tile_args* t) {
  const size_t kc = t->kc;
  const size_t ks = t->indirect != NULL ? t->ks : 1;
  int32x4_t acc[Q8_NEON64_MR][2];
  Q8_UNROLL
  for (size_t m = 0; m < Q8_NEON64_MR; m++) acc[m][0] = acc[m][1] = vdupq_n_s32(0);

  const int8_t* w = (const int8_t*)((const int32_t*)t->w + Q8_NEON64_NR);
  for (size_t s = 0; s < ks; s++) {
    const uint8_t* rows[Q8_NEON64_MR];
    Q8_UNROLL
    for (size_t m = 0; m < Q8_NEON64_MR; m++) rows[m] = q8_neon64_row(t, s, m);
    size_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      int16x8_t va[Q8_NEON64_MR];
      Q8_UNROLL
      for (size_t m = 0; m < Q8_NEON64_MR; m++) va[m] = q8_neon64_widen_a(vld1_u8(rows[m] + k));
      q8_neon64_mac_8k(acc, va, w, 8);
      w += 8 * Q8_NEON64_NR;
    }
    if (k < kc) {
      const size_t n = kc - k;
      int16x8_t va[Q8_NEON64_MR];
      Q8_UNROLL
      for (size_t m = 0; m < Q8_NEON64_MR; m++) {
        va[m] = q8_neon64_widen_a(vcreate_u8(q8_neon64_load_partial8(rows[m] + k, n)));
      }
      q8_neon64_mac_8k(acc, va, w, n);
      w += n * Q8_NEON64_NR;
    }
  }
  q8_neon64_finish_tile(t, acc, w, 0);
}

#endif

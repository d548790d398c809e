/*
 * The ARMv8.2 dot-product GEMM tile shared by the gemm, igemm and gemm_dq
 * kernels q8_*_ukernel_8x8c4__neondot (included only by *-neondot.c files,
 * built with +dotprod): 8 rows by 8 columns, KR = 4. sdot is signed x signed,
 * so A is read with its sign bit flipped (a ^ 0x80 as int8 is a - 128): the
 * tile accumulates sum (a - 128) * w, and the table's a_value_offset of -128
 * has the static weights packed for it; the output stage corrects the
 * dynamic kernel's sums itself. 16 bytes of each row (4 groups of 4 k) are
 * loaded and flipped once; each group of 4 k then costs 2 weight loads and
 * 16 sdot (by element: 4 columns x 4 k of weights times one 4-byte group of a
 * row) per 8x8x4 = 256 products. Per 16 k: 64 sdot + 8 weight loads + 8 A
 * loads + 8 eor = 88 instructions for 1024 products, 0.086 per product (the
 * compiled inner loop: 90 with clang, 93 with gcc 12, which spills one
 * register). 16 accumulators, 8 rows of A and 8 weight vectors fill the 32
 * registers; 8x16 would need 32 accumulators alone. The last kc % 16 bytes
 * of a row are loaded without reading past it (zeros above: the packer pads
 * the weights of k >= kc with zeros, so whatever they become adds nothing).
 */
#ifndef Q8_KERNELS_NEON64_GEMM_8X8C4_NEONDOT_H
#define Q8_KERNELS_NEON64_GEMM_8X8C4_NEONDOT_H

#include "gemm-neon64-common.h"

/* Sixteen bytes of A with the sign bit flipped: a - 128 as int8. */
Q8_INLINE int8x16_t q8_neondot_flip(uint8x16_t bytes) {
  return vreinterpretq_s8_u8(veorq_u8(bytes, vdupq_n_u8(0x80)));
}

/* Group `lane` (4 k) of the loaded A of every row against its 4 x 8
 * packed weights. A macro: lanes must be constants. */
#define Q8_NEONDOT_MAC_GROUP(acc, va, w, lane)                                 \
  do {                                                                         \
    const int8x16_t vw0_ = vld1q_s8((w) + 32 * (lane));                        \
    const int8x16_t vw1_ = vld1q_s8((w) + 32 * (lane) + 16);                   \
    Q8_UNROLL for (size_t m_ = 0; m_ < Q8_NEON64_MR; m_++) {                   \
      (acc)[m_][0] = vdotq_laneq_s32((acc)[m_][0], vw0_, (va)[m_], (lane));    \
      (acc)[m_][1] = vdotq_laneq_s32((acc)[m_][1], vw1_, (va)[m_], (lane));    \
    }                                                                          \
  } while (0)

/* The first n (1..4) groups of the 16 loaded bytes of every row. */
Q8_INLINE void q8_neondot_mac_16k(int32x4_t acc[Q8_NEON64_MR][2], const int8x16_t va[Q8_NEON64_MR],
                                  const int8_t* w, size_t groups) {
  Q8_NEONDOT_MAC_GROUP(acc, va, w, 0);
  if (groups > 1) Q8_NEONDOT_MAC_GROUP(acc, va, w, 1);
  if (groups > 2) Q8_NEONDOT_MAC_GROUP(acc, va, w, 2);
  if (groups > 3) Q8_NEONDOT_MAC_GROUP(acc, va, w, 3);
}

Q8_INLINE void q8_neondot_gemm_tile_8x8c4(const q8_neon64_tile_args* t) {
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
    for (; k + 16 <= kc; k += 16) {
      int8x16_t va[Q8_NEON64_MR];
      Q8_UNROLL
      for (size_t m = 0; m < Q8_NEON64_MR; m++) va[m] = q8_neondot_flip(vld1q_u8(rows[m] + k));
      q8_neondot_mac_16k(acc, va, w, 4);
      w += 16 * Q8_NEON64_NR;
    }
    if (k < kc) {
      const size_t n = kc - k, groups = (n + 3) / 4;
      int8x16_t va[Q8_NEON64_MR];
      Q8_UNROLL
      for (size_t m = 0; m < Q8_NEON64_MR; m++) {
        va[m] = q8_neondot_flip(q8_neon64_load_partial16(rows[m] + k, n));
      }
      q8_neondot_mac_16k(acc, va, w, groups);
      w += 4 * groups * Q8_NEON64_NR;
    }
  }
  q8_neon64_finish_tile(t, acc, w, -128);
}

#endif

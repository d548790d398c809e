/*
 * The ARMv8.6 i8mm GEMM tile shared by the gemm, igemm and gemm_dq kernels
 * q8_*_ukernel_8x8c8__neoni8mm (included only by *-neoni8mm.c files, built
 * with +i8mm): 8 rows by 8 columns, KR = 8. usmmla multiplies unsigned by
 * signed bytes, so A needs no sign flip (a_value_offset 0): one usmmla adds
 * a 2x8 block of A (8 k of two rows) times an 8x2 block of weights (8 k of
 * two columns: one 16-byte KR = 8 packed pair) into a 2x2 block of the tile,
 * 32 products. The tile is 4 row pairs x 4 column pairs = 16 accumulators.
 * 16 bytes of each row are loaded and the rows of a pair interleaved by 8
 * bytes (zip1/zip2 .2d); per 16 k: 32 usmmla + 8 weight loads + 8 A loads +
 * 8 zips = 56 instructions for 1024 products, 0.055 per product, against
 * 0.086 for the dot-product tile (clang's inner loop is 58 instructions;
 * gcc 12's pre-allocation scheduler hoists every load and spills: 70). The
 * last kc % 16 bytes of a row are loaded without reading past it
 * (zeros above: the packer's zero weights for k >= kc make them count for
 * nothing). The 2x2 blocks go back to rows (zip1/zip2 .2d) for the shared
 * output stage.
 */
#ifndef Q8_KERNELS_NEON64_GEMM_8X8C8_NEONI8MM_H
#define Q8_KERNELS_NEON64_GEMM_8X8C8_NEONI8MM_H

#include "gemm-neon64-common.h"

enum { Q8_NEONI8MM_PAIRS = Q8_NEON64_MR / 2, Q8_NEONI8MM_COLUMN_PAIRS = Q8_NEON64_NR / 2 };

/* 8 k of weights for every column pair (64 bytes) into the 2x2 blocks of
 * one row pair. */
Q8_INLINE void q8_neoni8mm_mac_pair(int32x4_t acc[Q8_NEONI8MM_COLUMN_PAIRS], uint8x16_t pair,
                                    const int8x16_t vw[Q8_NEONI8MM_COLUMN_PAIRS]) {
  Q8_UNROLL
  for (size_t j = 0; j < Q8_NEONI8MM_COLUMN_PAIRS; j++) acc[j] = vusmmlaq_s32(acc[j], pair, vw[j]);
}

Q8_INLINE void q8_neoni8mm_load_weights(int8x16_t vw[Q8_NEONI8MM_COLUMN_PAIRS], const int8_t* w) {
  Q8_UNROLL
  for (size_t j = 0; j < Q8_NEONI8MM_COLUMN_PAIRS; j++) vw[j] = vld1q_s8(w + 16 * j);
}

/* The 8 k of half `half` (0: bytes 0..7, 1: bytes 8..15) of the 16 loaded
 * bytes of every row, against their 8 k of packed weights. */
Q8_INLINE void q8_neoni8mm_mac_8k(int32x4_t acc[Q8_NEONI8MM_PAIRS][Q8_NEONI8MM_COLUMN_PAIRS],
                                  const uint8x16_t va[Q8_NEON64_MR], const int8_t* w, int half) {
  int8x16_t vw[Q8_NEONI8MM_COLUMN_PAIRS];
  q8_neoni8mm_load_weights(vw, w);
  Q8_UNROLL
  for (size_t i = 0; i < Q8_NEONI8MM_PAIRS; i++) {
    const uint64x2_t r0 = vreinterpretq_u64_u8(va[2 * i]);
    const uint64x2_t r1 = vreinterpretq_u64_u8(va[2 * i + 1]);
    const uint64x2_t pair = half == 0 ? vzip1q_u64(r0, r1) : vzip2q_u64(r0, r1);
    q8_neoni8mm_mac_pair(acc[i], vreinterpretq_u8_u64(pair), vw);
  }
}

/* The 2x2 blocks [r0c0 r0c1 r1c0 r1c1] back to rows of 4 columns each. */
Q8_INLINE void q8_neoni8mm_blocks_to_rows(
    int32x4_t blocks[Q8_NEONI8MM_PAIRS][Q8_NEONI8MM_COLUMN_PAIRS],
    int32x4_t rows[Q8_NEON64_MR][2]) {
  Q8_UNROLL
  for (size_t i = 0; i < Q8_NEONI8MM_PAIRS; i++) {
    Q8_UNROLL
    for (size_t h = 0; h < 2; h++) {
      const int64x2_t left = vreinterpretq_s64_s32(blocks[i][2 * h]);
      const int64x2_t right = vreinterpretq_s64_s32(blocks[i][2 * h + 1]);
      rows[2 * i][h] = vreinterpretq_s32_s64(vzip1q_s64(left, right));
      rows[2 * i + 1][h] = vreinterpretq_s32_s64(vzip2q_s64(left, right));
    }
  }
}

Q8_INLINE void q8_neoni8mm_gemm_tile_8x8c8(const q8_neon64_tile_args* t) {
  const size_t kc = t->kc;
  const size_t ks = t->indirect != NULL ? t->ks : 1;
  int32x4_t blocks[Q8_NEONI8MM_PAIRS][Q8_NEONI8MM_COLUMN_PAIRS];
  Q8_UNROLL
  for (size_t i = 0; i < Q8_NEONI8MM_PAIRS; i++) {
    Q8_UNROLL
    for (size_t j = 0; j < Q8_NEONI8MM_COLUMN_PAIRS; j++) blocks[i][j] = vdupq_n_s32(0);
  }

  const int8_t* w = (const int8_t*)((const int32_t*)t->w + Q8_NEON64_NR);
  for (size_t s = 0; s < ks; s++) {
    const uint8_t* rows[Q8_NEON64_MR];
    Q8_UNROLL
    for (size_t m = 0; m < Q8_NEON64_MR; m++) rows[m] = q8_neon64_row(t, s, m);
    size_t k = 0;
    for (; k + 16 <= kc; k += 16) {
      uint8x16_t va[Q8_NEON64_MR];
      Q8_UNROLL
      for (size_t m = 0; m < Q8_NEON64_MR; m++) va[m] = vld1q_u8(rows[m] + k);
      q8_neoni8mm_mac_8k(blocks, va, w, 0);
      q8_neoni8mm_mac_8k(blocks, va, w + 8 * Q8_NEON64_NR, 1);
      w += 16 * Q8_NEON64_NR;
    }
    if (k < kc) {
      const size_t n = kc - k;
      uint8x16_t va[Q8_NEON64_MR];
      Q8_UNROLL
      for (size_t m = 0; m < Q8_NEON64_MR; m++) va[m] = q8_neon64_load_partial16(rows[m] + k, n);
      q8_neoni8mm_mac_8k(blocks, va, w, 0);
      w += 8 * Q8_NEON64_NR;
      if (n > 8) {
        q8_neoni8mm_mac_8k(blocks, va, w, 1);
        w += 8 * Q8_NEON64_NR;
      }
    }
  }
  int32x4_t acc[Q8_NEON64_MR][2];
  q8_neoni8mm_blocks_to_rows(blocks, acc);
  q8_neon64_finish_tile(t, acc, w, 0);
}

#endif

/*
 * AVX2 depthwise convolution, CR = 32 (see dwconv-32c-x86.h for the channel
 * order and the output stage). Arithmetic: inputs zero-extended to int16,
 * weights sign-extended with the weight zero point subtracted, and vpmaddwd
 * on pairs of taps: |x * (w - wzp)| <= 255 * 255, so a pair sum fits int32
 * and sum x * (w - wzp) = sum x * w - wzp * sum x (mod 2^32), the scalar
 * kernel's accumulator, with no row sums to compute.
 *
 * A channel tail (channels % 32) is loaded and stored with vpmaskmovd when
 * it is a whole number of 32-bit words (masked-off words are not accessed),
 * otherwise through a local buffer: no byte past `channels` is touched.
 */
#ifndef Q8_KERNELS_AVX2_DWCONV_32C_AVX2_H
#define Q8_KERNELS_AVX2_DWCONV_32C_AVX2_H

#include "dwconv-32c-x86.h"

/* The channels of a partial block. */
typedef struct q8_dw32_avx2_part {
  size_t n;     /* < 32 */
  __m256i mask; /* the first n / 4 words, when n % 4 == 0 */
} q8_dw32_avx2_part;

Q8_INLINE q8_dw32_avx2_part q8_dw32_avx2_part_init(size_t n) {
  q8_dw32_avx2_part t;
  t.n = n;
  t.mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n / 4)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  return t;
}

Q8_INLINE __m256i q8_dw32_avx2_load(const uint8_t* p, const q8_dw32_avx2_part* t, int partial) {
  if (!partial) return _mm256_loadu_si256((const __m256i*)p);
  if (t->n % 4 == 0) return _mm256_maskload_epi32((const int*)(const void*)p, t->mask);
  uint8_t buf[Q8_DW32_CR] = {0};
  memcpy(buf, p, t->n);
  return _mm256_loadu_si256((const __m256i*)buf);
}

Q8_INLINE void q8_dw32_avx2_store(uint8_t* p, __m256i v, const q8_dw32_avx2_part* t,
                                  int partial) {
  if (!partial) {
    _mm256_storeu_si256((__m256i*)p, v);
  } else if (t->n % 4 == 0) {
    _mm256_maskstore_epi32((int*)(void*)p, t->mask, v);
  } else {
    uint8_t buf[Q8_DW32_CR];
    _mm256_storeu_si256((__m256i*)buf, v);
    memcpy(p, buf, t->n);
  }
}

/* --- single-pass kernels for a square KW x KW kernel -------------------- */

/*
 * Column c of the tap grid (dwconv-32c-x86.h) is multiplied as int16 pairs
 * of rows (0,1), (2,3), ... and, KW being odd, the last row alone ([x, 0]
 * pairs). A column's interleaved inputs are kept in a ring and reused by the
 * next pixels while the window slides over them (stride 1: each pixel brings
 * one new column; stride 2: two), so most taps are loaded and shuffled once
 * per block instead of KW times.
 */
enum { Q8_DW32_AVX2_MAX_KW = 5, Q8_DW32_AVX2_MAX_PARTS = (Q8_DW32_AVX2_MAX_KW + 1) / 2 };

typedef struct q8_dw32_avx2_column {
  __m256i v[Q8_DW32_AVX2_MAX_PARTS][4];
} q8_dw32_avx2_column;

/* Interleaves column kx of a pixel's taps. */
Q8_INLINE void q8_dw32_avx2_column_load(const q8_dw32_args* d, const uint8_t* const* taps,
                                        size_t KW, size_t kx, size_t c0,
                                        const q8_dw32_avx2_part* t, q8_dw32_avx2_column* col,
                                        int has_offset, int partial) {
  __m256i x[Q8_DW32_AVX2_MAX_KW];
  for (size_t r = 0; r < KW; r++) {
    x[r] = q8_dw32_avx2_load(q8_dw32_row(d, taps[r * KW + kx], has_offset) + c0, t, partial);
  }
  for (size_t r = 0; r + 1 < KW; r += 2) q8_dw32_pairs_u8(x[r], x[r + 1], col->v[r / 2]);
  q8_dw32_single(x[KW - 1], col->v[KW / 2]);
}

/* All pixels of the block at c0. */
Q8_INLINE void q8_dw32_avx2_square_block(const q8_dw32_args* d, size_t KW, size_t c0,
                                         const char* block, const q8_dw32_avx2_part* t,
                                         const q8_dw32_output* o, int subtract, int has_offset,
                                         int partial) {
  const size_t KS = KW * KW, P = (KW + 1) / 2;
  const int8_t* wp = q8_dw32_weights(block);
  const char* tail = q8_dw32_tail(block, KS);
  __m256i zp_pair[4], zp_single[4];
  q8_dw32_zero_point_pairs(tail, subtract, 0, zp_pair);
  q8_dw32_zero_point_pairs(tail, subtract, 1, zp_single);
  /* w[kx][part]: the weights of column kx as int16 pairs, minus the zero point. */
  q8_dw32_avx2_column w[Q8_DW32_AVX2_MAX_KW];
  for (size_t kx = 0; kx < KW; kx++) {
    for (size_t r = 0; r < KW; r += 2) {
      const __m256i a = _mm256_loadu_si256((const __m256i*)(wp + (r * KW + kx) * Q8_DW32_CR));
      const __m256i b = r + 1 < KW
          ? _mm256_loadu_si256((const __m256i*)(wp + ((r + 1) * KW + kx) * Q8_DW32_CR))
          : _mm256_setzero_si256();
      q8_dw32_pairs_s8(a, b, r + 1 < KW ? zp_pair : zp_single, w[kx].v[r / 2]);
    }
  }
  __m256i bias[4];
  __m256 mult[4];
  for (size_t i = 0; i < 4; i++) bias[i] = q8_dw32_lanes(block, i);
  const int below_one = q8_dw32_load_multipliers(tail, mult);

  q8_dw32_avx2_column ring[Q8_DW32_RING];
  size_t base = 0;
  for (size_t p = 0; p < d->output_pixels; p++) {
    const uint8_t* const* taps = d->input + p * d->input_stride;
    const size_t s = p == 0 ? 0 : q8_dw32_window_shift(taps, taps - d->input_stride, KW);
    base += s;
    for (size_t kx = s == 0 ? 0 : KW - s; kx < KW; kx++) {
      q8_dw32_avx2_column_load(d, taps, KW, kx, c0, t, &ring[(base + kx) % Q8_DW32_RING],
                               has_offset, partial);
    }
    __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
    for (size_t kx = 0; kx < KW; kx++) {
      const q8_dw32_avx2_column* col = &ring[(base + kx) % Q8_DW32_RING];
      for (size_t j = 0; j < P; j++) {
        for (size_t i = 0; i < 4; i++) {
          acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(col->v[j][i], w[kx].v[j][i]));
        }
      }
    }
    q8_dw32_avx2_store(d->output + p * d->output_stride + c0, q8_dw32_requantize(acc, mult, o, below_one),
                       t, partial);
  }
}

/* The whole call for a KW x KW kernel (KW a constant). */
Q8_INLINE void q8_dw32_avx2_square(const q8_dw32_args* d, size_t KW, int subtract,
                                   int has_offset) {
  const q8_dw32_output o = q8_dw32_output_init(d->params);
  const size_t block_bytes = q8_dw32_block_bytes(KW * KW);
  const size_t full = d->channels - d->channels % Q8_DW32_CR;
  const q8_dw32_avx2_part whole = q8_dw32_avx2_part_init(0);
  const char* block = (const char*)d->w;
  for (size_t c0 = 0; c0 < full; c0 += Q8_DW32_CR, block += block_bytes) {
    q8_dw32_avx2_square_block(d, KW, c0, block, &whole, &o, subtract, has_offset, 0);
  }
  if (full != d->channels) {
    const q8_dw32_avx2_part t = q8_dw32_avx2_part_init(d->channels - full);
    q8_dw32_avx2_square_block(d, KW, full, block, &t, &o, subtract, has_offset, 1);
  }
}

#endif

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

#endif

/*
 * Helpers shared by the x86 SIMD kernels (SSE2 only, so that every x86 kernel
 * file may include this whatever its -m flags): loads of A that never read
 * past the kc bytes of a row, and exact row sums of A.
 */
#ifndef Q8_KERNELS_X86_COMMON_H
#define Q8_KERNELS_X86_COMMON_H

#include <emmintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../kernels.h"

#define Q8_INLINE static inline __attribute__((always_inline))

/* What every x86 GEMM tile (gemm, igemm, gemm_dq) is given. */
typedef struct q8_x86_tile_args {
  size_t mr, nc, kc, ks;
  const uint8_t* a; /* direct: row 0, rows a_stride apart */
  size_t a_stride;
  const uint8_t* const* indirect; /* or [ks][MR] row pointers */
  size_t a_offset;
  const uint8_t* zero;
  const void* w;
  void* c;
  size_t c_stride;
  const q8_requant_params* requant; /* uint8 output */
  const q8_gemm_dq_params* dq;      /* or fp32 output */
} q8_x86_tile_args;

/* Four bytes of A. */
Q8_INLINE uint32_t q8_x86_load4(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* The last n (1..3) bytes of a row, zero-extended to four: reads exactly n. */
Q8_INLINE uint32_t q8_x86_load_tail(const uint8_t* p, size_t n) {
  uint32_t v = p[0];
  if (n > 1) v |= (uint32_t)p[1] << 8;
  if (n > 2) v |= (uint32_t)p[2] << 16;
  return v;
}

/* sum of n bytes at p (n <= 2^24, so it fits). */
static inline uint32_t q8_x86_row_sum(const uint8_t* p, size_t n) {
  __m128i vsum = _mm_setzero_si128();
  const __m128i vzero = _mm_setzero_si128();
  size_t k = 0;
  for (; k + 16 <= n; k += 16) {
    vsum = _mm_add_epi64(vsum, _mm_sad_epu8(_mm_loadu_si128((const __m128i*)(p + k)), vzero));
  }
  uint32_t sum = (uint32_t)_mm_cvtsi128_si32(vsum) +
                 (uint32_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(vsum, vsum));
  for (; k < n; k++) sum += p[k];
  return sum;
}

/* Indirect row pointer rule of kernels.h. */
Q8_INLINE const uint8_t* q8_x86_indirect_row(const uint8_t* p, size_t a_offset,
                                             const uint8_t* zero) {
  return p == zero ? p : p + a_offset;
}

/* Row sums of the mr rows of an indirect tile: sum over ks pointers each. */
static inline void q8_x86_indirect_row_sums(size_t mr, size_t MR, size_t kc, size_t ks,
                                            const uint8_t* const* a, size_t a_offset,
                                            const uint8_t* zero, uint32_t* sums) {
  for (size_t m = 0; m < mr; m++) sums[m] = 0;
  for (size_t s = 0; s < ks; s++) {
    for (size_t m = 0; m < mr; m++) {
      sums[m] += q8_x86_row_sum(q8_x86_indirect_row(a[s * MR + m], a_offset, zero), kc);
    }
  }
}

static inline const void* q8_x86_align4(const void* p) {
  return (const void*)(((uintptr_t)p + 3) & ~(uintptr_t)3);
}

#endif

/*
 * Inline helpers of the AVX2 elementwise and pooling kernels: the fp32
 * output stage (clamp, round half to even, zero point), packing int32 lanes
 * to bytes in order, and partial loads and stores that touch no byte past
 * the n requested (tails run through them, out of line).
 */
#ifndef Q8_KERNELS_AVX2_FAMILIES_H
#define Q8_KERNELS_AVX2_FAMILIES_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../pooling.h"

/* Bodies are inlined into the main loops; tails run out of line, so that the
 * main loops make no call across which the vector constants would spill. */
#define Q8_AVX2_BODY static inline __attribute__((always_inline))
#define Q8_AVX2_TAIL static __attribute__((noinline))

/* --- rounding output stage ------------------------------------------------ */

/* y = rne(clamp(v, lo, hi)) + offset, where lo = output_min - offset and
 * hi = output_max - offset are integers: clamping before rounding equals
 * clamping after, and keeps vcvtps2dq in range. A NaN v gives lo: vmaxps
 * returns its second operand when either is NaN. */
typedef struct q8_avx2_output_stage {
  __m256 lo, hi;
  __m256i offset;
} q8_avx2_output_stage;

static inline q8_avx2_output_stage q8_avx2_output_stage_init(int32_t output_min, int32_t output_max,
                                                             int32_t offset) {
  return (q8_avx2_output_stage){.lo = _mm256_set1_ps((float)(output_min - offset)),
                                .hi = _mm256_set1_ps((float)(output_max - offset)),
                                .offset = _mm256_set1_epi32(offset)};
}

/* vcvtps2dq rounds in the MXCSR mode, nearest-even by default: the mode the
 * scalar kernels' nearbyintf uses too. */
Q8_AVX2_BODY __m256i q8_avx2_output(__m256 v, const q8_avx2_output_stage* stage) {
  const __m256 clamped = _mm256_min_ps(_mm256_max_ps(v, stage->lo), stage->hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(clamped), stage->offset);
}

/* quantize_val (src/quant/quantize.h) is this stage with bounds 0 and 255:
 * NaN gives lo + zero_point = 0, +-inf saturate. */
static inline q8_avx2_output_stage q8_avx2_quantize_stage_init(int32_t zero_point) {
  return q8_avx2_output_stage_init(0, 255, zero_point);
}

/* The averaging kernels' output stage (q8_avgpool_params in ../pooling.h,
 * avgpool-output.h in ../scalar/): v = (float)acc * multiplier, the output
 * zero point added in float before rounding or in int32 after it. */
typedef struct q8_avx2_average_stage {
  q8_avx2_output_stage output;
  __m256 zero_point; /* 0 unless added before rounding */
} q8_avx2_average_stage;

static inline q8_avx2_average_stage q8_avx2_average_stage_init(const q8_avgpool_params* p) {
  const int32_t offset = p->zero_point_before_rounding ? 0 : p->output_zero_point;
  const float zero_point = p->zero_point_before_rounding ? (float)p->output_zero_point : 0.0f;
  return (q8_avx2_average_stage){
      .output = q8_avx2_output_stage_init(p->output_min, p->output_max, offset),
      .zero_point = _mm256_set1_ps(zero_point)};
}

/* Eight outputs (int32) from eight int32 sums of (q - input zero point).
 * With the zero point added after rounding this adds 0.0f, which changes
 * only -0.0f, to +0.0f: the same integer after rounding. */
Q8_AVX2_BODY __m256i q8_avx2_average8(__m256i acc, __m256 multiplier,
                                      const q8_avx2_average_stage* stage) {
  const __m256 v =
      _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), multiplier), stage->zero_point);
  return q8_avx2_output(v, &stage->output);
}

/* --- packing ---------------------------------------------------------------- */

/* 32 int32 lanes (a: elements 0-7, b: 8-15, ...) to 32 bytes in order,
 * saturated to [0, 255]. The packs interleave the 128-bit halves; the
 * permutation puts the dwords back. */
Q8_AVX2_BODY __m256i q8_avx2_pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b); /* a0-3 b0-3 | a4-7 b4-7 */
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i abcd = _mm256_packus_epi16(ab, cd); /* a0-3 b0-3 c0-3 d0-3 | a4-7 ... */
  return _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* 16 int32 lanes to 16 bytes in order, saturated to [0, 255]. */
Q8_AVX2_BODY __m128i q8_avx2_pack16(__m256i a, __m256i b) {
  const __m256i ab = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8); /* a0-7 | b0-7 */
  return _mm_packus_epi16(_mm256_castsi256_si128(ab), _mm256_extracti128_si256(ab, 1));
}

/* 8 int32 lanes to 8 bytes (the low half), saturated to [0, 255]. */
Q8_AVX2_BODY __m128i q8_avx2_pack8(__m256i a) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  return _mm_packus_epi16(w, w);
}

/* Eight bytes zero-extended to int32 lanes. */
Q8_AVX2_BODY __m256i q8_avx2_load8_u32(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)p));
}

/* --- partial loads and stores ----------------------------------------------- */

/* The n < 8 bytes at p, little-endian in a uint64 (the rest 0). */
static inline uint64_t q8_avx2_load_partial_u64(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  size_t i = 0;
  if (n & 4) {
    uint32_t t;
    memcpy(&t, p, sizeof(t));
    v = t;
    i = 4;
  }
  if (n & 2) {
    uint16_t t;
    memcpy(&t, p + i, sizeof(t));
    v |= (uint64_t)t << (8 * i);
    i += 2;
  }
  if (n & 1) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* n < 16 bytes at p in the low lanes, the rest 0. */
static inline __m128i q8_avx2_load_partial16(const uint8_t* p, size_t n) {
  if (n & 8) {
    uint64_t low;
    memcpy(&low, p, sizeof(low));
    return _mm_set_epi64x((long long)q8_avx2_load_partial_u64(p + 8, n & 7), (long long)low);
  }
  return _mm_cvtsi64_si128((long long)q8_avx2_load_partial_u64(p, n));
}

/* n < 32 bytes at p in the low lanes, the rest 0. */
static inline __m256i q8_avx2_load_partial32(const uint8_t* p, size_t n) {
  if (n & 16) {
    const __m256i low = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)p));
    return _mm256_inserti128_si256(low, q8_avx2_load_partial16(p + 16, n & 15), 1);
  }
  return _mm256_inserti128_si256(_mm256_setzero_si256(), q8_avx2_load_partial16(p, n), 0);
}

/* Stores the low n < 16 bytes of v. */
static inline void q8_avx2_store_partial16(uint8_t* p, __m128i v, size_t n) {
  if (n & 8) {
    _mm_storel_epi64((__m128i*)p, v);
    v = _mm_unpackhi_epi64(v, v);
    p += 8;
  }
  uint64_t rest = (uint64_t)_mm_cvtsi128_si64(v);
  if (n & 4) {
    const uint32_t t = (uint32_t)rest;
    memcpy(p, &t, sizeof(t));
    rest >>= 32;
    p += 4;
  }
  if (n & 2) {
    const uint16_t t = (uint16_t)rest;
    memcpy(p, &t, sizeof(t));
    rest >>= 16;
    p += 2;
  }
  if (n & 1) *p = (uint8_t)rest;
}

/* Stores the low n < 32 bytes of v. */
static inline void q8_avx2_store_partial32(uint8_t* p, __m256i v, size_t n) {
  __m128i low = _mm256_castsi256_si128(v);
  if (n & 16) {
    _mm_storeu_si128((__m128i*)p, low);
    low = _mm256_extracti128_si256(v, 1);
    p += 16;
  }
  q8_avx2_store_partial16(p, low, n & 15);
}

#endif

#include "avx2-families.h"
#include "avx2-kernels.h"

/* QNNPACK's fixed-point add (see vadd-scalar.c) on int32 lanes. The
 * multipliers reach 2^22, too wide for vpmaddwd: vpmulld it is. */
typedef struct add_constants {
  __m256i zero_point_product, a_multiplier, b_multiplier;
  __m128i shift; /* vpsrad's count operand */
  __m256i remainder_mask, remainder_threshold, output_zero_point;
  __m256i output_min, output_max;
} add_constants;

static add_constants add_constants_init(const q8_add_params* p) {
  const int32_t mask = (int32_t)((UINT32_C(1) << p->shift) - 1);
  return (add_constants){.zero_point_product = _mm256_set1_epi32(p->zero_point_product),
                         .a_multiplier = _mm256_set1_epi32(p->a_multiplier),
                         .b_multiplier = _mm256_set1_epi32(p->b_multiplier),
                         .shift = _mm_cvtsi32_si128((int)p->shift),
                         .remainder_mask = _mm256_set1_epi32(mask),
                         .remainder_threshold = _mm256_set1_epi32(mask >> 1),
                         .output_zero_point = _mm256_set1_epi32(p->output_zero_point),
                         .output_min = _mm256_set1_epi8((char)p->output_min),
                         .output_max = _mm256_set1_epi8((char)p->output_max)};
}

/* acc >> shift rounded half away from zero, plus the output zero point. The
 * remainder is biased by -1 for negative acc (acc >> 31 is -1 there) so that
 * -x.5 rounds down; the int32 arithmetic cannot overflow (vadd-scalar.c). */
Q8_AVX2_BODY __m256i add8(__m256i a, __m256i b, const add_constants* k) {
  const __m256i acc = _mm256_add_epi32(
      _mm256_add_epi32(k->zero_point_product, _mm256_mullo_epi32(a, k->a_multiplier)),
      _mm256_mullo_epi32(b, k->b_multiplier));
  const __m256i remainder =
      _mm256_add_epi32(_mm256_and_si256(acc, k->remainder_mask), _mm256_srai_epi32(acc, 31));
  const __m256i shifted = _mm256_sra_epi32(acc, k->shift);
  /* the comparison is -1 where the remainder rounds up */
  const __m256i round_up = _mm256_cmpgt_epi32(remainder, k->remainder_threshold);
  return _mm256_add_epi32(_mm256_sub_epi32(shifted, round_up), k->output_zero_point);
}

/* 32 sums of the bytes at a and b: saturated to [0, 255] by the packs, then
 * clamped, which is the scalar clamp. */
Q8_AVX2_BODY __m256i add32(const uint8_t* a, const uint8_t* b, const add_constants* k) {
  const __m256i sum = q8_avx2_pack32(add8(q8_avx2_load8_u32(a), q8_avx2_load8_u32(b), k),
                                     add8(q8_avx2_load8_u32(a + 8), q8_avx2_load8_u32(b + 8), k),
                                     add8(q8_avx2_load8_u32(a + 16), q8_avx2_load8_u32(b + 16), k),
                                     add8(q8_avx2_load8_u32(a + 24), q8_avx2_load8_u32(b + 24), k));
  return _mm256_min_epu8(_mm256_max_epu8(sum, k->output_min), k->output_max);
}

/* The last n < 32 elements: copied into zeroed buffers, stored partially. */
Q8_AVX2_TAIL void add_tail(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                           const add_constants* k) {
  uint8_t a32[32], b32[32];
  _mm256_storeu_si256((__m256i*)a32, q8_avx2_load_partial32(a, n));
  _mm256_storeu_si256((__m256i*)b32, q8_avx2_load_partial32(b, n));
  q8_avx2_store_partial32(y, add32(a32, b32, k), n);
}

void q8_vadd_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_add_params* params) {
  const add_constants k = add_constants_init(params);
  for (; n >= 32; n -= 32, a += 32, b += 32, y += 32) {
    _mm256_storeu_si256((__m256i*)y, add32(a, b, &k));
  }
  if (n != 0) add_tail(n, a, b, y, &k);
}

#include "avx2-families.h"
#include "avx2-kernels.h"

/* vmul-32-avx2.c with b broadcast: one int16 factor db = b - b_zp. */
typedef struct mul_constants {
  __m256i a_zero_point, db; /* int16 lanes */
  __m256 multiplier;
  q8_avx2_output_stage stage;
} mul_constants;

static mul_constants mul_constants_init(const q8_mul_params* p, uint8_t b) {
  return (mul_constants){
      .a_zero_point = _mm256_set1_epi16((short)p->a_zero_point),
      .db = _mm256_set1_epi16((short)((int32_t)b - p->b_zero_point)),
      .multiplier = _mm256_set1_ps(p->multiplier),
      .stage = q8_avx2_output_stage_init(p->output_min, p->output_max, p->output_zero_point)};
}

Q8_AVX2_BODY __m256i requantize(__m256i product, const mul_constants* k) {
  return q8_avx2_output(_mm256_mul_ps(_mm256_cvtepi32_ps(product), k->multiplier), &k->stage);
}

/* 16 outputs as int16 lanes in order (see vmul-32-avx2.c). */
Q8_AVX2_BODY __m256i mul16(const uint8_t* a, const mul_constants* k) {
  const __m256i da =
      _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)a)), k->a_zero_point);
  const __m256i low = _mm256_mullo_epi16(da, k->db), high = _mm256_mulhi_epi16(da, k->db);
  return _mm256_packs_epi32(requantize(_mm256_unpacklo_epi16(low, high), k),
                            requantize(_mm256_unpackhi_epi16(low, high), k));
}

Q8_AVX2_BODY __m256i mul32(const uint8_t* a, const mul_constants* k) {
  return _mm256_permute4x64_epi64(_mm256_packus_epi16(mul16(a, k), mul16(a + 16, k)), 0xD8);
}

/* The last n < 32 elements, through a buffer. */
Q8_AVX2_TAIL void mul_tail(size_t n, const uint8_t* a, uint8_t* y, const mul_constants* k) {
  uint8_t a32[32];
  _mm256_storeu_si256((__m256i*)a32, q8_avx2_load_partial32(a, n));
  q8_avx2_store_partial32(y, mul32(a32, k), n);
}

void q8_vmul_c_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_mul_params* params) {
  const mul_constants k = mul_constants_init(params, *b);
  for (; n >= 32; n -= 32, a += 32, y += 32) _mm256_storeu_si256((__m256i*)y, mul32(a, &k));
  if (n != 0) mul_tail(n, a, y, &k);
}

#include "avx2-families.h"
#include "avx2-kernels.h"

/* vadd-dq-32-avx2.c with b broadcast: one dequantized b for all. */
typedef struct add_dq_constants {
  const float* a_table;
  __m256 db, inverse_scale;
  q8_avx2_output_stage stage;
  __m256i output_min, output_max;
} add_dq_constants;

static add_dq_constants add_dq_constants_init(const q8_add_dq_params* p, uint8_t b) {
  return (add_dq_constants){.a_table = p->a_table,
                            .db = _mm256_set1_ps(p->b_table[b]),
                            .inverse_scale = _mm256_set1_ps(p->output_inverse_scale),
                            .stage = q8_avx2_quantize_stage_init(p->output_zero_point),
                            .output_min = _mm256_set1_epi8((char)p->output_min),
                            .output_max = _mm256_set1_epi8((char)p->output_max)};
}

Q8_AVX2_BODY __m256i add_dq8(const uint8_t* a, const add_dq_constants* k) {
  const __m256 da = _mm256_i32gather_ps(k->a_table, q8_avx2_load8_u32(a), 4);
  return q8_avx2_output(_mm256_mul_ps(_mm256_add_ps(da, k->db), k->inverse_scale), &k->stage);
}

Q8_AVX2_BODY __m256i add_dq32(const uint8_t* a, const add_dq_constants* k) {
  const __m256i q =
      q8_avx2_pack32(add_dq8(a, k), add_dq8(a + 8, k), add_dq8(a + 16, k), add_dq8(a + 24, k));
  return _mm256_min_epu8(_mm256_max_epu8(q, k->output_min), k->output_max);
}

/* The last n < 32 elements; the missing lanes index entry 0. */
Q8_AVX2_TAIL void add_dq_tail(size_t n, const uint8_t* a, uint8_t* y, const add_dq_constants* k) {
  uint8_t a32[32];
  _mm256_storeu_si256((__m256i*)a32, q8_avx2_load_partial32(a, n));
  q8_avx2_store_partial32(y, add_dq32(a32, k), n);
}

void q8_vadd_dq_c_ukernel_32__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                   const q8_add_dq_params* params) {
  const add_dq_constants k = add_dq_constants_init(params, *b);
  for (; n >= 32; n -= 32, a += 32, y += 32) _mm256_storeu_si256((__m256i*)y, add_dq32(a, &k));
  if (n != 0) add_dq_tail(n, a, y, &k);
}

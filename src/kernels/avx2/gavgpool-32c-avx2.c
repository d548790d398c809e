#include "avx2-families.h"
#include "avx2-kernels.h"

/* avgpool-32c-avx2.c over `rows` rows input_stride bytes apart: uint16 sums
 * of up to 256 rows, folded into int32 (rows reach 2^23: the int32 sums of
 * at most 255 each still fit). */
typedef struct average_constants {
  __m256i bias; /* -rows * input_zero_point */
  __m256 multiplier;
  q8_avx2_average_stage stage;
} average_constants;

Q8_AVX2_BODY void fold16(__m256i sum, __m256i* acc_lo, __m256i* acc_hi) {
  *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(sum)));
  *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(sum, 1)));
}

Q8_AVX2_BODY __m256i widen16(const uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)p));
}

/* 32 averages of the channels at input: two independent sums per row. */
Q8_AVX2_BODY __m256i average32(size_t rows, const uint8_t* input, size_t input_stride,
                               const average_constants* k) {
  __m256i a0 = k->bias, a1 = k->bias, a2 = k->bias, a3 = k->bias;
  for (size_t r0 = 0; r0 < rows; r0 += 256) {
    const size_t r1 = rows - r0 > 256 ? r0 + 256 : rows;
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    for (size_t r = r0; r < r1; r++) {
      s0 = _mm256_add_epi16(s0, widen16(input + r * input_stride));
      s1 = _mm256_add_epi16(s1, widen16(input + r * input_stride + 16));
    }
    fold16(s0, &a0, &a1);
    fold16(s1, &a2, &a3);
  }
  return q8_avx2_pack32(q8_avx2_average8(a0, k->multiplier, &k->stage),
                        q8_avx2_average8(a1, k->multiplier, &k->stage),
                        q8_avx2_average8(a2, k->multiplier, &k->stage),
                        q8_avx2_average8(a3, k->multiplier, &k->stage));
}

/* 16 averages of the channels at input. */
Q8_AVX2_BODY __m128i average16(size_t rows, const uint8_t* input, size_t input_stride,
                               const average_constants* k) {
  __m256i a0 = k->bias, a1 = k->bias;
  for (size_t r0 = 0; r0 < rows; r0 += 256) {
    const size_t r1 = rows - r0 > 256 ? r0 + 256 : rows;
    __m256i sum = _mm256_setzero_si256();
    for (size_t r = r0; r < r1; r++) sum = _mm256_add_epi16(sum, widen16(input + r * input_stride));
    fold16(sum, &a0, &a1);
  }
  return q8_avx2_pack16(q8_avx2_average8(a0, k->multiplier, &k->stage),
                        q8_avx2_average8(a1, k->multiplier, &k->stage));
}

/* The last n < 16 channels, through partial loads and stores. */
Q8_AVX2_TAIL void average_tail(size_t rows, const uint8_t* input, size_t input_stride, size_t n,
                               const average_constants* k, uint8_t* output) {
  __m256i a0 = k->bias, a1 = k->bias;
  for (size_t r0 = 0; r0 < rows; r0 += 256) {
    const size_t r1 = rows - r0 > 256 ? r0 + 256 : rows;
    __m256i sum = _mm256_setzero_si256();
    for (size_t r = r0; r < r1; r++) {
      sum = _mm256_add_epi16(
          sum, _mm256_cvtepu8_epi16(q8_avx2_load_partial16(input + r * input_stride, n)));
    }
    fold16(sum, &a0, &a1);
  }
  q8_avx2_store_partial16(output,
                          q8_avx2_pack16(q8_avx2_average8(a0, k->multiplier, &k->stage),
                                         q8_avx2_average8(a1, k->multiplier, &k->stage)),
                          n);
}

void q8_gavgpool_ukernel_32c__avx2(size_t rows, size_t channels, const uint8_t* input,
                                   size_t input_stride, float multiplier, uint8_t* output,
                                   const q8_avgpool_params* params) {
  const average_constants k = {.bias = _mm256_set1_epi32(-(int32_t)rows * params->input_zero_point),
                               .multiplier = _mm256_set1_ps(multiplier),
                               .stage = q8_avx2_average_stage_init(params)};
  size_t c = 0;
  for (; channels - c >= 32; c += 32) {
    _mm256_storeu_si256((__m256i*)(output + c), average32(rows, input + c, input_stride, &k));
  }
  if (channels - c >= 16) {
    _mm_storeu_si128((__m128i*)(output + c), average16(rows, input + c, input_stride, &k));
    c += 16;
  }
  if (c != channels) average_tail(rows, input + c, input_stride, channels - c, &k, output + c);
}

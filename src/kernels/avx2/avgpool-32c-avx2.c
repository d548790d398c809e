#include "avx2-families.h"
#include "avx2-kernels.h"

/*
 * Sums of the ks taps in uint16 lanes (256 taps of at most 255 fit), folded
 * into int32 every 256 taps; then sum(q - zp) = sum(q) - ks * zp (padding
 * taps hold zp and cancel out), and the shared output stage.
 */
typedef struct average_constants {
  __m256i bias; /* -ks * input_zero_point */
  q8_avx2_average_stage stage;
} average_constants;

/* 16 uint16 sums of taps k0 .. k1 - 1 (k1 - k0 <= 256) from channel c. */
Q8_AVX2_BODY __m256i sum16(const uint8_t* const* taps, size_t k0, size_t k1, size_t c) {
  __m256i sum = _mm256_setzero_si256();
  for (size_t k = k0; k < k1; k++) {
    sum =
        _mm256_add_epi16(sum, _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(taps[k] + c))));
  }
  return sum;
}

/* Folds 16 uint16 sums into the int32 accumulators of lanes 0-7 and 8-15. */
Q8_AVX2_BODY void fold16(__m256i sum, __m256i* acc_lo, __m256i* acc_hi) {
  *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(sum)));
  *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(sum, 1)));
}

/* 32 averages from channel c: two independent sums per tap. */
Q8_AVX2_BODY __m256i average32(size_t ks, const uint8_t* const* taps, size_t c, __m256 multiplier,
                               const average_constants* k) {
  __m256i a0 = k->bias, a1 = k->bias, a2 = k->bias, a3 = k->bias;
  for (size_t k0 = 0; k0 < ks; k0 += 256) {
    const size_t k1 = ks - k0 > 256 ? k0 + 256 : ks;
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    for (size_t t = k0; t < k1; t++) {
      s0 = _mm256_add_epi16(s0,
                            _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(taps[t] + c))));
      s1 = _mm256_add_epi16(
          s1, _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(taps[t] + c + 16))));
    }
    fold16(s0, &a0, &a1);
    fold16(s1, &a2, &a3);
  }
  return q8_avx2_pack32(
      q8_avx2_average8(a0, multiplier, &k->stage), q8_avx2_average8(a1, multiplier, &k->stage),
      q8_avx2_average8(a2, multiplier, &k->stage), q8_avx2_average8(a3, multiplier, &k->stage));
}

/* 16 averages from channel c. */
Q8_AVX2_BODY __m128i average16(size_t ks, const uint8_t* const* taps, size_t c, __m256 multiplier,
                               const average_constants* k) {
  __m256i a0 = k->bias, a1 = k->bias;
  for (size_t k0 = 0; k0 < ks; k0 += 256) {
    fold16(sum16(taps, k0, ks - k0 > 256 ? k0 + 256 : ks, c), &a0, &a1);
  }
  return q8_avx2_pack16(q8_avx2_average8(a0, multiplier, &k->stage),
                        q8_avx2_average8(a1, multiplier, &k->stage));
}

/* The last n < 16 channels, through partial loads and stores. */
Q8_AVX2_TAIL void average_tail(size_t ks, const uint8_t* const* taps, size_t c, size_t n,
                               __m256 multiplier, const average_constants* k, uint8_t* out) {
  __m256i a0 = k->bias, a1 = k->bias;
  for (size_t k0 = 0; k0 < ks; k0 += 256) {
    const size_t k1 = ks - k0 > 256 ? k0 + 256 : ks;
    __m256i sum = _mm256_setzero_si256();
    for (size_t t = k0; t < k1; t++) {
      sum = _mm256_add_epi16(sum, _mm256_cvtepu8_epi16(q8_avx2_load_partial16(taps[t] + c, n)));
    }
    fold16(sum, &a0, &a1);
  }
  q8_avx2_store_partial16(out + c,
                          q8_avx2_pack16(q8_avx2_average8(a0, multiplier, &k->stage),
                                         q8_avx2_average8(a1, multiplier, &k->stage)),
                          n);
}

void q8_avgpool_ukernel_32c__avx2(size_t output_pixels, size_t ks, size_t channels,
                                  const uint8_t* const* input, size_t input_stride,
                                  const float* multipliers, size_t multiplier_stride,
                                  uint8_t* output, size_t output_stride,
                                  const q8_avgpool_params* params) {
  const average_constants k = {.bias = _mm256_set1_epi32(-(int32_t)ks * params->input_zero_point),
                               .stage = q8_avx2_average_stage_init(params)};
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    const __m256 multiplier = _mm256_set1_ps(multipliers[p * multiplier_stride]);
    uint8_t* out = output + p * output_stride;
    size_t c = 0;
    for (; channels - c >= 32; c += 32) {
      _mm256_storeu_si256((__m256i*)(out + c), average32(ks, taps, c, multiplier, &k));
    }
    if (channels - c >= 16) {
      _mm_storeu_si128((__m128i*)(out + c), average16(ks, taps, c, multiplier, &k));
      c += 16;
    }
    if (c != channels) average_tail(ks, taps, c, channels - c, multiplier, &k, out);
  }
}

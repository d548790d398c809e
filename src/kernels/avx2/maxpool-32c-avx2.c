#include "avx2-families.h"
#include "avx2-kernels.h"

/* Max over the ks taps of channels c .. c + 31, clamped. Max starts at 0,
 * the identity over uint8, as in maxpool-scalar.c. */
Q8_AVX2_BODY void max32(size_t ks, const uint8_t* const* taps, size_t c, uint8_t* out, __m256i lo,
                        __m256i hi) {
  __m256i m = _mm256_setzero_si256();
  for (size_t k = 0; k < ks; k++) {
    m = _mm256_max_epu8(m, _mm256_loadu_si256((const __m256i*)(taps[k] + c)));
  }
  _mm256_storeu_si256((__m256i*)(out + c), _mm256_min_epu8(_mm256_max_epu8(m, lo), hi));
}

/* The same for 16 channels. */
Q8_AVX2_BODY void max16(size_t ks, const uint8_t* const* taps, size_t c, uint8_t* out, __m128i lo,
                        __m128i hi) {
  __m128i m = _mm_setzero_si128();
  for (size_t k = 0; k < ks; k++) {
    m = _mm_max_epu8(m, _mm_loadu_si128((const __m128i*)(taps[k] + c)));
  }
  _mm_storeu_si128((__m128i*)(out + c), _mm_min_epu8(_mm_max_epu8(m, lo), hi));
}

/* The last n < 16 channels, through partial loads and stores. */
Q8_AVX2_TAIL void max_tail(size_t ks, const uint8_t* const* taps, size_t c, size_t n, uint8_t* out,
                           __m128i lo, __m128i hi) {
  __m128i m = _mm_setzero_si128();
  for (size_t k = 0; k < ks; k++) m = _mm_max_epu8(m, q8_avx2_load_partial16(taps[k] + c, n));
  q8_avx2_store_partial16(out + c, _mm_min_epu8(_mm_max_epu8(m, lo), hi), n);
}

void q8_maxpool_ukernel_32c__avx2(size_t output_pixels, size_t ks, size_t channels,
                                  const uint8_t* const* input, size_t input_stride, uint8_t* output,
                                  size_t output_stride, const q8_maxpool_params* params) {
  const __m256i lo = _mm256_set1_epi8((char)params->output_min);
  const __m256i hi = _mm256_set1_epi8((char)params->output_max);
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    uint8_t* out = output + p * output_stride;
    size_t c = 0;
    for (; channels - c >= 32; c += 32) max32(ks, taps, c, out, lo, hi);
    if (channels - c >= 16) {
      max16(ks, taps, c, out, _mm256_castsi256_si128(lo), _mm256_castsi256_si128(hi));
      c += 16;
    }
    if (c != channels) {
      max_tail(ks, taps, c, channels - c, out, _mm256_castsi256_si128(lo),
               _mm256_castsi256_si128(hi));
    }
  }
}

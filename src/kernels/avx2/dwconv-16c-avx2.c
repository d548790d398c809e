/*
 * Depthwise convolution, any kernel size, 16 channels per packed block
 * (CR = 16). Each tap widens 16 inputs (u8) and weights (s8) to int16; their
 * products fit int16 exactly (|x * w| <= 255 * 128), so vpmullw and a sign
 * extension to int32 give exact sums. A channel tail is copied into a local
 * buffer first, so no byte past `channels` is read or written.
 */
#include <immintrin.h>

#include "avx2-kernels.h"
#include "x86-common.h"

enum { CR = 16 };

void q8_dwconv_ukernel_16c__avx2(size_t channels, size_t output_pixels, size_t ks,
                                 const uint8_t* const* input, size_t input_stride, const void* w,
                                 uint8_t* output, size_t output_stride, size_t a_offset,
                                 const uint8_t* zero, const q8_requant_params* params) {
  const __m256 vlo = _mm256_set1_ps((float)((int32_t)params->output_min - params->output_zero_point));
  const __m256 vhi = _mm256_set1_ps((float)((int32_t)params->output_max - params->output_zero_point));
  const __m256i vozp = _mm256_set1_epi32(params->output_zero_point);
  const int subtract = params->subtract_row_sums;
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    uint8_t* out = output + p * output_stride;
    const char* block = (const char*)w;
    for (size_t c0 = 0; c0 < channels; c0 += CR) {
      const size_t n = channels - c0 < CR ? channels - c0 : CR;
      __m256i vacc0 = _mm256_loadu_si256((const __m256i*)block);
      __m256i vacc1 = _mm256_loadu_si256((const __m256i*)(block + 32));
      __m256i vsum0 = _mm256_setzero_si256(), vsum1 = _mm256_setzero_si256();
      const int8_t* wp = (const int8_t*)(block + CR * sizeof(int32_t));
      for (size_t k = 0; k < ks; k++) {
        const uint8_t* x = q8_x86_indirect_row(taps[k], a_offset, zero) + c0;
        __m128i vx8;
        if (n == CR) {
          vx8 = _mm_loadu_si128((const __m128i*)x);
        } else {
          uint8_t part[CR] = {0};
          memcpy(part, x, n);
          vx8 = _mm_loadu_si128((const __m128i*)part);
        }
        const __m256i vx = _mm256_cvtepu8_epi16(vx8);
        const __m256i vw = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(wp + k * CR)));
        const __m256i vprod = _mm256_mullo_epi16(vx, vw);
        vacc0 = _mm256_add_epi32(vacc0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(vprod)));
        vacc1 = _mm256_add_epi32(vacc1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(vprod, 1)));
        if (subtract) {
          vsum0 = _mm256_add_epi32(vsum0, _mm256_cvtepu8_epi32(vx8));
          vsum1 = _mm256_add_epi32(vsum1, _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(vx8, vx8)));
        }
      }
      const char* tail = (const char*)q8_x86_align4(wp + ks * CR);
      if (subtract) {
        vacc0 = _mm256_sub_epi32(
            vacc0, _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i*)tail), vsum0));
        vacc1 = _mm256_sub_epi32(
            vacc1, _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i*)(tail + 32)), vsum1));
      }
      const float* mult = (const float*)(tail + CR * sizeof(int32_t));
      __m256 vf0 = _mm256_mul_ps(_mm256_cvtepi32_ps(vacc0), _mm256_loadu_ps(mult));
      __m256 vf1 = _mm256_mul_ps(_mm256_cvtepi32_ps(vacc1), _mm256_loadu_ps(mult + 8));
      vf0 = _mm256_min_ps(_mm256_max_ps(vf0, vlo), vhi);
      vf1 = _mm256_min_ps(_mm256_max_ps(vf1, vlo), vhi);
      const __m256i vq0 = _mm256_add_epi32(_mm256_cvtps_epi32(vf0), vozp);
      const __m256i vq1 = _mm256_add_epi32(_mm256_cvtps_epi32(vf1), vozp);
      /* Values are in [0, 255]: the saturating packs are exact. The in-lane
       * pack gives [q0 0-3, q1 0-3 | q0 4-7, q1 4-7]; vpermq restores order. */
      const __m256i vh = _mm256_packs_epi32(vq0, vq1);
      const __m256i vh_ordered = _mm256_permute4x64_epi64(vh, 0xD8);
      const __m128i vb = _mm_packus_epi16(_mm256_castsi256_si128(vh_ordered),
                                          _mm256_extracti128_si256(vh_ordered, 1));
      if (n == CR) {
        _mm_storeu_si128((__m128i*)(out + c0), vb);
      } else {
        uint8_t part[CR];
        _mm_storeu_si128((__m128i*)part, vb);
        memcpy(out + c0, part, n);
      }
      block = tail + 2 * CR * sizeof(int32_t);
    }
  }
}

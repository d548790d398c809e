/*
 * Depthwise convolution, any kernel size, 32 channels per packed block
 * (CR = 32). Each tap widens 32 inputs (u8) and weights (s8) to int16; their
 * products fit int16 exactly (|x * w| <= 255 * 128), so vpmullw and a sign
 * extension to int32 give exact sums. Channel tails use masked loads and
 * stores, so no byte past `channels` is touched.
 */
#include <immintrin.h>

#include "../avx2/x86-common.h"
#include "avx512vnni-kernels.h"

enum { CR = 32 };

void q8_dwconv_ukernel_32c__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                       const uint8_t* const* input, size_t input_stride,
                                       const void* w, uint8_t* output, size_t output_stride,
                                       size_t a_offset, const uint8_t* zero,
                                       const q8_requant_params* params) {
  const __m512 vlo = _mm512_set1_ps((float)((int32_t)params->output_min - params->output_zero_point));
  const __m512 vhi = _mm512_set1_ps((float)((int32_t)params->output_max - params->output_zero_point));
  const __m512i vozp = _mm512_set1_epi32(params->output_zero_point);
  const int subtract = params->subtract_row_sums;
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    uint8_t* out = output + p * output_stride;
    const char* block = (const char*)w;
    for (size_t c0 = 0; c0 < channels; c0 += CR) {
      const size_t n = channels - c0 < CR ? channels - c0 : CR;
      const __mmask32 mask = n == CR ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << n) - 1u);
      __m512i vacc0 = _mm512_loadu_si512(block);
      __m512i vacc1 = _mm512_loadu_si512(block + 64);
      __m512i vsum0 = _mm512_setzero_si512(), vsum1 = _mm512_setzero_si512();
      const int8_t* wp = (const int8_t*)(block + CR * sizeof(int32_t));
      for (size_t k = 0; k < ks; k++) {
        const uint8_t* x = q8_x86_indirect_row(taps[k], a_offset, zero) + c0;
        const __m512i vx = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask, x));
        const __m512i vw =
            _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)(wp + k * CR)));
        const __m512i vprod = _mm512_mullo_epi16(vx, vw);
        vacc0 = _mm512_add_epi32(vacc0, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(vprod)));
        vacc1 = _mm512_add_epi32(vacc1, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(vprod, 1)));
        if (subtract) {
          vsum0 = _mm512_add_epi32(vsum0, _mm512_cvtepu16_epi32(_mm512_castsi512_si256(vx)));
          vsum1 = _mm512_add_epi32(vsum1, _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(vx, 1)));
        }
      }
      const char* tail = (const char*)q8_x86_align4(wp + ks * CR);
      if (subtract) {
        vacc0 = _mm512_sub_epi32(vacc0, _mm512_mullo_epi32(_mm512_loadu_si512(tail), vsum0));
        vacc1 = _mm512_sub_epi32(vacc1, _mm512_mullo_epi32(_mm512_loadu_si512(tail + 64), vsum1));
      }
      const float* mult = (const float*)(tail + CR * sizeof(int32_t));
      __m512 vf0 = _mm512_mul_ps(_mm512_cvtepi32_ps(vacc0), _mm512_loadu_ps(mult));
      __m512 vf1 = _mm512_mul_ps(_mm512_cvtepi32_ps(vacc1), _mm512_loadu_ps(mult + 16));
      vf0 = _mm512_min_ps(_mm512_max_ps(vf0, vlo), vhi);
      vf1 = _mm512_min_ps(_mm512_max_ps(vf1, vlo), vhi);
      const __m128i vq0 = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(vf0), vozp));
      const __m128i vq1 = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(vf1), vozp));
      const __m256i vq = _mm256_inserti128_si256(_mm256_castsi128_si256(vq0), vq1, 1);
      _mm256_mask_storeu_epi8(out + c0, mask, vq);
      block = tail + 2 * CR * sizeof(int32_t);
    }
  }
}

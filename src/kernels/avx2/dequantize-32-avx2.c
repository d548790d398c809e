#include "avx2-families.h"
#include "avx2-kernels.h"

/* y = (float)(x - zero_point) * scale: exact conversion, one rounding. */
Q8_AVX2_BODY void dequantize8(const uint8_t* x, float* y, __m256i zero_point, __m256 scale) {
  const __m256i centered = _mm256_sub_epi32(q8_avx2_load8_u32(x), zero_point);
  _mm256_storeu_ps(y, _mm256_mul_ps(_mm256_cvtepi32_ps(centered), scale));
}

Q8_AVX2_BODY void dequantize32(const uint8_t* x, float* y, __m256i zero_point, __m256 scale) {
  dequantize8(x, y, zero_point, scale);
  dequantize8(x + 8, y + 8, zero_point, scale);
  dequantize8(x + 16, y + 16, zero_point, scale);
  dequantize8(x + 24, y + 24, zero_point, scale);
}

/* The last n < 32 elements, through buffers. */
Q8_AVX2_TAIL void dequantize_tail(size_t n, const uint8_t* x, float* y, __m256i zero_point,
                                  __m256 scale) {
  uint8_t x32[32];
  float y32[32];
  _mm256_storeu_si256((__m256i*)x32, q8_avx2_load_partial32(x, n));
  dequantize32(x32, y32, zero_point, scale);
  memcpy(y, y32, n * sizeof(float));
}

void q8_dequantize_ukernel_32__avx2(size_t n, const uint8_t* x, float* y,
                                    const q8_dequantize_params* params) {
  const __m256i zero_point = _mm256_set1_epi32(params->zero_point);
  const __m256 scale = _mm256_set1_ps(params->scale);
  for (; n >= 32; n -= 32, x += 32, y += 32) dequantize32(x, y, zero_point, scale);
  if (n != 0) dequantize_tail(n, x, y, zero_point, scale);
}

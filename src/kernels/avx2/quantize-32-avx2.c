#include "avx2-families.h"
#include "avx2-kernels.h"

/* quantize_val (src/quant/quantize.h): rne(x * inverse_scale) + zero_point
 * clamped to [0, 255]; NaN gives 0 and +-inf saturate (the output stage). */
typedef struct quantize_constants {
  __m256 inverse_scale;
  q8_avx2_output_stage stage;
} quantize_constants;

Q8_AVX2_BODY __m256i quantize8(const float* x, const quantize_constants* k) {
  return q8_avx2_output(_mm256_mul_ps(_mm256_loadu_ps(x), k->inverse_scale), &k->stage);
}

Q8_AVX2_BODY __m256i quantize32(const float* x, const quantize_constants* k) {
  return q8_avx2_pack32(quantize8(x, k), quantize8(x + 8, k), quantize8(x + 16, k),
                        quantize8(x + 24, k));
}

/* The last n < 32 floats, through a buffer (the rest read as 0). */
Q8_AVX2_TAIL void quantize_tail(size_t n, const float* x, uint8_t* y, const quantize_constants* k) {
  float buffer[32] = {0};
  memcpy(buffer, x, n * sizeof(float));
  q8_avx2_store_partial32(y, quantize32(buffer, k), n);
}

void q8_quantize_ukernel_32__avx2(size_t n, const float* x, uint8_t* y,
                                  const q8_quantize_params* params) {
  const quantize_constants k = {.inverse_scale = _mm256_set1_ps(params->inverse_scale),
                                .stage = q8_avx2_quantize_stage_init(params->zero_point)};
  for (; n >= 32; n -= 32, x += 32, y += 32) _mm256_storeu_si256((__m256i*)y, quantize32(x, &k));
  if (n != 0) quantize_tail(n, x, y, &k);
}

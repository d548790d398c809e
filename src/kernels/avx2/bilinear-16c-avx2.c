#include "avx2-families.h"
#include "avx2-kernels.h"

typedef struct pixel_weights {
  __m256 hl0, hl1, wl0, wl1;
} pixel_weights;

/* bilinear-scalar.c's association, each operation rounded to fp32 (no FMA:
 * this file is built without it, and with -ffp-contract=off). */
Q8_AVX2_BODY __m256 blend(__m256 tl, __m256 tr, __m256 bl, __m256 br, const pixel_weights* w,
                          __m256 zero_point) {
  const __m256 top = _mm256_add_ps(_mm256_mul_ps(w->wl0, tl), _mm256_mul_ps(w->wl1, tr));
  const __m256 bottom = _mm256_add_ps(_mm256_mul_ps(w->wl0, bl), _mm256_mul_ps(w->wl1, br));
  return _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(w->hl0, top), _mm256_mul_ps(w->hl1, bottom)),
                       zero_point);
}

/* Eight codes as exact floats. */
Q8_AVX2_BODY __m256 floats8(__m128i codes) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(codes));
}

/* Eight outputs (int32) from the corners' eight codes each. */
Q8_AVX2_BODY __m256i interpolate8(__m128i tl, __m128i tr, __m128i bl, __m128i br,
                                  const pixel_weights* w, __m256 zero_point,
                                  const q8_avx2_output_stage* stage) {
  return q8_avx2_output(blend(floats8(tl), floats8(tr), floats8(bl), floats8(br), w, zero_point),
                        stage);
}

Q8_AVX2_BODY __m128i load8(const uint8_t* p) { return _mm_loadl_epi64((const __m128i*)p); }

/* 16 channels from c. */
Q8_AVX2_BODY __m128i interpolate16(const uint8_t* const* corners, size_t c, const pixel_weights* w,
                                   __m256 zero_point, const q8_avx2_output_stage* stage) {
  const uint8_t *tl = corners[0] + c, *tr = corners[1] + c;
  const uint8_t *bl = corners[2] + c, *br = corners[3] + c;
  return q8_avx2_pack16(
      interpolate8(load8(tl), load8(tr), load8(bl), load8(br), w, zero_point, stage),
      interpolate8(load8(tl + 8), load8(tr + 8), load8(bl + 8), load8(br + 8), w, zero_point,
                   stage));
}

/* The last n < 16 channels, through partial loads and stores. */
Q8_AVX2_TAIL void interpolate_tail(const uint8_t* const* corners, size_t c, size_t n,
                                   const pixel_weights* w, __m256 zero_point,
                                   const q8_avx2_output_stage* stage, uint8_t* out) {
  const __m128i tl = q8_avx2_load_partial16(corners[0] + c, n);
  const __m128i tr = q8_avx2_load_partial16(corners[1] + c, n);
  const __m128i bl = q8_avx2_load_partial16(corners[2] + c, n);
  const __m128i br = q8_avx2_load_partial16(corners[3] + c, n);
  const __m256i lo = interpolate8(tl, tr, bl, br, w, zero_point, stage);
  const __m256i hi =
      interpolate8(_mm_unpackhi_epi64(tl, tl), _mm_unpackhi_epi64(tr, tr),
                   _mm_unpackhi_epi64(bl, bl), _mm_unpackhi_epi64(br, br), w, zero_point, stage);
  q8_avx2_store_partial16(out + c, q8_avx2_pack16(lo, hi), n);
}

void q8_bilinear_ukernel_16c__avx2(size_t pixels, size_t channels, const uint8_t* const* corners,
                                   const float* lambdas, uint8_t* output, size_t output_stride,
                                   int32_t zero_point) {
  const __m256 zp = _mm256_set1_ps((float)zero_point);
  /* clamping rne(v) + zp to [0, 255] equals clamping v to [-zp, 255 - zp] */
  const q8_avx2_output_stage stage = q8_avx2_output_stage_init(0, 255, zero_point);
  for (size_t p = 0; p < pixels; p++) {
    const float* l = lambdas + 4 * p;
    const pixel_weights w = {_mm256_set1_ps(l[0]), _mm256_set1_ps(l[1]), _mm256_set1_ps(l[2]),
                             _mm256_set1_ps(l[3])};
    const uint8_t* const* pixel_corners = corners + 4 * p;
    uint8_t* out = output + p * output_stride;
    size_t c = 0;
    for (; channels - c >= 16; c += 16) {
      _mm_storeu_si128((__m128i*)(out + c), interpolate16(pixel_corners, c, &w, zp, &stage));
    }
    if (c != channels) interpolate_tail(pixel_corners, c, channels - c, &w, zp, &stage, out);
  }
}

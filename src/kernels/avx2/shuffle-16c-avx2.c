#include "../scalar/scalar-kernels.h"
#include "avx2-families.h"
#include "avx2-kernels.h"

/* Channel c of group g goes to output channel c * groups + g: per pixel, the
 * byte interleave of `groups` rows of group_channels bytes. The interleave
 * helpers return how many channels of each group they did; the scalar loop
 * finishes the rest. */

/* 2 groups: vpunpck{l,h}bw interleave within 128-bit halves; vperm2i128
 * puts the halves in order. */
static size_t interleave2(const uint8_t* x, size_t gc, uint8_t* y) {
  size_t c = 0;
  for (; gc - c >= 32; c += 32) {
    const __m256i a = _mm256_loadu_si256((const __m256i*)(x + c));
    const __m256i b = _mm256_loadu_si256((const __m256i*)(x + gc + c));
    const __m256i lo = _mm256_unpacklo_epi8(a, b); /* channels 0-7 | 16-23 */
    const __m256i hi = _mm256_unpackhi_epi8(a, b); /* channels 8-15 | 24-31 */
    _mm256_storeu_si256((__m256i*)(y + 2 * c), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256((__m256i*)(y + 2 * c + 32), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
  if (gc - c >= 16) {
    const __m128i a = _mm_loadu_si128((const __m128i*)(x + c));
    const __m128i b = _mm_loadu_si128((const __m128i*)(x + gc + c));
    _mm_storeu_si128((__m128i*)(y + 2 * c), _mm_unpacklo_epi8(a, b));
    _mm_storeu_si128((__m128i*)(y + 2 * c + 16), _mm_unpackhi_epi8(a, b));
    c += 16;
  }
  if (gc - c >= 8) {
    const __m128i a = _mm_loadl_epi64((const __m128i*)(x + c));
    const __m128i b = _mm_loadl_epi64((const __m128i*)(x + gc + c));
    _mm_storeu_si128((__m128i*)(y + 2 * c), _mm_unpacklo_epi8(a, b));
    c += 8;
  }
  return c;
}

/* 3 groups: each 16-byte output vector k ORs one vpshufb of each group; byte
 * p takes element (16 k + p) / 3 of group (16 k + p) % 3 (-1: zero). */
static const int8_t interleave3_masks[3][3][16] = {
    {{0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1, 5},
     {-1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1},
     {-1, -1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1}},
    {{-1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10, -1},
     {5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10},
     {-1, 5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1}},
    {{-1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1, -1},
     {-1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1},
     {10, -1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15}},
};

static inline __m128i interleave3_vector(__m128i a, __m128i b, __m128i c, size_t k) {
  const __m128i* m = (const __m128i*)interleave3_masks[k];
  return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, _mm_loadu_si128(m)),
                                   _mm_shuffle_epi8(b, _mm_loadu_si128(m + 1))),
                      _mm_shuffle_epi8(c, _mm_loadu_si128(m + 2)));
}

static size_t interleave3(const uint8_t* x, size_t gc, uint8_t* y) {
  size_t c = 0;
  for (; gc - c >= 16; c += 16) {
    const __m128i a = _mm_loadu_si128((const __m128i*)(x + c));
    const __m128i b = _mm_loadu_si128((const __m128i*)(x + gc + c));
    const __m128i d = _mm_loadu_si128((const __m128i*)(x + 2 * gc + c));
    for (size_t k = 0; k < 3; k++) {
      _mm_storeu_si128((__m128i*)(y + 3 * c + 16 * k), interleave3_vector(a, b, d, k));
    }
  }
  if (gc - c >= 8) { /* 24 bytes: vector 0 and the low half of vector 1 */
    const __m128i a = _mm_loadl_epi64((const __m128i*)(x + c));
    const __m128i b = _mm_loadl_epi64((const __m128i*)(x + gc + c));
    const __m128i d = _mm_loadl_epi64((const __m128i*)(x + 2 * gc + c));
    _mm_storeu_si128((__m128i*)(y + 3 * c), interleave3_vector(a, b, d, 0));
    _mm_storel_epi64((__m128i*)(y + 3 * c + 16), interleave3_vector(a, b, d, 1));
    c += 8;
  }
  return c;
}

/* 4 groups: bytes of groups 0-1 and 2-3 interleaved, then their 16-bit
 * pairs. */
static size_t interleave4(const uint8_t* x, size_t gc, uint8_t* y) {
  size_t c = 0;
  for (; gc - c >= 16; c += 16) {
    const __m128i a = _mm_loadu_si128((const __m128i*)(x + c));
    const __m128i b = _mm_loadu_si128((const __m128i*)(x + gc + c));
    const __m128i d = _mm_loadu_si128((const __m128i*)(x + 2 * gc + c));
    const __m128i e = _mm_loadu_si128((const __m128i*)(x + 3 * gc + c));
    const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
    const __m128i de_lo = _mm_unpacklo_epi8(d, e), de_hi = _mm_unpackhi_epi8(d, e);
    _mm_storeu_si128((__m128i*)(y + 4 * c), _mm_unpacklo_epi16(ab_lo, de_lo));
    _mm_storeu_si128((__m128i*)(y + 4 * c + 16), _mm_unpackhi_epi16(ab_lo, de_lo));
    _mm_storeu_si128((__m128i*)(y + 4 * c + 32), _mm_unpacklo_epi16(ab_hi, de_hi));
    _mm_storeu_si128((__m128i*)(y + 4 * c + 48), _mm_unpackhi_epi16(ab_hi, de_hi));
  }
  if (gc - c >= 8) {
    const __m128i ab = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(x + c)),
                                         _mm_loadl_epi64((const __m128i*)(x + gc + c)));
    const __m128i de = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(x + 2 * gc + c)),
                                         _mm_loadl_epi64((const __m128i*)(x + 3 * gc + c)));
    _mm_storeu_si128((__m128i*)(y + 4 * c), _mm_unpacklo_epi16(ab, de));
    _mm_storeu_si128((__m128i*)(y + 4 * c + 16), _mm_unpackhi_epi16(ab, de));
    c += 8;
  }
  return c;
}

/* One group is a copy: layout ops (chunk, slice) use it as a strided copy. */
static void copy_pixels(size_t pixels, size_t channels, const uint8_t* input, size_t input_stride,
                        uint8_t* output, size_t output_stride) {
  if (input_stride == channels && output_stride == channels) {
    memcpy(output, input, pixels * channels);
    return;
  }
  for (size_t p = 0; p < pixels; p++) {
    memcpy(output + p * output_stride, input + p * input_stride, channels);
  }
}

void q8_shuffle_ukernel_16c__avx2(size_t pixels, size_t groups, size_t group_channels,
                                  const uint8_t* input, size_t input_stride, uint8_t* output,
                                  size_t output_stride) {
  if (groups == 1) {
    copy_pixels(pixels, group_channels, input, input_stride, output, output_stride);
    return;
  }
  /* ShuffleNet uses 2 to 4 groups (v2: always 2); larger counts stay scalar. */
  if (groups > 4) {
    q8_shuffle_ukernel__scalar(pixels, groups, group_channels, input, input_stride, output,
                               output_stride);
    return;
  }
  for (size_t p = 0; p < pixels; p++) {
    const uint8_t* x = input + p * input_stride;
    uint8_t* y = output + p * output_stride;
    const size_t done = groups == 2   ? interleave2(x, group_channels, y)
                        : groups == 3 ? interleave3(x, group_channels, y)
                                      : interleave4(x, group_channels, y);
    for (size_t c = done; c < group_channels; c++) {
      for (size_t g = 0; g < groups; g++) y[c * groups + g] = x[g * group_channels + c];
    }
  }
}

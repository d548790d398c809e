/*
 * Depthwise convolution, any kernel size, CR = 32, AVX2 (arithmetic and
 * channel order: dwconv-32c-avx2.h, dwconv-32c-x86.h). The taps of a pixel
 * are taken in pairs: two input rows are interleaved into int16 pairs (6
 * in-lane shuffles per 32 channels) and multiplied by the block's weight
 * pairs with 4 vpmaddwd. A block's weights are rearranged once for all its
 * pixels (up to Q8_DW32_MAX_BUFFERED_KS taps; beyond, per use).
 */
#include "avx2-kernels.h"
#include "dwconv-32c-avx2.h"

/* Weights of taps 2g and 2g + 1 (none past ks) as int16 pairs. */
Q8_INLINE void weight_pair(const int8_t* wp, size_t ks, size_t g, const __m256i zp_pair[4],
                           const __m256i zp_single[4], __m256i q[4]) {
  const __m256i a = _mm256_loadu_si256((const __m256i*)(wp + 2 * g * Q8_DW32_CR));
  if (2 * g + 1 < ks) {
    const __m256i b = _mm256_loadu_si256((const __m256i*)(wp + (2 * g + 1) * Q8_DW32_CR));
    q8_dw32_pairs_s8(a, b, zp_pair, q);
  } else {
    q8_dw32_pairs_s8(a, _mm256_setzero_si256(), zp_single, q);
  }
}

Q8_INLINE void dwconv_block(const q8_dw32_args* d, size_t c0, const char* block,
                            const q8_dw32_avx2_part* t, const q8_dw32_output* o, int subtract,
                            int has_offset, int partial) {
  const size_t ks = d->ks, pairs = (ks + 1) / 2;
  const int8_t* wp = q8_dw32_weights(block);
  const char* tail = q8_dw32_tail(block, ks);
  __m256i zp_pair[4], zp_single[4];
  q8_dw32_zero_point_pairs(tail, subtract, 0, zp_pair);
  q8_dw32_zero_point_pairs(tail, subtract, 1, zp_single);
  const int buffered = ks <= Q8_DW32_MAX_BUFFERED_KS;
  __m256i wbuf[Q8_DW32_MAX_BUFFERED_KS / 2][4];
  if (buffered) {
    for (size_t g = 0; g < pairs; g++) weight_pair(wp, ks, g, zp_pair, zp_single, wbuf[g]);
  }
  __m256i bias[4];
  __m256 mult[4];
  for (size_t i = 0; i < 4; i++) bias[i] = q8_dw32_lanes(block, i);
  const int mode = q8_dw32_load_multipliers(tail, o, mult);

  for (size_t p = 0; p < d->output_pixels; p++) {
    const uint8_t* const* taps = d->input + p * d->input_stride;
    __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
    for (size_t g = 0; g < pairs; g++) {
      const __m256i a = q8_dw32_avx2_load(q8_dw32_row(d, taps[2 * g], has_offset) + c0, t, partial);
      __m256i x[4];
      if (2 * g + 1 < ks) {
        const __m256i b =
            q8_dw32_avx2_load(q8_dw32_row(d, taps[2 * g + 1], has_offset) + c0, t, partial);
        q8_dw32_pairs_u8(a, b, x);
      } else {
        q8_dw32_single(a, x);
      }
      __m256i wtmp[4];
      const __m256i* wq = wbuf[g];
      if (!buffered) {
        weight_pair(wp, ks, g, zp_pair, zp_single, wtmp);
        wq = wtmp;
      }
      for (size_t i = 0; i < 4; i++) {
        acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(x[i], wq[i]));
      }
    }
    q8_dw32_avx2_store(d->output + p * d->output_stride + c0,
                       q8_dw32_requantize(acc, mult, o, mode), t, partial);
  }
}

/* Weight zero points only change the block's rearranged weights, so they
 * are a run-time value; the a_offset test per tap gets its own copy. */
Q8_INLINE void dwconv_any(const q8_dw32_args* d, int has_offset) {
  const int subtract = d->params->subtract_row_sums != 0;
  const q8_dw32_output o = q8_dw32_output_init(d->params);
  const size_t block_bytes = q8_dw32_block_bytes(d->ks);
  const size_t full = d->channels - d->channels % Q8_DW32_CR;
  const q8_dw32_avx2_part whole = q8_dw32_avx2_part_init(0);
  const char* block = (const char*)d->w;
  for (size_t c0 = 0; c0 < full; c0 += Q8_DW32_CR, block += block_bytes) {
    dwconv_block(d, c0, block, &whole, &o, subtract, has_offset, 0);
  }
  if (full != d->channels) {
    const q8_dw32_avx2_part t = q8_dw32_avx2_part_init(d->channels - full);
    dwconv_block(d, full, block, &t, &o, subtract, has_offset, 1);
  }
}

void q8_dwconv_ukernel_32c__avx2(size_t channels, size_t output_pixels, size_t ks,
                                 const uint8_t* const* input, size_t input_stride, const void* w,
                                 uint8_t* output, size_t output_stride, size_t a_offset,
                                 const uint8_t* zero, const q8_requant_params* params) {
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  if (a_offset != 0) {
    dwconv_any(&d, 1);
  } else {
    dwconv_any(&d, 0);
  }
}

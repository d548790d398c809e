/*
 * Depthwise convolution, any kernel size, CR = 32, AVX-512 VNNI (arithmetic
 * and channel order: dwconv-32c-avx512vnni.h, ../avx2/dwconv-32c-x86.h).
 * The taps of a pixel are taken by quads: 4 input rows are interleaved (8
 * in-lane unpacks per 32 channels) and multiplied by the block's weight
 * quads with 4 vpdpbusd; the last 1-3 taps form a quad padded with zeros. A
 * block's weights are rearranged once for all its pixels (up to
 * Q8_DW32_MAX_BUFFERED_KS taps; beyond, per use).
 */
#include "avx512vnni-kernels.h"
#include "dwconv-32c-avx512vnni.h"

/* Weights of taps 4g..4g+3 (zeros past ks) as quads. */
Q8_INLINE void weight_quad(const int8_t* wp, size_t ks, size_t g, __m256i q[4]) {
  __m256i x[4];
  for (size_t r = 0; r < 4; r++) {
    x[r] = 4 * g + r < ks ? _mm256_loadu_si256((const __m256i*)(wp + (4 * g + r) * Q8_DW32_CR))
                          : _mm256_setzero_si256();
  }
  q8_dw32_quads(x[0], x[1], x[2], x[3], q);
}

/* Taps 4g..4g+n-1 (n constant) of one pixel into acc (and sum). */
Q8_INLINE void tap_quad(const q8_dw32_args* d, const uint8_t* const* taps, size_t g, size_t n,
                        size_t c0, __mmask32 mask, const __m256i* wbuf, const int8_t* wp,
                        __m256i acc[4], __m256i sum[4], int subtract, int has_offset,
                        int partial) {
  __m256i x[4], q[4];
  for (size_t r = 0; r < n; r++) {
    x[r] = q8_dw32_vnni_load(q8_dw32_row(d, taps[4 * g + r], has_offset) + c0, mask, partial);
  }
  q8_dw32_vnni_quads(x, n, q);
  __m256i wtmp[4];
  const __m256i* w = wbuf + 4 * g;
  if (d->ks > Q8_DW32_MAX_BUFFERED_KS) {
    weight_quad(wp, d->ks, g, wtmp);
    w = wtmp;
  }
  q8_dw32_vnni_dot(acc, sum, q, w, subtract);
}

Q8_INLINE void dwconv_block(const q8_dw32_args* d, size_t c0, const char* block, __mmask32 mask,
                            const q8_dw32_output* o, int subtract, int has_offset, int partial) {
  const size_t ks = d->ks, quads = ks / 4, rest = ks % 4;
  const int8_t* wp = q8_dw32_weights(block);
  const char* tail = q8_dw32_tail(block, ks);
  __m256i wbuf[Q8_DW32_MAX_BUFFERED_KS];
  if (ks <= Q8_DW32_MAX_BUFFERED_KS) {
    for (size_t g = 0; g < (ks + 3) / 4; g++) weight_quad(wp, ks, g, wbuf + 4 * g);
  }
  __m256i bias[4];
  __m256 mult[4];
  for (size_t i = 0; i < 4; i++) bias[i] = q8_dw32_lanes(block, i);
  const int mode = q8_dw32_load_multipliers(tail, o, mult);

  for (size_t p = 0; p < d->output_pixels; p++) {
    const uint8_t* const* taps = d->input + p * d->input_stride;
    __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
    __m256i sum[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                      _mm256_setzero_si256()};
    for (size_t g = 0; g < quads; g++) {
      tap_quad(d, taps, g, 4, c0, mask, wbuf, wp, acc, sum, subtract, has_offset, partial);
    }
    /* The last 1-3 taps, each count a constant. */
    if (rest == 1) {
      tap_quad(d, taps, quads, 1, c0, mask, wbuf, wp, acc, sum, subtract, has_offset, partial);
    } else if (rest == 2) {
      tap_quad(d, taps, quads, 2, c0, mask, wbuf, wp, acc, sum, subtract, has_offset, partial);
    } else if (rest == 3) {
      tap_quad(d, taps, quads, 3, c0, mask, wbuf, wp, acc, sum, subtract, has_offset, partial);
    }
    if (subtract) q8_dw32_vnni_subtract(acc, sum, tail);
    q8_dw32_vnni_store(d->output + p * d->output_stride + c0,
                       q8_dw32_requantize(acc, mult, o, mode), mask, partial);
  }
}

Q8_INLINE void dwconv_any(const q8_dw32_args* d, int subtract, int has_offset) {
  const q8_dw32_output o = q8_dw32_output_init(d->params);
  const size_t block_bytes = q8_dw32_block_bytes(d->ks);
  const size_t full = d->channels - d->channels % Q8_DW32_CR;
  const char* block = (const char*)d->w;
  for (size_t c0 = 0; c0 < full; c0 += Q8_DW32_CR, block += block_bytes) {
    dwconv_block(d, c0, block, q8_dw32_vnni_mask(Q8_DW32_CR), &o, subtract, has_offset, 0);
  }
  if (full != d->channels) {
    dwconv_block(d, full, block, q8_dw32_vnni_mask(d->channels - full), &o, subtract, has_offset,
                 1);
  }
}

void q8_dwconv_ukernel_32c__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                       const uint8_t* const* input, size_t input_stride,
                                       const void* w, uint8_t* output, size_t output_stride,
                                       size_t a_offset, const uint8_t* zero,
                                       const q8_requant_params* params) {
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  Q8_DW32_DISPATCH(dwconv_any, &d);
}

/*
 * AVX-512 VNNI depthwise convolution, CR = 32 (channel order and output
 * stage: ../avx2/dwconv-32c-x86.h). Arithmetic: vpdpbusd on quads of taps,
 * inputs as the unsigned and weights as the signed operand, exact (no
 * saturation; |4 * 255 * 128| is far from overflowing the int32 sum, which
 * wraps like the scalar kernel's uint32 accumulator). The 4 input rows of a
 * quad are interleaved per channel with 8 in-lane unpacks per 32 channels.
 * When weight zero points are nonzero, the row sums come from vpdpbusd with
 * a vector of ones and are multiplied and subtracted at the end.
 *
 * The kernels run on ymm registers (AVX-512VL encodings: 32 of them, and
 * masked byte loads and stores for channel tails, which never touch a byte
 * past `channels`): with 512-bit instructions in flight, port 1 leaves the
 * vector unit, and two pixels per zmm measured slower.
 */
#ifndef Q8_KERNELS_AVX512VNNI_DWCONV_32C_AVX512VNNI_H
#define Q8_KERNELS_AVX512VNNI_DWCONV_32C_AVX512VNNI_H

#include "../avx2/dwconv-32c-x86.h"

/* A block's n channels (mask: the first n). */
Q8_INLINE __mmask32 q8_dw32_vnni_mask(size_t n) {
  return n >= Q8_DW32_CR ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << n) - 1u);
}

Q8_INLINE __m256i q8_dw32_vnni_load(const uint8_t* p, __mmask32 mask, int partial) {
  return partial ? _mm256_maskz_loadu_epi8(mask, p) : _mm256_loadu_si256((const __m256i*)p);
}

Q8_INLINE void q8_dw32_vnni_store(uint8_t* p, __m256i v, __mmask32 mask, int partial) {
  if (partial) {
    _mm256_mask_storeu_epi8(p, mask, v);
  } else {
    _mm256_storeu_si256((__m256i*)p, v);
  }
}

/* q8_dw32_window_shift_is with AVX-512 mask compares: 8 pointers per
 * compare, and no mask extraction per 4 (the run finder's loop is about
 * half as long; it runs before the ymm kernels, not among them). */
Q8_INLINE int q8_dw32_vnni_window_shift_is(const uint8_t* const* taps,
                                           const uint8_t* const* prev, size_t KW, size_t s) {
  const uint64_t m = q8_dw32_shift_mask(KW, s);
  const size_t n = (KW * KW - s + 3) / 4 * 4;
  int differ = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    differ |= _mm512_mask_cmpneq_epi64_mask((__mmask8)(m >> i), _mm512_loadu_si512(taps + i),
                                            _mm512_loadu_si512(prev + s + i)) != 0;
  }
  if (i < n) {
    const __m256i a = _mm256_loadu_si256((const __m256i*)(taps + i));
    const __m256i b = _mm256_loadu_si256((const __m256i*)(prev + s + i));
    differ |= _mm256_mask_cmpneq_epi64_mask((__mmask8)((m >> i) & 0xF), a, b) != 0;
  }
  return !differ;
}

/* Quads of n (constant, 1..4) rows, the missing ones zero. */
Q8_INLINE void q8_dw32_vnni_quads(const __m256i* x, size_t n, __m256i q[4]) {
  const __m256i z = _mm256_setzero_si256();
  if (n == 1) {
    q8_dw32_single(x[0], q);
  } else {
    q8_dw32_quads(x[0], x[1], n > 2 ? x[2] : z, n > 3 ? x[3] : z, q);
  }
}

/* acc[i] += quads q times weight quads w; sum[i] += the quads' byte sums. */
Q8_INLINE void q8_dw32_vnni_dot(__m256i acc[4], __m256i sum[4], const __m256i q[4],
                                const __m256i w[4], int subtract) {
  for (size_t i = 0; i < 4; i++) acc[i] = _mm256_dpbusd_epi32(acc[i], q[i], w[i]);
  if (subtract) {
    const __m256i ones = _mm256_set1_epi8(1);
    for (size_t i = 0; i < 4; i++) sum[i] = _mm256_dpbusd_epi32(sum[i], q[i], ones);
  }
}

/* acc[i] -= weight_zero_point * sum[i]. */
Q8_INLINE void q8_dw32_vnni_subtract(__m256i acc[4], const __m256i sum[4], const char* tail) {
  for (size_t i = 0; i < 4; i++) {
    acc[i] = _mm256_sub_epi32(acc[i], _mm256_mullo_epi32(q8_dw32_lanes(tail, i), sum[i]));
  }
}

/* Rows 0-3 (zeros past row KW - 1) of column kx of the block's weights
 * (int8, tap r * KW + kx at wp + 32 * (r * KW + kx)) as quads. */
Q8_INLINE void q8_dw32_vnni_column_weights(const int8_t* wp, size_t KW, size_t kx, __m256i q[4]) {
  __m256i x[4];
  for (size_t r = 0; r < 4; r++) {
    x[r] = r < KW ? _mm256_loadu_si256((const __m256i*)(wp + (r * KW + kx) * Q8_DW32_CR))
                  : _mm256_setzero_si256();
  }
  q8_dw32_quads(x[0], x[1], x[2], x[3], q);
}

/* --- zmm: 16 channels per register, in order ---------------------------- */

/* Rows a, b, c (32 channels each) as quads [a, b, c, 0] per channel, q[0]
 * channels 0-15 and q[1] 16-31: vpermt2d gathers dword l of the three rows
 * into lane l (a and b joined in one zmm), vpshufb transposes each lane's
 * 4x4 bytes. AVX-512F/BW only (no VBMI byte permutes). */
Q8_INLINE void q8_dw32_zmm_quads3(__m256i a, __m256i b, __m256i c, __m512i q[2]) {
  const __m512i ab = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
  const __m512i cc = _mm512_castsi256_si512(c);
  const __m512i lanes = _mm512_setr_epi32(0, 8, 16, 0, 1, 9, 17, 1, 2, 10, 18, 2, 3, 11, 19, 3);
  const __m512i transpose =
      _mm512_set4_epi32((int)0x800B0703, (int)0x800A0602, (int)0x80090501, (int)0x80080400);
  q[0] = _mm512_shuffle_epi8(_mm512_permutex2var_epi32(ab, lanes, cc), transpose);
  q[1] = _mm512_shuffle_epi8(
      _mm512_permutex2var_epi32(ab, _mm512_add_epi32(lanes, _mm512_set1_epi32(4)), cc),
      transpose);
}

/* The output stage of ../avx2/dwconv-32c-x86.h on zmm accumulators. */
typedef struct q8_dw32_zmm_output {
  __m512 hi;          /* output_max - zero point */
  __m512i zero_point; /* int16 */
  __m256i min, max;   /* uint8 */
  int clamp;          /* output_min > 0 or output_max < 255 */
} q8_dw32_zmm_output;

Q8_INLINE q8_dw32_zmm_output q8_dw32_zmm_output_init(const q8_requant_params* p) {
  q8_dw32_zmm_output o;
  o.hi = _mm512_set1_ps((float)((int32_t)p->output_max - p->output_zero_point));
  o.zero_point = _mm512_set1_epi16((short)p->output_zero_point);
  o.min = _mm256_set1_epi8((char)p->output_min);
  o.max = _mm256_set1_epi8((char)p->output_max);
  o.clamp = p->output_min != 0 || p->output_max != 255;
  return o;
}

/* The block's multipliers (channel order); returns its mode
 * (q8_dw32_load_multipliers). */
Q8_INLINE int q8_dw32_zmm_load_multipliers(const char* tail, const q8_dw32_zmm_output* o,
                                           __m512 mult[2]) {
  const float* m = (const float*)(const void*)(tail + Q8_DW32_CR * sizeof(int32_t));
  int below_one = 1;
  for (size_t i = 0; i < 2; i++) {
    mult[i] = _mm512_loadu_ps(m + 16 * i);
    below_one &= _mm512_cmp_ps_mask(mult[i], _mm512_set1_ps(1.0f), _CMP_LT_OQ) == 0xFFFF;
  }
  return (below_one ? Q8_DW32_BELOW_ONE : 0) | (o->clamp ? Q8_DW32_CLAMP : 0);
}

/* 32 accumulators (channel order) to 32 output bytes (q8_dw32_requantize). */
Q8_INLINE __m256i q8_dw32_zmm_requantize(const __m512i acc[2], const __m512 mult[2],
                                         const q8_dw32_zmm_output* o, int mode) {
  __m512i q[2];
  for (size_t i = 0; i < 2; i++) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[i]), mult[i]);
    if (!(mode & Q8_DW32_BELOW_ONE)) f = _mm512_min_ps(f, o->hi);
    q[i] = _mm512_cvtps_epi32(f);
  }
  /* In-lane packs: lane l holds channels 4l..4l+3 in its dword 0 and
   * 16+4l..16+4l+3 in its dword 1; vpermd gathers them in order. */
  const __m512i w = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), o->zero_point);
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);
  __m256i b = _mm512_castsi512_si256(_mm512_permutexvar_epi32(order, _mm512_packus_epi16(w, w)));
  if (mode & Q8_DW32_CLAMP) {
    b = _mm256_max_epu8(b, o->min);
    if (mode & Q8_DW32_BELOW_ONE) b = _mm256_min_epu8(b, o->max);
  }
  return b;
}

#endif

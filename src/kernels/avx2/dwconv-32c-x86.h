/*
 * Depthwise convolution on x86, 32 channels per packed block (CR = 32): what
 * the AVX2 kernels of this directory and the AVX-512 VNNI kernels share
 * (AVX2 intrinsics only; the AVX-512 files compile them with EVEX encodings).
 *
 * Channel order. Taps are multiplied in groups (pairs of int16 for vpmaddwd,
 * quads of bytes for vpdpbusd), so the 32 bytes of several input rows are
 * interleaved per channel with in-lane unpacks, the cheapest shuffles (two
 * ports on recent Intel cores, against one for the lane-crossing vpmovzx).
 * In-lane unpacks leave accumulator i (0..3) holding channels 4i..4i+3 in
 * its low lane and 16+4i..16+4i+3 in its high lane; bias, multipliers and
 * weight zero points are loaded in that order (q8_dw32_lanes), and the
 * in-lane packs of the output stage put the channels back in order.
 *
 * Output stage, exact like q8_requantize: for integer bounds, clamping
 * commutes with rounding, so the clamps can follow cvtps2dq, the saturating
 * packs (int16, with the zero point added saturating, then uint8) and
 * vpmaxub / vpminub. Only products of 2^31 or more need care: cvtps2dq
 * turns them into INT32_MIN, so when a multiplier is 1 or more the upper
 * clamp is done in float first (below -2^31, INT32_MIN is right anyway);
 * see q8_dw32_load_multipliers.
 */
#ifndef Q8_KERNELS_AVX2_DWCONV_32C_X86_H
#define Q8_KERNELS_AVX2_DWCONV_32C_X86_H

#include <immintrin.h>

#include "x86-common.h"

enum {
  Q8_DW32_CR = 32,
  /* Kernels keep the rearranged weights of up to this many taps on the
   * stack; more taps are rearranged as they are used. */
  Q8_DW32_MAX_BUFFERED_KS = 64,
};

/* The kernel arguments, as given. */
typedef struct q8_dw32_args {
  size_t channels, output_pixels, ks;
  const uint8_t* const* input;
  size_t input_stride;
  const void* w;
  uint8_t* output;
  size_t output_stride;
  size_t a_offset;
  const uint8_t* zero;
  const q8_requant_params* params;
} q8_dw32_args;

/* A packed block: int32 bias[32]; int8 w[ks][32]; int32 wzp[32];
 * float multiplier[32] (32 * ks bytes need no padding to 4). */
Q8_INLINE size_t q8_dw32_block_bytes(size_t ks) {
  return 3 * Q8_DW32_CR * sizeof(int32_t) + Q8_DW32_CR * ks;
}
Q8_INLINE const int8_t* q8_dw32_weights(const char* block) {
  return (const int8_t*)(block + Q8_DW32_CR * sizeof(int32_t));
}
Q8_INLINE const char* q8_dw32_tail(const char* block, size_t ks) {
  return block + Q8_DW32_CR * sizeof(int32_t) + Q8_DW32_CR * ks;
}

/* 8 of 32 consecutive 32-bit values in accumulator order: p[4i..4i+3] and
 * p[16+4i..16+4i+3]. */
Q8_INLINE __m256i q8_dw32_lanes(const void* p, size_t i) {
  const int32_t* v = (const int32_t*)p;
  const __m128i lo = _mm_loadu_si128((const __m128i*)(v + 4 * i));
  const __m128i hi = _mm_loadu_si128((const __m128i*)(v + 16 + 4 * i));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

/* Where tap row `tap` starts (kernels.h): the zero pointer as is, others +
 * a_offset. The convolution operator passes a_offset 0, for which kernels
 * are compiled without the test. */
Q8_INLINE const uint8_t* q8_dw32_row(const q8_dw32_args* d, const uint8_t* tap, int has_offset) {
  return has_offset ? q8_x86_indirect_row(tap, d->a_offset, d->zero) : tap;
}

/* --- output stage ------------------------------------------------------ */

typedef struct q8_dw32_output {
  __m256 hi;          /* output_max - zero point */
  __m256i zero_point; /* int16 */
  __m256i min, max;   /* uint8 */
  int clamp;          /* output_min > 0 or output_max < 255 */
} q8_dw32_output;

Q8_INLINE q8_dw32_output q8_dw32_output_init(const q8_requant_params* p) {
  q8_dw32_output o;
  o.hi = _mm256_set1_ps((float)((int32_t)p->output_max - p->output_zero_point));
  o.zero_point = _mm256_set1_epi16((short)p->output_zero_point);
  o.min = _mm256_set1_epi8((char)p->output_min);
  o.max = _mm256_set1_epi8((char)p->output_max);
  o.clamp = p->output_min != 0 || p->output_max != 255;
  return o;
}

/*
 * How a block requantizes (bits; kernels dispatch on them once per block so
 * that their inner loops test nothing):
 * Q8_DW32_BELOW_ONE: all its multipliers are below 1, so no product reaches
 *   2^31 in magnitude ((float)acc <= 2^31), cvtps2dq never overflows and the
 *   upper clamp can follow the rounding too (saturating packs, vpminub);
 * Q8_DW32_CLAMP: the output range is narrower than [0, 255], which the
 *   saturating packs give anyway.
 */
enum { Q8_DW32_BELOW_ONE = 1, Q8_DW32_CLAMP = 2 };

/* The block's multipliers in accumulator order; returns its mode. */
Q8_INLINE int q8_dw32_load_multipliers(const char* tail, const q8_dw32_output* o,
                                       __m256 mult[4]) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int below_one = 1;
  for (size_t i = 0; i < 4; i++) {
    mult[i] = _mm256_castsi256_ps(q8_dw32_lanes(tail + Q8_DW32_CR * sizeof(int32_t), i));
    below_one &= _mm256_movemask_ps(_mm256_cmp_ps(mult[i], one, _CMP_LT_OQ)) == 0xFF;
  }
  return (below_one ? Q8_DW32_BELOW_ONE : 0) | (o->clamp ? Q8_DW32_CLAMP : 0);
}

/* 32 accumulators (accumulator order) to 32 output bytes in channel order. */
Q8_INLINE __m256i q8_dw32_requantize(const __m256i acc[4], const __m256 mult[4],
                                     const q8_dw32_output* o, int mode) {
  __m256i q[4];
  for (size_t i = 0; i < 4; i++) {
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[i]), mult[i]);
    if (!(mode & Q8_DW32_BELOW_ONE)) f = _mm256_min_ps(f, o->hi);
    q[i] = _mm256_cvtps_epi32(f);
  }
  /* packs: lane 0 gets channels 0-3 and 4-7 (8-15), lane 1 16-23 (24-31);
   * packus then joins them into 0-15 | 16-31. */
  const __m256i q01 = _mm256_adds_epi16(_mm256_packs_epi32(q[0], q[1]), o->zero_point);
  const __m256i q23 = _mm256_adds_epi16(_mm256_packs_epi32(q[2], q[3]), o->zero_point);
  __m256i b = _mm256_packus_epi16(q01, q23);
  if (mode & Q8_DW32_CLAMP) {
    b = _mm256_max_epu8(b, o->min);
    if (mode & Q8_DW32_BELOW_ONE) b = _mm256_min_epu8(b, o->max);
  }
  return b;
}

/* --- interleaving rows (in-lane) ---------------------------------------- */

/* Byte quads [a, b, c, d] per channel, accumulator order. */
Q8_INLINE void q8_dw32_quads(__m256i a, __m256i b, __m256i c, __m256i d, __m256i q[4]) {
  const __m256i ab_lo = _mm256_unpacklo_epi8(a, b), ab_hi = _mm256_unpackhi_epi8(a, b);
  const __m256i cd_lo = _mm256_unpacklo_epi8(c, d), cd_hi = _mm256_unpackhi_epi8(c, d);
  q[0] = _mm256_unpacklo_epi16(ab_lo, cd_lo);
  q[1] = _mm256_unpackhi_epi16(ab_lo, cd_lo);
  q[2] = _mm256_unpacklo_epi16(ab_hi, cd_hi);
  q[3] = _mm256_unpackhi_epi16(ab_hi, cd_hi);
}

/* The vpshufb control that zero-extends the bytes of accumulator i's
 * channels to 32 bits. */
Q8_INLINE __m256i q8_dw32_single_control(size_t i) {
  const int z = (int)0x80808000u, b = (int)(4 * i);
  return _mm256_setr_epi32(z | b, z | (b + 1), z | (b + 2), z | (b + 3), z | b, z | (b + 1),
                           z | (b + 2), z | (b + 3));
}

/* One row alone as [a, 0, 0, 0] quads (or int16 pairs [a, 0]): 4 shuffles
 * instead of 6 unpacks with zeros. */
Q8_INLINE void q8_dw32_single(__m256i a, __m256i q[4]) {
  for (size_t i = 0; i < 4; i++) q[i] = _mm256_shuffle_epi8(a, q8_dw32_single_control(i));
}

/* Bytes of rows a, b zero-extended to int16 pairs [a, b] per channel. */
Q8_INLINE void q8_dw32_pairs_u8(__m256i a, __m256i b, __m256i q[4]) {
  const __m256i z = _mm256_setzero_si256();
  const __m256i ab_lo = _mm256_unpacklo_epi8(a, b), ab_hi = _mm256_unpackhi_epi8(a, b);
  q[0] = _mm256_unpacklo_epi8(ab_lo, z);
  q[1] = _mm256_unpackhi_epi8(ab_lo, z);
  q[2] = _mm256_unpacklo_epi8(ab_hi, z);
  q[3] = _mm256_unpackhi_epi8(ab_hi, z);
}

/* Weight rows a, b (int8) as int16 pairs [a - zp, b - zp] per channel;
 * zp[i] holds the zero point in both halves of each channel's 32 bits (for
 * a single row, b is zero and the high half of zp[i] too). */
Q8_INLINE void q8_dw32_pairs_s8(__m256i a, __m256i b, const __m256i zp[4], __m256i q[4]) {
  const __m256i z = _mm256_setzero_si256();
  const __m256i ab_lo = _mm256_unpacklo_epi8(a, b), ab_hi = _mm256_unpackhi_epi8(a, b);
  /* Each byte into the high half of an int16, then an arithmetic shift. */
  q[0] = _mm256_srai_epi16(_mm256_unpacklo_epi8(z, ab_lo), 8);
  q[1] = _mm256_srai_epi16(_mm256_unpackhi_epi8(z, ab_lo), 8);
  q[2] = _mm256_srai_epi16(_mm256_unpacklo_epi8(z, ab_hi), 8);
  q[3] = _mm256_srai_epi16(_mm256_unpackhi_epi8(z, ab_hi), 8);
  for (size_t i = 0; i < 4; i++) q[i] = _mm256_sub_epi16(q[i], zp[i]);
}

/* The weight zero points for q8_dw32_pairs_s8, or zeros when the row sums
 * are not subtracted (then the scalar kernel ignores them too). */
Q8_INLINE void q8_dw32_zero_point_pairs(const char* tail, int subtract, int single,
                                        __m256i zp[4]) {
  for (size_t i = 0; i < 4; i++) {
    if (!subtract) {
      zp[i] = _mm256_setzero_si256();
      continue;
    }
    const __m256i v = _mm256_and_si256(q8_dw32_lanes(tail, i), _mm256_set1_epi32(0xFFFF));
    zp[i] = single ? v : _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
  }
}

/* --- where the window of a square kernel moved --------------------------- */

/* Bit i of the result: a[i] == b[i], for i < n (n constant, a multiple of
 * 4 up to 64). */
Q8_INLINE uint64_t q8_dw32_equal_pointers(const uint8_t* const* a, const uint8_t* const* b,
                                          size_t n) {
  uint64_t bits = 0;
  for (size_t i = 0; i < n; i += 4) {
    const __m256i eq = _mm256_cmpeq_epi64(_mm256_loadu_si256((const __m256i*)(a + i)),
                                          _mm256_loadu_si256((const __m256i*)(b + i)));
    bits |= (uint64_t)(unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(eq)) << i;
  }
  return bits;
}

/* The bits of the grid positions r * KW + c with c < KW - s. */
Q8_INLINE uint64_t q8_dw32_shift_mask(size_t KW, size_t s) {
  uint64_t m = 0;
  for (size_t r = 0; r < KW; r++) m |= ((UINT64_C(1) << (KW - s)) - 1) << (r * KW);
  return m;
}

/*
 * A KW x KW kernel's taps are a grid taps[r * KW + c]; "column c" is its KW
 * rows. True if columns s..KW-1 of the previous pixel's taps are columns
 * 0..KW-1-s of this pixel's (the window moved by s columns: stride s along
 * a row). Equal pointers mean equal data, so reusing those columns is exact
 * whatever the caller's geometry; other callers just get no reuse. Compares
 * taps[i] with prev[i + s] for all i < KW * KW - s at once, 4 at a time: the
 * reads stay within this pixel's taps and, since input_stride >= KW * KW,
 * within the previous pixel's taps and this pixel's.
 */
Q8_INLINE int q8_dw32_window_shift_is(const uint8_t* const* taps, const uint8_t* const* prev,
                                      size_t KW, size_t s) {
  const uint64_t m = q8_dw32_shift_mask(KW, s);
  return (q8_dw32_equal_pointers(taps, prev + s, (KW * KW - s + 3) / 4 * 4) & m) == m;
}

/*
 * Runs of pixels for the square kernels, found once per call (the blocks
 * all walk the same pixels): the first pixel of a run loads all its
 * columns, each next one's window moved by the run's shift (1 or 2 columns)
 * from the previous pixel's, so it loads only the new ones.
 */
enum { Q8_DW32_CHUNK_PIXELS = 256 };

typedef struct q8_dw32_run {
  uint32_t start, count, shift; /* shift 0: count is 1 */
} q8_dw32_run;

/* The test of one shift: q8_dw32_window_shift_is or an ISA's own. */
typedef int (*q8_dw32_shift_test)(const uint8_t* const* taps, const uint8_t* const* prev,
                                  size_t KW, size_t s);

/* The first pixel from q on (up to end) whose window did not move by s
 * (constant) from the previous pixel's. */
Q8_INLINE size_t q8_dw32_run_end(const q8_dw32_args* d, size_t KW, size_t s, size_t q,
                                 size_t end, q8_dw32_shift_test shift_is) {
  const uint8_t* const* taps = d->input + q * d->input_stride;
  for (; q < end && shift_is(taps, taps - d->input_stride, KW, s); q++, taps += d->input_stride) {
  }
  return q;
}

/* Splits pixels [p0, p0 + n), n <= Q8_DW32_CHUNK_PIXELS, into runs; returns
 * how many. */
Q8_INLINE size_t q8_dw32_find_runs(const q8_dw32_args* d, size_t KW, size_t p0, size_t n,
                                   q8_dw32_shift_test shift_is, q8_dw32_run* runs) {
  size_t count = 0;
  const size_t end = p0 + n, stride = d->input_stride;
  for (size_t p = p0; p < end;) {
    const uint8_t* const* taps = d->input + p * stride;
    q8_dw32_run run = {(uint32_t)p, 1, 0};
    if (p + 1 < end) {
      run.shift = shift_is(taps + stride, taps, KW, 1)   ? 1
                  : shift_is(taps + stride, taps, KW, 2) ? 2
                                                         : 0;
    }
    if (run.shift != 0) {
      const size_t q = run.shift == 1 ? q8_dw32_run_end(d, KW, 1, p + 2, end, shift_is)
                                      : q8_dw32_run_end(d, KW, 2, p + 2, end, shift_is);
      run.count = (uint32_t)(q - p);
    }
    runs[count++] = run;
    p += run.count;
  }
  return count;
}

/* Calls fn(args, subtract, has_offset) with both flags as constants. */
#define Q8_DW32_DISPATCH(fn, args)                                 \
  do {                                                             \
    const int subtract_ = (args)->params->subtract_row_sums != 0;  \
    if (subtract_ && (args)->a_offset != 0) {                      \
      fn(args, 1, 1);                                              \
    } else if (subtract_) {                                        \
      fn(args, 1, 0);                                              \
    } else if ((args)->a_offset != 0) {                            \
      fn(args, 0, 1);                                              \
    } else {                                                       \
      fn(args, 0, 0);                                              \
    }                                                              \
  } while (0)

#endif

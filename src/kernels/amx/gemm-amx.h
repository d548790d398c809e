/*
 * The AMX int8 GEMM tile shared by the gemm and igemm kernels of this
 * directory: 32 rows x 32 columns as four 16x16 int32 tiles of C, two tiles
 * of A (rows 0-15 and 16-31) and two of B (columns 0-15 and 16-31), each
 * _tile_dpbusd multiplying 16 rows x 64 k of A by 64 k x 16 columns.
 *
 * Weights keep the avx512vnni packing (NR = 32, KR = 4): a group of four k
 * is 128 bytes, 32 columns x 4 k, so 16 consecutive groups read with a row
 * stride of 128 are B for columns 0-15 (at wp) and 16-31 (at wp + 64), in
 * exactly the layout tdpbusd wants (four k of one column per dword). The
 * packers stay as they are.
 *
 * A is read in 64-byte blocks of k per tap. A block whose 16 rows are
 * equally strided (the direct GEMM's full row halves; convolution taps whose
 * output pixels lie on one image row) and whole is loaded straight from A;
 * any other block (partial rows, the last kc % 64 bytes of a tap, scattered
 * indirection rows) is copied into a buffer first with the bytes past kc
 * zeroed, so that nothing past a row is read. The zeroed bytes make the
 * weights they meet irrelevant: B rows past a tap's groups belong to the next
 * tap or to the tail of the packed block (weight zero points, multipliers),
 * and are only copied into a zero-padded buffer where 16 groups would read
 * past that tail.
 *
 * The accumulators start from the packed bias (a row stride of 0 repeats it
 * in every row), and go through the avx512vnni output stage row by row.
 */
#ifndef Q8_KERNELS_AMX_GEMM_H
#define Q8_KERNELS_AMX_GEMM_H

#include <immintrin.h>

#include "../avx512vnni/gemm-avx512vnni.h"

enum {
  Q8_AMX_MR = 32,
  Q8_AMX_NR = 32,
  Q8_AMX_HALF_ROWS = 16,  /* rows of one A or C tile */
  Q8_AMX_BLOCK_K = 64,    /* bytes of k per tile row of A */
  Q8_AMX_B_GROUPS = 16,   /* groups of four k in one B tile */
  Q8_AMX_B_BYTES = Q8_AMX_B_GROUPS * Q8_AVX512VNNI_GROUP_BYTES,
  Q8_AMX_TAIL_BYTES = 2 * 4 * Q8_AMX_NR, /* weight zero points, multipliers */
};

/* The palette 1 tile configuration (64 bytes, as ldtilecfg reads it). */
typedef struct q8_amx_tile_config {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} q8_amx_tile_config;

/* Tiles 0-7, all 16 rows x 64 bytes: C is 16 x 16 int32, A 16 rows x 64 k
 * bytes, B 16 groups x 16 columns x 4 k. */
static const q8_amx_tile_config q8_amx_config __attribute__((aligned(64))) = {
    .palette = 1,
    .bytes_per_row = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

/*
 * Makes q8_amx_config the calling thread's tile configuration. ldtilecfg
 * costs about 400 cycles on Sapphire Rapids (a 32x32x576 tile computes in
 * about 600), sttilecfg and a compare about 10: the configuration is loaded
 * only when the thread's differs (first call on a thread, or other AMX code
 * ran on it in between). The configuration lives in the thread's registers,
 * so no q8 state is involved; the kernels leave it loaded (tilerelease would
 * reset it) and never depend on tile contents across calls.
 */
Q8_INLINE void q8_amx_configure(void) {
  q8_amx_tile_config current __attribute__((aligned(64)));
  _tile_storeconfig(&current);
  if (memcmp(&current, &q8_amx_config, sizeof(current)) != 0) _tile_loadconfig(&q8_amx_config);
}

/* The 32 rows of one tap. Half h (rows 16h .. 16h + 15) is `strided` when
 * its row i is at p[16h] + i * stride[h]. */
typedef struct q8_amx_rows {
  const uint8_t* p[Q8_AMX_MR];
  size_t stride[2];
  int strided[2];
} q8_amx_rows;

/* Stack buffers of one call. */
typedef struct q8_amx_scratch {
  uint8_t a[2][Q8_AMX_HALF_ROWS * Q8_AMX_BLOCK_K];
  int8_t b[Q8_AMX_B_BYTES];
  int32_t c[Q8_AMX_MR * Q8_AMX_NR];
} q8_amx_scratch;

/* Direct GEMM rows; rows past mr repeat row mr - 1 (never read past A). */
Q8_INLINE void q8_amx_direct_rows(const q8_x86_tile_args* t, q8_amx_rows* r) {
  for (size_t m = 0; m < Q8_AMX_MR; m++) {
    r->p[m] = t->a + (m < t->mr ? m : t->mr - 1) * t->a_stride;
  }
  for (size_t h = 0; h < 2; h++) {
    r->stride[h] = t->a_stride;
    r->strided[h] = t->mr >= (h + 1) * Q8_AMX_HALF_ROWS;
  }
}

/* Rows of tap s of an indirect tile (the indirection is [ks][32]), eight
 * pointers per zmm: the zero-pointer rule as a masked add, and a half is
 * strided when the differences of its neighbouring rows are all equal
 * (any spacing, even 0). */
Q8_INLINE void q8_amx_indirect_rows(const q8_x86_tile_args* t, size_t s, q8_amx_rows* r) {
  const uint8_t* const* a = t->indirect + s * Q8_AMX_MR;
  const __m512i vzero_row = _mm512_set1_epi64((long long)(uintptr_t)t->zero);
  const __m512i voffset = _mm512_set1_epi64((long long)t->a_offset);
  __m512i v[4];
  for (size_t q = 0; q < 4; q++) {
    const __m512i vp = _mm512_loadu_si512(a + 8 * q);
    v[q] = _mm512_mask_add_epi64(vp, _mm512_cmpneq_epu64_mask(vp, vzero_row), vp, voffset);
    _mm512_storeu_si512(r->p + 8 * q, v[q]);
  }
  for (size_t h = 0; h < 2; h++) {
    const __m512i lo = v[2 * h], hi = v[2 * h + 1];
    /* rows 1-8 minus rows 0-7; rows 9-15 minus rows 8-14 (lane 7 unused) */
    const __m512i dlo = _mm512_sub_epi64(_mm512_alignr_epi64(hi, lo, 1), lo);
    const __m512i dhi = _mm512_sub_epi64(_mm512_alignr_epi64(hi, hi, 1), hi);
    const __m512i vd = _mm512_broadcastq_epi64(_mm512_castsi512_si128(dlo));
    r->strided[h] = _mm512_cmpeq_epi64_mask(dlo, vd) == 0xFF &&
                    (_mm512_cmpeq_epi64_mask(dhi, vd) & 0x7F) == 0x7F;
    r->stride[h] = (size_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(dlo));
  }
}

/* Where tile A of half h finds bytes [o, o + n) of its rows (n <= 64), and
 * the row stride there: A itself, or buf holding a copy zero-padded to 64. */
Q8_INLINE const uint8_t* q8_amx_a_block(const q8_amx_rows* r, size_t h, size_t o, size_t n,
                                        uint8_t* buf, size_t* stride) {
  if (n == Q8_AMX_BLOCK_K && r->strided[h]) {
    *stride = r->stride[h];
    return r->p[h * Q8_AMX_HALF_ROWS] + o;
  }
  /* Masked-off bytes are neither read (no fault past a row) nor kept. */
  const __mmask64 mask = n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
  for (size_t i = 0; i < Q8_AMX_HALF_ROWS; i++) {
    const __m512i v = _mm512_maskz_loadu_epi8(mask, r->p[h * Q8_AMX_HALF_ROWS + i] + o);
    _mm512_store_si512(buf + i * Q8_AMX_BLOCK_K, v);
  }
  *stride = Q8_AMX_BLOCK_K;
  return buf;
}

/* B for the block of `groups` groups at wp: in place when 16 groups from wp
 * stay inside the packed block (w_limit: the end of its tail), else copied
 * into buf and zero-padded. */
Q8_INLINE const int8_t* q8_amx_b_block(const int8_t* wp, size_t groups, const int8_t* w_limit,
                                       int8_t* buf) {
  if ((size_t)(w_limit - wp) >= Q8_AMX_B_BYTES) return wp;
  for (size_t i = 0; i < Q8_AMX_B_BYTES; i += 64) {
    const __m512i v = i < groups * Q8_AVX512VNNI_GROUP_BYTES ? _mm512_loadu_si512(wp + i)
                                                             : _mm512_setzero_si512();
    _mm512_store_si512(buf + i, v);
  }
  return buf;
}

/* Accumulates one tap (kc bytes of each row, its packed weights at wp) into
 * C; returns wp past the tap. two_halves: rows 16-31 are needed; two_cols:
 * columns 16-31 are. */
Q8_INLINE const int8_t* q8_amx_tap(const q8_amx_rows* r, size_t kc, const int8_t* wp,
                                   const int8_t* w_limit, int two_halves, int two_cols,
                                   q8_amx_scratch* s) {
  for (size_t o = 0; o < kc; o += Q8_AMX_BLOCK_K) {
    const size_t n = kc - o < Q8_AMX_BLOCK_K ? kc - o : Q8_AMX_BLOCK_K;
    const size_t groups = (n + 3) / 4;
    const int8_t* b = q8_amx_b_block(wp, groups, w_limit, s->b);
    size_t stride;
    const uint8_t* a0 = q8_amx_a_block(r, 0, o, n, s->a[0], &stride);
    _tile_loadd(4, a0, stride);
    _tile_loadd(6, b, Q8_AVX512VNNI_GROUP_BYTES);
    _tile_dpbusd(0, 4, 6);
    if (two_cols) {
      _tile_loadd(7, b + 64, Q8_AVX512VNNI_GROUP_BYTES);
      _tile_dpbusd(1, 4, 7);
    }
    if (two_halves) {
      const uint8_t* a1 = q8_amx_a_block(r, 1, o, n, s->a[1], &stride);
      _tile_loadd(5, a1, stride);
      _tile_dpbusd(2, 5, 6);
      if (two_cols) _tile_dpbusd(3, 5, 7);
    }
    wp += groups * Q8_AVX512VNNI_GROUP_BYTES;
  }
  return wp;
}

/* Copies the C tiles in use into s->c, 32 x 32 int32. */
Q8_INLINE void q8_amx_store_c(int two_halves, int two_cols, q8_amx_scratch* s) {
  enum { row_bytes = Q8_AMX_NR * 4, lower = Q8_AMX_HALF_ROWS * Q8_AMX_NR };
  _tile_stored(0, s->c, row_bytes);
  if (two_cols) _tile_stored(1, s->c + 16, row_bytes);
  if (two_halves) {
    _tile_stored(2, s->c + lower, row_bytes);
    if (two_cols) _tile_stored(3, s->c + lower + 16, row_bytes);
  }
}

/* Row sums of the tile's mr rows over all taps. */
Q8_INLINE void q8_amx_row_sums(const int indirect, const q8_x86_tile_args* t, uint32_t* sums) {
  if (indirect) {
    q8_x86_indirect_row_sums(t->mr, Q8_AMX_MR, t->kc, t->ks, t->indirect, t->a_offset, t->zero,
                             sums);
  } else {
    for (size_t m = 0; m < t->mr; m++) sums[m] = q8_x86_row_sum(t->a + m * t->a_stride, t->kc);
  }
}

/* The avx512vnni output stage on the rows of s->c (NV zmm per row). */
Q8_INLINE void q8_amx_requantize(const size_t NV, const int indirect, const q8_x86_tile_args* t,
                                 const int32_t* tail, const q8_amx_scratch* s) {
  uint32_t sums[Q8_AMX_MR];
  __m512i vwzp[2];
  const int subtract = t->requant->subtract_row_sums;
  if (subtract) {
    q8_amx_row_sums(indirect, t, sums);
    for (size_t j = 0; j < NV; j++) vwzp[j] = _mm512_loadu_si512(tail + 16 * j);
  }
  const q8_avx512vnni_requant rq = q8_avx512vnni_requant_setup(NV, t->requant, tail);
  for (size_t m = 0; m < t->mr; m++) {
    __m512i acc[2];
    for (size_t j = 0; j < NV; j++) acc[j] = _mm512_load_si512(s->c + m * Q8_AMX_NR + 16 * j);
    if (subtract) q8_avx512vnni_subtract_row_sum(NV, acc, vwzp, sums[m]);
    q8_avx512vnni_requant_row(NV, acc, &rq, t->nc, (uint8_t*)t->c + m * t->c_stride);
  }
}

/*
 * Convolutions with kc <= 4 (a first layer on RGB pixels: kc = 3, 49 taps)
 * would use 4 of every 64 bytes of a block tap by tap. Their packed weights
 * are one group of four k per tap, taps in a row, so 16 taps make one B
 * block: A's block for rows 16h.. holds each row's taps s0 .. s0 + 15 as
 * four bytes each (kc bytes, zero-padded), and 16 groups of B follow. Taps
 * whose rows lie kc bytes apart (along a kernel row at stride 1 in its
 * input) are gathered four at a time with one load and a byte shuffle.
 */
Q8_INLINE void q8_amx_gather_narrow_taps(const q8_amx_rows* rows, size_t taps, size_t kc,
                                         size_t h, __m128i vexpand, uint8_t* buf) {
  /* run[j]: taps j .. j + 3 of this half continue each other in every row
   * (all strided alike, row 0 of each kc bytes after the last). */
  int run[Q8_AMX_B_GROUPS];
  const size_t first = h * Q8_AMX_HALF_ROWS;
  for (size_t j = 0; j < taps; j++) {
    run[j] = j + 4 <= taps;
    for (size_t u = 0; run[j] && u < 4; u++) {
      run[j] = rows[j + u].strided[h] && rows[j + u].stride[h] == rows[j].stride[h] &&
               rows[j + u].p[first] == rows[j].p[first] + u * kc;
    }
  }
  const __mmask16 one = (__mmask16)((1u << kc) - 1u), four = (__mmask16)((1u << (4 * kc)) - 1u);
  for (size_t i = 0; i < Q8_AMX_HALF_ROWS; i++) {
    uint8_t* dst = buf + i * Q8_AMX_BLOCK_K;
    if (taps < Q8_AMX_B_GROUPS) _mm512_store_si512(dst, _mm512_setzero_si512());
    for (size_t j = 0; j < taps;) {
      const uint8_t* p = rows[j].p[first + i];
      if (run[j]) {
        const __m128i v = _mm_shuffle_epi8(_mm_maskz_loadu_epi8(four, p), vexpand);
        _mm_storeu_si128((__m128i*)(dst + 4 * j), v);
        j += 4;
      } else {
        const uint32_t v = (uint32_t)_mm_cvtsi128_si32(_mm_maskz_loadu_epi8(one, p));
        memcpy(dst + 4 * j, &v, sizeof(v));
        j += 1;
      }
    }
  }
}

/* pshufb control spreading four taps of kc bytes to four bytes each. */
Q8_INLINE __m128i q8_amx_expand_taps(size_t kc) {
  uint8_t control[16];
  for (size_t b = 0; b < 16; b++) {
    control[b] = b % 4 < kc ? (uint8_t)(b / 4 * kc + b % 4) : 0x80;
  }
  return _mm_loadu_si128((const __m128i*)control);
}

/* Accumulates all taps of an indirect tile with kc <= 4, 16 taps a block. */
Q8_INLINE const int8_t* q8_amx_narrow_taps(const q8_x86_tile_args* t, const int8_t* wp,
                                           const int8_t* w_limit, int two_halves, int two_cols,
                                           q8_amx_scratch* s) {
  const __m128i vexpand = q8_amx_expand_taps(t->kc);
  q8_amx_rows rows[Q8_AMX_B_GROUPS];
  for (size_t s0 = 0; s0 < t->ks; s0 += Q8_AMX_B_GROUPS) {
    const size_t taps = t->ks - s0 < Q8_AMX_B_GROUPS ? t->ks - s0 : Q8_AMX_B_GROUPS;
    const int8_t* b = q8_amx_b_block(wp, taps, w_limit, s->b);
    for (size_t j = 0; j < taps; j++) q8_amx_indirect_rows(t, s0 + j, &rows[j]);
    q8_amx_gather_narrow_taps(rows, taps, t->kc, 0, vexpand, s->a[0]);
    _tile_loadd(4, s->a[0], Q8_AMX_BLOCK_K);
    _tile_loadd(6, b, Q8_AVX512VNNI_GROUP_BYTES);
    _tile_dpbusd(0, 4, 6);
    if (two_cols) {
      _tile_loadd(7, b + 64, Q8_AVX512VNNI_GROUP_BYTES);
      _tile_dpbusd(1, 4, 7);
    }
    if (two_halves) {
      q8_amx_gather_narrow_taps(rows, taps, t->kc, 1, vexpand, s->a[1]);
      _tile_loadd(5, s->a[1], Q8_AMX_BLOCK_K);
      _tile_dpbusd(2, 5, 6);
      if (two_cols) _tile_dpbusd(3, 5, 7);
    }
    wp += taps * Q8_AVX512VNNI_GROUP_BYTES;
  }
  return wp;
}

/* The mr x nc tile of t (uint8 output), direct or indirect. */
Q8_INLINE void q8_amx_gemm_tile(const int indirect, const q8_x86_tile_args* t) {
  q8_amx_scratch s __attribute__((aligned(64)));
  const int32_t* head = (const int32_t*)t->w;
  const int8_t* wp = (const int8_t*)(head + Q8_AMX_NR);
  const size_t kc_padded = (t->kc + 3) & ~(size_t)3;
  const int8_t* w_limit = wp + t->ks * kc_padded * Q8_AMX_NR + Q8_AMX_TAIL_BYTES;
  const int two_halves = t->mr > Q8_AMX_HALF_ROWS;
  const int two_cols = t->nc > 16;

  q8_amx_configure();
  _tile_loadd(0, head, 0);
  _tile_loadd(1, head + 16, 0);
  _tile_loadd(2, head, 0);
  _tile_loadd(3, head + 16, 0);
  q8_amx_rows rows;
  if (indirect && t->kc <= 4) {
    wp = q8_amx_narrow_taps(t, wp, w_limit, two_halves, two_cols, &s);
  } else if (indirect) {
    for (size_t tap = 0; tap < t->ks; tap++) {
      q8_amx_indirect_rows(t, tap, &rows);
      wp = q8_amx_tap(&rows, t->kc, wp, w_limit, two_halves, two_cols, &s);
    }
  } else {
    q8_amx_direct_rows(t, &rows);
    wp = q8_amx_tap(&rows, t->kc, wp, w_limit, two_halves, two_cols, &s);
  }
  q8_amx_store_c(two_halves, two_cols, &s);
  const int32_t* tail = (const int32_t*)q8_x86_align4(wp);
  if (two_cols) {
    q8_amx_requantize(2, indirect, t, tail, &s);
  } else {
    q8_amx_requantize(1, indirect, t, tail, &s);
  }
}

#endif

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
 * past `channels`); zmm would take port 1 away from the vector unit.
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

/* q8_dw32_window_shift_is with AVX-512 mask compares, 8 pointers at a
 * time (they run on port 5, away from the vpdpbusd and float work). */
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
    differ |= _mm256_mask_cmpneq_epi64_mask((__mmask8)((m >> i) & 0xF),
                                            _mm256_loadu_si256((const __m256i*)(taps + i)),
                                            _mm256_loadu_si256((const __m256i*)(prev + s + i))) != 0;
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

/* --- single-pass kernels for a square KW x KW kernel -------------------- */

/*
 * Column c of the tap grid (dwconv-32c-x86.h) is multiplied as quads of
 * rows: [0, 1, 2, zero] for KW = 3; [0-3] and [4, zeros] for KW = 5. Along
 * a run of pixels (q8_dw32_find_runs) each column is loaded and interleaved
 * once and added at once to every pending pixel that uses it: acc[j] holds
 * pixel p + j, which sees pixel p's column kx as its column kx - s * j
 * (s: the run's stride). After its last column, pixel p is requantized and
 * the accumulators move down. Only accumulators stay live across pixels,
 * no columns, and no weights are rearranged per pixel.
 */
enum { Q8_DW32_VNNI_MAX_KW = 5, Q8_DW32_VNNI_MAX_PARTS = (Q8_DW32_VNNI_MAX_KW + 3) / 4 };

typedef struct q8_dw32_vnni_column {
  __m256i v[Q8_DW32_VNNI_MAX_PARTS][4];
} q8_dw32_vnni_column;

/* Interleaves rows 0..KW-1 of a column. */
Q8_INLINE void q8_dw32_vnni_column_quads(const __m256i* x, size_t KW, q8_dw32_vnni_column* col) {
  for (size_t r = 0; r < KW; r += 4) {
    q8_dw32_vnni_quads(x + r, KW - r < 4 ? KW - r : 4, col->v[r / 4]);
  }
}

/* Column kx of a pixel's taps. */
Q8_INLINE void q8_dw32_vnni_column_load(const q8_dw32_args* d, const uint8_t* const* taps,
                                        size_t KW, size_t kx, size_t c0, __mmask32 mask,
                                        q8_dw32_vnni_column* col, int has_offset, int partial) {
  __m256i x[Q8_DW32_VNNI_MAX_KW];
  for (size_t r = 0; r < KW; r++) {
    x[r] = q8_dw32_vnni_load(q8_dw32_row(d, taps[r * KW + kx], has_offset) + c0, mask, partial);
  }
  q8_dw32_vnni_column_quads(x, KW, col);
}

/* Column kx of the block's weights (int8, rows KW * 32 bytes apart). */
Q8_INLINE void q8_dw32_vnni_column_weights(const int8_t* wp, size_t KW, size_t kx,
                                           q8_dw32_vnni_column* col) {
  __m256i x[Q8_DW32_VNNI_MAX_KW];
  for (size_t r = 0; r < KW; r++) {
    x[r] = _mm256_loadu_si256((const __m256i*)(wp + (r * KW + kx) * Q8_DW32_CR));
  }
  q8_dw32_vnni_column_quads(x, KW, col);
}

/* What the pixels of one block share. */
typedef struct q8_dw32_vnni_square_state {
  const q8_dw32_args* d;
  size_t c0;
  __mmask32 mask;
  const q8_dw32_output* o;
  q8_dw32_vnni_column w[Q8_DW32_VNNI_MAX_KW]; /* weight quads per column */
  __m256i bias[4];
  __m256 mult[4];
  int mode;
} q8_dw32_vnni_square_state;

/* The accumulators of the pending pixels of a run, in separate arrays so
 * that the compiler keeps them in registers (one array of all of them it
 * would keep in memory). */
typedef struct q8_dw32_vnni_pending {
  __m256i* slot[Q8_DW32_VNNI_MAX_KW];
} q8_dw32_vnni_pending;

/* Adds columns first_kx..KW-1 of a pixel to the accumulators of the
 * pending pixels using them: pixel j of them (0: this one) sees column kx as
 * its column kx - s * j (column 0 starts from the bias); its accumulator is
 * slot (first + j) % pending. */
Q8_INLINE void q8_dw32_vnni_add_columns(const q8_dw32_vnni_square_state* st,
                                        const uint8_t* const* taps, size_t KW, size_t s,
                                        size_t first_kx, size_t first,
                                        const q8_dw32_vnni_pending* acc, int has_offset,
                                        int partial) {
  const size_t pending = (KW + s - 1) / s, parts = (KW + 3) / 4;
  for (size_t kx = first_kx; kx < KW; kx++) {
    q8_dw32_vnni_column col;
    q8_dw32_vnni_column_load(st->d, taps, KW, kx, st->c0, st->mask, &col, has_offset, partial);
    for (size_t j = 0; j < pending; j++) {
      if (s * j > kx) continue;
      const size_t k = kx - s * j;
      __m256i* a = acc->slot[(first + j) % pending];
      for (size_t part = 0; part < parts; part++) {
        for (size_t i = 0; i < 4; i++) {
          const __m256i from = k == 0 && part == 0 ? st->bias[i] : a[i];
          a[i] = _mm256_dpbusd_epi32(from, col.v[part][i], st->w[k].v[part][i]);
        }
      }
    }
  }
}

/* Requantizes and stores pixel p. */
Q8_INLINE void q8_dw32_vnni_store_pixel(const q8_dw32_vnni_square_state* st, size_t p,
                                        const __m256i acc[4], int mode, int partial) {
  const q8_dw32_args* d = st->d;
  q8_dw32_vnni_store(d->output + p * d->output_stride + st->c0,
                     q8_dw32_requantize(acc, st->mult, st->o, mode), st->mask, partial);
}

/* The next pixel of a run, if any, with its accumulator in slot `first`
 * (constant): its new columns, then its requantization. */
Q8_INLINE int q8_dw32_vnni_next(const q8_dw32_vnni_square_state* st, size_t end, size_t* p,
                                const uint8_t* const** taps, size_t KW, size_t s, size_t first,
                                const q8_dw32_vnni_pending* acc, int mode, int has_offset,
                                int partial) {
  if (++*p >= end) return 0;
  *taps += st->d->input_stride;
  q8_dw32_vnni_add_columns(st, *taps, KW, s, KW - s, first, acc, has_offset, partial);
  q8_dw32_vnni_store_pixel(st, *p, acc->slot[first], mode, partial);
  return 1;
}

/* The pixels of a run whose windows move by s (constant; KW for a run of
 * one pixel) columns. The accumulator slots rotate instead of being moved:
 * `pending` pixels per iteration (up to 5; at least 2) bring them back, so
 * every slot index is a constant. */
Q8_INLINE void q8_dw32_vnni_run(const q8_dw32_vnni_square_state* st, const q8_dw32_run* run,
                                size_t KW, size_t s, int mode, int has_offset,
                                int partial) {
  const size_t n = (KW + s - 1) / s; /* pending pixels */
  __m256i a0[4], a1[4], a2[4], a3[4], a4[4];
  const q8_dw32_vnni_pending acc = {{a0, a1, a2, a3, a4}};
  size_t p = run->start;
  const size_t end = run->start + run->count;
  const uint8_t* const* taps = st->d->input + p * st->d->input_stride;
  q8_dw32_vnni_add_columns(st, taps, KW, s, 0, 0, &acc, has_offset, partial);
  q8_dw32_vnni_store_pixel(st, p, a0, mode, partial);
  for (;;) {
    if (!q8_dw32_vnni_next(st, end, &p, &taps, KW, s, 1 % n, &acc, mode, has_offset, partial)) return;
    if (!q8_dw32_vnni_next(st, end, &p, &taps, KW, s, 2 % n, &acc, mode, has_offset, partial)) return;
    if (n > 2 && !q8_dw32_vnni_next(st, end, &p, &taps, KW, s, 3 % n, &acc, mode, has_offset, partial)) return;
    if (n > 3 && !q8_dw32_vnni_next(st, end, &p, &taps, KW, s, 4 % n, &acc, mode, has_offset, partial)) return;
    if (n > 4 && !q8_dw32_vnni_next(st, end, &p, &taps, KW, s, 5 % n, &acc, mode, has_offset, partial)) return;
  }
}

/* The runs, with mode (st->mode) a constant. */
Q8_INLINE void q8_dw32_vnni_runs(const q8_dw32_vnni_square_state* st, const q8_dw32_run* runs,
                                 size_t run_count, size_t KW, int mode, int has_offset,
                                 int partial) {
  for (size_t r = 0; r < run_count; r++) {
    switch (runs[r].shift) {
      case 1: q8_dw32_vnni_run(st, &runs[r], KW, 1, mode, has_offset, partial); break;
      case 2: q8_dw32_vnni_run(st, &runs[r], KW, 2, mode, has_offset, partial); break;
      default: q8_dw32_vnni_run(st, &runs[r], KW, KW, mode, has_offset, partial); break;
    }
  }
}

/* All runs of the block at c0. */
Q8_INLINE void q8_dw32_vnni_square_block(const q8_dw32_args* d, size_t KW, size_t c0,
                                         const char* block, __mmask32 mask,
                                         const q8_dw32_output* o, const q8_dw32_run* runs,
                                         size_t run_count, int has_offset, int partial) {
  q8_dw32_vnni_square_state st = {.d = d, .c0 = c0, .mask = mask, .o = o};
  const int8_t* wp = q8_dw32_weights(block);
  for (size_t kx = 0; kx < KW; kx++) q8_dw32_vnni_column_weights(wp, KW, kx, &st.w[kx]);
  for (size_t i = 0; i < 4; i++) st.bias[i] = q8_dw32_lanes(block, i);
  st.mode = q8_dw32_load_multipliers(q8_dw32_tail(block, KW * KW), o, st.mult);
  switch (st.mode) {
    case 0: q8_dw32_vnni_runs(&st, runs, run_count, KW, 0, has_offset, partial); break;
    case 1: q8_dw32_vnni_runs(&st, runs, run_count, KW, 1, has_offset, partial); break;
    case 2: q8_dw32_vnni_runs(&st, runs, run_count, KW, 2, has_offset, partial); break;
    default: q8_dw32_vnni_runs(&st, runs, run_count, KW, 3, has_offset, partial); break;
  }
}

/* The whole call for a KW x KW kernel (KW a constant), no row sums (the
 * kernels hand those calls to the any-ks kernel): the runs of a chunk of
 * pixels are found once for all blocks. */
Q8_INLINE void q8_dw32_vnni_square(const q8_dw32_args* d, size_t KW, int has_offset) {
  const q8_dw32_output o = q8_dw32_output_init(d->params);
  const size_t block_bytes = q8_dw32_block_bytes(KW * KW);
  const size_t full = d->channels - d->channels % Q8_DW32_CR;
  q8_dw32_run runs[Q8_DW32_CHUNK_PIXELS];
  for (size_t p0 = 0; p0 < d->output_pixels; p0 += Q8_DW32_CHUNK_PIXELS) {
    const size_t left = d->output_pixels - p0;
    const size_t n = left < Q8_DW32_CHUNK_PIXELS ? left : Q8_DW32_CHUNK_PIXELS;
    const size_t run_count = q8_dw32_find_runs(d, KW, p0, n, q8_dw32_vnni_window_shift_is, runs);
    const char* block = (const char*)d->w;
    for (size_t c0 = 0; c0 < full; c0 += Q8_DW32_CR, block += block_bytes) {
      q8_dw32_vnni_square_block(d, KW, c0, block, q8_dw32_vnni_mask(Q8_DW32_CR), &o, runs,
                                run_count, has_offset, 0);
    }
    if (full != d->channels) {
      q8_dw32_vnni_square_block(d, KW, full, block, q8_dw32_vnni_mask(d->channels - full), &o,
                                runs, run_count, has_offset, 1);
    }
  }
}

#endif

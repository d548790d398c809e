/*
 * Depthwise 3x3 (ks == 9), CR = 32, AVX2, single pass over each block's
 * pixels (arithmetic: dwconv-32c-avx2.h). The tap grid (taps[r * 3 + c],
 * dwconv-32c-x86.h) is taken as int16 pairs for vpmaddwd: rows 0 and 1 of
 * each column, columns 0 and 1 of row 2, and tap 8 alone ([x, 0]): 5 pairs,
 * the fewest for 9 taps. Along a run of pixels whose windows move by 1 or 2
 * columns (q8_dw32_find_runs) the row pair of a column is loaded and
 * interleaved once and added at once to every pixel that uses it, so a
 * stride-1 pixel costs 16 in-lane shuffles and 20 vpmaddwd + vpaddd for its
 * 288 multiply-adds. The accumulators of the next pixels rotate names (three
 * pixels per iteration for stride 1, two for stride 2) instead of being
 * copied.
 *
 * Code size: like the AVX-512 VNNI kernel, three copies of the pixel loops
 * (full blocks in the usual mode, full blocks in any mode, partial blocks):
 * the usual mode's copy has no mode branches in the output stage, which the
 * compiler then schedules with the next pixel's work (2.8% on stride 1 and
 * stride 2 for 5.8 KB of text).
 */
#include "avx2-kernels.h"
#include "dwconv-32c-avx2.h"

/* What the pixels of one block share, all by value (see block_runs). */
typedef struct block_state {
  const uint8_t* const* input;
  size_t input_stride;
  uint8_t* output; /* the block's first channel */
  size_t output_stride;
  size_t c0;
  q8_dw32_avx2_part part;
  q8_dw32_output o;
  __m256i pair[3][4];  /* column kx, rows 0 and 1 */
  __m256i row2[4];     /* columns 0 and 1 of row 2 */
  __m256i last[4];     /* column 2 of row 2 alone ([w, 0]) */
  __m256i bias[4];
  __m256 mult[4];
} block_state;

Q8_INLINE __m256i load_row(const block_state* b, const uint8_t* tap, int partial) {
  return q8_dw32_avx2_load(tap + b->c0, &b->part, partial);
}

/* Rows 0 and 1 of column kx of a pixel's taps as int16 pairs. */
Q8_INLINE void column_pair(const block_state* b, const uint8_t* const* taps, size_t kx,
                           __m256i q[4], int partial) {
  q8_dw32_pairs_u8(load_row(b, taps[kx], partial),
                   load_row(b, taps[3 + kx], partial), q);
}

/* Columns 0 and 1 of row 2 as int16 pairs. */
Q8_INLINE void row2_pair(const block_state* b, const uint8_t* const* taps, __m256i q[4],
                         int partial) {
  q8_dw32_pairs_u8(load_row(b, taps[6], partial),
                   load_row(b, taps[7], partial), q);
}

/* acc = (the bias, or acc) + q times w. */
Q8_INLINE void dot(const block_state* b, __m256i acc[4], const __m256i q[4], const __m256i w[4],
                   int from_bias) {
  for (size_t i = 0; i < 4; i++) {
    acc[i] = _mm256_add_epi32(from_bias ? b->bias[i] : acc[i], _mm256_madd_epi16(q[i], w[i]));
  }
}

/* acc += tap 8 (row 2, column 2) of a pixel, then the pixel is stored. */
Q8_INLINE void finish_pixel(const block_state* b, size_t p, const uint8_t* const* taps,
                            __m256i acc[4], int mode, int partial) {
  __m256i q[4];
  q8_dw32_single(load_row(b, taps[8], partial), q);
  dot(b, acc, q, b->last, 0);
  q8_dw32_avx2_store(b->output + p * b->output_stride,
                     q8_dw32_requantize(acc, b->mult, &b->o, mode), &b->part, partial);
}

Q8_INLINE const uint8_t* const* taps_of(const block_state* b, size_t p) {
  return b->input + p * b->input_stride;
}

/*
 * Stride 1, pixel p; x, y, z accumulate pixels p, p + 1, p + 2. The new
 * column 2 (rows 0, 1) goes to all three; row 2 is taken as pairs of
 * columns where it can: columns 1 and 2 of this pixel are columns 0 and 1
 * of the next (y), and tap 8 completes x. Per pixel: 20 vpmaddwd.
 */
Q8_INLINE void step1(const block_state* b, size_t p, __m256i x[4], __m256i y[4], __m256i z[4],
                     int mode, int partial) {
  const uint8_t* const* taps = taps_of(b, p);
  __m256i q[4];
  column_pair(b, taps, 2, q, partial);
  dot(b, x, q, b->pair[2], 0);
  dot(b, y, q, b->pair[1], 0);
  dot(b, z, q, b->pair[0], 1);
  finish_pixel(b, p, taps, x, mode, partial);
  q8_dw32_pairs_u8(load_row(b, taps[7], partial),
                   load_row(b, taps[8], partial), q);
  dot(b, y, q, b->row2, 0);
}

/* Stride 2, pixel p: x holds its column 0 (rows 0, 1); its columns 1 and 2
 * and row 2 complete it; column 2 starts y (pixel p + 1). */
Q8_INLINE void step2(const block_state* b, size_t p, __m256i x[4], __m256i y[4], int mode,
                     int partial) {
  const uint8_t* const* taps = taps_of(b, p);
  __m256i q[4];
  column_pair(b, taps, 1, q, partial);
  dot(b, x, q, b->pair[1], 0);
  row2_pair(b, taps, q, partial);
  dot(b, x, q, b->row2, 0);
  column_pair(b, taps, 2, q, partial);
  dot(b, x, q, b->pair[2], 0);
  dot(b, y, q, b->pair[0], 1);
  finish_pixel(b, p, taps, x, mode, partial);
}

/* The pixels of one run: the first loads all its taps, which also start
 * the next pixels of a stride-1 or stride-2 run. */
Q8_INLINE void run_pixels(const block_state* st, const q8_dw32_run* run, int mode,
                          int partial) {
  __m256i a[4], b[4], c[4], q[4];
  size_t p = run->start;
  const size_t end = run->start + run->count;
  const uint8_t* const* taps = taps_of(st, p);
  column_pair(st, taps, 0, q, partial);
  dot(st, a, q, st->pair[0], 1);
  column_pair(st, taps, 1, q, partial);
  dot(st, a, q, st->pair[1], 0);
  if (run->shift == 1) dot(st, b, q, st->pair[0], 1);
  row2_pair(st, taps, q, partial);
  dot(st, a, q, st->row2, 0);
  column_pair(st, taps, 2, q, partial);
  dot(st, a, q, st->pair[2], 0);
  if (run->shift == 1) {
    dot(st, b, q, st->pair[1], 0);
    dot(st, c, q, st->pair[0], 1);
    q8_dw32_pairs_u8(load_row(st, taps[7], partial),
                     load_row(st, taps[8], partial), q);
    dot(st, b, q, st->row2, 0);
  } else if (run->shift == 2) {
    dot(st, b, q, st->pair[0], 1);
  }
  finish_pixel(st, p++, taps, a, mode, partial);
  if (run->shift == 1) {
    for (;;) {
      if (p >= end) break;
      step1(st, p++, b, c, a, mode, partial);
      if (p >= end) break;
      step1(st, p++, c, a, b, mode, partial);
      if (p >= end) break;
      step1(st, p++, a, b, c, mode, partial);
    }
  } else if (run->shift == 2) {
    for (;;) {
      if (p >= end) break;
      step2(st, p++, b, a, mode, partial);
      if (p >= end) break;
      step2(st, p++, a, b, mode, partial);
    }
  }
}

/*
 * The runs of a block, on a local copy of its state: the output stores
 * (uint8_t) may alias anything in memory the compiler cannot see is
 * private, which would reload the weights after every pixel.
 */
Q8_INLINE void block_runs(const block_state* shared, const q8_dw32_run* runs, size_t run_count,
                          int mode, int partial) {
  const block_state st = *shared;
  for (size_t r = 0; r < run_count; r++) {
    const q8_dw32_run run = runs[r];
    run_pixels(&st, &run, mode, partial);
  }
}

/*
 * Three copies of the pixel loops: full blocks in the usual mode (all
 * multipliers below 1, no output clamp: no clamp at all), full blocks in
 * any mode, and partial blocks.
 */
__attribute__((noinline)) static void full_block_runs_below_one(const block_state* st,
                                                                const q8_dw32_run* runs,
                                                                size_t run_count) {
  block_runs(st, runs, run_count, Q8_DW32_BELOW_ONE, 0);
}

__attribute__((noinline)) static void full_block_runs(const block_state* st,
                                                      const q8_dw32_run* runs, size_t run_count,
                                                      int mode) {
  block_runs(st, runs, run_count, mode, 0);
}

__attribute__((noinline)) static void partial_block_runs(const block_state* st,
                                                         const q8_dw32_run* runs,
                                                         size_t run_count, int mode) {
  block_runs(st, runs, run_count, mode, 1);
}

Q8_INLINE void dwconv_block(const q8_dw32_args* d, size_t c0, const char* block,
                            const q8_dw32_avx2_part* part, const q8_dw32_output* o,
                            const q8_dw32_run* runs, size_t run_count, int subtract,
                            int partial) {
  block_state st = {.input = d->input,
                    .input_stride = d->input_stride,
                    .output = d->output + c0,
                    .output_stride = d->output_stride,
                    .c0 = c0,
                    .part = *part,
                    .o = *o};
  const int8_t* wp = q8_dw32_weights(block);
  const char* tail = q8_dw32_tail(block, 9);
  __m256i zp_pair[4], zp_single[4];
  q8_dw32_zero_point_pairs(tail, subtract, 0, zp_pair);
  q8_dw32_zero_point_pairs(tail, subtract, 1, zp_single);
  const __m256i* row = (const __m256i*)wp; /* tap k at row + k */
  for (size_t kx = 0; kx < 3; kx++) {
    q8_dw32_pairs_s8(_mm256_loadu_si256(row + kx), _mm256_loadu_si256(row + 3 + kx), zp_pair,
                     st.pair[kx]);
  }
  q8_dw32_pairs_s8(_mm256_loadu_si256(row + 6), _mm256_loadu_si256(row + 7), zp_pair, st.row2);
  q8_dw32_pairs_s8(_mm256_loadu_si256(row + 8), _mm256_setzero_si256(), zp_single, st.last);
  for (size_t i = 0; i < 4; i++) st.bias[i] = q8_dw32_lanes(block, i);
  const int mode = q8_dw32_load_multipliers(tail, o, st.mult);
  if (partial) {
    partial_block_runs(&st, runs, run_count, mode);
  } else if (mode == Q8_DW32_BELOW_ONE) {
    full_block_runs_below_one(&st, runs, run_count);
  } else {
    full_block_runs(&st, runs, run_count, mode);
  }
}

/* Pixels [p0, p0 + n): their runs, found once, then block by block. */
Q8_INLINE void dwconv_chunk(const q8_dw32_args* d, const q8_dw32_output* o, size_t p0, size_t n,
                            int subtract) {
  q8_dw32_run runs[Q8_DW32_CHUNK_PIXELS];
  const size_t run_count = q8_dw32_find_runs(d, 3, p0, n, q8_dw32_window_shift_is, runs);
  const size_t block_bytes = q8_dw32_block_bytes(9);
  const size_t full = d->channels - d->channels % Q8_DW32_CR;
  const q8_dw32_avx2_part whole = q8_dw32_avx2_part_init(0);
  const char* block = (const char*)d->w;
  for (size_t c0 = 0; c0 < full; c0 += Q8_DW32_CR, block += block_bytes) {
    dwconv_block(d, c0, block, &whole, o, runs, run_count, subtract, 0);
  }
  if (full != d->channels) {
    const q8_dw32_avx2_part part = q8_dw32_avx2_part_init(d->channels - full);
    dwconv_block(d, full, block, &part, o, runs, run_count, subtract, 1);
  }
}

static void dwconv_3x3(const q8_dw32_args* d) {
  const int subtract = d->params->subtract_row_sums != 0;
  const q8_dw32_output o = q8_dw32_output_init(d->params);
  for (size_t p0 = 0; p0 < d->output_pixels; p0 += Q8_DW32_CHUNK_PIXELS) {
    const size_t n = d->output_pixels - p0;
    dwconv_chunk(d, &o, p0, n < Q8_DW32_CHUNK_PIXELS ? n : Q8_DW32_CHUNK_PIXELS, subtract);
  }
}

void q8_dwconv_ukernel_32c3x3__avx2(size_t channels, size_t output_pixels, size_t ks,
                                    const uint8_t* const* input, size_t input_stride,
                                    const void* w, uint8_t* output, size_t output_stride,
                                    size_t a_offset, const uint8_t* zero,
                                    const q8_requant_params* params) {
  if (a_offset != 0) {
    q8_dwconv_ukernel_32c__avx2(channels, output_pixels, ks, input, input_stride, w, output,
                                output_stride, a_offset, zero, params);
    return;
  }
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  dwconv_3x3(&d);
}

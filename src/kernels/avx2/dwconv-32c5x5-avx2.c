/*
 * Depthwise 5x5 (ks == 25), CR = 32, AVX2, single pass over each block's
 * pixels (arithmetic: dwconv-32c-avx2.h). The tap grid (taps[r * 5 + c],
 * dwconv-32c-x86.h) is taken as int16 pairs for vpmaddwd: rows 0-1 and 2-3
 * of each column, then row 4 of a pixel as columns 0-1, 2-3 and column 4
 * alone: 13 pairs, the fewest for 25 taps. Along a run of pixels whose
 * windows move by 1 or 2 columns (q8_dw32_find_runs) the row pairs of a
 * column are loaded and interleaved once and added at once to every pixel
 * that uses them; row 4 comes from each pixel's own taps. A stride-1 pixel
 * costs 52 vpmaddwd + vpaddd and 28 in-lane shuffles for its 800
 * multiply-adds (the any-ks kernel: 78 shuffles). The accumulators of the
 * pending pixels rotate names (five pixels per iteration for stride 1,
 * three for stride 2); with 16 registers some live in memory.
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
  __m256i w[5][2][4]; /* column kx: rows 0-1, rows 2-3 */
  __m256i row4[2][4]; /* row 4: columns 0-1, 2-3 */
  __m256i last[4];    /* row 4, column 4 alone ([w, 0]) */
  __m256i bias[4];
  __m256 mult[4];
} block_state;

Q8_INLINE __m256i load_row(const block_state* b, const uint8_t* tap, int partial) {
  return q8_dw32_avx2_load(tap + b->c0, &b->part, partial);
}

/* Taps t[0], t[step] as int16 pairs. */
Q8_INLINE void load_pairs(const block_state* b, const uint8_t* const* t, size_t step,
                          __m256i q[4], int partial) {
  q8_dw32_pairs_u8(load_row(b, t[0], partial),
                   load_row(b, t[step], partial), q);
}

/* acc = (the bias, or acc) + pairs q times weight pairs w. */
Q8_INLINE void dot(const block_state* b, __m256i acc[4], const __m256i q[4], const __m256i w[4],
                   int from_bias) {
  for (size_t i = 0; i < 4; i++) {
    acc[i] = _mm256_add_epi32(from_bias ? b->bias[i] : acc[i], _mm256_madd_epi16(q[i], w[i]));
  }
}

/* Rows 0-1 and 2-3 of column kx of pixel p, to the pending pixels a0 (p),
 * a1 (p + 1), ... that use them: pixel p + j sees them as its column
 * kx - s * j (s constant), which starts from the bias when it is column 0. */
Q8_INLINE void add_column(const block_state* b, const uint8_t* const* taps, size_t kx, size_t s,
                          __m256i a0[4], __m256i a1[4], __m256i a2[4], __m256i a3[4],
                          __m256i a4[4], int partial) {
  for (size_t half = 0; half < 2; half++) {
    __m256i q[4];
    load_pairs(b, taps + 10 * half + kx, 5, q, partial);
    const int start = half == 0;
    dot(b, a0, q, b->w[kx][half], start && kx == 0);
    if (kx >= s) dot(b, a1, q, b->w[kx - s][half], start && kx == s);
    if (kx >= 2 * s && s < 5) dot(b, a2, q, b->w[kx - 2 * s][half], start && kx == 2 * s);
    if (kx >= 3 * s && s < 5) dot(b, a3, q, b->w[kx - 3 * s][half], start && kx == 3 * s);
    if (kx >= 4 * s && s < 5) dot(b, a4, q, b->w[kx - 4 * s][half], start && kx == 4 * s);
  }
}

/* Row 4 of pixel p into acc, then the pixel is stored. */
Q8_INLINE void finish_pixel(const block_state* b, size_t p, const uint8_t* const* taps,
                            __m256i acc[4], int mode, int partial) {
  __m256i q[4];
  load_pairs(b, taps + 20, 1, q, partial);
  dot(b, acc, q, b->row4[0], 0);
  load_pairs(b, taps + 22, 1, q, partial);
  dot(b, acc, q, b->row4[1], 0);
  q8_dw32_single(load_row(b, taps[24], partial), q);
  dot(b, acc, q, b->last, 0);
  q8_dw32_avx2_store(b->output + p * b->output_stride,
                     q8_dw32_requantize(acc, b->mult, &b->o, mode), &b->part, partial);
}

Q8_INLINE const uint8_t* const* taps_of(const block_state* b, size_t p) {
  return b->input + p * b->input_stride;
}

/* A pixel after the first of its run (stride s, constant): its new columns
 * 5 - s..4, then row 4; a0 is this pixel, a1.. the next ones. */
Q8_INLINE void step(const block_state* b, size_t p, size_t s, __m256i a0[4], __m256i a1[4],
                    __m256i a2[4], __m256i a3[4], __m256i a4[4], int mode, int partial) {
  const uint8_t* const* taps = taps_of(b, p);
  for (size_t kx = 5 - s; kx < 5; kx++) {
    add_column(b, taps, kx, s, a0, a1, a2, a3, a4, partial);
  }
  finish_pixel(b, p, taps, a0, mode, partial);
}

/* The pixels of one run whose windows move by s (constant; 5 for a run of
 * one pixel) columns. */
Q8_INLINE void run_stride(const block_state* st, const q8_dw32_run* run, size_t s, int mode,
                          int partial) {
  /* Every accumulator a pixel uses starts from the bias; the zeros only
   * keep the compiler from seeing reads of unset ones on paths never
   * taken. */
  __m256i a[4], b[4], c[4], e[4], f[4];
  for (size_t i = 0; i < 4; i++) a[i] = b[i] = c[i] = e[i] = f[i] = _mm256_setzero_si256();
  size_t p = run->start;
  const size_t end = run->start + run->count;
  const uint8_t* const* taps = taps_of(st, p);
  for (size_t kx = 0; kx < 5; kx++) add_column(st, taps, kx, s, a, b, c, e, f, partial);
  finish_pixel(st, p++, taps, a, mode, partial);
  if (s == 1) {
    for (;;) {
      if (p >= end) break;
      step(st, p++, 1, b, c, e, f, a, mode, partial);
      if (p >= end) break;
      step(st, p++, 1, c, e, f, a, b, mode, partial);
      if (p >= end) break;
      step(st, p++, 1, e, f, a, b, c, mode, partial);
      if (p >= end) break;
      step(st, p++, 1, f, a, b, c, e, mode, partial);
      if (p >= end) break;
      step(st, p++, 1, a, b, c, e, f, mode, partial);
    }
  } else if (s == 2) {
    for (;;) {
      if (p >= end) break;
      step(st, p++, 2, b, c, a, e, f, mode, partial);
      if (p >= end) break;
      step(st, p++, 2, c, a, b, e, f, mode, partial);
      if (p >= end) break;
      step(st, p++, 2, a, b, c, e, f, mode, partial);
    }
  }
}

/*
 * The runs of a block, on a local copy of its state: the output stores
 * (uint8_t) may alias anything in memory the compiler cannot see is
 * private, which would reload the weights after every pixel. A run of one
 * pixel (shift 0) takes the stride-1 path, whose sums for next pixels are
 * then left unused.
 */
Q8_INLINE void block_runs(const block_state* shared, const q8_dw32_run* runs, size_t run_count,
                          int mode, int partial) {
  const block_state st = *shared;
  for (size_t r = 0; r < run_count; r++) {
    const q8_dw32_run run = runs[r];
    if (run.shift == 2) {
      run_stride(&st, &run, 2, mode, partial);
    } else {
      run_stride(&st, &run, 1, mode, partial);
    }
  }
}

/* The two copies of the pixel loops (full and partial blocks). */
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
  const char* tail = q8_dw32_tail(block, 25);
  __m256i zp_pair[4], zp_single[4];
  q8_dw32_zero_point_pairs(tail, subtract, 0, zp_pair);
  q8_dw32_zero_point_pairs(tail, subtract, 1, zp_single);
  const __m256i* row = (const __m256i*)wp; /* tap k at row + k */
  for (size_t kx = 0; kx < 5; kx++) {
    for (size_t half = 0; half < 2; half++) {
      q8_dw32_pairs_s8(_mm256_loadu_si256(row + 10 * half + kx),
                       _mm256_loadu_si256(row + 10 * half + 5 + kx), zp_pair, st.w[kx][half]);
    }
  }
  q8_dw32_pairs_s8(_mm256_loadu_si256(row + 20), _mm256_loadu_si256(row + 21), zp_pair,
                   st.row4[0]);
  q8_dw32_pairs_s8(_mm256_loadu_si256(row + 22), _mm256_loadu_si256(row + 23), zp_pair,
                   st.row4[1]);
  q8_dw32_pairs_s8(_mm256_loadu_si256(row + 24), _mm256_setzero_si256(), zp_single, st.last);
  for (size_t i = 0; i < 4; i++) st.bias[i] = q8_dw32_lanes(block, i);
  const int mode = q8_dw32_load_multipliers(tail, o, st.mult);
  if (partial) {
    partial_block_runs(&st, runs, run_count, mode);
  } else {
    full_block_runs(&st, runs, run_count, mode);
  }
}

/* Pixels [p0, p0 + n): their runs, found once, then block by block. */
Q8_INLINE void dwconv_chunk(const q8_dw32_args* d, const q8_dw32_output* o, size_t p0, size_t n,
                            int subtract) {
  q8_dw32_run runs[Q8_DW32_CHUNK_PIXELS];
  const size_t run_count = q8_dw32_find_runs(d, 5, p0, n, q8_dw32_window_shift_is, runs);
  const size_t block_bytes = q8_dw32_block_bytes(25);
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

static void dwconv_5x5(const q8_dw32_args* d) {
  const int subtract = d->params->subtract_row_sums != 0;
  const q8_dw32_output o = q8_dw32_output_init(d->params);
  for (size_t p0 = 0; p0 < d->output_pixels; p0 += Q8_DW32_CHUNK_PIXELS) {
    const size_t n = d->output_pixels - p0;
    dwconv_chunk(d, &o, p0, n < Q8_DW32_CHUNK_PIXELS ? n : Q8_DW32_CHUNK_PIXELS, subtract);
  }
}

void q8_dwconv_ukernel_32c5x5__avx2(size_t channels, size_t output_pixels, size_t ks,
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
  dwconv_5x5(&d);
}

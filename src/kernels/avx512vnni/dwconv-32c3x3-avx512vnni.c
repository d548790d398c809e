/*
 * Depthwise 3x3 (ks == 9), CR = 32, AVX-512 VNNI, single pass over each
 * block's pixels. Each of the 3 columns of the tap grid (taps[r * 3 + c],
 * ../avx2/dwconv-32c-x86.h) is one quad of rows [0, 1, 2, zero] per channel
 * for vpdpbusd. Along a run of pixels whose windows move by 1 or 2 columns
 * (q8_dw32_find_runs) a column is loaded and interleaved once and added at
 * once to every pixel that uses it, so a stride-1 pixel costs one column
 * and 6 vpdpbusd for its 288 multiply-adds. The accumulators of the next
 * pixels stay in registers under rotating names (three pixels per
 * iteration for stride 1, two for stride 2). Calls with weight zero points
 * or an a_offset (the convolution operator passes none) go to the any-ks
 * kernel.
 *
 * Registers: zmm, 16 channels each (channels 0-15 and 16-31 in natural
 * order). vpdpbusd on zmm runs on port 0 only and the in-lane shuffles on
 * port 5 only, against ports 0 and 1 for both the ymm vpdpbusd and the
 * float conversions of the output stage: on ymm, those 26 uops per pixel
 * shared two ports (13 cycles); on zmm the conversions go to port 5 too
 * and a stride-1 pixel is 6 vpdpbusd, 5 column shuffles, 3 output shuffles
 * and 8 other vector uops over ports 0 and 5. A column is interleaved with
 * AVX-512F/BW shuffles only (no VBMI): rows 0 and 1 joined in one zmm,
 * vpermt2d puts dword l of rows 0, 1 and 2 in lane l, and vpshufb makes
 * the quads of that lane's 4 channels (2 + 2 shuffles per 32 channels,
 * against 8 unpacks on ymm).
 *
 * Code size: each block's requantization mode (q8_dw32_load_multipliers) is
 * a run-time value, tested per pixel by two well-predicted branches, and
 * only full and partial blocks get their own copies of the loops: a copy
 * per mode, per flag and per partial block made this file 20 times larger
 * for no measurable speed.
 */
#include "avx512vnni-kernels.h"
#include "dwconv-32c-avx512vnni.h"

/* What the pixels of one block share, all by value (see block_runs). */
typedef struct block_state {
  const uint8_t* const* input;
  size_t input_stride;
  uint8_t* output; /* the block's first channel */
  size_t output_stride;
  size_t c0;
  __mmask32 mask;
  q8_dw32_zmm_output o;
  __m512i w[3][2]; /* weight quads of columns 0, 1, 2 */
  __m512i bias[2];
  __m512 mult[2];
} block_state;

/* Column kx of a pixel's taps as quads. */
Q8_INLINE void load_column(const block_state* b, const uint8_t* const* taps, size_t kx,
                           __m512i q[2], int partial) {
  __m256i r[3];
  for (size_t i = 0; i < 3; i++) {
    r[i] = q8_dw32_vnni_load(taps[3 * i + kx] + b->c0, b->mask, partial);
  }
  q8_dw32_zmm_quads3(r[0], r[1], r[2], q);
}

/* acc = (the bias, or acc) + quads q times the weights of column kx. */
Q8_INLINE void dot(const block_state* b, __m512i acc[2], const __m512i q[2], size_t kx,
                   int from_bias) {
  for (size_t i = 0; i < 2; i++) {
    acc[i] = _mm512_dpbusd_epi32(from_bias ? b->bias[i] : acc[i], q[i], b->w[kx][i]);
  }
}

Q8_INLINE void store_pixel(const block_state* b, size_t p, const __m512i acc[2], int mode,
                           int partial) {
  q8_dw32_vnni_store(b->output + p * b->output_stride,
                     q8_dw32_zmm_requantize(acc, b->mult, &b->o, mode), b->mask, partial);
}

Q8_INLINE const uint8_t* const* taps_of(const block_state* b, size_t p) {
  return b->input + p * b->input_stride;
}

/* Stride 1, pixel p: its new column 2 completes x (pixel p), adds to y
 * (pixel p + 1) and starts z (pixel p + 2). */
Q8_INLINE void step1(const block_state* b, size_t p, __m512i x[2], __m512i y[2], __m512i z[2],
                     int mode, int partial) {
  __m512i q[2];
  load_column(b, taps_of(b, p), 2, q, partial);
  dot(b, x, q, 2, 0);
  store_pixel(b, p, x, mode, partial);
  dot(b, y, q, 1, 0);
  dot(b, z, q, 0, 1);
}

/* Stride 2, pixel p: its new columns 1 and 2 complete x (pixel p); column 2
 * starts y (pixel p + 1). */
Q8_INLINE void step2(const block_state* b, size_t p, __m512i x[2], __m512i y[2], int mode,
                     int partial) {
  __m512i q[2];
  load_column(b, taps_of(b, p), 1, q, partial);
  dot(b, x, q, 1, 0);
  load_column(b, taps_of(b, p), 2, q, partial);
  dot(b, x, q, 2, 0);
  store_pixel(b, p, x, mode, partial);
  dot(b, y, q, 0, 1);
}

/* The pixels of one run: the first loads its 3 columns, which also start
 * the next pixels of a stride-1 or stride-2 run. */
Q8_INLINE void run_pixels(const block_state* st, const q8_dw32_run* run, int mode,
                          int partial) {
  __m512i a[2], b[2], c[2], q[2];
  size_t p = run->start;
  const size_t end = run->start + run->count;
  const uint8_t* const* taps = taps_of(st, p);
  load_column(st, taps, 0, q, partial);
  dot(st, a, q, 0, 1);
  load_column(st, taps, 1, q, partial);
  dot(st, a, q, 1, 0);
  if (run->shift == 1) dot(st, b, q, 0, 1);
  load_column(st, taps, 2, q, partial);
  dot(st, a, q, 2, 0);
  store_pixel(st, p++, a, mode, partial);
  if (run->shift == 1) {
    dot(st, b, q, 1, 0);
    dot(st, c, q, 0, 1);
    for (;;) {
      if (p >= end) break;
      step1(st, p++, b, c, a, mode, partial);
      if (p >= end) break;
      step1(st, p++, c, a, b, mode, partial);
      if (p >= end) break;
      step1(st, p++, a, b, c, mode, partial);
    }
  } else if (run->shift == 2) {
    dot(st, b, q, 0, 1);
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

Q8_INLINE void dwconv_block(const q8_dw32_args* d, size_t c0, const char* block, __mmask32 mask,
                            const q8_dw32_zmm_output* o, const q8_dw32_run* runs,
                            size_t run_count, int partial) {
  block_state st = {.input = d->input,
                    .input_stride = d->input_stride,
                    .output = d->output + c0,
                    .output_stride = d->output_stride,
                    .c0 = c0,
                    .mask = mask,
                    .o = *o};
  const __m256i* wp = (const __m256i*)q8_dw32_weights(block); /* tap k at wp + k */
  for (size_t kx = 0; kx < 3; kx++) {
    q8_dw32_zmm_quads3(_mm256_loadu_si256(wp + kx), _mm256_loadu_si256(wp + 3 + kx),
                       _mm256_loadu_si256(wp + 6 + kx), st.w[kx]);
  }
  const int32_t* bias = (const int32_t*)(const void*)block;
  for (size_t i = 0; i < 2; i++) st.bias[i] = _mm512_loadu_si512(bias + 16 * i);
  const int mode = q8_dw32_zmm_load_multipliers(q8_dw32_tail(block, 9), o, st.mult);
  if (partial) {
    partial_block_runs(&st, runs, run_count, mode);
  } else {
    if (mode == Q8_DW32_BELOW_ONE) {
      full_block_runs_below_one(&st, runs, run_count);
    } else {
      full_block_runs(&st, runs, run_count, mode);
    }
  }
}

/* Pixels [p0, p0 + n): their runs, found once, then block by block. */
Q8_INLINE void dwconv_chunk(const q8_dw32_args* d, const q8_dw32_zmm_output* o, size_t p0, size_t n) {
  q8_dw32_run runs[Q8_DW32_CHUNK_PIXELS];
  const size_t run_count = q8_dw32_find_runs(d, 3, p0, n, q8_dw32_vnni_window_shift_is, runs);
  const size_t block_bytes = q8_dw32_block_bytes(9);
  const size_t full = d->channels - d->channels % Q8_DW32_CR;
  const char* block = (const char*)d->w;
  for (size_t c0 = 0; c0 < full; c0 += Q8_DW32_CR, block += block_bytes) {
    dwconv_block(d, c0, block, q8_dw32_vnni_mask(Q8_DW32_CR), o, runs, run_count, 0);
  }
  if (full != d->channels) {
    dwconv_block(d, full, block, q8_dw32_vnni_mask(d->channels - full), o, runs, run_count, 1);
  }
}

static void dwconv_3x3(const q8_dw32_args* d) {
  const q8_dw32_zmm_output o = q8_dw32_zmm_output_init(d->params);
  for (size_t p0 = 0; p0 < d->output_pixels; p0 += Q8_DW32_CHUNK_PIXELS) {
    const size_t n = d->output_pixels - p0;
    dwconv_chunk(d, &o, p0, n < Q8_DW32_CHUNK_PIXELS ? n : Q8_DW32_CHUNK_PIXELS);
  }
}

void q8_dwconv_ukernel_32c3x3__avx512vnni(size_t channels, size_t output_pixels, size_t ks,
                                          const uint8_t* const* input, size_t input_stride,
                                          const void* w, uint8_t* output, size_t output_stride,
                                          size_t a_offset, const uint8_t* zero,
                                          const q8_requant_params* params) {
  if (params->subtract_row_sums || a_offset != 0) {
    q8_dwconv_ukernel_32c__avx512vnni(channels, output_pixels, ks, input, input_stride, w, output,
                                      output_stride, a_offset, zero, params);
    return;
  }
  const q8_dw32_args d = {channels, output_pixels, ks, input, input_stride, w,
                          output, output_stride, a_offset, zero, params};
  dwconv_3x3(&d);
}

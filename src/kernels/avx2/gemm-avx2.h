/*
 * The exact AVX2 GEMM tile shared by the gemm, igemm and gemm_dq kernels of
 * this directory: 7 rows by NR = 32 columns, KR = 4 (each group of four k is
 * 128 packed bytes, 32 columns x 4 k).
 *
 * vpmaddubsw would saturate on full-range u8 x s8, so the products are taken
 * in int16: 16 packed weights (4 columns x 4 k) are sign-extended by one
 * vpmovsxbw, four bytes of a row of A zero-extended to int16 and broadcast,
 * and vpmaddwd + vpaddd accumulate two exact partial sums per column, added
 * pairwise at the end (vphaddd).
 *
 * The rows of A are first widened into a stack buffer (vpmovzxbw, 16 bytes
 * at a time, the groups of each tap zero-padded to a multiple of four), so
 * that the broadcast of a group is a single vpbroadcastq load instead of a
 * broadcast and a widening on the shuffle port. The tile then runs one pass
 * per four columns over the buffer: 7 accumulators, one sign-extended weight
 * vector and 7 broadcast loads per group, 15 vector ALU uops for 112 MACs on
 * three ports (vpmaddwd on two). Up to Q8_AVX2_CHUNK groups of every row are
 * widened at a time; the accumulators wait in memory between chunks.
 * Column quads past nc are skipped (in pairs: 8 columns), so a narrow layer
 * costs what its columns need; NR = 32 widens A once for up to 32 columns.
 *
 * One row (fully connected with batch 1) skips the buffer: each pass takes
 * 16 columns with four accumulators.
 *
 * A pass keeps its accumulators in named locals. gcc 12 still adds one
 * register move per accumulator and group (it puts each sum in the product's
 * register); clang's loop has none, and both run at the same speed here.
 */
#ifndef Q8_KERNELS_AVX2_GEMM_H
#define Q8_KERNELS_AVX2_GEMM_H

#include <immintrin.h>

#include "x86-common.h"

enum {
  Q8_AVX2_MR = 7,
  Q8_AVX2_NR = 32,
  Q8_AVX2_QUADS = Q8_AVX2_NR / 4,
  Q8_AVX2_GROUP_BYTES = 4 * Q8_AVX2_NR,
  Q8_AVX2_CHUNK = 128, /* groups of four k per row in the widened buffer */
};

/* Accumulators of one pass (four columns) for the rows of a tile. */
typedef struct q8_avx2_pass_acc {
  __m256i v[Q8_AVX2_MR];
} q8_avx2_pass_acc;

/* Rows of A widened to int16, [row][CHUNK groups][4]. */
typedef struct q8_avx2_buffer {
  int16_t a[Q8_AVX2_MR][Q8_AVX2_CHUNK * 4];
} q8_avx2_buffer;

Q8_INLINE __m256i q8_avx2_row_step(__m256i c, const int16_t* a, __m256i vw) {
  int64_t four;
  memcpy(&four, a, sizeof(four));
  return _mm256_add_epi32(_mm256_madd_epi16(_mm256_set1_epi64x(four), vw), c);
}

/* groups groups of one column quad for the 7 rows: w points at the quad's 16
 * bytes of the first group. */
Q8_INLINE void q8_avx2_pass(q8_avx2_pass_acc* acc, const q8_avx2_buffer* buf, size_t groups,
                            const int8_t* w) {
  __m256i c0 = acc->v[0], c1 = acc->v[1], c2 = acc->v[2], c3 = acc->v[3], c4 = acc->v[4],
          c5 = acc->v[5], c6 = acc->v[6];
  for (size_t g = 0; g < groups; g++) {
    const __m256i vw = _mm256_cvtepi8_epi16(
        _mm_loadu_si128((const __m128i*)(w + g * Q8_AVX2_GROUP_BYTES)));
    const size_t k = 4 * g;
    c0 = q8_avx2_row_step(c0, buf->a[0] + k, vw);
    c1 = q8_avx2_row_step(c1, buf->a[1] + k, vw);
    c2 = q8_avx2_row_step(c2, buf->a[2] + k, vw);
    c3 = q8_avx2_row_step(c3, buf->a[3] + k, vw);
    c4 = q8_avx2_row_step(c4, buf->a[4] + k, vw);
    c5 = q8_avx2_row_step(c5, buf->a[5] + k, vw);
    c6 = q8_avx2_row_step(c6, buf->a[6] + k, vw);
  }
  acc->v[0] = c0;
  acc->v[1] = c1;
  acc->v[2] = c2;
  acc->v[3] = c3;
  acc->v[4] = c4;
  acc->v[5] = c5;
  acc->v[6] = c6;
}

/* Widens n bytes of p into dst, zero-padded to a multiple of four; reads
 * exactly n bytes. */
static inline void q8_avx2_widen(int16_t* dst, const uint8_t* p, size_t n) {
  size_t k = 0;
  for (; k + 16 <= n; k += 16) {
    _mm256_storeu_si256((__m256i*)(dst + k),
                        _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(p + k))));
  }
  for (; k < n; k++) dst[k] = p[k];
  for (; k % 4 != 0; k++) dst[k] = 0;
}

/* The tile's walk over k: the taps s of an indirect tile one after another
 * (each zero-padded to kc4 = round_up(kc, 4), as the weights are packed),
 * cut into chunks of at most Q8_AVX2_CHUNK groups. */
typedef struct q8_avx2_walk {
  size_t s, k; /* next tap and byte within it */
} q8_avx2_walk;

/* Fills buf with the next chunk of all MR rows; returns its groups (0 at the
 * end). */
Q8_INLINE size_t q8_avx2_fill(const size_t MR, const int indirect, const q8_x86_tile_args* t,
                              q8_avx2_walk* walk, q8_avx2_buffer* buf) {
  const size_t ks = indirect ? t->ks : 1;
  size_t used = 0; /* bytes per row in buf */
  while (walk->s < ks && used < 4 * Q8_AVX2_CHUNK) {
    const size_t n = t->kc - walk->k < 4 * Q8_AVX2_CHUNK - used ? t->kc - walk->k
                                                                 : 4 * Q8_AVX2_CHUNK - used;
    for (size_t m = 0; m < MR; m++) {
      const uint8_t* row =
          indirect ? q8_x86_indirect_row(t->indirect[walk->s * MR + m], t->a_offset, t->zero)
                   : t->a + (m < t->mr ? m : t->mr - 1) * t->a_stride;
      q8_avx2_widen(buf->a[m] + used, row + walk->k, n);
    }
    used += (n + 3) & ~(size_t)3;
    walk->k += n;
    if (walk->k == t->kc) {
      walk->s++;
      walk->k = 0;
    }
  }
  return used / 4;
}

/* Column sums of the tile: v[m][i] holds columns 8i .. 8i + 7 of row m. */
typedef struct q8_avx2_sums {
  __m256i v[Q8_AVX2_MR][Q8_AVX2_QUADS / 2];
} q8_avx2_sums;

/* Subtracts weight_zero_point[n] * (sum of row m) when the weights have zero
 * points (the packing folded everything else into the bias). */
Q8_INLINE void q8_avx2_subtract_row_sums(const size_t MR, const int indirect,
                                         const q8_x86_tile_args* t, const __m256i* vwzp,
                                         q8_avx2_sums* sums) {
  uint32_t row_sum[Q8_AVX2_MR];
  if (indirect) {
    q8_x86_indirect_row_sums(t->mr, MR, t->kc, t->ks, t->indirect, t->a_offset, t->zero,
                             row_sum);
  } else {
    for (size_t m = 0; m < t->mr; m++) row_sum[m] = q8_x86_row_sum(t->a + m * t->a_stride, t->kc);
  }
  for (size_t m = 0; m < MR && m < t->mr; m++) {
    const __m256i vrow = _mm256_set1_epi32((int)row_sum[m]);
    for (size_t i = 0; 8 * i < t->nc; i++) {
      sums->v[m][i] = _mm256_sub_epi32(sums->v[m][i], _mm256_mullo_epi32(vwzp[i], vrow));
    }
  }
}

/* Stores the first n (0..8) of the eight fp32 values of v. */
Q8_INLINE void q8_avx2_store_f32(float* row, size_t n, __m256 v) {
  if (n >= 8) {
    _mm256_storeu_ps(row, v);
  } else if (n > 0) {
    const __m256i vmask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(row, vmask, v);
  }
}

/* fp32 output of the dynamic kernel: (acc + corrections) * input_scale *
 * weight_scale[n] + bias[n], then relu. */
Q8_INLINE void q8_avx2_store_dq(const size_t MR, const q8_avx2_sums* sums,
                                const q8_x86_tile_args* t, const int32_t* head,
                                const int32_t* tail, const __m256i* vwzp) {
  const q8_gemm_dq_params* p = t->dq;
  const __m256i vizp = _mm256_set1_epi32(p->input_zero_point);
  const __m256i vkizp = _mm256_set1_epi32((int)((uint32_t)t->kc * (uint32_t)p->input_zero_point));
  const __m256 vinput_scale = _mm256_set1_ps(p->input_scale);
  const __m256 vzero = _mm256_setzero_ps();
  for (size_t i = 0; 8 * i < t->nc; i++) {
    const __m256i vcolsum = _mm256_loadu_si256((const __m256i*)(head + 8 * i));
    const __m256i vcorr = _mm256_sub_epi32(_mm256_mullo_epi32(vkizp, vwzp[i]),
                                           _mm256_mullo_epi32(vizp, vcolsum));
    const __m256 vscale =
        _mm256_mul_ps(vinput_scale, _mm256_loadu_ps((const float*)tail + Q8_AVX2_NR + 8 * i));
    const __m256 vbias = _mm256_loadu_ps((const float*)tail + 2 * Q8_AVX2_NR + 8 * i);
    for (size_t m = 0; m < MR && m < t->mr; m++) {
      float* row = (float*)((char*)t->c + m * t->c_stride);
      const __m256i vtotal = _mm256_add_epi32(sums->v[m][i], vcorr);
      __m256 vy = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(vtotal), vscale), vbias);
      if (p->relu) vy = _mm256_andnot_ps(_mm256_cmp_ps(vy, vzero, _CMP_LT_OQ), vy);
      q8_avx2_store_f32(row + 8 * i, t->nc - 8 * i, vy);
    }
  }
}

/* uint8 output: requantize as src/quant/requantization.h (clamp in fp32,
 * round half to even by cvtps2dq in the default rounding mode). */
Q8_INLINE void q8_avx2_store_requant(const size_t MR, const q8_avx2_sums* sums,
                                     const q8_x86_tile_args* t, const int32_t* head,
                                     const int32_t* tail) {
  const q8_requant_params* p = t->requant;
  const __m256 vlo = _mm256_set1_ps((float)((int32_t)p->output_min - p->output_zero_point));
  const __m256 vhi = _mm256_set1_ps((float)((int32_t)p->output_max - p->output_zero_point));
  const __m256i vozp = _mm256_set1_epi32(p->output_zero_point);
  for (size_t i = 0; 8 * i < t->nc; i++) {
    const __m256i vbias = _mm256_loadu_si256((const __m256i*)(head + 8 * i));
    const __m256 vmult = _mm256_loadu_ps((const float*)tail + Q8_AVX2_NR + 8 * i);
    for (size_t m = 0; m < MR && m < t->mr; m++) {
      uint8_t* row = (uint8_t*)t->c + m * t->c_stride + 8 * i;
      const __m256i vtotal = _mm256_add_epi32(sums->v[m][i], vbias);
      __m256 vf = _mm256_mul_ps(_mm256_cvtepi32_ps(vtotal), vmult);
      vf = _mm256_min_ps(_mm256_max_ps(vf, vlo), vhi);
      const __m256i vq = _mm256_add_epi32(_mm256_cvtps_epi32(vf), vozp);
      /* Values are in [0, 255]: the saturating packs are exact. */
      const __m128i vh =
          _mm_packs_epi32(_mm256_castsi256_si128(vq), _mm256_extracti128_si256(vq, 1));
      const __m128i vb = _mm_packus_epi16(vh, vh);
      if (t->nc >= 8 * i + 8) {
        _mm_storel_epi64((__m128i*)row, vb);
      } else {
        uint8_t bytes[16];
        _mm_storeu_si128((__m128i*)bytes, vb);
        memcpy(row, bytes, t->nc - 8 * i);
      }
    }
  }
}

/* Column sums of 8 columns from the pair sums of their two quads. */
Q8_INLINE __m256i q8_avx2_pair_sum(__m256i quad0, __m256i quad1) {
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(quad0, quad1), 0xD8);
}

/* Requantization or fp32 output of the column sums. */
Q8_INLINE void q8_avx2_output(const size_t MR, const int indirect, const q8_x86_tile_args* t,
                              q8_avx2_sums* sums, const int8_t* wp) {
  const int32_t* head = (const int32_t*)t->w;
  const int32_t* tail = (const int32_t*)q8_x86_align4(wp);
  __m256i vwzp[Q8_AVX2_QUADS / 2];
  int any_wzp = 0;
  for (size_t i = 0; i < Q8_AVX2_QUADS / 2; i++) {
    vwzp[i] = _mm256_loadu_si256((const __m256i*)(tail + 8 * i));
    any_wzp |= !_mm256_testz_si256(vwzp[i], vwzp[i]);
  }
  const int subtract = t->dq != NULL ? any_wzp : t->requant->subtract_row_sums;
  if (subtract) q8_avx2_subtract_row_sums(MR, indirect, t, vwzp, sums);
  if (t->dq != NULL) {
    q8_avx2_store_dq(MR, sums, t, head, tail, vwzp);
  } else {
    q8_avx2_store_requant(MR, sums, t, head, tail);
  }
}

/* The 7-row tile through the widened buffer. */
Q8_INLINE void q8_avx2_gemm_tile_7(const int indirect, const q8_x86_tile_args* t) {
  enum { MR = Q8_AVX2_MR };
  const int8_t* w = (const int8_t*)t->w + Q8_AVX2_NR * sizeof(int32_t);
  /* Quads in pairs: a pair makes 8 output columns. */
  const size_t quads = (t->nc + 7) / 8 * 2;
  q8_avx2_pass_acc acc[Q8_AVX2_QUADS];
  for (size_t j = 0; j < quads; j++) {
    for (size_t m = 0; m < MR; m++) acc[j].v[m] = _mm256_setzero_si256();
  }
  q8_avx2_buffer buf;
  q8_avx2_walk walk = {0, 0};
  size_t groups;
  while ((groups = q8_avx2_fill(MR, indirect, t, &walk, &buf)) != 0) {
    for (size_t j = 0; j < quads; j++) q8_avx2_pass(&acc[j], &buf, groups, w + 16 * j);
    w += groups * Q8_AVX2_GROUP_BYTES;
  }
  q8_avx2_sums sums;
  for (size_t i = 0; i < quads / 2; i++) {
    for (size_t m = 0; m < MR; m++) {
      sums.v[m][i] = q8_avx2_pair_sum(acc[2 * i].v[m], acc[2 * i + 1].v[m]);
    }
  }
  q8_avx2_output(MR, indirect, t, &sums, w);
}

/* One group of 16 columns (4 quads) of one row, A already widened. */
Q8_INLINE void q8_avx2_row16_step(__m256i* c, __m256i va, const int8_t* w) {
  for (size_t j = 0; j < 4; j++) {
    const __m256i vw = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w + 16 * j)));
    c[j] = _mm256_add_epi32(c[j], _mm256_madd_epi16(va, vw));
  }
}

/* One row of a direct GEMM (fully connected with batch 1): no buffer, A
 * broadcast and widened in registers, 16 columns per pass. */
Q8_INLINE void q8_avx2_gemm_tile_1(const q8_x86_tile_args* t) {
  const int8_t* w0 = (const int8_t*)t->w + Q8_AVX2_NR * sizeof(int32_t);
  const size_t groups = (t->kc + 3) / 4;
  q8_avx2_sums sums;
  for (size_t half = 0; 16 * half < t->nc; half++) {
    const int8_t* w = w0 + 64 * half;
    __m256i c[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
    size_t k = 0;
    for (; k + 4 <= t->kc; k += 4) {
      q8_avx2_row16_step(c, _mm256_cvtepu8_epi16(_mm_set1_epi32((int)q8_x86_load4(t->a + k))), w);
      w += Q8_AVX2_GROUP_BYTES;
    }
    if (k < t->kc) {
      const uint32_t four = q8_x86_load_tail(t->a + k, t->kc - k);
      q8_avx2_row16_step(c, _mm256_cvtepu8_epi16(_mm_set1_epi32((int)four)), w);
    }
    sums.v[0][2 * half] = q8_avx2_pair_sum(c[0], c[1]);
    sums.v[0][2 * half + 1] = q8_avx2_pair_sum(c[2], c[3]);
  }
  q8_avx2_output(1, 0, t, &sums, w0 + groups * Q8_AVX2_GROUP_BYTES);
}

/* The kernels' entry (indirect: the igemm kernel). */
Q8_INLINE void q8_avx2_gemm_7x32(const int indirect, const q8_x86_tile_args* t) {
  if (!indirect && t->mr == 1) {
    q8_avx2_gemm_tile_1(t);
  } else {
    q8_avx2_gemm_tile_7(indirect, t);
  }
}

#endif

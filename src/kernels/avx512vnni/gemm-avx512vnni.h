/*
 * The AVX-512 VNNI GEMM tile shared by the gemm, igemm and gemm_dq kernels of
 * this directory. Weights are packed for NR = 32, KR = 4: each group of four
 * k is 128 bytes, two zmm of 16 columns x 4 k. One vpdpbusd (u8 A broadcast x
 * s8 weights, exact int32 sums of four products) per row and zmm per four k;
 * the last kc % 4 bytes of a row are loaded one by one (zero-filled), never
 * past the row.
 *
 * A tile is MR rows by NV zmm (NV = 1 uses only the first 16 columns of the
 * packed block: the kernels pick it when nc <= 16, and then take two groups
 * of four k per step into two accumulators per row), with KU independent
 * sets of accumulators for consecutive groups, added at the end (exact:
 * integer sums), so that few rows still keep enough vpdpbusd in flight to
 * cover its latency. The kernels instantiate it with constants.
 *
 * Port budget on a core with two 512-bit FMA ports (Sapphire Rapids, Zen 4):
 * 7x32 issues 14 vpdpbusd (7 cycles) per 2 weight loads and 7 broadcast loads
 * (4.5 cycles on two load ports), so the loop is bound by vpdpbusd alone. On
 * the Sapphire Rapids VM this was tuned on it runs at 8 cycles: the same 14
 * vpdpbusd from registers take 7, and each load added to that loop, even an
 * unused scalar one, costs it about 1.5% (7x48, 8x48, 6x64 and 14x32 tiles
 * lose the same per vpdpbusd). Unrolling the k loop does not help.
 *
 * gcc 12 keeps an accumulator array in registers without copies only when
 * nothing in the k loop indexes it with a loop variable: the loops over rows
 * and k sets inside it are written out as `if (MR > i)` chains, which fold
 * away for the constant MR, NV and KU.
 */
#ifndef Q8_KERNELS_AVX512VNNI_GEMM_H
#define Q8_KERNELS_AVX512VNNI_GEMM_H

#include <immintrin.h>

#include "../avx2/x86-common.h"

enum {
  Q8_AVX512VNNI_NR = 32,
  Q8_AVX512VNNI_GROUP_BYTES = 4 * Q8_AVX512VNNI_NR, /* packed weights of four k */
  Q8_AVX512VNNI_MAX_MR = 8,
  Q8_AVX512VNNI_ACC_ROWS = 7, /* MR * KU */
};

/* Row u * MR + m holds k set u of tile row m. The k loop works on a copy of
 * the whole struct, which gcc 12 keeps in registers without moves when every
 * element is in use (7x32, 7x16); through a pointer it adds a move per
 * accumulator and step, and with a larger struct it copies it with rep movs
 * at every call. */
typedef struct q8_avx512vnni_acc {
  __m512i v[Q8_AVX512VNNI_ACC_ROWS][2];
} q8_avx512vnni_acc;

/* The first n (1..4) bytes of a row at p, zero-filled to four. */
Q8_INLINE uint32_t q8_avx512vnni_load_a(const uint8_t* p, size_t n) {
  return n >= 4 ? q8_x86_load4(p) : q8_x86_load_tail(p, n);
}

/* One row of one step: NV = 2 multiplies four bytes of A by both zmm of a
 * group; NV = 1 (16 columns) instead multiplies the next four bytes by the
 * next group into c[1], so that the row still has two independent chains. */
Q8_INLINE void q8_avx512vnni_row_step(const size_t NV, __m512i* c, const uint8_t* p, size_t n,
                                      __m512i w0, __m512i w1) {
  const __m512i va = _mm512_set1_epi32((int)q8_avx512vnni_load_a(p, n));
  c[0] = _mm512_dpbusd_epi32(c[0], va, w0);
  if (NV > 1) {
    c[1] = _mm512_dpbusd_epi32(c[1], va, w1);
  } else if (n > 4) {
    const __m512i vb = _mm512_set1_epi32((int)q8_x86_load4(p + 4));
    c[1] = _mm512_dpbusd_epi32(c[1], vb, w1);
  }
}

/* One step for MR rows into c[0 .. MR): n <= 4 bytes of A (one group of
 * weights), or n = 8 (NV = 1: two groups). */
Q8_INLINE void q8_avx512vnni_step(const size_t MR, const size_t NV, __m512i (*c)[2],
                                  const uint8_t* const* rows, size_t k, size_t n,
                                  const int8_t* wp) {
  const __m512i w0 = _mm512_loadu_si512(wp);
  const __m512i w1 = NV > 1  ? _mm512_loadu_si512(wp + 64)
                     : n > 4 ? _mm512_loadu_si512(wp + Q8_AVX512VNNI_GROUP_BYTES)
                             : w0;
  if (MR > 0) q8_avx512vnni_row_step(NV, c[0], rows[0] + k, n, w0, w1);
  if (MR > 1) q8_avx512vnni_row_step(NV, c[1], rows[1] + k, n, w0, w1);
  if (MR > 2) q8_avx512vnni_row_step(NV, c[2], rows[2] + k, n, w0, w1);
  if (MR > 3) q8_avx512vnni_row_step(NV, c[3], rows[3] + k, n, w0, w1);
  if (MR > 4) q8_avx512vnni_row_step(NV, c[4], rows[4] + k, n, w0, w1);
  if (MR > 5) q8_avx512vnni_row_step(NV, c[5], rows[5] + k, n, w0, w1);
  if (MR > 6) q8_avx512vnni_row_step(NV, c[6], rows[6] + k, n, w0, w1);
  if (MR > 7) q8_avx512vnni_row_step(NV, c[7], rows[7] + k, n, w0, w1);
}

/* sum over k < kc of rows[m][k] * w[k][n]; returns wp past kc's weights. */
Q8_INLINE const int8_t* q8_avx512vnni_dot(const size_t MR, const size_t NV, const size_t KU,
                                          q8_avx512vnni_acc* acc, const uint8_t* const* rows,
                                          size_t kc, const int8_t* wp) {
  enum { G = Q8_AVX512VNNI_GROUP_BYTES };
  const size_t n = NV > 1 ? 4 : 8; /* bytes of A per row per step */
  const size_t wstep = n / 4 * G;
  q8_avx512vnni_acc local = *acc; /* see the struct */
  q8_avx512vnni_acc* t = &local;
  size_t k = 0;
  for (; k + n * KU <= kc; k += n * KU) {
    q8_avx512vnni_step(MR, NV, &t->v[0], rows, k, n, wp);
    if (KU > 1) q8_avx512vnni_step(MR, NV, &t->v[MR], rows, k + n, n, wp + wstep);
    if (KU > 2) q8_avx512vnni_step(MR, NV, &t->v[2 * MR], rows, k + 2 * n, n, wp + 2 * wstep);
    if (KU > 3) q8_avx512vnni_step(MR, NV, &t->v[3 * MR], rows, k + 3 * n, n, wp + 3 * wstep);
    wp += KU * wstep;
  }
  for (; k + 4 <= kc; k += 4) {
    q8_avx512vnni_step(MR, NV, &t->v[0], rows, k, 4, wp);
    wp += G;
  }
  if (k < kc) {
    q8_avx512vnni_step(MR, NV, &t->v[0], rows, k, kc - k, wp);
    wp += G;
  }
  *acc = local;
  return wp;
}

/* Masked 16-lane store width for columns [n0, n0 + 16) of nc. */
Q8_INLINE __mmask16 q8_avx512_column_mask(size_t nc, size_t n0) {
  if (nc >= n0 + 16) return (__mmask16)0xFFFF;
  return nc > n0 ? (__mmask16)((1u << (nc - n0)) - 1u) : (__mmask16)0;
}

/* Subtracts weight_zero_point[n] * row_sum from one row's NV accumulators. */
Q8_INLINE void q8_avx512vnni_subtract_row_sum(const size_t NV, __m512i* row_acc,
                                              const __m512i* vwzp, uint32_t row_sum) {
  const __m512i vsum = _mm512_set1_epi32((int)row_sum);
  for (size_t j = 0; j < NV; j++) {
    row_acc[j] = _mm512_sub_epi32(row_acc[j], _mm512_mullo_epi32(vwzp[j], vsum));
  }
}

/* Subtracts weight_zero_point[n] * (sum of row m) when the weights have zero
 * points (the packing folded everything else into the bias). */
Q8_INLINE void q8_avx512vnni_subtract_row_sums(const size_t MR, const size_t NV,
                                               const int indirect, const size_t tap_stride,
                                               q8_avx512vnni_acc* acc,
                                               const q8_x86_tile_args* t, const __m512i* vwzp) {
  uint32_t sums[Q8_AVX512VNNI_MAX_MR];
  if (indirect) {
    q8_x86_indirect_row_sums(t->mr, tap_stride, t->kc, t->ks, t->indirect, t->a_offset, t->zero,
                             sums);
  } else {
    for (size_t m = 0; m < t->mr; m++) sums[m] = q8_x86_row_sum(t->a + m * t->a_stride, t->kc);
  }
  for (size_t m = 0; m < MR && m < t->mr; m++) {
    q8_avx512vnni_subtract_row_sum(NV, acc->v[m], vwzp, sums[m]);
  }
}

/* fp32 output of the dynamic kernel: (acc + corrections) * input_scale *
 * weight_scale[n] + bias[n], then relu. */
Q8_INLINE void q8_avx512vnni_store_dq(const size_t MR, const size_t NV,
                                      const q8_avx512vnni_acc* acc, const q8_x86_tile_args* t,
                                      const int32_t* head, const int32_t* tail,
                                      const __m512i* vwzp) {
  const q8_gemm_dq_params* p = t->dq;
  const __m512i vizp = _mm512_set1_epi32(p->input_zero_point);
  const __m512i vkizp = _mm512_set1_epi32((int)((uint32_t)t->kc * (uint32_t)p->input_zero_point));
  const __m512 vinput_scale = _mm512_set1_ps(p->input_scale);
  __m512i vcorr[2];
  __m512 vscale[2], vbias[2];
  for (size_t j = 0; j < NV; j++) {
    const __m512i vcolsum = _mm512_loadu_si512(head + 16 * j);
    vcorr[j] = _mm512_sub_epi32(_mm512_mullo_epi32(vkizp, vwzp[j]),
                                _mm512_mullo_epi32(vizp, vcolsum));
    vscale[j] = _mm512_mul_ps(vinput_scale,
                              _mm512_loadu_ps((const float*)tail + Q8_AVX512VNNI_NR + 16 * j));
    vbias[j] = _mm512_loadu_ps((const float*)tail + 2 * Q8_AVX512VNNI_NR + 16 * j);
  }
  const __m512 vzero = _mm512_setzero_ps();
  for (size_t m = 0; m < MR && m < t->mr; m++) {
    float* row = (float*)((char*)t->c + m * t->c_stride);
    for (size_t j = 0; j < NV; j++) {
      const __m512i vtotal = _mm512_add_epi32(acc->v[m][j], vcorr[j]);
      __m512 vy = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(vtotal), vscale[j]), vbias[j]);
      if (p->relu) vy = _mm512_mask_mov_ps(vy, _mm512_cmp_ps_mask(vy, vzero, _CMP_LT_OQ), vzero);
      const __mmask16 store = q8_avx512_column_mask(t->nc, 16 * j);
      if (store == 0xFFFF) {
        _mm512_storeu_ps(row + 16 * j, vy);
      } else if (store != 0) {
        _mm512_mask_storeu_ps(row + 16 * j, store, vy);
      }
    }
  }
}

/* Output stage constants of one packed block (uint8 output). */
typedef struct q8_avx512vnni_requant {
  __m512 vmult[2], vlo, vhi;
  __m512i vozp;
} q8_avx512vnni_requant;

Q8_INLINE q8_avx512vnni_requant q8_avx512vnni_requant_setup(const size_t NV,
                                                            const q8_requant_params* p,
                                                            const int32_t* tail) {
  q8_avx512vnni_requant r;
  r.vlo = _mm512_set1_ps((float)((int32_t)p->output_min - p->output_zero_point));
  r.vhi = _mm512_set1_ps((float)((int32_t)p->output_max - p->output_zero_point));
  r.vozp = _mm512_set1_epi32(p->output_zero_point);
  r.vmult[1] = _mm512_setzero_ps();
  for (size_t j = 0; j < NV; j++) {
    r.vmult[j] = _mm512_loadu_ps((const float*)tail + Q8_AVX512VNNI_NR + 16 * j);
  }
  return r;
}

/* Requantizes one row's NV accumulators into the first nc bytes of row, as
 * src/quant/requantization.h (clamp in fp32, round half to even by cvtps2dq
 * in the default rounding mode). */
Q8_INLINE void q8_avx512vnni_requant_row(const size_t NV, const __m512i* row_acc,
                                         const q8_avx512vnni_requant* r, size_t nc,
                                         uint8_t* row) {
  for (size_t j = 0; j < NV; j++) {
    __m512 vf = _mm512_mul_ps(_mm512_cvtepi32_ps(row_acc[j]), r->vmult[j]);
    vf = _mm512_min_ps(_mm512_max_ps(vf, r->vlo), r->vhi);
    const __m512i vq = _mm512_add_epi32(_mm512_cvtps_epi32(vf), r->vozp);
    const __m128i vbytes = _mm512_cvtepi32_epi8(vq);
    const __mmask16 store = q8_avx512_column_mask(nc, 16 * j);
    if (store == 0xFFFF) {
      _mm_storeu_si128((__m128i*)(row + 16 * j), vbytes);
    } else if (store != 0) {
      _mm_mask_storeu_epi8(row + 16 * j, store, vbytes);
    }
  }
}

/* uint8 output of the tile's mr rows. */
Q8_INLINE void q8_avx512vnni_store_requant(const size_t MR, const size_t NV,
                                           const q8_avx512vnni_acc* acc,
                                           const q8_x86_tile_args* t, const int32_t* tail) {
  const q8_avx512vnni_requant r = q8_avx512vnni_requant_setup(NV, t->requant, tail);
  for (size_t m = 0; m < MR && m < t->mr; m++) {
    q8_avx512vnni_requant_row(NV, acc->v[m], &r, t->nc, (uint8_t*)t->c + m * t->c_stride);
  }
}

/* The MR x (16 NV) tile of t with KU k sets. Rows past mr repeat row mr - 1
 * (direct) or whatever the indirection holds; they are computed, not stored.
 * Indirect tiles read MR of every tap_stride pointers per tap (tap_stride is
 * the table's MR: MR here, 32 when the amx kernels hand small problems to
 * this tile). */
Q8_INLINE void q8_avx512vnni_gemm_tile(const size_t MR, const size_t NV, const size_t KU,
                                       const int indirect, const size_t tap_stride,
                                       const q8_x86_tile_args* t) {
  const int32_t* head = (const int32_t*)t->w;
  q8_avx512vnni_acc acc;
  for (size_t j = 0; j < 2; j++) {
    /* The static kernels start from the packed bias, the dynamic ones from 0;
     * the other k sets from 0. */
    const __m512i vinit = t->dq != NULL || j >= NV ? _mm512_setzero_si512()
                                                   : _mm512_loadu_si512(head + 16 * j);
    for (size_t m = 0; m < MR; m++) acc.v[m][j] = vinit;
    for (size_t i = MR; i < MR * KU; i++) acc.v[i][j] = _mm512_setzero_si512();
  }

  const int8_t* wp = (const int8_t*)(head + Q8_AVX512VNNI_NR);
  const uint8_t* rows[Q8_AVX512VNNI_MAX_MR];
  if (indirect) {
    for (size_t s = 0; s < t->ks; s++) {
      for (size_t m = 0; m < MR; m++) {
        rows[m] = q8_x86_indirect_row(t->indirect[s * tap_stride + m], t->a_offset, t->zero);
      }
      wp = q8_avx512vnni_dot(MR, NV, KU, &acc, rows, t->kc, wp);
    }
  } else {
    for (size_t m = 0; m < MR; m++) rows[m] = t->a + (m < t->mr ? m : t->mr - 1) * t->a_stride;
    wp = q8_avx512vnni_dot(MR, NV, KU, &acc, rows, t->kc, wp);
  }
  for (size_t m = 0; m < MR; m++) {
    for (size_t u = 1; u < KU; u++) {
      for (size_t j = 0; j < 2; j++) {
        acc.v[m][j] = _mm512_add_epi32(acc.v[m][j], acc.v[u * MR + m][j]);
      }
    }
    if (NV == 1) acc.v[m][0] = _mm512_add_epi32(acc.v[m][0], acc.v[m][1]);
  }
  const int32_t* tail = (const int32_t*)q8_x86_align4(wp);

  __m512i vwzp[2];
  int any_wzp = 0;
  for (size_t j = 0; j < NV; j++) {
    vwzp[j] = _mm512_loadu_si512(tail + 16 * j);
    any_wzp |= _mm512_test_epi32_mask(vwzp[j], vwzp[j]) != 0;
  }
  const int subtract = t->dq != NULL ? any_wzp : t->requant->subtract_row_sums;
  if (subtract) q8_avx512vnni_subtract_row_sums(MR, NV, indirect, tap_stride, &acc, t, vwzp);
  if (t->dq != NULL) {
    q8_avx512vnni_store_dq(MR, NV, &acc, t, head, tail, vwzp);
  } else {
    q8_avx512vnni_store_requant(MR, NV, &acc, t, tail);
  }
}

/* The tile shapes of the 7x32 kernels (indirect: the igemm kernel, with
 * tap_stride pointers per tap): one row (fully connected with batch 1) with
 * four k sets; up to 16 columns with one zmm; otherwise 7 rows by two zmm. */
Q8_INLINE void q8_avx512vnni_gemm_7x32_taps(const int indirect, const size_t tap_stride,
                                            const q8_x86_tile_args* t) {
  if (!indirect && t->mr == 1) {
    if (t->nc <= 16) {
      q8_avx512vnni_gemm_tile(1, 1, 4, indirect, tap_stride, t);
    } else {
      q8_avx512vnni_gemm_tile(1, 2, 4, indirect, tap_stride, t);
    }
  } else if (t->nc <= 16) {
    q8_avx512vnni_gemm_tile(7, 1, 1, indirect, tap_stride, t);
  } else {
    q8_avx512vnni_gemm_tile(7, 2, 1, indirect, tap_stride, t);
  }
}

Q8_INLINE void q8_avx512vnni_gemm_7x32(const int indirect, const q8_x86_tile_args* t) {
  q8_avx512vnni_gemm_7x32_taps(indirect, 7, t);
}

#endif

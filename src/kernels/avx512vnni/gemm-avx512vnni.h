/*
 * The AVX-512 VNNI GEMM tile shared by the gemm, igemm and gemm_dq kernels of
 * this directory: MR rows by NV zmm of 16 columns, KR = 4. One vpdpbusd
 * (u8 A broadcast x s8 packed weights, exact int32 sums of four products) per
 * row and zmm per four k; the last kc % 4 bytes of a row are loaded one by
 * one (zero-filled), never past the row. Instantiated with constant MR and NV
 * by each kernel file.
 */
#ifndef Q8_KERNELS_AVX512VNNI_GEMM_H
#define Q8_KERNELS_AVX512VNNI_GEMM_H

#include <immintrin.h>

#include "../avx2/x86-common.h"

enum { Q8_AVX512VNNI_MAX_MR = 8, Q8_AVX512VNNI_MAX_NV = 4 };

/* Masked 16-lane store width for columns [n0, n0 + 16) of nc. */
Q8_INLINE __mmask16 q8_avx512_column_mask(size_t nc, size_t n0) {
  if (nc >= n0 + 16) return (__mmask16)0xFFFF;
  return nc > n0 ? (__mmask16)((1u << (nc - n0)) - 1u) : (__mmask16)0;
}

Q8_INLINE void q8_avx512vnni_gemm_tile(const size_t MR, const size_t NV,
                                       const q8_x86_tile_args* t) {
  const size_t NR = 16 * NV;
  const size_t mr = t->mr, nc = t->nc, kc = t->kc;
  const int indirect = t->indirect != NULL;
  const size_t ks = indirect ? t->ks : 1;
  const int32_t* head = (const int32_t*)t->w;

  __m512i vacc[Q8_AVX512VNNI_MAX_MR][Q8_AVX512VNNI_MAX_NV];
  for (size_t j = 0; j < NV; j++) {
    const __m512i vinit =
        t->dq != NULL ? _mm512_setzero_si512() : _mm512_loadu_si512(head + 16 * j);
    for (size_t m = 0; m < MR; m++) vacc[m][j] = vinit;
  }

  const int8_t* wp = (const int8_t*)(head + NR);
  for (size_t s = 0; s < ks; s++) {
    const uint8_t* rows[Q8_AVX512VNNI_MAX_MR];
    for (size_t m = 0; m < MR; m++) {
      rows[m] = indirect ? q8_x86_indirect_row(t->indirect[s * MR + m], t->a_offset, t->zero)
                         : t->a + (m < mr ? m : mr - 1) * t->a_stride;
    }
    size_t k = 0;
    for (; k + 4 <= kc; k += 4) {
      __m512i vw[Q8_AVX512VNNI_MAX_NV];
      for (size_t j = 0; j < NV; j++) vw[j] = _mm512_loadu_si512(wp + 64 * j);
      wp += 4 * NR;
      for (size_t m = 0; m < MR; m++) {
        const __m512i va = _mm512_set1_epi32((int)q8_x86_load4(rows[m] + k));
        for (size_t j = 0; j < NV; j++) vacc[m][j] = _mm512_dpbusd_epi32(vacc[m][j], va, vw[j]);
      }
    }
    if (k < kc) {
      __m512i vw[Q8_AVX512VNNI_MAX_NV];
      for (size_t j = 0; j < NV; j++) vw[j] = _mm512_loadu_si512(wp + 64 * j);
      wp += 4 * NR;
      for (size_t m = 0; m < MR; m++) {
        const __m512i va = _mm512_set1_epi32((int)q8_x86_load_tail(rows[m] + k, kc - k));
        for (size_t j = 0; j < NV; j++) vacc[m][j] = _mm512_dpbusd_epi32(vacc[m][j], va, vw[j]);
      }
    }
  }
  const int32_t* tail = (const int32_t*)q8_x86_align4(wp);

  __m512i vwzp[Q8_AVX512VNNI_MAX_NV];
  for (size_t j = 0; j < NV; j++) vwzp[j] = _mm512_loadu_si512(tail + 16 * j);
  int any_wzp = 0;
  for (size_t j = 0; j < NV; j++) any_wzp |= _mm512_test_epi32_mask(vwzp[j], vwzp[j]) != 0;
  const int subtract = t->dq != NULL ? any_wzp : t->requant->subtract_row_sums;
  if (subtract) {
    uint32_t sums[Q8_AVX512VNNI_MAX_MR];
    if (indirect) {
      q8_x86_indirect_row_sums(mr, MR, kc, ks, t->indirect, t->a_offset, t->zero, sums);
    } else {
      for (size_t m = 0; m < mr; m++) sums[m] = q8_x86_row_sum(t->a + m * t->a_stride, kc);
    }
    for (size_t m = 0; m < MR; m++) {
      if (m >= mr) break;
      const __m512i vsum = _mm512_set1_epi32((int)sums[m]);
      for (size_t j = 0; j < NV; j++) {
        vacc[m][j] = _mm512_sub_epi32(vacc[m][j], _mm512_mullo_epi32(vwzp[j], vsum));
      }
    }
  }

  if (t->dq != NULL) {
    const q8_gemm_dq_params* p = t->dq;
    const __m512i vizp = _mm512_set1_epi32(p->input_zero_point);
    const __m512i vkizp = _mm512_set1_epi32((int)((uint32_t)kc * (uint32_t)p->input_zero_point));
    const __m512 vinput_scale = _mm512_set1_ps(p->input_scale);
    __m512i vcorr[Q8_AVX512VNNI_MAX_NV];
    __m512 vscale[Q8_AVX512VNNI_MAX_NV], vbias[Q8_AVX512VNNI_MAX_NV];
    for (size_t j = 0; j < NV; j++) {
      const __m512i vcolsum = _mm512_loadu_si512(head + 16 * j);
      vcorr[j] = _mm512_sub_epi32(_mm512_mullo_epi32(vkizp, vwzp[j]),
                                  _mm512_mullo_epi32(vizp, vcolsum));
      vscale[j] = _mm512_mul_ps(vinput_scale, _mm512_loadu_ps((const float*)tail + NR + 16 * j));
      vbias[j] = _mm512_loadu_ps((const float*)tail + 2 * NR + 16 * j);
    }
    const __m512 vzero = _mm512_setzero_ps();
    for (size_t m = 0; m < MR; m++) {
      if (m >= mr) break;
      float* row = (float*)((char*)t->c + m * t->c_stride);
      for (size_t j = 0; j < NV; j++) {
        const __m512i vtotal = _mm512_add_epi32(vacc[m][j], vcorr[j]);
        __m512 vy = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(vtotal), vscale[j]), vbias[j]);
        if (p->relu) vy = _mm512_mask_mov_ps(vy, _mm512_cmp_ps_mask(vy, vzero, _CMP_LT_OQ), vzero);
        const __mmask16 store = q8_avx512_column_mask(nc, 16 * j);
        if (store == 0xFFFF) {
          _mm512_storeu_ps(row + 16 * j, vy);
        } else if (store != 0) {
          _mm512_mask_storeu_ps(row + 16 * j, store, vy);
        }
      }
    }
    return;
  }

  const q8_requant_params* p = t->requant;
  const __m512 vlo = _mm512_set1_ps((float)((int32_t)p->output_min - p->output_zero_point));
  const __m512 vhi = _mm512_set1_ps((float)((int32_t)p->output_max - p->output_zero_point));
  const __m512i vozp = _mm512_set1_epi32(p->output_zero_point);
  __m512 vmult[Q8_AVX512VNNI_MAX_NV];
  for (size_t j = 0; j < NV; j++) vmult[j] = _mm512_loadu_ps((const float*)tail + NR + 16 * j);
  for (size_t m = 0; m < MR; m++) {
    if (m >= mr) break;
    uint8_t* row = (uint8_t*)t->c + m * t->c_stride;
    for (size_t j = 0; j < NV; j++) {
      __m512 vf = _mm512_mul_ps(_mm512_cvtepi32_ps(vacc[m][j]), vmult[j]);
      vf = _mm512_min_ps(_mm512_max_ps(vf, vlo), vhi);
      const __m512i vq = _mm512_add_epi32(_mm512_cvtps_epi32(vf), vozp);
      const __m128i vbytes = _mm512_cvtepi32_epi8(vq);
      const __mmask16 store = q8_avx512_column_mask(nc, 16 * j);
      if (store == 0xFFFF) {
        _mm_storeu_si128((__m128i*)(row + 16 * j), vbytes);
      } else if (store != 0) {
        _mm_mask_storeu_epi8(row + 16 * j, store, vbytes);
      }
    }
  }
}

#endif

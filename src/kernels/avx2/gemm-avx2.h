/*
 * The exact AVX2 GEMM tile shared by the gemm, igemm and gemm_dq kernels of
 * this directory: MR rows by NV ymm of 4 columns, KR = 4. Four bytes of a row
 * of A are broadcast and zero-extended to int16 (vpmovzxbw), 16 packed
 * weights (4 columns x 4 k) sign-extended (vpmovsxbw), and vpmaddwd + vpaddd
 * accumulate two partial sums per column exactly (no vpmaddubsw: it
 * saturates). The pairs are added at the end (vphaddd). The last kc % 4
 * bytes of a row are loaded one by one, never past the row.
 */
#ifndef Q8_KERNELS_AVX2_GEMM_H
#define Q8_KERNELS_AVX2_GEMM_H

#include <immintrin.h>

#include "x86-common.h"

enum { Q8_AVX2_MAX_MR = 8, Q8_AVX2_MAX_NV = 8 };

Q8_INLINE __m256i q8_avx2_broadcast_a(uint32_t four_bytes) {
  return _mm256_cvtepu8_epi16(_mm_set1_epi32((int)four_bytes));
}

Q8_INLINE void q8_avx2_gemm_tile(const size_t MR, const size_t NV, const q8_x86_tile_args* t) {
  const size_t NR = 4 * NV; /* NV even */
  const size_t mr = t->mr, nc = t->nc, kc = t->kc;
  const int indirect = t->indirect != NULL;
  const size_t ks = indirect ? t->ks : 1;
  const int32_t* head = (const int32_t*)t->w;

  __m256i vacc[Q8_AVX2_MAX_MR][Q8_AVX2_MAX_NV];
  for (size_t m = 0; m < MR; m++) {
    for (size_t j = 0; j < NV; j++) vacc[m][j] = _mm256_setzero_si256();
  }

  const int8_t* wp = (const int8_t*)(head + NR);
  for (size_t s = 0; s < ks; s++) {
    const uint8_t* rows[Q8_AVX2_MAX_MR];
    for (size_t m = 0; m < MR; m++) {
      rows[m] = indirect ? q8_x86_indirect_row(t->indirect[s * MR + m], t->a_offset, t->zero)
                         : t->a + (m < mr ? m : mr - 1) * t->a_stride;
    }
    size_t k = 0;
    for (; k + 4 <= kc; k += 4) {
      __m256i vw[Q8_AVX2_MAX_NV];
      for (size_t j = 0; j < NV; j++) {
        vw[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(wp + 16 * j)));
      }
      wp += 4 * NR;
      for (size_t m = 0; m < MR; m++) {
        const __m256i va = q8_avx2_broadcast_a(q8_x86_load4(rows[m] + k));
        for (size_t j = 0; j < NV; j++) {
          vacc[m][j] = _mm256_add_epi32(vacc[m][j], _mm256_madd_epi16(va, vw[j]));
        }
      }
    }
    if (k < kc) {
      __m256i vw[Q8_AVX2_MAX_NV];
      for (size_t j = 0; j < NV; j++) {
        vw[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(wp + 16 * j)));
      }
      wp += 4 * NR;
      for (size_t m = 0; m < MR; m++) {
        const __m256i va = q8_avx2_broadcast_a(q8_x86_load_tail(rows[m] + k, kc - k));
        for (size_t j = 0; j < NV; j++) {
          vacc[m][j] = _mm256_add_epi32(vacc[m][j], _mm256_madd_epi16(va, vw[j]));
        }
      }
    }
  }
  const int32_t* tail = (const int32_t*)q8_x86_align4(wp);

  /* Column sums: vsum[m][i] holds columns 8i..8i+7 in order. */
  __m256i vsum[Q8_AVX2_MAX_MR][Q8_AVX2_MAX_NV / 2];
  for (size_t m = 0; m < MR; m++) {
    for (size_t i = 0; i < NV / 2; i++) {
      const __m256i vpair = _mm256_hadd_epi32(vacc[m][2 * i], vacc[m][2 * i + 1]);
      vsum[m][i] = _mm256_permute4x64_epi64(vpair, 0xD8);
    }
  }

  __m256i vwzp[Q8_AVX2_MAX_NV / 2];
  int any_wzp = 0;
  for (size_t i = 0; i < NV / 2; i++) {
    vwzp[i] = _mm256_loadu_si256((const __m256i*)(tail + 8 * i));
    any_wzp |= !_mm256_testz_si256(vwzp[i], vwzp[i]);
  }
  const int subtract = t->dq != NULL ? any_wzp : t->requant->subtract_row_sums;
  if (subtract) {
    uint32_t sums[Q8_AVX2_MAX_MR];
    if (indirect) {
      q8_x86_indirect_row_sums(mr, MR, kc, ks, t->indirect, t->a_offset, t->zero, sums);
    } else {
      for (size_t m = 0; m < mr; m++) sums[m] = q8_x86_row_sum(t->a + m * t->a_stride, kc);
    }
    for (size_t m = 0; m < MR; m++) {
      if (m >= mr) break;
      const __m256i vrow = _mm256_set1_epi32((int)sums[m]);
      for (size_t i = 0; i < NV / 2; i++) {
        vsum[m][i] = _mm256_sub_epi32(vsum[m][i], _mm256_mullo_epi32(vwzp[i], vrow));
      }
    }
  }

  if (t->dq != NULL) {
    const q8_gemm_dq_params* p = t->dq;
    const __m256i vizp = _mm256_set1_epi32(p->input_zero_point);
    const __m256i vkizp = _mm256_set1_epi32((int)((uint32_t)kc * (uint32_t)p->input_zero_point));
    const __m256 vinput_scale = _mm256_set1_ps(p->input_scale);
    __m256i vcorr[Q8_AVX2_MAX_NV / 2];
    __m256 vscale[Q8_AVX2_MAX_NV / 2], vbias[Q8_AVX2_MAX_NV / 2];
    for (size_t i = 0; i < NV / 2; i++) {
      const __m256i vcolsum = _mm256_loadu_si256((const __m256i*)(head + 8 * i));
      vcorr[i] = _mm256_sub_epi32(_mm256_mullo_epi32(vkizp, vwzp[i]),
                                  _mm256_mullo_epi32(vizp, vcolsum));
      vscale[i] = _mm256_mul_ps(vinput_scale, _mm256_loadu_ps((const float*)tail + NR + 8 * i));
      vbias[i] = _mm256_loadu_ps((const float*)tail + 2 * NR + 8 * i);
    }
    const __m256 vzero = _mm256_setzero_ps();
    for (size_t m = 0; m < MR; m++) {
      if (m >= mr) break;
      float* row = (float*)((char*)t->c + m * t->c_stride);
      for (size_t i = 0; i < NV / 2; i++) {
        const size_t n0 = 8 * i;
        if (nc <= n0) break;
        const __m256i vtotal = _mm256_add_epi32(vsum[m][i], vcorr[i]);
        __m256 vy = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(vtotal), vscale[i]), vbias[i]);
        if (p->relu) vy = _mm256_andnot_ps(_mm256_cmp_ps(vy, vzero, _CMP_LT_OQ), vy);
        if (nc >= n0 + 8) {
          _mm256_storeu_ps(row + n0, vy);
        } else {
          const __m256i vmask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(nc - n0)),
                                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
          _mm256_maskstore_ps(row + n0, vmask, vy);
        }
      }
    }
    return;
  }

  const q8_requant_params* p = t->requant;
  const __m256 vlo = _mm256_set1_ps((float)((int32_t)p->output_min - p->output_zero_point));
  const __m256 vhi = _mm256_set1_ps((float)((int32_t)p->output_max - p->output_zero_point));
  const __m256i vozp = _mm256_set1_epi32(p->output_zero_point);
  __m256i vbias[Q8_AVX2_MAX_NV / 2];
  __m256 vmult[Q8_AVX2_MAX_NV / 2];
  for (size_t i = 0; i < NV / 2; i++) {
    vbias[i] = _mm256_loadu_si256((const __m256i*)(head + 8 * i));
    vmult[i] = _mm256_loadu_ps((const float*)tail + NR + 8 * i);
  }
  for (size_t m = 0; m < MR; m++) {
    if (m >= mr) break;
    uint8_t* row = (uint8_t*)t->c + m * t->c_stride;
    for (size_t i = 0; i < NV / 2; i++) {
      const size_t n0 = 8 * i;
      if (nc <= n0) break;
      const __m256i vtotal = _mm256_add_epi32(vsum[m][i], vbias[i]);
      __m256 vf = _mm256_mul_ps(_mm256_cvtepi32_ps(vtotal), vmult[i]);
      vf = _mm256_min_ps(_mm256_max_ps(vf, vlo), vhi);
      const __m256i vq = _mm256_add_epi32(_mm256_cvtps_epi32(vf), vozp);
      /* Values are in [0, 255]: the saturating packs are exact. */
      const __m128i vh = _mm_packs_epi32(_mm256_castsi256_si128(vq), _mm256_extracti128_si256(vq, 1));
      const __m128i vb = _mm_packus_epi16(vh, vh);
      if (nc >= n0 + 8) {
        _mm_storel_epi64((__m128i*)(row + n0), vb);
      } else {
        uint8_t bytes[16];
        _mm_storeu_si128((__m128i*)bytes, vb);
        memcpy(row + n0, bytes, nc - n0);
      }
    }
  }
}

#endif

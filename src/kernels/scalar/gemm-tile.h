/*
 * The scalar GEMM tile shared by the scalar gemm and igemm kernels: the
 * reference every SIMD GEMM kernel is tested against. Tile 4x4, KR = 1.
 */
#ifndef Q8_KERNELS_SCALAR_GEMM_TILE_H
#define Q8_KERNELS_SCALAR_GEMM_TILE_H

#include <stdint.h>
#include <string.h>

#include "../../quant/requantization.h"
#include "../kernels.h"

enum { Q8_SCALAR_GEMM_MR = 4, Q8_SCALAR_GEMM_NR = 4, Q8_SCALAR_GEMM_KR = 1 };

static inline const void* q8_align4(const void* p) {
  return (const void*)(((uintptr_t)p + 3) & ~(uintptr_t)3);
}

/*
 * Accumulates sum_k a[k] * w[k][n] over ks row pointers per row, into
 * acc[mr][NR] (wrapping uint32 arithmetic: the true int32 result comes out
 * after the corrections) and the row sums of a. Returns w past the weights.
 */
static inline const void* q8_scalar_gemm_accumulate(size_t mr, size_t kc, size_t ks,
                                                    const uint8_t* const* a, size_t a_offset,
                                                    const uint8_t* zero, const void* w,
                                                    uint32_t acc[][Q8_SCALAR_GEMM_NR],
                                                    uint32_t row_sum[]) {
  const int8_t* wp = (const int8_t*)w;
  for (size_t s = 0; s < ks; s++) {
    const uint8_t* rows[Q8_SCALAR_GEMM_MR];
    for (size_t m = 0; m < mr; m++) {
      const uint8_t* p = a[s * Q8_SCALAR_GEMM_MR + m];
      rows[m] = p == zero ? p : p + a_offset;
    }
    for (size_t k = 0; k < kc; k++) {
      for (size_t m = 0; m < mr; m++) {
        const uint32_t x = rows[m][k];
        row_sum[m] += x;
        for (size_t n = 0; n < Q8_SCALAR_GEMM_NR; n++) {
          acc[m][n] += x * (uint32_t)(int32_t)wp[n];
        }
      }
      wp += Q8_SCALAR_GEMM_NR;
    }
  }
  return q8_align4(wp);
}

static inline void q8_scalar_gemm_tile(size_t mr, size_t nc, size_t kc, size_t ks,
                                       const uint8_t* const* a, size_t a_offset,
                                       const uint8_t* zero, const void* w, uint8_t* c,
                                       size_t c_stride, const q8_requant_params* params) {
  int32_t bias[Q8_SCALAR_GEMM_NR];
  memcpy(bias, w, sizeof(bias));
  w = (const int32_t*)w + Q8_SCALAR_GEMM_NR;

  uint32_t acc[Q8_SCALAR_GEMM_MR][Q8_SCALAR_GEMM_NR];
  uint32_t row_sum[Q8_SCALAR_GEMM_MR] = {0};
  for (size_t m = 0; m < mr; m++) {
    for (size_t n = 0; n < Q8_SCALAR_GEMM_NR; n++) acc[m][n] = (uint32_t)bias[n];
  }
  w = q8_scalar_gemm_accumulate(mr, kc, ks, a, a_offset, zero, w, acc, row_sum);

  int32_t weight_zero_point[Q8_SCALAR_GEMM_NR];
  float multiplier[Q8_SCALAR_GEMM_NR];
  memcpy(weight_zero_point, w, sizeof(weight_zero_point));
  memcpy(multiplier, (const int32_t*)w + Q8_SCALAR_GEMM_NR, sizeof(multiplier));

  for (size_t m = 0; m < mr; m++) {
    for (size_t n = 0; n < nc; n++) {
      uint32_t total = acc[m][n];
      if (params->subtract_row_sums) total -= (uint32_t)weight_zero_point[n] * row_sum[m];
      c[m * c_stride + n] = q8_requantize((int32_t)total, multiplier[n], params->output_zero_point,
                                          params->output_min, params->output_max);
    }
  }
}

#endif

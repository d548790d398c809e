/*
 * What the ARM64 GEMM tiles of this directory share (the 8x8 neon64,
 * 8x8c4 neondot and 8x8c8 neoni8mm tiles): their argument struct, loads of A
 * that never read past the kc bytes of a row, exact row sums, and the output
 * stage of an 8x8 int32 tile: corrections, then requantization to uint8 or
 * the dynamic fp32 output, bit-exact with the scalar kernels
 * (src/kernels/scalar/gemm-tile.h, gemm-dq-4x4-scalar.c). Baseline ARMv8
 * NEON only, so the dotprod and i8mm kernel files may include it too.
 *
 * The tiles accumulate sum_k (a + a_value_offset) * w from zero (wrapping
 * int32 arithmetic, like the scalar kernels' uint32), where a_value_offset is
 * -128 for tiles that flip A's sign bit and 0 otherwise; the output stage adds
 * the packed head and the corrections.
 */
#ifndef Q8_KERNELS_NEON64_GEMM_COMMON_H
#define Q8_KERNELS_NEON64_GEMM_COMMON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../kernels.h"

#define Q8_INLINE static inline __attribute__((always_inline))
/* Loops over the rows and columns of a tile must be unrolled completely:
 * only then do gcc and clang keep the accumulators in registers. */
#define Q8_UNROLL _Pragma("GCC unroll 8")

/* Every tile of this directory is 8 rows by 8 columns. */
enum { Q8_NEON64_MR = 8, Q8_NEON64_NR = 8 };

/* What every tile (gemm, igemm, gemm_dq) is given. */
typedef struct q8_neon64_tile_args {
  size_t mr, nc, kc, ks;
  const uint8_t* a; /* direct: row 0, rows a_stride apart */
  size_t a_stride;
  const uint8_t* const* indirect; /* or [ks][MR] row pointers */
  size_t a_offset;
  const uint8_t* zero;
  const void* w;
  void* c;
  size_t c_stride;
  const q8_requant_params* requant; /* uint8 output */
  const q8_gemm_dq_params* dq;      /* or fp32 output */
} q8_neon64_tile_args;

/* Row m of the tile for kernel position s. Direct rows past mr repeat row
 * mr - 1 (computed and dropped) so that nothing past A is read. */
Q8_INLINE const uint8_t* q8_neon64_row(const q8_neon64_tile_args* t, size_t s, size_t m) {
  if (t->indirect != NULL) {
    const uint8_t* p = t->indirect[s * Q8_NEON64_MR + m];
    return p == t->zero ? p : p + t->a_offset;
  }
  return t->a + (m < t->mr ? m : t->mr - 1) * t->a_stride;
}

/* The first n (0..8) bytes at p in the low bytes, zeros above; reads exactly
 * n bytes (the last bytes of a row may end at an unmapped page). */
Q8_INLINE uint64_t q8_neon64_load_partial8(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  size_t at = 0;
  if (n & 8) {
    memcpy(&v, p, 8);
    return v;
  }
  if (n & 4) {
    uint32_t x;
    memcpy(&x, p, 4);
    v = x;
    at = 4;
  }
  if (n & 2) {
    uint16_t x;
    memcpy(&x, p + at, 2);
    v |= (uint64_t)x << (8 * at);
    at += 2;
  }
  if (n & 1) v |= (uint64_t)p[at] << (8 * at);
  return v;
}

/* The first n (0..16) bytes at p, zeros above; reads exactly n bytes. */
Q8_INLINE uint8x16_t q8_neon64_load_partial16(const uint8_t* p, size_t n) {
  const uint64_t lo = q8_neon64_load_partial8(p, n < 8 ? n : 8);
  const uint64_t hi = n > 8 ? q8_neon64_load_partial8(p + 8, n - 8) : 0;
  return vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(hi)));
}

/* sum of the n bytes at p, modulo 2^32 like the scalar kernels' sums. */
static inline uint32_t q8_neon64_row_sum(const uint8_t* p, size_t n) {
  uint32x4_t vsum = vdupq_n_u32(0);
  size_t k = 0;
  for (; k + 16 <= n; k += 16) vsum = vpadalq_u16(vsum, vpaddlq_u8(vld1q_u8(p + k)));
  uint32_t sum = vaddvq_u32(vsum);
  for (; k < n; k++) sum += p[k];
  return sum;
}

/* Adds the packed bias (head) to the tile: the static kernels' head. */
Q8_INLINE void q8_neon64_add_head(int32x4_t acc[Q8_NEON64_MR][2], const int32_t* head) {
  const int32x4_t h0 = vld1q_s32(head), h1 = vld1q_s32(head + 4);
  Q8_UNROLL
  for (size_t m = 0; m < Q8_NEON64_MR; m++) {
    acc[m][0] = vaddq_s32(acc[m][0], h0);
    acc[m][1] = vaddq_s32(acc[m][1], h1);
  }
}

/* The sums of the mr rows over every kernel position, plus sum_offset. */
static inline void q8_neon64_row_sums(const q8_neon64_tile_args* t, uint32_t sum_offset,
                                      uint32_t sums[Q8_NEON64_MR]) {
  const size_t ks = t->indirect != NULL ? t->ks : 1;
  for (size_t m = 0; m < t->mr; m++) {
    sums[m] = sum_offset;
    for (size_t s = 0; s < ks; s++) sums[m] += q8_neon64_row_sum(q8_neon64_row(t, s, m), t->kc);
  }
}

/* acc[m] -= wzp * (sum of row m over every kernel position + sum_offset). */
Q8_INLINE void q8_neon64_subtract_row_sums(const q8_neon64_tile_args* t,
                                           int32x4_t acc[Q8_NEON64_MR][2], const int32x4_t wzp[2],
                                           uint32_t sum_offset) {
  uint32_t sums[Q8_NEON64_MR];
  q8_neon64_row_sums(t, sum_offset, sums);
  Q8_UNROLL
  for (size_t m = 0; m < Q8_NEON64_MR; m++) {
    if (m >= t->mr) break;
    acc[m][0] = vmlsq_n_s32(acc[m][0], wzp[0], (int32_t)sums[m]);
    acc[m][1] = vmlsq_n_s32(acc[m][1], wzp[1], (int32_t)sums[m]);
  }
}

/* The low nc (0..7) bytes of v at p. */
Q8_INLINE void q8_neon64_store_partial8(uint8_t* p, uint8x8_t v, size_t nc) {
  uint64_t bits = vget_lane_u64(vreinterpret_u64_u8(v), 0);
  if (nc & 4) {
    const uint32_t x = (uint32_t)bits;
    memcpy(p, &x, 4);
    p += 4;
    bits >>= 32;
  }
  if (nc & 2) {
    const uint16_t x = (uint16_t)bits;
    memcpy(p, &x, 2);
    p += 2;
    bits >>= 16;
  }
  if (nc & 1) *p = (uint8_t)bits;
}

/* round_half_even(clamp(acc * multiplier, lo, hi)) + zero point, as
 * q8_requantize: fp32 product (no fused multiply-add), clamp in float, then
 * fcvtns (round to nearest, ties to even). */
Q8_INLINE int32x4_t q8_neon64_requantize(int32x4_t acc, float32x4_t multiplier, float32x4_t lo,
                                         float32x4_t hi, int32x4_t zero_point) {
  float32x4_t scaled = vmulq_f32(vcvtq_f32_s32(acc), multiplier);
  scaled = vminq_f32(vmaxq_f32(scaled, lo), hi);
  return vaddq_s32(vcvtnq_s32_f32(scaled), zero_point);
}

Q8_INLINE void q8_neon64_store_requantized(const q8_neon64_tile_args* t,
                                           int32x4_t acc[Q8_NEON64_MR][2],
                                           const float* multiplier) {
  const q8_requant_params* p = t->requant;
  const float32x4_t lo = vdupq_n_f32((float)((int32_t)p->output_min - p->output_zero_point));
  const float32x4_t hi = vdupq_n_f32((float)((int32_t)p->output_max - p->output_zero_point));
  const int32x4_t zero_point = vdupq_n_s32(p->output_zero_point);
  const float32x4_t mult0 = vld1q_f32(multiplier), mult1 = vld1q_f32(multiplier + 4);
  Q8_UNROLL
  for (size_t m = 0; m < Q8_NEON64_MR; m++) {
    if (m >= t->mr) break;
    const int32x4_t q0 = q8_neon64_requantize(acc[m][0], mult0, lo, hi, zero_point);
    const int32x4_t q1 = q8_neon64_requantize(acc[m][1], mult1, lo, hi, zero_point);
    /* Within [output_min, output_max] now: the narrowing is exact. */
    const uint16x8_t q16 = vreinterpretq_u16_s16(vcombine_s16(vmovn_s32(q0), vmovn_s32(q1)));
    const uint8x8_t bytes = vmovn_u16(q16);
    uint8_t* row = (uint8_t*)t->c + m * t->c_stride;
    if (t->nc == Q8_NEON64_NR) {
      vst1_u8(row, bytes);
    } else {
      q8_neon64_store_partial8(row, bytes, t->nc);
    }
  }
}

/* y < 0 ? 0 : y, exactly (fmax would turn -0.0 into +0.0). */
Q8_INLINE float32x4_t q8_neon64_relu(float32x4_t y) {
  return vbslq_f32(vcltq_f32(y, vdupq_n_f32(0.0f)), vdupq_n_f32(0.0f), y);
}

/* The low nc (0..7) floats of (v0, v1) at p. */
Q8_INLINE void q8_neon64_store_partial_f32(float* p, float32x4_t v0, float32x4_t v1, size_t nc) {
  if (nc & 4) {
    vst1q_f32(p, v0);
    p += 4;
    v0 = v1;
  }
  if (nc & 2) {
    vst1_f32(p, vget_low_f32(v0));
    p += 2;
    v0 = vextq_f32(v0, v0, 2);
  }
  if (nc & 1) vst1q_lane_f32(p, v0, 0);
}

/*
 * The dynamic output, as gemm-dq-4x4-scalar.c: the tile holds
 * sum (a + a_value_offset) * w - wzp * rowsum(a) and the head the column
 * sums of w, so
 *   total = acc - (izp + a_value_offset) * colsum + kc * izp * wzp,
 *   y = (float)total * (input_scale * weight_scale) + bias, then relu.
 */
Q8_INLINE void q8_neon64_store_dynamic(const q8_neon64_tile_args* t,
                                       int32x4_t acc[Q8_NEON64_MR][2], const int32x4_t wzp[2],
                                       const float* tail_floats, int32_t a_value_offset) {
  const q8_gemm_dq_params* p = t->dq;
  const int32_t* column_sum = (const int32_t*)t->w;
  const int32_t kc_izp = (int32_t)((uint32_t)t->kc * (uint32_t)p->input_zero_point);
  const int32_t shifted_izp = (int32_t)((uint32_t)p->input_zero_point + (uint32_t)a_value_offset);
  int32x4_t correction[2];
  float32x4_t scale[2], bias[2];
  Q8_UNROLL
  for (size_t j = 0; j < 2; j++) {
    correction[j] = vmlsq_n_s32(vmulq_n_s32(wzp[j], kc_izp), vld1q_s32(column_sum + 4 * j),
                                shifted_izp);
    scale[j] = vmulq_f32(vdupq_n_f32(p->input_scale), vld1q_f32(tail_floats + 4 * j));
    bias[j] = vld1q_f32(tail_floats + Q8_NEON64_NR + 4 * j);
  }
  Q8_UNROLL
  for (size_t m = 0; m < Q8_NEON64_MR; m++) {
    if (m >= t->mr) break;
    float32x4_t y[2];
    Q8_UNROLL
    for (size_t j = 0; j < 2; j++) {
      const int32x4_t total = vaddq_s32(acc[m][j], correction[j]);
      y[j] = vaddq_f32(vmulq_f32(vcvtq_f32_s32(total), scale[j]), bias[j]);
      if (p->relu) y[j] = q8_neon64_relu(y[j]);
    }
    float* row = (float*)((char*)t->c + m * t->c_stride);
    if (t->nc == Q8_NEON64_NR) {
      vst1q_f32(row, y[0]);
      vst1q_f32(row + 4, y[1]);
    } else {
      q8_neon64_store_partial_f32(row, y[0], y[1], t->nc);
    }
  }
}

/*
 * Finishes a tile whose weights ended at `weights_end`: row-sum correction
 * (static: when params ask for it, over the A values the tile multiplied;
 * dynamic: whenever a weight zero point is nonzero, as the scalar kernel's
 * subtraction is then not zero), then the output.
 */
Q8_INLINE void q8_neon64_finish_tile(const q8_neon64_tile_args* t,
                                     int32x4_t acc[Q8_NEON64_MR][2], const void* weights_end,
                                     int32_t a_value_offset) {
  const int32_t* tail = (const int32_t*)(((uintptr_t)weights_end + 3) & ~(uintptr_t)3);
  const int32x4_t wzp[2] = {vld1q_s32(tail), vld1q_s32(tail + 4)};
  const float* tail_floats = (const float*)(tail + Q8_NEON64_NR);
  if (t->dq != NULL) {
    if (vmaxvq_u32(vreinterpretq_u32_s32(vorrq_s32(wzp[0], wzp[1]))) != 0) {
      q8_neon64_subtract_row_sums(t, acc, wzp, 0);
    }
    q8_neon64_store_dynamic(t, acc, wzp, tail_floats, a_value_offset);
    return;
  }
  q8_neon64_add_head(acc, (const int32_t*)t->w);
  if (t->requant->subtract_row_sums) {
    /* The tile multiplied a + a_value_offset: kc * ks such values a row. */
    const size_t ks = t->indirect != NULL ? t->ks : 1;
    const uint32_t offset = (uint32_t)a_value_offset * (uint32_t)(t->kc * ks);
    q8_neon64_subtract_row_sums(t, acc, wzp, offset);
  }
  q8_neon64_store_requantized(t, acc, tail_floats);
}

#endif

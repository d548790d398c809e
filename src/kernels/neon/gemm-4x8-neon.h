/*
 * The portable NEON GEMM tile shared by the gemm, igemm and gemm_dq kernels
 * of the `neon` table: MR = 4 rows by NR = 8 columns, KR = 1 (weights packed
 * [k][8 columns]). Eight bytes of each row of A are zero-extended to int16;
 * for each k the 8 weights are sign-extended to int16 and vmlal_lane_s16
 * multiplies them by lane k of every row into int32 accumulators: u8 * s8
 * products fit int16 operands exactly, and the int32 sums wrap just like the
 * scalar reference's uint32 arithmetic. The last kc % 8 bytes of a row are
 * read without going past the row. Row sums (for weight zero points) are a
 * separate pass, run only when needed.
 */
#ifndef Q8_KERNELS_NEON_GEMM_4X8_NEON_H
#define Q8_KERNELS_NEON_GEMM_4X8_NEON_H

#include "gemm-requant-neon.h"

enum { Q8_NEON_GEMM_MR = 4, Q8_NEON_GEMM_NR = 8 };

/* What the three kernels pass to the tile. */
typedef struct q8_neon_tile_args {
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
} q8_neon_tile_args;

Q8_NEON_INLINE const uint8_t* q8_neon_indirect_row(const uint8_t* p, size_t a_offset,
                                                   const uint8_t* zero) {
  return p == zero ? p : p + a_offset;
}

/* Sum of the n bytes at p, modulo 2^32 like the scalar row sums. */
static inline uint32_t q8_neon_row_sum(const uint8_t* p, size_t n) {
  uint32x4_t vsum = vdupq_n_u32(0);
  for (; n >= 16; n -= 16, p += 16) vsum = vpadalq_u16(vsum, vpaddlq_u8(vld1q_u8(p)));
  const uint32x2_t vpair = vadd_u32(vget_low_u32(vsum), vget_high_u32(vsum));
  uint32_t sum = vget_lane_u32(vpair, 0) + vget_lane_u32(vpair, 1);
  for (; n != 0; n--) sum += *p++;
  return sum;
}

/* The last r (1..7) bytes of a row of kc bytes, in lanes 0..r-1, where
 * `p` = row + kc - r. When the row has 8 bytes or more, one load ends at the
 * row's end and a 64-bit shift drops the bytes already used. */
Q8_NEON_INLINE int16x8_t q8_neon_load_row_tail(const uint8_t* p, size_t kc, size_t r) {
  uint8x8_t v;
  if (kc >= 8) {
    const uint64x1_t all = vreinterpret_u64_u8(vld1_u8(p + r - 8));
    v = vreinterpret_u8_u64(vshl_u64(all, vdup_n_s64(-(int64_t)(8 * (8 - r)))));
  } else {
    v = q8_neon_load_u8_partial(p, r);
  }
  return vreinterpretq_s16_u16(vmovl_u8(v));
}

/* One k: 8 weights times lane LANE of HALF (vget_low_s16/vget_high_s16) of
 * each row's int16 A vector. LANE must be a literal (vmlal_lane_s16). */
#define Q8_NEON_GEMM_K(HALF, LANE)                                 \
  do {                                                             \
    const int16x8_t vw = vmovl_s8(vld1_s8(wp));                    \
    const int16x4_t vw_lo = vget_low_s16(vw);                      \
    const int16x4_t vw_hi = vget_high_s16(vw);                     \
    wp += Q8_NEON_GEMM_NR;                                         \
    acc0_lo = vmlal_lane_s16(acc0_lo, vw_lo, HALF(va0), LANE);     \
    acc0_hi = vmlal_lane_s16(acc0_hi, vw_hi, HALF(va0), LANE);     \
    acc1_lo = vmlal_lane_s16(acc1_lo, vw_lo, HALF(va1), LANE);     \
    acc1_hi = vmlal_lane_s16(acc1_hi, vw_hi, HALF(va1), LANE);     \
    acc2_lo = vmlal_lane_s16(acc2_lo, vw_lo, HALF(va2), LANE);     \
    acc2_hi = vmlal_lane_s16(acc2_hi, vw_hi, HALF(va2), LANE);     \
    acc3_lo = vmlal_lane_s16(acc3_lo, vw_lo, HALF(va3), LANE);     \
    acc3_hi = vmlal_lane_s16(acc3_hi, vw_hi, HALF(va3), LANE);     \
  } while (0)

/* 8 bytes of a row as int16. */
Q8_NEON_INLINE int16x8_t q8_neon_load_row8(const uint8_t* p) {
  return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
}

/* acc += rows[0..3][0..kc) x weights; returns wp past kc * 8 weights. The
 * accumulators live in named locals here (an array indexed later with a
 * variable row made GCC store them to the stack on every iteration). */
Q8_NEON_INLINE const int8_t* q8_neon_gemm_4x8_rows(const uint8_t* const rows[Q8_NEON_GEMM_MR],
                                                  size_t kc, const int8_t* wp,
                                                  int32x4_t acc[Q8_NEON_GEMM_MR][2]) {
  int32x4_t acc0_lo = acc[0][0], acc0_hi = acc[0][1], acc1_lo = acc[1][0], acc1_hi = acc[1][1];
  int32x4_t acc2_lo = acc[2][0], acc2_hi = acc[2][1], acc3_lo = acc[3][0], acc3_hi = acc[3][1];
  const uint8_t* a0 = rows[0];
  const uint8_t* a1 = rows[1];
  const uint8_t* a2 = rows[2];
  const uint8_t* a3 = rows[3];
  int16x8_t va0, va1, va2, va3;
  size_t k = kc;
  for (; k >= 8; k -= 8) {
    va0 = q8_neon_load_row8(a0);
    va1 = q8_neon_load_row8(a1);
    va2 = q8_neon_load_row8(a2);
    va3 = q8_neon_load_row8(a3);
    a0 += 8;
    a1 += 8;
    a2 += 8;
    a3 += 8;
    Q8_NEON_GEMM_K(vget_low_s16, 0);
    Q8_NEON_GEMM_K(vget_low_s16, 1);
    Q8_NEON_GEMM_K(vget_low_s16, 2);
    Q8_NEON_GEMM_K(vget_low_s16, 3);
    Q8_NEON_GEMM_K(vget_high_s16, 0);
    Q8_NEON_GEMM_K(vget_high_s16, 1);
    Q8_NEON_GEMM_K(vget_high_s16, 2);
    Q8_NEON_GEMM_K(vget_high_s16, 3);
  }
  if (k != 0) {
    va0 = q8_neon_load_row_tail(a0, kc, k);
    va1 = q8_neon_load_row_tail(a1, kc, k);
    va2 = q8_neon_load_row_tail(a2, kc, k);
    va3 = q8_neon_load_row_tail(a3, kc, k);
    Q8_NEON_GEMM_K(vget_low_s16, 0);
    if (k > 1) Q8_NEON_GEMM_K(vget_low_s16, 1);
    if (k > 2) Q8_NEON_GEMM_K(vget_low_s16, 2);
    if (k > 3) Q8_NEON_GEMM_K(vget_low_s16, 3);
    if (k > 4) Q8_NEON_GEMM_K(vget_high_s16, 0);
    if (k > 5) Q8_NEON_GEMM_K(vget_high_s16, 1);
    if (k > 6) Q8_NEON_GEMM_K(vget_high_s16, 2);
  }
  acc[0][0] = acc0_lo;
  acc[0][1] = acc0_hi;
  acc[1][0] = acc1_lo;
  acc[1][1] = acc1_hi;
  acc[2][0] = acc2_lo;
  acc[2][1] = acc2_hi;
  acc[3][0] = acc3_lo;
  acc[3][1] = acc3_hi;
  return wp;
}

#undef Q8_NEON_GEMM_K

/* Row sums of the mr rows over all ks row pointers (direct: ks = 1). */
Q8_NEON_INLINE void q8_neon_gemm_row_sums(const q8_neon_tile_args* t, uint32_t sums[]) {
  for (size_t m = 0; m < t->mr; m++) sums[m] = 0;
  if (t->indirect == NULL) {
    for (size_t m = 0; m < t->mr; m++) sums[m] = q8_neon_row_sum(t->a + m * t->a_stride, t->kc);
    return;
  }
  for (size_t s = 0; s < t->ks; s++) {
    for (size_t m = 0; m < t->mr; m++) {
      const uint8_t* row =
          q8_neon_indirect_row(t->indirect[s * Q8_NEON_GEMM_MR + m], t->a_offset, t->zero);
      sums[m] += q8_neon_row_sum(row, t->kc);
    }
  }
}

/* Stores the first n (1..8) of the eight floats lo:hi. */
Q8_NEON_INLINE void q8_neon_store_f32(float* p, float32x4_t lo, float32x4_t hi, size_t n) {
  if (n >= 4) {
    vst1q_f32(p, lo);
    if (n == 8) {
      vst1q_f32(p + 4, hi);
      return;
    }
    p += 4;
    n -= 4;
    lo = hi;
  }
  if (n & 2) {
    vst1_f32(p, vget_low_f32(lo));
    p += 2;
    lo = vcombine_f32(vget_high_f32(lo), vget_high_f32(lo));
  }
  if (n & 1) vst1q_lane_f32(p, lo, 0);
}

/* uint8 output: acc - wzp * row_sum (when asked), requantized. */
Q8_NEON_INLINE void q8_neon_gemm_4x8_store_u8(const q8_neon_tile_args* t, const int32_t* tail,
                                              int32x4_t acc[Q8_NEON_GEMM_MR][2]) {
  const q8_requant_params* p = t->requant;
  const int32x4_t wzp[2] = {vld1q_s32(tail), vld1q_s32(tail + 4)};
  const float32x4_t mult[2] = {vld1q_f32((const float*)tail + Q8_NEON_GEMM_NR),
                               vld1q_f32((const float*)tail + Q8_NEON_GEMM_NR + 4)};
  uint32_t sums[Q8_NEON_GEMM_MR];
  if (p->subtract_row_sums) q8_neon_gemm_row_sums(t, sums);
  const q8_neon_requant r = q8_neon_requant_init(p);
  for (size_t m = 0; m < Q8_NEON_GEMM_MR; m++) {
    if (m >= t->mr) break;
    if (p->subtract_row_sums) {
      for (size_t j = 0; j < 2; j++) acc[m][j] = vmlsq_n_s32(acc[m][j], wzp[j], (int32_t)sums[m]);
    }
    const uint8x8_t out = q8_neon_requantize8(acc[m][0], acc[m][1], mult[0], mult[1], &r);
    q8_neon_store_u8((uint8_t*)t->c + m * t->c_stride, out, t->nc);
  }
}

#if !defined(__aarch64__)
/* ARMv7 NEON flushes denormals to zero; VFP (the scalar reference) does not.
 * When every multiplier is at least 2^-102 and every bias is 0 or at least
 * 2^-102 in magnitude (NaN excluded), no product or sum can be denormal:
 * a nonzero product is at least the multiplier, and a nonzero sum of two
 * such values is a multiple of 2^-125. Bit tests, since NEON compares also
 * flush their operands. */
Q8_NEON_INLINE int q8_neon_dq_no_denormals(const float32x4_t mult[2], const float32x4_t bias[2]) {
  const uint32x4_t abs_mask = vdupq_n_u32(0x7FFFFFFF);
  const uint32x4_t min_bits = vdupq_n_u32(0x0C800000); /* 2^-102 */
  const uint32x4_t inf_bits = vdupq_n_u32(0x7F800000);
  uint32x4_t ok = vdupq_n_u32(0xFFFFFFFF);
  for (size_t j = 0; j < 2; j++) {
    const uint32x4_t m = vandq_u32(vreinterpretq_u32_f32(mult[j]), abs_mask);
    const uint32x4_t b = vandq_u32(vreinterpretq_u32_f32(bias[j]), abs_mask);
    ok = vandq_u32(ok, vandq_u32(vcgeq_u32(m, min_bits), vcleq_u32(m, inf_bits)));
    const uint32x4_t b_ok = vandq_u32(vcgeq_u32(b, min_bits), vcleq_u32(b, inf_bits));
    ok = vandq_u32(ok, vorrq_u32(b_ok, vceqq_u32(b, vdupq_n_u32(0))));
  }
  const uint32x2_t folded = vand_u32(vget_low_u32(ok), vget_high_u32(ok));
  return (vget_lane_u32(folded, 0) & vget_lane_u32(folded, 1)) == 0xFFFFFFFF;
}

/* The scalar reference's float stage, in VFP arithmetic, for the rare
 * blocks that fail the test above. */
static inline void q8_neon_dq_store_row_vfp(float* row, int32x4_t total_lo, int32x4_t total_hi,
                                            const int32_t* tail, size_t nc,
                                            const q8_gemm_dq_params* p) {
  int32_t total[Q8_NEON_GEMM_NR];
  vst1q_s32(total, total_lo);
  vst1q_s32(total + 4, total_hi);
  const float* weight_scale = (const float*)tail + Q8_NEON_GEMM_NR;
  const float* bias = (const float*)tail + 2 * Q8_NEON_GEMM_NR;
  for (size_t n = 0; n < nc; n++) {
    float y = (float)total[n] * (p->input_scale * weight_scale[n]) + bias[n];
    if (p->relu && y < 0.0f) y = 0.0f;
    row[n] = y;
  }
}
#endif

/* fp32 output, as the scalar dynamic kernel:
 *   total = acc - izp * colsum + kc * izp * wzp - wzp * row_sum   (mod 2^32)
 *   y = (float)total * (input_scale * weight_scale) + bias, then relu. */
Q8_NEON_INLINE void q8_neon_gemm_4x8_store_f32(const q8_neon_tile_args* t, const int32_t* tail,
                                               int32x4_t acc[Q8_NEON_GEMM_MR][2]) {
  const q8_gemm_dq_params* p = t->dq;
  const int32_t* head = (const int32_t*)t->w;
  const int32_t izp = p->input_zero_point;
  const int32_t kc_izp = (int32_t)((uint32_t)t->kc * (uint32_t)izp);
  int32x4_t wzp[2], correction[2];
  float32x4_t mult[2], bias[2];
  uint32x4_t any_wzp = vdupq_n_u32(0);
  for (size_t j = 0; j < 2; j++) {
    wzp[j] = vld1q_s32(tail + 4 * j);
    correction[j] = vmlsq_n_s32(vmulq_n_s32(wzp[j], kc_izp), vld1q_s32(head + 4 * j), izp);
    mult[j] = vmulq_f32(vdupq_n_f32(p->input_scale),
                        vld1q_f32((const float*)tail + Q8_NEON_GEMM_NR + 4 * j));
    bias[j] = vld1q_f32((const float*)tail + 2 * Q8_NEON_GEMM_NR + 4 * j);
    any_wzp = vorrq_u32(any_wzp, vreinterpretq_u32_s32(wzp[j]));
  }
  /* wzp * row_sum is zero without weight zero points: skip the sums then. */
  const uint32x2_t any_folded = vorr_u32(vget_low_u32(any_wzp), vget_high_u32(any_wzp));
  const int subtract = (vget_lane_u32(any_folded, 0) | vget_lane_u32(any_folded, 1)) != 0;
  uint32_t sums[Q8_NEON_GEMM_MR];
  if (subtract) q8_neon_gemm_row_sums(t, sums);
#if !defined(__aarch64__)
  const int use_neon_floats = q8_neon_dq_no_denormals(mult, bias);
#endif
  const uint32x4_t relu_mask = vdupq_n_u32(p->relu ? 0xFFFFFFFF : 0);
  for (size_t m = 0; m < Q8_NEON_GEMM_MR; m++) {
    if (m >= t->mr) break;
    float* row = (float*)((char*)t->c + m * t->c_stride);
    float32x4_t y[2];
    int32x4_t total[2];
    for (size_t j = 0; j < 2; j++) {
      total[j] = vaddq_s32(acc[m][j], correction[j]);
      if (subtract) total[j] = vmlsq_n_s32(total[j], wzp[j], (int32_t)sums[m]);
      y[j] = vaddq_f32(vmulq_f32(vcvtq_f32_s32(total[j]), mult[j]), bias[j]);
      /* relu as the reference writes it: y < 0 becomes +0, NaN stays. */
      const uint32x4_t negative = vandq_u32(vcltq_f32(y[j], vdupq_n_f32(0.0f)), relu_mask);
      y[j] = vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(y[j]), negative));
    }
#if !defined(__aarch64__)
    if (!use_neon_floats) {
      q8_neon_dq_store_row_vfp(row, total[0], total[1], tail, t->nc, p);
      continue;
    }
#endif
    q8_neon_store_f32(row, y[0], y[1], t->nc);
  }
}

/* The whole tile: accumulate over ks row groups, then the output stage. */
Q8_NEON_INLINE void q8_neon_gemm_4x8(const q8_neon_tile_args* t) {
  const int32_t* head = (const int32_t*)t->w;
  int32x4_t acc[Q8_NEON_GEMM_MR][2];
  /* Static blocks start from their int32 head; dynamic heads are column
   * sums, applied in the output stage. */
  const int32x4_t init[2] = {t->dq ? vdupq_n_s32(0) : vld1q_s32(head),
                             t->dq ? vdupq_n_s32(0) : vld1q_s32(head + 4)};
  for (size_t m = 0; m < Q8_NEON_GEMM_MR; m++) {
    acc[m][0] = init[0];
    acc[m][1] = init[1];
  }
  const int8_t* wp = (const int8_t*)(head + Q8_NEON_GEMM_NR);
  const size_t ks = t->indirect ? t->ks : 1;
  for (size_t s = 0; s < ks; s++) {
    const uint8_t* rows[Q8_NEON_GEMM_MR];
    for (size_t m = 0; m < Q8_NEON_GEMM_MR; m++) {
      /* Rows past mr repeat the last one (direct) or are the operator's
       * repeats (indirect); their results are never stored. */
      rows[m] = t->indirect ? q8_neon_indirect_row(t->indirect[s * Q8_NEON_GEMM_MR + m],
                                                   t->a_offset, t->zero)
                            : t->a + (m < t->mr ? m : t->mr - 1) * t->a_stride;
    }
    wp = q8_neon_gemm_4x8_rows(rows, t->kc, wp, acc);
  }
  /* kc * 8 weights per row group: always a multiple of 4 bytes. */
  const int32_t* tail = (const int32_t*)(const void*)wp;
  if (t->dq) {
    q8_neon_gemm_4x8_store_f32(t, tail, acc);
  } else {
    q8_neon_gemm_4x8_store_u8(t, tail, acc);
  }
}

#endif

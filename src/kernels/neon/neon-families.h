/*
 * Inline helpers of the NEON elementwise and pooling kernels (built for
 * ARMv7 and ARM64): exact fp32 round-half-to-even, saturating narrowing, and
 * partial loads and stores that touch no byte past the n requested.
 */
#ifndef Q8_KERNELS_NEON_FAMILIES_H
#define Q8_KERNELS_NEON_FAMILIES_H

#include <arm_neon.h>
#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../pooling.h"

/*
 * rne(clamp(v, lo, hi)) as int32. lo and hi must be integers below 2^22 in
 * magnitude (every caller's bounds are within [-255, 255]); clamping first
 * equals clamping after rounding because the bounds are integers. NaN gives 0,
 * as the scalar kernels' (int32_t) conversion of a NaN does on ARM.
 */
static inline int32x4_t q8_neon_round_clamped(float32x4_t v, float32x4_t lo, float32x4_t hi) {
  const float32x4_t clamped = vminq_f32(vmaxq_f32(v, lo), hi);
#if defined(__aarch64__)
  return vcvtnq_s32_f32(clamped); /* NaN converts to 0 */
#else
  /* No rounding conversion on ARMv7: adding 1.5 * 2^23 leaves an integer
   * (rounded half to even, NEON's fixed rounding mode) in the low mantissa
   * bits, exact for |clamped| < 2^22. */
  const float32x4_t magic = vdupq_n_f32(12582912.0f);
  const int32x4_t rounded =
      vsubq_s32(vreinterpretq_s32_f32(vaddq_f32(clamped, magic)), vreinterpretq_s32_f32(magic));
  return vandq_s32(rounded, vreinterpretq_s32_u32(vceqq_f32(v, v)));
#endif
}

/* The kernels' bodies are inlined into their main loops (always, so that
 * a constant lane count folds the partial-load branch away); their tails run
 * out of line, so that the main loops make no call (memcpy) across which the
 * compiler would spill the vector constants. */
#define Q8_NEON_BODY static inline __attribute__((always_inline))
#define Q8_NEON_TAIL static __attribute__((noinline))

/* uint16 lanes 0-3 and 4-7 widened to int32. */
static inline int32x4_t q8_neon_low_s32(uint16x8_t x) {
  return vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(x)));
}

static inline int32x4_t q8_neon_high_s32(uint16x8_t x) {
  return vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(x)));
}

/* Saturating int32 -> uint8 of two vectors. */
static inline uint8x8_t q8_neon_narrow_u8x8(int32x4_t a, int32x4_t b) {
  return vqmovun_s16(vcombine_s16(vqmovn_s32(a), vqmovn_s32(b)));
}

/* The fp32 output stage: y = rne(clamp(v, output_min - offset, output_max -
 * offset)) + offset, in [output_min, output_max] (NaN gives offset). */
typedef struct q8_neon_output_stage {
  float32x4_t lo, hi;
  int32x4_t offset;
} q8_neon_output_stage;

static inline q8_neon_output_stage q8_neon_output_stage_init(int32_t output_min, int32_t output_max,
                                                             int32_t offset) {
  return (q8_neon_output_stage){.lo = vdupq_n_f32((float)(output_min - offset)),
                                .hi = vdupq_n_f32((float)(output_max - offset)),
                                .offset = vdupq_n_s32(offset)};
}

static inline int32x4_t q8_neon_output(float32x4_t v, const q8_neon_output_stage* stage) {
  return vaddq_s32(q8_neon_round_clamped(v, stage->lo, stage->hi), stage->offset);
}

/* quantize_val (src/quant/quantize.h): rne(v) + zero_point clamped to
 * [0, 255], and NaN gives 0 rather than the zero point. The stage is
 * q8_neon_output_stage_init(0, 255, zero_point). */
static inline int32x4_t q8_neon_quantize(float32x4_t v, const q8_neon_output_stage* stage) {
  return vandq_s32(q8_neon_output(v, stage), vreinterpretq_s32_u32(vceqq_f32(v, v)));
}

/* The averaging kernels' output stage (q8_avgpool_params in ../pooling.h,
 * avgpool-output.h in ../scalar/): v = (float)acc * multiplier, the output
 * zero point added in float before rounding or in int32 after it. */
typedef struct q8_neon_average_stage {
  q8_neon_output_stage output;
  float32x4_t zero_point; /* 0 unless added before rounding */
} q8_neon_average_stage;

static inline q8_neon_average_stage q8_neon_average_stage_init(const q8_avgpool_params* p) {
  const int32_t offset = p->zero_point_before_rounding ? 0 : p->output_zero_point;
  const float zero_point = p->zero_point_before_rounding ? (float)p->output_zero_point : 0.0f;
  return (q8_neon_average_stage){
      .output = q8_neon_output_stage_init(p->output_min, p->output_max, offset),
      .zero_point = vdupq_n_f32(zero_point)};
}

/* Eight outputs from the eight sums of (q - input zero point) (uint32 sums
 * of q plus the int32 bias; the int32 result cannot overflow). */
static inline uint8x8_t q8_neon_average8(uint32x4_t sum_lo, uint32x4_t sum_hi, int32x4_t bias,
                                         float32x4_t multiplier,
                                         const q8_neon_average_stage* stage) {
  const int32x4_t acc_lo = vaddq_s32(vreinterpretq_s32_u32(sum_lo), bias);
  const int32x4_t acc_hi = vaddq_s32(vreinterpretq_s32_u32(sum_hi), bias);
  /* With the zero point added after rounding, this adds 0.0f: that changes
   * only -0.0f, to +0.0f, which rounds to the same integer. */
  const float32x4_t v_lo =
      vaddq_f32(vmulq_f32(vcvtq_f32_s32(acc_lo), multiplier), stage->zero_point);
  const float32x4_t v_hi =
      vaddq_f32(vmulq_f32(vcvtq_f32_s32(acc_hi), multiplier), stage->zero_point);
  return q8_neon_narrow_u8x8(q8_neon_output(v_lo, &stage->output),
                             q8_neon_output(v_hi, &stage->output));
}

/*
 * ARMv7 NEON flushes denormal inputs and results to zero (its FPSCR is fixed;
 * ARM64 NEON and all scalar code follow the IEEE rule). A quantizing multiply
 * by `inverse_scale` still matches the scalar kernels when inverse_scale is
 * normal and at most 2^99: a denormal operand or product (or a sum differing
 * from the IEEE one by a denormal) is then below 2^-26 in output units, or
 * absorbed in a sum of at least 2^-101, and rounds the same. Outside that
 * range (scales beyond any real model's) the kernels call the scalar ones.
 */
static inline bool q8_neon_quantize_is_exact(float inverse_scale) {
#if defined(__aarch64__)
  (void)inverse_scale;
  return true;
#else
  return inverse_scale >= FLT_MIN && inverse_scale <= 0x1p99f;
#endif
}

/* Dequantizing multiplies a nonzero integer of magnitude at most 255 by
 * `scale`: a normal scale keeps the product normal, so flushing cannot change
 * it on ARMv7. */
static inline bool q8_neon_dequantize_is_exact(float scale) {
#if defined(__aarch64__)
  (void)scale;
  return true;
#else
  return scale >= FLT_MIN;
#endif
}

/* table[x[0..3]]: NEON has no gather, so four lane loads. */
static inline float32x4_t q8_neon_lookup4_f32(const float table[256], const uint8_t* x) {
  float32x4_t v = vld1q_dup_f32(&table[x[0]]);
  v = vld1q_lane_f32(&table[x[1]], v, 1);
  v = vld1q_lane_f32(&table[x[2]], v, 2);
  return vld1q_lane_f32(&table[x[3]], v, 3);
}

/* Partial vectors for tails: lanes past n load as 0 and are not stored. */
static inline uint8x8_t q8_neon_load_u8x8(const uint8_t* p, size_t n) {
  if (n >= 8) return vld1_u8(p);
  uint8_t buffer[8] = {0};
  memcpy(buffer, p, n);
  return vld1_u8(buffer);
}

static inline void q8_neon_store_u8x8(uint8_t* p, uint8x8_t v, size_t n) {
  if (n >= 8) {
    vst1_u8(p, v);
    return;
  }
  uint8_t buffer[8];
  vst1_u8(buffer, v);
  memcpy(p, buffer, n);
}

static inline uint8x16_t q8_neon_load_u8x16(const uint8_t* p, size_t n) {
  if (n >= 16) return vld1q_u8(p);
  uint8_t buffer[16] = {0};
  memcpy(buffer, p, n);
  return vld1q_u8(buffer);
}

static inline void q8_neon_store_u8x16(uint8_t* p, uint8x16_t v, size_t n) {
  if (n >= 16) {
    vst1q_u8(p, v);
    return;
  }
  uint8_t buffer[16];
  vst1q_u8(buffer, v);
  memcpy(p, buffer, n);
}

#endif

/*
 * Pieces shared by the portable NEON GEMM and depthwise kernels: the fused
 * requantization of eight int32 accumulators to uint8, and loads/stores of
 * 1..8 bytes that never touch memory past the n bytes they are given.
 *
 * These files are built for ARMv7 (-mfpu=neon) and for ARM64. ARMv7 has no
 * round-to-nearest-even float-to-int conversion (vcvtnq_s32_f32 is ARM64
 * only), so it rounds with the magic number 1.5 * 2^23: once the product
 * is clamped to [output_min - zp, output_max - zp] (|x| <= 510), x + 1.5*2^23
 * lies in [2^23, 2^24) where the float spacing is exactly 1, so the addition
 * itself rounds x half-to-even, and the low mantissa bits hold the integer.
 *
 * ARMv7 NEON arithmetic flushes denormals to zero; that cannot change a
 * requantized result (a nonzero integer times a normal multiplier is
 * normal, and anything tinier rounds to 0 either way).
 */
#ifndef Q8_KERNELS_NEON_GEMM_REQUANT_NEON_H
#define Q8_KERNELS_NEON_GEMM_REQUANT_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../kernels.h"

#define Q8_NEON_INLINE static inline __attribute__((always_inline))

/* Output-stage constants, set up once per kernel call. */
typedef struct q8_neon_requant {
  float32x4_t lo, hi; /* output_min - zp, output_max - zp */
#if defined(__aarch64__)
  int16x8_t zero_point;
#else
  int32x4_t magic_minus_zero_point; /* bits of 1.5 * 2^23, minus zp */
#endif
} q8_neon_requant;

enum { Q8_NEON_MAGIC_BITS = 0x4B400000 }; /* 12582912.0f */

Q8_NEON_INLINE q8_neon_requant q8_neon_requant_init(const q8_requant_params* p) {
  q8_neon_requant r;
  r.lo = vdupq_n_f32((float)((int32_t)p->output_min - p->output_zero_point));
  r.hi = vdupq_n_f32((float)((int32_t)p->output_max - p->output_zero_point));
#if defined(__aarch64__)
  r.zero_point = vdupq_n_s16((int16_t)p->output_zero_point);
#else
  r.magic_minus_zero_point = vdupq_n_s32(Q8_NEON_MAGIC_BITS - p->output_zero_point);
#endif
  return r;
}

/* clamp((float)acc * multiplier, lo, hi) for 4 lanes, as q8_requantize does
 * before rounding. */
Q8_NEON_INLINE float32x4_t q8_neon_scale_clamp(int32x4_t acc, float32x4_t multiplier,
                                               const q8_neon_requant* r) {
  const float32x4_t scaled = vmulq_f32(vcvtq_f32_s32(acc), multiplier);
  return vminq_f32(vmaxq_f32(scaled, r->lo), r->hi);
}

/* Eight accumulators (channels 0-3 in acc_lo, 4-7 in acc_hi) to uint8. The
 * results lie in [output_min, output_max], so the saturating narrows are
 * exact. */
Q8_NEON_INLINE uint8x8_t q8_neon_requantize8(int32x4_t acc_lo, int32x4_t acc_hi,
                                             float32x4_t mult_lo, float32x4_t mult_hi,
                                             const q8_neon_requant* r) {
  const float32x4_t f_lo = q8_neon_scale_clamp(acc_lo, mult_lo, r);
  const float32x4_t f_hi = q8_neon_scale_clamp(acc_hi, mult_hi, r);
#if defined(__aarch64__)
  const int16x8_t rounded = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(f_lo)),
                                         vqmovn_s32(vcvtnq_s32_f32(f_hi)));
  return vqmovun_s16(vqaddq_s16(rounded, r->zero_point));
#else
  const float32x4_t magic = vdupq_n_f32(12582912.0f);
  /* bits(x + magic) - (magic bits - zp) = round(x) + zp; the zero point is
   * added as an integer because x + zp in float could round differently. */
  const int32x4_t q_lo =
      vsubq_s32(vreinterpretq_s32_f32(vaddq_f32(f_lo, magic)), r->magic_minus_zero_point);
  const int32x4_t q_hi =
      vsubq_s32(vreinterpretq_s32_f32(vaddq_f32(f_hi, magic)), r->magic_minus_zero_point);
  return vqmovun_s16(vcombine_s16(vqmovn_s32(q_lo), vqmovn_s32(q_hi)));
#endif
}

/* Stores the first n (1..8) bytes of v. */
Q8_NEON_INLINE void q8_neon_store_u8(uint8_t* p, uint8x8_t v, size_t n) {
  if (n == 8) {
    vst1_u8(p, v);
    return;
  }
  if (n & 4) {
    const uint32_t four = vget_lane_u32(vreinterpret_u32_u8(v), 0);
    memcpy(p, &four, sizeof(four));
    p += 4;
    v = vext_u8(v, v, 4);
  }
  if (n & 2) {
    const uint16_t two = vget_lane_u16(vreinterpret_u16_u8(v), 0);
    memcpy(p, &two, sizeof(two));
    p += 2;
    v = vext_u8(v, v, 2);
  }
  if (n & 1) vst1_lane_u8(p, v, 0);
}

/* Loads n (1..7) bytes at p into the low lanes, zeros above; reads exactly
 * n bytes. */
Q8_NEON_INLINE uint8x8_t q8_neon_load_u8_partial(const uint8_t* p, size_t n) {
  uint64_t bits = 0;
  size_t shift = 0;
  if (n & 4) {
    uint32_t four;
    memcpy(&four, p, sizeof(four));
    bits = four;
    shift = 32;
    p += 4;
  }
  if (n & 2) {
    uint16_t two;
    memcpy(&two, p, sizeof(two));
    bits |= (uint64_t)two << shift;
    shift += 16;
    p += 2;
  }
  if (n & 1) bits |= (uint64_t)p[0] << shift;
  return vreinterpret_u8_u64(vdup_n_u64(bits));
}

#endif

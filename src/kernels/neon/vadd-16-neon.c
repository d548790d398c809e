#include "neon-families.h"
#include "neon-kernels.h"

/* QNNPACK's fixed-point add (see vadd-scalar.c) on int32 lanes. */
typedef struct add_constants {
  int32x4_t zero_point_product, a_multiplier, b_multiplier;
  int32x4_t right_shift; /* negative: vshlq shifts right, arithmetically */
  int32x4_t remainder_mask, remainder_threshold, output_zero_point;
  uint8x16_t output_min, output_max;
} add_constants;

static add_constants add_constants_init(const q8_add_params* p) {
  const int32_t mask = (int32_t)((UINT32_C(1) << p->shift) - 1);
  return (add_constants){.zero_point_product = vdupq_n_s32(p->zero_point_product),
                         .a_multiplier = vdupq_n_s32(p->a_multiplier),
                         .b_multiplier = vdupq_n_s32(p->b_multiplier),
                         .right_shift = vdupq_n_s32(-(int32_t)p->shift),
                         .remainder_mask = vdupq_n_s32(mask),
                         .remainder_threshold = vdupq_n_s32(mask >> 1),
                         .output_zero_point = vdupq_n_s32(p->output_zero_point),
                         .output_min = vdupq_n_u8(p->output_min),
                         .output_max = vdupq_n_u8(p->output_max)};
}

/* acc >> shift rounded half away from zero, plus the output zero point. The
 * remainder is biased by -1 for negative acc (acc >> 31 is -1 there) so that
 * -x.5 rounds down; the int32 arithmetic cannot overflow (vadd-scalar.c). */
Q8_NEON_BODY int32x4_t add4(int32x4_t a, int32x4_t b, const add_constants* k) {
  const int32x4_t acc =
      vmlaq_s32(vmlaq_s32(k->zero_point_product, a, k->a_multiplier), b, k->b_multiplier);
  const int32x4_t remainder = vaddq_s32(vandq_s32(acc, k->remainder_mask), vshrq_n_s32(acc, 31));
  const int32x4_t shifted = vshlq_s32(acc, k->right_shift);
  /* the comparison is -1 where the remainder rounds up */
  const uint32x4_t round_up = vcgtq_s32(remainder, k->remainder_threshold);
  return vaddq_s32(vsubq_s32(shifted, vreinterpretq_s32_u32(round_up)), k->output_zero_point);
}

Q8_NEON_BODY uint8x8_t add8(uint8x8_t a, uint8x8_t b, const add_constants* k) {
  const uint16x8_t wa = vmovl_u8(a), wb = vmovl_u8(b);
  return q8_neon_narrow_u8x8(add4(q8_neon_low_s32(wa), q8_neon_low_s32(wb), k),
                             add4(q8_neon_high_s32(wa), q8_neon_high_s32(wb), k));
}

Q8_NEON_BODY uint8x16_t add16(uint8x16_t a, uint8x16_t b, const add_constants* k) {
  const uint8x16_t sum = vcombine_u8(add8(vget_low_u8(a), vget_low_u8(b), k),
                                     add8(vget_high_u8(a), vget_high_u8(b), k));
  /* saturated to [0, 255] then clamped: the scalar clamp */
  return vminq_u8(vmaxq_u8(sum, k->output_min), k->output_max);
}

/* The last n < 16 elements, through partial loads and stores. */
Q8_NEON_TAIL void add_tail(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                           const add_constants* k) {
  q8_neon_store_u8x16(y, add16(q8_neon_load_u8x16(a, n), q8_neon_load_u8x16(b, n), k), n);
}

void q8_vadd_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_add_params* params) {
  const add_constants k = add_constants_init(params);
  for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
    vst1q_u8(y, add16(vld1q_u8(a), vld1q_u8(b), &k));
  }
  if (n != 0) add_tail(n, a, b, y, &k);
}

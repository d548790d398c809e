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
static inline int32x4_t add_lanes(int32x4_t a, int32x4_t b, const add_constants* k) {
  const int32x4_t acc =
      vmlaq_s32(vmlaq_s32(k->zero_point_product, a, k->a_multiplier), b, k->b_multiplier);
  const int32x4_t remainder = vaddq_s32(vandq_s32(acc, k->remainder_mask), vshrq_n_s32(acc, 31));
  const int32x4_t shifted = vshlq_s32(acc, k->right_shift);
  /* the comparison is -1 where the remainder rounds up */
  const uint32x4_t round_up = vcgtq_s32(remainder, k->remainder_threshold);
  return vaddq_s32(vsubq_s32(shifted, vreinterpretq_s32_u32(round_up)), k->output_zero_point);
}

static inline uint8x16_t add16(uint8x16_t a, uint8x16_t b, const add_constants* k) {
  int32x4_t wa[4], wb[4], q[4];
  q8_neon_widen_u8x16(a, wa);
  q8_neon_widen_u8x16(b, wb);
  for (int i = 0; i < 4; i++) q[i] = add_lanes(wa[i], wb[i], k);
  /* saturation to [0, 255] then the clamp equals the scalar clamp */
  return vminq_u8(vmaxq_u8(q8_neon_narrow_u8x16(q), k->output_min), k->output_max);
}

void q8_vadd_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const q8_add_params* params) {
  const add_constants k = add_constants_init(params);
  while (n != 0) {
    const size_t count = n < 16 ? n : 16;
    const uint8x16_t sum = add16(q8_neon_load_u8x16(a, count), q8_neon_load_u8x16(b, count), &k);
    q8_neon_store_u8x16(y, sum, count);
    a += count, b += count, y += count, n -= count;
  }
}

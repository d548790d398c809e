#include "neon-families.h"
#include "neon-kernels.h"

/* vmul-16-neon.c with b broadcast: one int16 factor db = b - b_zp. */
typedef struct mul_constants {
  int16x8_t a_zero_point;
  int16_t db;
  float32x4_t multiplier;
  q8_neon_output_stage stage;
} mul_constants;

Q8_NEON_BODY int32x4_t requantize(int32x4_t product, const mul_constants* k) {
  return q8_neon_output(vmulq_f32(vcvtq_f32_s32(product), k->multiplier), &k->stage);
}

Q8_NEON_BODY uint8x8_t mul8(uint8x8_t a, const mul_constants* k) {
  const int16x8_t da = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(a)), k->a_zero_point);
  return q8_neon_narrow_u8x8(requantize(vmull_n_s16(vget_low_s16(da), k->db), k),
                             requantize(vmull_n_s16(vget_high_s16(da), k->db), k));
}

Q8_NEON_BODY uint8x16_t mul16(uint8x16_t a, const mul_constants* k) {
  return vcombine_u8(mul8(vget_low_u8(a), k), mul8(vget_high_u8(a), k));
}

/* The last n < 16 elements, through partial loads and stores. */
Q8_NEON_TAIL void mul_tail(size_t n, const uint8_t* a, uint8_t* y, const mul_constants* k) {
  q8_neon_store_u8x16(y, mul16(q8_neon_load_u8x16(a, n), k), n);
}

void q8_vmul_c_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_mul_params* params) {
  const mul_constants k = {.a_zero_point = vdupq_n_s16((int16_t)params->a_zero_point),
                           .db = (int16_t)((int32_t)*b - params->b_zero_point),
                           .multiplier = vdupq_n_f32(params->multiplier),
                           .stage = q8_neon_output_stage_init(
                               params->output_min, params->output_max, params->output_zero_point)};
  for (; n >= 16; n -= 16, a += 16, y += 16) vst1q_u8(y, mul16(vld1q_u8(a), &k));
  if (n != 0) mul_tail(n, a, y, &k);
}

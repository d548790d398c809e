#include "neon-families.h"
#include "neon-kernels.h"

/* vmul-16-neon.c with b broadcast: one int16 factor (b - b_zp) for all. */
static inline int32x4_t requantize(int32x4_t product, float32x4_t multiplier,
                                   const q8_neon_output_stage* stage) {
  return q8_neon_output(vmulq_f32(vcvtq_f32_s32(product), multiplier), stage);
}

void q8_vmul_c_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_mul_params* params) {
  const int16x8_t a_zero_point = vdupq_n_s16((int16_t)params->a_zero_point);
  const int16_t db = (int16_t)((int32_t)*b - params->b_zero_point);
  const float32x4_t multiplier = vdupq_n_f32(params->multiplier);
  const q8_neon_output_stage stage =
      q8_neon_output_stage_init(params->output_min, params->output_max, params->output_zero_point);
  while (n != 0) {
    const size_t count = n < 16 ? n : 16;
    const uint8x16_t va = q8_neon_load_u8x16(a, count);
    const int16x8_t a_lo =
        vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(va))), a_zero_point);
    const int16x8_t a_hi =
        vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(va))), a_zero_point);
    const int32x4_t q[4] = {requantize(vmull_n_s16(vget_low_s16(a_lo), db), multiplier, &stage),
                            requantize(vmull_n_s16(vget_high_s16(a_lo), db), multiplier, &stage),
                            requantize(vmull_n_s16(vget_low_s16(a_hi), db), multiplier, &stage),
                            requantize(vmull_n_s16(vget_high_s16(a_hi), db), multiplier, &stage)};
    q8_neon_store_u8x16(y, q8_neon_narrow_u8x16(q), count);
    a += count, y += count, n -= count;
  }
}

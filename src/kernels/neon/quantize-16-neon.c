#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

Q8_NEON_BODY uint8x8_t quantize8(float32x4_t lo, float32x4_t hi, float32x4_t inverse_scale,
                                 const q8_neon_output_stage* stage) {
  return q8_neon_narrow_u8x8(q8_neon_quantize(vmulq_f32(lo, inverse_scale), stage),
                             q8_neon_quantize(vmulq_f32(hi, inverse_scale), stage));
}

Q8_NEON_BODY uint8x16_t quantize16(const float* x, float32x4_t inverse_scale,
                                   const q8_neon_output_stage* stage) {
  return vcombine_u8(quantize8(vld1q_f32(x), vld1q_f32(x + 4), inverse_scale, stage),
                     quantize8(vld1q_f32(x + 8), vld1q_f32(x + 12), inverse_scale, stage));
}

/* The last n < 16 floats, through a buffer (the rest read as 0). */
Q8_NEON_TAIL void quantize_tail(size_t n, const float* x, uint8_t* y, float32x4_t inverse_scale,
                                const q8_neon_output_stage* stage) {
  float buffer[16] = {0};
  memcpy(buffer, x, n * sizeof(float));
  q8_neon_store_u8x16(y, quantize16(buffer, inverse_scale, stage), n);
}

void q8_quantize_ukernel_16__neon(size_t n, const float* x, uint8_t* y,
                                  const q8_quantize_params* params) {
  if (!q8_neon_quantize_is_exact(params->inverse_scale)) {
    q8_quantize_ukernel__scalar(n, x, y, params);
    return;
  }
  const float32x4_t inverse_scale = vdupq_n_f32(params->inverse_scale);
  const q8_neon_output_stage stage = q8_neon_output_stage_init(0, 255, params->zero_point);
  for (; n >= 16; n -= 16, x += 16, y += 16) vst1q_u8(y, quantize16(x, inverse_scale, &stage));
  if (n != 0) quantize_tail(n, x, y, inverse_scale, &stage);
}

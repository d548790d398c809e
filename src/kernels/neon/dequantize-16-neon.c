#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

/* y = (float)(x - zero_point) * scale, four lanes. */
Q8_NEON_BODY float32x4_t dequantize4(int32x4_t x, int32x4_t zero_point, float32x4_t scale) {
  return vmulq_f32(vcvtq_f32_s32(vsubq_s32(x, zero_point)), scale);
}

Q8_NEON_BODY void dequantize16(uint8x16_t x, int32x4_t zero_point, float32x4_t scale, float* y) {
  const uint16x8_t lo = vmovl_u8(vget_low_u8(x)), hi = vmovl_u8(vget_high_u8(x));
  vst1q_f32(y, dequantize4(q8_neon_low_s32(lo), zero_point, scale));
  vst1q_f32(y + 4, dequantize4(q8_neon_high_s32(lo), zero_point, scale));
  vst1q_f32(y + 8, dequantize4(q8_neon_low_s32(hi), zero_point, scale));
  vst1q_f32(y + 12, dequantize4(q8_neon_high_s32(hi), zero_point, scale));
}

/* The last n < 16 elements, through a buffer. */
Q8_NEON_TAIL void dequantize_tail(size_t n, const uint8_t* x, float* y, int32x4_t zero_point,
                                  float32x4_t scale) {
  float buffer[16];
  dequantize16(q8_neon_load_u8x16(x, n), zero_point, scale, buffer);
  memcpy(y, buffer, n * sizeof(float));
}

void q8_dequantize_ukernel_16__neon(size_t n, const uint8_t* x, float* y,
                                    const q8_dequantize_params* params) {
  if (!q8_neon_dequantize_is_exact(params->scale)) {
    q8_dequantize_ukernel__scalar(n, x, y, params);
    return;
  }
  const int32x4_t zero_point = vdupq_n_s32(params->zero_point);
  const float32x4_t scale = vdupq_n_f32(params->scale);
  for (; n >= 16; n -= 16, x += 16, y += 16) dequantize16(vld1q_u8(x), zero_point, scale, y);
  if (n != 0) dequantize_tail(n, x, y, zero_point, scale);
}

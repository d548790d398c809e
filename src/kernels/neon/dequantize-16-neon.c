#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

/* y = (float)(x - zero_point) * scale on 16 lanes, n of them stored. */
static inline void dequantize16(uint8x16_t x, int32x4_t zero_point, float32x4_t scale, float* y,
                                size_t n) {
  int32x4_t w[4];
  q8_neon_widen_u8x16(x, w);
  float buffer[16];
  float* out = n < 16 ? buffer : y;
  for (int i = 0; i < 4; i++)
    vst1q_f32(out + 4 * i, vmulq_f32(vcvtq_f32_s32(vsubq_s32(w[i], zero_point)), scale));
  if (n < 16) memcpy(y, buffer, n * sizeof(float));
}

void q8_dequantize_ukernel_16__neon(size_t n, const uint8_t* x, float* y,
                                    const q8_dequantize_params* params) {
  if (!q8_neon_dequantize_is_exact(params->scale)) {
    q8_dequantize_ukernel__scalar(n, x, y, params);
    return;
  }
  const int32x4_t zero_point = vdupq_n_s32(params->zero_point);
  const float32x4_t scale = vdupq_n_f32(params->scale);
  while (n != 0) {
    const size_t count = n < 16 ? n : 16;
    dequantize16(q8_neon_load_u8x16(x, count), zero_point, scale, y, count);
    x += count, y += count, n -= count;
  }
}

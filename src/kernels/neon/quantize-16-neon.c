#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

/* 16 floats (n of them real; the rest read as 0) quantized to bytes. */
static inline uint8x16_t quantize16(const float* x, size_t n, float32x4_t inverse_scale,
                                    const q8_neon_output_stage* stage) {
  float buffer[16] = {0};
  if (n < 16) x = memcpy(buffer, x, n * sizeof(float));
  int32x4_t q[4];
  for (int i = 0; i < 4; i++)
    q[i] = q8_neon_quantize(vmulq_f32(vld1q_f32(x + 4 * i), inverse_scale), stage);
  return q8_neon_narrow_u8x16(q);
}

void q8_quantize_ukernel_16__neon(size_t n, const float* x, uint8_t* y,
                                  const q8_quantize_params* params) {
  if (!q8_neon_quantize_is_exact(params->inverse_scale)) {
    q8_quantize_ukernel__scalar(n, x, y, params);
    return;
  }
  const float32x4_t inverse_scale = vdupq_n_f32(params->inverse_scale);
  const q8_neon_output_stage stage = q8_neon_output_stage_init(0, 255, params->zero_point);
  while (n != 0) {
    const size_t count = n < 16 ? n : 16;
    q8_neon_store_u8x16(y, quantize16(x, count, inverse_scale, &stage), count);
    x += count, y += count, n -= count;
  }
}

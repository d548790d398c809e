#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

/* vadd-dq-16-neon.c with b broadcast: one dequantized b for all. */
static inline uint8x16_t add_dq16(const uint8_t* a, const q8_add_dq_params* p, float32x4_t db,
                                  float32x4_t inverse_scale, const q8_neon_output_stage* stage) {
  int32x4_t q[4];
  for (int i = 0; i < 4; i++) {
    const float32x4_t sum = vaddq_f32(q8_neon_lookup4_f32(p->a_table, a + 4 * i), db);
    q[i] = q8_neon_quantize(vmulq_f32(sum, inverse_scale), stage);
  }
  return vminq_u8(vmaxq_u8(q8_neon_narrow_u8x16(q), vdupq_n_u8(p->output_min)),
                  vdupq_n_u8(p->output_max));
}

void q8_vadd_dq_c_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                   const q8_add_dq_params* params) {
  if (!q8_neon_quantize_is_exact(params->output_inverse_scale)) {
    q8_vadd_dq_c_ukernel__scalar(n, a, b, y, params);
    return;
  }
  const float32x4_t db = vdupq_n_f32(params->b_table[*b]);
  const float32x4_t inverse_scale = vdupq_n_f32(params->output_inverse_scale);
  const q8_neon_output_stage stage = q8_neon_output_stage_init(0, 255, params->output_zero_point);
  for (; n >= 16; n -= 16, a += 16, y += 16) {
    vst1q_u8(y, add_dq16(a, params, db, inverse_scale, &stage));
  }
  if (n != 0) {
    uint8_t a_tail[16] = {0}; /* missing lanes index entry 0 */
    memcpy(a_tail, a, n);
    q8_neon_store_u8x16(y, add_dq16(a_tail, params, db, inverse_scale, &stage), n);
  }
}

#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

/* Float add (vadd-dq-scalar.c): the tables' dequantized values added,
 * quantized, then clamped. SIMD pays in the rounding and clamping despite
 * the scalar table loads. */
typedef struct add_dq_constants {
  const float* a_table;
  const float* b_table;
  float32x4_t inverse_scale;
  q8_neon_output_stage stage;
  uint8x16_t output_min, output_max;
} add_dq_constants;

Q8_NEON_BODY int32x4_t add_dq4(const uint8_t* a, const uint8_t* b, const add_dq_constants* k) {
  const float32x4_t sum =
      vaddq_f32(q8_neon_lookup4_f32(k->a_table, a), q8_neon_lookup4_f32(k->b_table, b));
  return q8_neon_quantize(vmulq_f32(sum, k->inverse_scale), &k->stage);
}

Q8_NEON_BODY uint8x16_t add_dq16(const uint8_t* a, const uint8_t* b, const add_dq_constants* k) {
  const uint8x16_t q =
      vcombine_u8(q8_neon_narrow_u8x8(add_dq4(a, b, k), add_dq4(a + 4, b + 4, k)),
                  q8_neon_narrow_u8x8(add_dq4(a + 8, b + 8, k), add_dq4(a + 12, b + 12, k)));
  return vminq_u8(vmaxq_u8(q, k->output_min), k->output_max);
}

/* The last n < 16 elements; the missing lanes index entry 0. */
Q8_NEON_TAIL void add_dq_tail(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                              const add_dq_constants* k) {
  uint8_t a16[16] = {0}, b16[16] = {0};
  memcpy(a16, a, n);
  memcpy(b16, b, n);
  q8_neon_store_u8x16(y, add_dq16(a16, b16, k), n);
}

void q8_vadd_dq_ukernel_16__neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                 const q8_add_dq_params* params) {
  if (!q8_neon_quantize_is_exact(params->output_inverse_scale)) {
    q8_vadd_dq_ukernel__scalar(n, a, b, y, params);
    return;
  }
  const add_dq_constants k = {.a_table = params->a_table,
                              .b_table = params->b_table,
                              .inverse_scale = vdupq_n_f32(params->output_inverse_scale),
                              .stage = q8_neon_output_stage_init(0, 255, params->output_zero_point),
                              .output_min = vdupq_n_u8(params->output_min),
                              .output_max = vdupq_n_u8(params->output_max)};
  for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) vst1q_u8(y, add_dq16(a, b, &k));
  if (n != 0) add_dq_tail(n, a, b, y, &k);
}

#include "elementwise-params.h"

#include <math.h>
#include <string.h>

#include "quantize.h"

static uint32_t float_bits(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  return bits;
}

bool q8_add_fixed_params(q8_quantization a, q8_quantization b, q8_quantization output,
                         uint8_t output_min, uint8_t output_max, q8_add_params* params) {
  const float ra = a.scale / output.scale, rb = b.scale / output.scale;
  /* QNNPACK refuses ratios outside [2^-14, 2^8); below 2^-10 its shift
   * reaches 32, which is undefined for int32 and gives platform-specific
   * results, so those ratios take the float rule too. */
  if (!(ra >= 0x1p-10f && rb >= 0x1p-10f && ra < 0x1p8f && rb < 0x1p8f)) return false;
  const float max_ratio = ra > rb ? ra : rb;
  const int32_t exponent = (int32_t)(float_bits(max_ratio) >> 23) - 127;
  const uint32_t shift = (uint32_t)(21 - exponent); /* in [14, 31] */
  /* The scaling by 2^shift is exact; only lrintf rounds. The larger
   * multiplier lands in [2^21, 2^22). */
  const int32_t ma = (int32_t)lrintf(ldexpf(ra, (int)shift));
  const int32_t mb = (int32_t)lrintf(ldexpf(rb, (int)shift));
  *params = (q8_add_params){
      .zero_point_product = -(ma * a.zero_point + mb * b.zero_point),
      .a_multiplier = ma, .b_multiplier = mb, .shift = shift,
      .output_zero_point = output.zero_point,
      .output_min = output_min, .output_max = output_max};
  return true;
}

float q8_dequantize_fma(uint8_t q, float scale, int32_t zero_point) {
  /* ATen premultiplies -zp * scale in fp32, then one fused multiply-add. */
  const float premul = -(float)zero_point * scale;
  return fmaf(scale, (float)q, premul);
}

void q8_add_dq_params_init(q8_quantization a, q8_quantization b, q8_quantization output,
                           uint8_t output_min, uint8_t output_max, q8_add_dq_params* params) {
  for (int i = 0; i < 256; i++) {
    params->a_table[i] = q8_dequantize_fma((uint8_t)i, a.scale, a.zero_point);
    params->b_table[i] = q8_dequantize_fma((uint8_t)i, b.scale, b.zero_point);
  }
  params->output_inverse_scale = 1.0f / output.scale;
  params->output_zero_point = output.zero_point;
  params->output_min = output_min;
  params->output_max = output_max;
}

void q8_mul_params_init(q8_quantization a, q8_quantization b, q8_quantization output,
                        uint8_t output_min, uint8_t output_max, q8_mul_params* params) {
  /* Each step rounded to fp32, in ATen's order. */
  const float ab = a.scale * b.scale;
  const float inverse = 1.0f / output.scale;
  *params = (q8_mul_params){
      .a_zero_point = a.zero_point, .b_zero_point = b.zero_point, .multiplier = ab * inverse,
      .output_zero_point = output.zero_point,
      .output_min = output_min, .output_max = output_max};
}

/* QNNPACK's table rounding: clamp v to [0, 255] in float, then lrintf. */
static uint8_t qnnpack_round(float v) {
  v = v < 0.0f ? 0.0f : v;
  v = v > 255.0f ? 255.0f : v;
  return (uint8_t)lrintf(v);
}

/* min(max(x + 3, 0), 6), fp32. */
static float relu6_shift3(float x) {
  float r = x + 3.0f;
  r = r > 0.0f ? r : 0.0f;
  return r < 6.0f ? r : 6.0f;
}

/* The QNNPACK-style kinds: v(x) in output units, zero point added in float
 * before rounding. */
static uint8_t qnnpack_entry(q8_unary_kind kind, float x, q8_quantization out) {
  const float inverse = 1.0f / out.scale, zp = (float)out.zero_point;
  switch (kind) {
    case q8_unary_hardswish: return qnnpack_round(inverse * ((x * relu6_shift3(x)) / 6.0f) + zp);
    case q8_unary_hardsigmoid: return qnnpack_round(inverse * (relu6_shift3(x) / 6.0f) + zp);
    case q8_unary_sigmoid: return qnnpack_round(inverse / (1.0f + expf(-x)) + zp);
    case q8_unary_tanh: return qnnpack_round(inverse * tanhf(x) + zp);
    default: return 0;
  }
}

/* The ATen-style kinds: a float function of the dequantized value, then
 * quantize_val. */
static float aten_function(q8_unary_kind kind, const q8_unary_params* p, float x) {
  switch (kind) {
    case q8_unary_relu: return x > 0.0f ? x : 0.0f;
    case q8_unary_leaky_relu: return x >= 0.0f ? x : x * p->leaky_relu.negative_slope;
    case q8_unary_elu: {
      const float negative = p->elu.alpha * p->elu.scale;
      return x >= 0.0f ? x * p->elu.scale : expm1f(x * p->elu.input_scale) * negative;
    }
    default: return x; /* requantize */
  }
}

static void clamp_table(const q8_unary_params* p, q8_quantization in, q8_quantization out,
                        uint8_t table[256]) {
  /* PyTorch quantizes the bounds with the input qparams and clamps the
   * integers; a different output quantization then requantizes. */
  const float in_inverse = 1.0f / in.scale, out_inverse = 1.0f / out.scale;
  const int lo = q8_quantize_value(p->clamp.min, in_inverse, in.zero_point);
  const int hi = q8_quantize_value(p->clamp.max, in_inverse, in.zero_point);
  for (int i = 0; i < 256; i++) {
    const int c = i < lo ? lo : (i > hi ? hi : i);
    const float x = q8_dequantize_value((uint8_t)c, in.scale, in.zero_point);
    table[i] = q8_quantize_value(x, out_inverse, out.zero_point);
  }
}

void q8_unary_table_init(q8_unary_kind kind, const q8_unary_params* params,
                         q8_quantization in, q8_quantization out, uint8_t table[256]) {
  if (kind == q8_unary_clamp) {
    clamp_table(params, in, out, table);
    return;
  }
  const bool qnnpack = kind == q8_unary_hardswish || kind == q8_unary_hardsigmoid ||
                       kind == q8_unary_sigmoid || kind == q8_unary_tanh;
  /* leaky_relu and elu run through ATen's vectorized body, whose
   * dequantization is fused; the others dequantize plainly. */
  const bool fused = kind == q8_unary_leaky_relu || kind == q8_unary_elu;
  const float out_inverse = 1.0f / out.scale;
  for (int i = 0; i < 256; i++) {
    const float x = fused ? q8_dequantize_fma((uint8_t)i, in.scale, in.zero_point)
                          : q8_dequantize_value((uint8_t)i, in.scale, in.zero_point);
    table[i] = qnnpack ? qnnpack_entry(kind, x, out)
                       : q8_quantize_value(aten_function(kind, params, x), out_inverse,
                                                out.zero_point);
  }
}

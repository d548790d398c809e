/*
 * q8 elementwise operators (see q8/operators.h for the conventions):
 * binary add / multiply with numpy broadcasting, unary activations through a
 * 256-entry table, requantization, quantize (fp32 -> uint8) and dequantize
 * (uint8 -> fp32). Every result is bit-exact with PyTorch 1.13.1's qnnpack
 * engine where PyTorch defines it; the rules are spelled out per operator
 * below (verification figures: tools/check_elementwise_numerics.py).
 *
 * Notation: f32() rounds to binary32; rne() rounds half to even;
 * quantize(v, s, z) = clamp(z + rne(f32(v * f32(1.0f / s))), 0, 255), with a
 * NaN product giving 0 and infinite or huge products saturating (+inf 255,
 * -inf 0), as ATen's quantize_val does on ARM64. (ATen on x86 gives 0 for
 * any product that is not finite or reaches 2^63 in magnitude; a model's
 * input quantize_per_tensor follows that rule, see src/quant/quantize.h.)
 * dequantize(q, s, z) = f32((float)(q - z) * s).
 */
#ifndef Q8_ELEMENTWISE_H
#define Q8_ELEMENTWISE_H

#include "q8/operators.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Binary operators with numpy broadcasting.
 *
 * Shapes have 0 to Q8_BINARY_MAX_DIMS dimensions (0: a scalar; the shape
 * pointer may then be NULL), every extent at least 1. They are aligned at
 * their last dimension; each pair of extents must be equal or one of them 1.
 * The output has the broadcast shape and is dense; inputs are dense in their
 * own shape (e.g. NHWC [N,H,W,C] times [N,1,1,C] for squeeze-excite).
 * output_min <= output_max clamp the result: output_min = output zero point
 * gives add_relu / mul_relu; 0 and 255 give plain add / mul.
 * Scales: any positive finite value; zero points in [0, 255].
 *
 * add (quantized::add, quantized::add_relu), two rules, as PyTorch picks:
 *  - Same shape (a_dims == b_dims and equal extents, exactly PyTorch's
 *    a.sizes() == b.sizes()) and both ratios ra = f32(a.scale / out.scale),
 *    rb = f32(b.scale / out.scale) in [2^-10, 2^8): QNNPACK's fixed point.
 *    shift = 21 - exponent(max(ra, rb)), ma = lrintf(ra * 2^shift),
 *    mb = lrintf(rb * 2^shift), acc = ma * (a - a.zp) + mb * (b - b.zp),
 *    y = clamp(out.zp + (acc >> shift rounded half away from zero),
 *              output_min, output_max).
 *  - Otherwise (broadcasting, or a ratio outside that range, where PyTorch's
 *    QNNPACK refuses the operator (< 2^-14, >= 2^8) or shifts an int32 by 32
 *    or more, an undefined result on x86 [2^-14, 2^-10)): ATen's float rule
 *    y = clamp(quantize(f32(da + db), out), output_min, output_max), where
 *    da = fmaf(f32(a.scale), (float)a, f32(-(float)a.zp * a.scale)) is the
 *    dequantization of ATen's AVX2 body. (ATen's scalar loop tail, the last
 *    L mod 64 elements of its innermost run of L, uses dequantize() instead;
 *    the two differ on a small fraction of ties, see the check script.)
 * multiply (quantized::mul, quantized::mul_relu; same rule for any shapes):
 *    M = f32(f32(a.scale * b.scale) * f32(1.0f / out.scale)),
 *    y = clamp(out.zp + rne(f32((float)((a - a.zp) * (b - b.zp)) * M)),
 *              output_min, output_max), the product clamped in float first.
 */
#define Q8_BINARY_MAX_DIMS 6

Q8_API q8_status q8_add_nd_create(q8_quantization a, q8_quantization b, q8_quantization output,
                                  uint8_t output_min, uint8_t output_max, q8_isa isa,
                                  q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_add_nd_setup(q8_operator* op, size_t a_dims, const size_t* a_shape,
                                 size_t b_dims, const size_t* b_shape, const uint8_t* a,
                                 const uint8_t* b, uint8_t* y, q8_error* error);

Q8_API q8_status q8_multiply_nd_create(q8_quantization a, q8_quantization b, q8_quantization output,
                                       uint8_t output_min, uint8_t output_max, q8_isa isa,
                                       q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_multiply_nd_setup(q8_operator* op, size_t a_dims, const size_t* a_shape,
                                      size_t b_dims, const size_t* b_shape, const uint8_t* a,
                                      const uint8_t* b, uint8_t* y, q8_error* error);

/* ---------------------------------------------------------------------------
 * Unary operators: a 256-entry table built at create time from the input and
 * output quantization, then one lookup per element. x = dequantize(q, in).
 *
 *  requantize   quantize(x, out): PyTorch's quantize(dequantize(t)).
 *  relu         quantize(max(x, 0), out); with out == in this is max(q, zp),
 *               torch.relu.
 *  clamp        PyTorch clamp / hardtanh(min, max): qlo = quantize(min, in),
 *               qhi = quantize(max, in), then requantize(clamp(q, qlo, qhi))
 *               to out (the identity when out == in, PyTorch's case).
 *               params->clamp.min <= max, both finite.
 *  leaky_relu   quantized::leaky_relu: e = x >= 0 ? x : f32(x * slope),
 *               quantize(e, out); x dequantized with ATen's AVX2 body's fmaf
 *               (see add). params->leaky_relu.negative_slope finite.
 *  elu          quantized::elu: e = x >= 0 ? f32(x * scale) :
 *               f32(f32(expm1f(f32(x * input_scale))) * f32(alpha * scale)),
 *               quantize(e, out) (x with fmaf as leaky_relu; ATen's AVX2
 *               body uses SLEEF's expm1, which matched glibc's expm1f on every
 *               entry checked; its scalar tail, exp - 1 and no fmaf, differs
 *               on ~0.1%). params->elu: alpha, scale, input_scale finite.
 *  hardswish    quantized::hardswish (QNNPACK): r = min(max(x + 3, 0), 6),
 *               h = f32(x * r) / 6, v = f32(1 / out.scale) * h + out.zp.
 *  hardsigmoid  QNNPACK: h = min(max(x + 3, 0), 6) / 6,
 *               v = f32(1 / out.scale) * h + out.zp.
 *  sigmoid      QNNPACK: v = f32(1 / out.scale) / (1 + expf(-x)) + out.zp.
 *  tanh         QNNPACK: v = f32(1 / out.scale) * tanhf(x) + out.zp.
 *  (the last four: table = rne(clamp(v, 0, 255)), everything fp32, x as
 *  dequantize(); the zero point is added before rounding, as QNNPACK does.
 *  PyTorch forces out = (1/256, 0) for sigmoid and hardsigmoid and
 *  (1/128, 128) for tanh; q8 accepts any output quantization with the same
 *  formula.)
 * params may be NULL for kinds without parameters.
 */
typedef enum q8_unary_kind {
  q8_unary_requantize = 0,
  q8_unary_relu,
  q8_unary_clamp,
  q8_unary_leaky_relu,
  q8_unary_elu,
  q8_unary_hardswish,
  q8_unary_hardsigmoid,
  q8_unary_sigmoid,
  q8_unary_tanh,
  q8_unary_kind_count
} q8_unary_kind;

typedef struct q8_unary_params {
  struct {
    float min, max;
  } clamp;
  struct {
    float negative_slope;
  } leaky_relu;
  struct {
    float alpha, scale, input_scale;
  } elu;
} q8_unary_params;

/* Name of a unary kind ("hardswish", ...); NULL if out of range. */
Q8_API const char* q8_unary_kind_name(q8_unary_kind kind);

Q8_API q8_status q8_unary_create(q8_unary_kind kind, const q8_unary_params* params,
                                 q8_quantization input, q8_quantization output, q8_isa isa,
                                 q8_operator** op_out, q8_error* error);

/* A unary operator applying the caller's 256-entry table: y = table[x]
 * (PyTorch's quantized add_scalar / mul_scalar, whose rules the runtime
 * evaluates per input code). Set up with q8_unary_setup. */
Q8_API q8_status q8_lookup_create(const uint8_t table[256], q8_isa isa, q8_operator** op_out,
                                  q8_error* error);

/* The table the operator applies (256 bytes), for inspection. */
Q8_API const uint8_t* q8_unary_table(const q8_operator* op);

/* batch rows of `channels` elements; rows input_stride / output_stride
 * elements apart (0: channels; otherwise at least channels). batch and
 * channels at least 1; input and output non-NULL (they may be the same
 * buffer when the strides are equal). */
Q8_API q8_status q8_unary_setup(q8_operator* op, size_t batch, size_t channels, size_t input_stride,
                                size_t output_stride, const uint8_t* input, uint8_t* output,
                                q8_error* error);

/* ---------------------------------------------------------------------------
 * Elementwise activations of fp32 tensors: the float ops FX graph mode
 * leaves between a dequantize and a quantize (SiLU, GELU), and activations
 * after a dynamic linear. ATen's scalar formulas, fp32 (no contraction):
 *   clamp        min(max(x, min), max) (relu, relu6, hardtanh, clamp)
 *   leaky_relu   x > 0 ? x : x * negative_slope
 *   hardsigmoid  min(max(x + 3, 0), 6) / 6
 *   hardswish    x * min(max(x + 3, 0), 6) / 6
 *   sigmoid      1 / (1 + expf(-x))
 *   tanh         tanhf(x)
 *   silu         x / (1 + expf(-x))
 *   gelu         x * 0.5 * (1 + erff(x * M_SQRT1_2))
 *   gelu_tanh    0.5 * x * (1 + tanhf(sqrt(2 / pi) * fmaf(0.044715, x * x * x, x)))
 * The first four are exact. For the others ATen evaluates blocks of 16
 * elements with SLEEF's (or its own, erf) vectorized functions and libm on
 * the rest, so results can differ from PyTorch's by a few float ulps.
 */
typedef enum q8_unary_f32_kind {
  q8_unary_f32_clamp = 0,
  q8_unary_f32_leaky_relu,
  q8_unary_f32_hardsigmoid,
  q8_unary_f32_hardswish,
  q8_unary_f32_sigmoid,
  q8_unary_f32_tanh,
  q8_unary_f32_silu,
  q8_unary_f32_gelu,
  q8_unary_f32_gelu_tanh,
  q8_unary_f32_kind_count
} q8_unary_f32_kind;

/* params: clamp.min / clamp.max (NaN-free, min <= max; +-INFINITY for no
 * bound) and leaky_relu.negative_slope (finite); NULL for the other kinds. */
Q8_API q8_status q8_unary_f32_create(q8_unary_f32_kind kind, const q8_unary_params* params,
                                     q8_isa isa, q8_operator** op_out, q8_error* error);

/* count elements (at least 1); input and output may be the same buffer. */
Q8_API q8_status q8_unary_f32_setup(q8_operator* op, size_t count, const float* input,
                                    float* output, q8_error* error);

/* ---------------------------------------------------------------------------
 * Batch normalization of quantized activations (quantized::batch_norm2d,
 * batch_norm1d and their _relu forms): per channel c,
 *   inv_sigma = f32(1.0 / (double)sqrtf(variance[c] + epsilon))
 *   alpha     = f32((double)f32(inv_sigma * weight[c]) * ((double)input.scale / output.scale))
 *   beta      = f32((double)f32(bias[c] - f32(f32(mean[c] * inv_sigma) * weight[c])) / output.scale)
 *   y         = clamp(output.zero_point + rne(fmaf(alpha, q - input.zero_point, beta)),
 *                     output_min, output_max)
 * weight NULL means 1, bias NULL means 0. Input and output are rows of
 * `channels` elements (NHWC pixels).
 */
typedef struct q8_batch_norm_params {
  size_t channels;
  const float* weight;   /* channels entries, or NULL */
  const float* bias;     /* channels entries, or NULL */
  const float* mean;     /* channels entries */
  const float* variance; /* channels entries */
  float epsilon;         /* PyTorch's eps as float */
  q8_quantization input, output;
  uint8_t output_min, output_max;
} q8_batch_norm_params;

Q8_API q8_status q8_batch_norm_create_nc(const q8_batch_norm_params* params, q8_isa isa,
                                         q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_batch_norm_setup_nc(q8_operator* op, size_t pixels, const uint8_t* input,
                                        uint8_t* output, q8_error* error);

/* A per-channel lookup: y[p][c] = tables[c * 256 + x[p][c]] (rows of
 * `channels` elements; PyTorch's quantized prelu, whose rule the runtime
 * evaluates per channel and code). Set up with q8_batch_norm_setup_nc. */
Q8_API q8_status q8_channel_lookup_create(size_t channels, const uint8_t* tables, q8_isa isa,
                                          q8_operator** op_out, q8_error* error);

/* ---------------------------------------------------------------------------
 * Layer norm and group / instance norm of quantized activations
 * (quantized::layer_norm, group_norm, instance_norm), ATen's rule from
 * integer sums of the codes x of each group of n (see src/runtime/ops/norm.c):
 *   m = f32((float)sum(x) / n), mean = m - zp,
 *   var = max(fmaf(-m, m, f32((float)sum(x * x) / n)), 0),
 *   r = f32((double)s / sqrt((double)f32(f32(var * s) * s) + epsilon)),
 *   layer: v = fmaf(f32((x - zp - mean) * r), weight[i], bias[i])
 *   group: v = fmaf(x - zp - mean, f32(r * weight[c]), bias[c])
 *   y = quantize(v, output).
 * Layer norm: rows of normalized_size contiguous elements (setup: rows;
 * pixels unused). Group norm: NHWC images (setup: rows = images, pixels =
 * H * W), `groups` dividing `channels` (instance norm: groups = channels).
 * weight / bias NULL: 1 / 0.
 */
Q8_API q8_status q8_layer_norm_create(size_t normalized_size, const float* weight,
                                      const float* bias, double epsilon, q8_quantization input,
                                      q8_quantization output, q8_isa isa, q8_operator** op_out,
                                      q8_error* error);

Q8_API q8_status q8_group_norm_create(size_t channels, size_t groups, const float* weight,
                                      const float* bias, double epsilon, q8_quantization input,
                                      q8_quantization output, q8_isa isa, q8_operator** op_out,
                                      q8_error* error);

Q8_API q8_status q8_norm_setup(q8_operator* op, size_t rows, size_t pixels, const uint8_t* input,
                               uint8_t* output, q8_error* error);

/* ---------------------------------------------------------------------------
 * quantize_per_tensor (fp32 -> uint8): y = quantize(x, output) with
 * inverse scale f32(1.0f / output.scale), product in fp32 (not x / scale).
 * dequantize (uint8 -> fp32): y = f32((float)(q - zp) * scale).
 * Setup arguments as for q8_unary_setup.
 */
Q8_API q8_status q8_quantize_create(q8_quantization output, q8_isa isa, q8_operator** op_out,
                                    q8_error* error);

Q8_API q8_status q8_quantize_setup(q8_operator* op, size_t batch, size_t channels,
                                   size_t input_stride, size_t output_stride, const float* input,
                                   uint8_t* output, q8_error* error);

Q8_API q8_status q8_dequantize_create(q8_quantization input, q8_isa isa, q8_operator** op_out,
                                      q8_error* error);

Q8_API q8_status q8_dequantize_setup(q8_operator* op, size_t batch, size_t channels,
                                     size_t input_stride, size_t output_stride,
                                     const uint8_t* input, float* output, q8_error* error);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Elementwise activations of fp32 tensors (see q8_unary_f32_kind): ATen's
 * scalar formulas, parallel over blocks of elements.
 */
#include <math.h>

#include "q8/elementwise.h"
#include "operator.h"

#define UNARY_F32_BLOCK 4096

typedef struct unary_f32_op {
  q8_operator base;
  q8_unary_f32_kind kind;
  float min, max, slope;
  size_t count;
  const float* input;
  float* output;
} unary_f32_op;

static q8_status run_unary_f32(q8_operator* base, pthreadpool_t threadpool);

static const char* const names[q8_unary_f32_kind_count] = {
    "clamp_f32", "leaky_relu_f32", "hardsigmoid_f32", "hardswish_f32", "sigmoid_f32",
    "tanh_f32",  "silu_f32",       "gelu_f32",        "gelu_tanh_f32"};

q8_status q8_unary_f32_create(q8_unary_f32_kind kind, const q8_unary_params* params, q8_isa isa,
                              q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_unary_f32_create";
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  if ((unsigned)kind >= q8_unary_f32_kind_count)
    return q8_fail(error, q8_status_invalid_parameter, "%s: kind %d is not a q8_unary_f32_kind",
                   fn, (int)kind);
  float min = -INFINITY, max = INFINITY, slope = 0.01f;
  if (kind == q8_unary_f32_clamp || kind == q8_unary_f32_leaky_relu) {
    if (params == NULL)
      return q8_fail(error, q8_status_invalid_parameter, "%s: %s needs params", fn, names[kind]);
    min = params->clamp.min, max = params->clamp.max, slope = params->leaky_relu.negative_slope;
    if (kind == q8_unary_f32_clamp && (isnan(min) || isnan(max) || min > max))
      return q8_fail(error, q8_status_invalid_parameter,
                     "%s: clamp bounds [%g, %g] are not an interval", fn, min, max);
    if (kind == q8_unary_f32_leaky_relu && !isfinite(slope))
      return q8_fail(error, q8_status_invalid_parameter, "%s: negative_slope %g is not finite",
                     fn, slope);
  }
  q8_operator* base;
  q8_status s = q8_operator_create(sizeof(unary_f32_op), names[kind], isa, &base, error);
  if (s != q8_status_success) return s;
  unary_f32_op* op = (unary_f32_op*)base;
  base->run = run_unary_f32;
  op->kind = kind;
  op->min = min, op->max = max, op->slope = slope;
  *op_out = base;
  return q8_status_success;
}

q8_status q8_unary_f32_setup(q8_operator* base, size_t count, const float* input, float* output,
                             q8_error* error) {
  static const char fn[] = "q8_unary_f32_setup";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_unary_f32, error)) ||
      (s = q8_check_nonzero(fn, "count", count, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error)))
    return s;
  unary_f32_op* op = (unary_f32_op*)base;
  op->count = count;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

/* std::min(std::max(x, lo), hi): NaN passes through. */
static float clampf(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

static float apply(const unary_f32_op* op, float x) {
  switch (op->kind) {
    case q8_unary_f32_clamp: return clampf(x, op->min, op->max);
    case q8_unary_f32_leaky_relu: return x > 0.0f ? x : x * op->slope;
    case q8_unary_f32_hardsigmoid: return clampf(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    case q8_unary_f32_hardswish: return x * clampf(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    case q8_unary_f32_sigmoid: return 1.0f / (1.0f + expf(-x));
    case q8_unary_f32_tanh: return tanhf(x);
    case q8_unary_f32_silu: return x / (1.0f + expf(-x));
    case q8_unary_f32_gelu: return x * 0.5f * (1.0f + erff(x * (float)0.70710678118654752440 /* M_SQRT1_2 */));
    case q8_unary_f32_gelu_tanh: {
      /* M_SQRT2 * M_2_SQRTPI * 0.5 */
      const float beta = (float)(1.41421356237309504880 * 1.12837916709551257390 * 0.5);
      return 0.5f * x * (1.0f + tanhf(beta * fmaf(0.044715f, x * x * x, x)));
    }
    default: return x;
  }
}

/* GELU as ATen's vectorized loop computes it (blocks of 16 elements): erf by
 * Abramowitz and Stegun 7.1.26, erf(a) = 1 - t * P(t) * exp(-a^2) with
 * t = 1 / (1 + p * |a|), in FMAs, then fmaf(0.5x, erf, 0.5x). */
static float gelu_vector(float x) {
  const float a = x * (float)0.70710678118654752440, m = fabsf(a);
  const float t = 1.0f / fmaf(0.3275911f, m, 1.0f);
  float r = fmaf(1.061405429f, t, -1.453152027f);
  r = fmaf(r, t, 1.421413741f);
  r = fmaf(r, t, -0.284496736f);
  r = fmaf(r, t, 0.254829592f);
  const float e = expf(-(a * a));
  const float erf = copysignf(fmaf(-e * t, r, 1.0f), a);
  const float half = x * 0.5f;
  return fmaf(half, erf, half);
}

/* SLEEF's vectorized tanhf (ATen's Vectorized tanh) returns exactly +-1 for
 * |x| > 8.664339742; libm's can stay one ulp below. */
static float tanh_vector(float x) {
  return fabsf(x) > 8.664339742f ? copysignf(1.0f, x) : tanhf(x);
}

static float vector_lane(const unary_f32_op* op, float x) {
  switch (op->kind) {
    case q8_unary_f32_gelu: return gelu_vector(x);
    case q8_unary_f32_tanh: return tanh_vector(x);
    case q8_unary_f32_gelu_tanh: {
      const float beta = (float)(1.41421356237309504880 * 1.12837916709551257390 * 0.5);
      return 0.5f * x * (1.0f + tanh_vector(beta * fmaf(0.044715f, x * x * x, x)));
    }
    default: return apply(op, x);
  }
}

/* ATen's vectorized loop takes blocks of 16 elements and its scalar
 * formula for the rest (one contiguous run, as in a single-threaded run). */
static void unary_f32_block(void* context, size_t start, size_t count) {
  const unary_f32_op* op = context;
  const size_t vector_end = op->count - op->count % 16;
  for (size_t i = start; i < start + count; i++)
    op->output[i] = i < vector_end ? vector_lane(op, op->input[i]) : apply(op, op->input[i]);
}

static q8_status run_unary_f32(q8_operator* base, pthreadpool_t threadpool) {
  unary_f32_op* op = (unary_f32_op*)base;
  pthreadpool_parallelize_1d_tile_1d(threadpool, unary_f32_block, op, op->count, UNARY_F32_BLOCK, 0);
  return q8_status_success;
}

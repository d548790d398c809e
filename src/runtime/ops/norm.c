/*
 * Quantized layer norm and group / instance norm (quantized::layer_norm,
 * quantized::group_norm, quantized::instance_norm), ATen's
 * quantized_normalize_kernel: per group of n codes x (its statistics from
 * integer sums of the raw codes),
 *   m    = f32((float)sum(x) / n)                      (mean of the codes)
 *   mean = m - zp                                       (mean of x - zp)
 *   var  = max(fmaf(-m, m, f32((float)sum(x * x) / n)), 0)
 *   r    = f32((double)s / sqrt((double)f32(f32(var * s) * s) + eps))
 * then per element, with x - zp exact in fp32:
 *   layer norm:  v = fmaf(f32((x - zp - mean) * r), gamma[i], beta[i])
 *   group norm:  v = fmaf(x - zp - mean, f32(r * gamma[c]), beta[c])
 *   y = clamp(out_zp + rne(f32(v * f32(1 / out_scale))), 0, 255)
 * (the AVX2 translation unit contracts its multiply-adds; absent gamma /
 * beta are 1 / 0).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "q8/elementwise.h"
#include "../../quant/quantize.h"
#include "operator.h"

#define NORM_MAX_SIZE ((size_t)1 << 24)

typedef struct norm_op {
  q8_operator base;
  bool per_channel;  /* group norm: gamma / beta per channel */
  size_t size;       /* layer norm: normalized elements; group norm: channels */
  size_t groups;     /* group norm */
  float* gamma;      /* size entries */
  float* beta;
  double epsilon;
  q8_quantization input_q, output_q;
  /* setup */
  size_t rows, pixels;
  const uint8_t* input;
  uint8_t* output;
} norm_op;

static q8_status run_norm(q8_operator* base, pthreadpool_t threadpool);

static void destroy_norm(q8_operator* base) {
  norm_op* op = (norm_op*)base;
  free(op->gamma);
  free(op->beta);
}

static q8_status create_norm(const char* fn, const char* kind, bool per_channel, size_t size,
                             size_t groups, const float* weight, const float* bias, double epsilon,
                             q8_quantization input, q8_quantization output, q8_isa isa,
                             q8_operator** op_out, q8_error* error) {
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_nonzero(fn, per_channel ? "channels" : "normalized_size", size, error)) ||
      (s = q8_check_quantization(fn, "input", input, error)) ||
      (s = q8_check_quantization(fn, "output", output, error)))
    return s;
  if (size > NORM_MAX_SIZE || (per_channel && (groups == 0 || size % groups != 0)))
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: %zu channels / elements in %zu groups: the groups must divide them and "
                   "there may be at most 2^24", fn, size, groups);
  if (!(epsilon >= 0.0) || !isfinite(epsilon))
    return q8_fail(error, q8_status_invalid_parameter, "%s: epsilon %g", fn, epsilon);
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(norm_op), kind, isa, &base, error))) return s;
  norm_op* op = (norm_op*)base;
  base->run = run_norm;
  base->destroy = destroy_norm;
  op->per_channel = per_channel;
  op->size = size;
  op->groups = groups;
  op->epsilon = epsilon;
  op->input_q = input;
  op->output_q = output;
  op->gamma = malloc(size * sizeof(float));
  op->beta = malloc(size * sizeof(float));
  if (op->gamma == NULL || op->beta == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  }
  for (size_t i = 0; i < size; i++) {
    op->gamma[i] = weight != NULL ? weight[i] : 1.0f;
    op->beta[i] = bias != NULL ? bias[i] : 0.0f;
  }
  *op_out = base;
  return q8_status_success;
}

q8_status q8_layer_norm_create(size_t normalized_size, const float* weight, const float* bias,
                               double epsilon, q8_quantization input, q8_quantization output,
                               q8_isa isa, q8_operator** op_out, q8_error* error) {
  return create_norm("q8_layer_norm_create", "layer_norm", false, normalized_size, 1, weight, bias,
                     epsilon, input, output, isa, op_out, error);
}

q8_status q8_group_norm_create(size_t channels, size_t groups, const float* weight,
                               const float* bias, double epsilon, q8_quantization input,
                               q8_quantization output, q8_isa isa, q8_operator** op_out,
                               q8_error* error) {
  return create_norm("q8_group_norm_create", "group_norm", true, channels, groups, weight, bias,
                     epsilon, input, output, isa, op_out, error);
}

q8_status q8_norm_setup(q8_operator* base, size_t rows, size_t pixels, const uint8_t* input,
                        uint8_t* output, q8_error* error) {
  static const char fn[] = "q8_norm_setup";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_norm, error)) ||
      (s = q8_check_nonzero(fn, "rows", rows, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error)))
    return s;
  norm_op* op = (norm_op*)base;
  size_t total;
  if (op->per_channel && (s = q8_check_nonzero(fn, "pixels", pixels, error))) return s;
  if (!q8_mul_size(rows, op->size, &total) || (op->per_channel && !q8_mul_size(total, pixels, &total)) ||
      (op->per_channel && pixels > NORM_MAX_SIZE))
    return q8_fail(error, q8_status_invalid_parameter, "%s: the tensor is too large", fn);
  op->rows = rows;
  op->pixels = op->per_channel ? pixels : 1;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

/* The statistics of n codes: *mean of x - zp and the factor r. */
static void statistics(const norm_op* op, uint64_t sum, uint64_t sum_sq, size_t n, float* mean,
                       float* r) {
  const float m = (float)sum / (float)n;
  *mean = m - (float)op->input_q.zero_point;
  float var = fmaf(-m, m, (float)sum_sq / (float)n);
  if (!(var > 0.0f)) var = 0.0f;
  const float s = op->input_q.scale;
  *r = (float)((double)s / sqrt((double)(var * s * s) + op->epsilon));
}

static uint8_t requantize(const norm_op* op, float v) {
  return q8_quantize_value(v, 1.0f / op->output_q.scale, op->output_q.zero_point);
}

/* One row (layer norm: a contiguous group) or one (image, group) (group
 * norm on NHWC storage: the group's channels of every pixel). */
static void norm_task(void* context, size_t task) {
  const norm_op* op = context;
  const float zp = (float)op->input_q.zero_point;
  uint64_t sum = 0, sum_sq = 0;
  float mean, r;
  if (!op->per_channel) {
    const uint8_t* x = op->input + task * op->size;
    uint8_t* y = op->output + task * op->size;
    for (size_t i = 0; i < op->size; i++) sum += x[i], sum_sq += (uint64_t)x[i] * x[i];
    statistics(op, sum, sum_sq, op->size, &mean, &r);
    for (size_t i = 0; i < op->size; i++) {
      const float u = ((float)x[i] - zp - mean) * r;
      y[i] = requantize(op, fmaf(u, op->gamma[i], op->beta[i]));
    }
    return;
  }
  const size_t image = task / op->groups, group = task % op->groups;
  const size_t per_group = op->size / op->groups, c0 = group * per_group, channels = op->size;
  const uint8_t* x = op->input + image * op->pixels * channels;
  uint8_t* y = op->output + image * op->pixels * channels;
  for (size_t p = 0; p < op->pixels; p++)
    for (size_t c = c0; c < c0 + per_group; c++) {
      const uint8_t q = x[p * channels + c];
      sum += q, sum_sq += (uint64_t)q * q;
    }
  statistics(op, sum, sum_sq, per_group * op->pixels, &mean, &r);
  for (size_t c = c0; c < c0 + per_group; c++) {
    const float g = r * op->gamma[c], b = op->beta[c];
    for (size_t p = 0; p < op->pixels; p++)
      y[p * channels + c] = requantize(op, fmaf((float)x[p * channels + c] - zp - mean, g, b));
  }
}

static q8_status run_norm(q8_operator* base, pthreadpool_t threadpool) {
  norm_op* op = (norm_op*)base;
  pthreadpool_parallelize_1d(threadpool, norm_task, op, op->per_channel ? op->rows * op->groups : op->rows, 0);
  return q8_status_success;
}

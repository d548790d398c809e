/*
 * Softmax and log-softmax of fp32 tensors (a model's dequantized logits),
 * along one dimension of any position: rows of `channels` elements that are
 * `stride` elements apart, `outer` x `stride` rows. ATen's order of
 * operations: max, exp(x - max), their sum, then softmax multiplies by
 * 1 / sum and log-softmax subtracts max and log(sum). ATen's vectorized exp
 * (SLEEF, 1 ulp) and lane-wise sums round differently from expf and a
 * sequential sum: results agree to a few float ulps, not bit for bit.
 */
#include <math.h>

#include "q8/pooling.h"
#include "operator.h"

#define SOFTMAX_F32_ROW_BLOCK 16

typedef struct softmax_f32_op {
  q8_operator base;
  size_t channels;
  bool log;
  size_t outer, stride;
  const float* input;
  float* output;
} softmax_f32_op;

static q8_status run_softmax_f32(q8_operator* base, pthreadpool_t threadpool);

q8_status q8_softmax_f32_create(size_t channels, bool log, q8_isa isa, q8_operator** op_out,
                                q8_error* error) {
  static const char fn[] = "q8_softmax_f32_create";
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_nonzero(fn, "channels", channels, error))) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(softmax_f32_op), log ? "log_softmax_f32" : "softmax_f32", isa,
                              &base, error)))
    return s;
  softmax_f32_op* op = (softmax_f32_op*)base;
  base->run = run_softmax_f32;
  op->channels = channels;
  op->log = log;
  *op_out = base;
  return q8_status_success;
}

q8_status q8_softmax_f32_setup(q8_operator* base, size_t outer, size_t stride, const float* input,
                               float* output, q8_error* error) {
  static const char fn[] = "q8_softmax_f32_setup";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_softmax_f32, error)) ||
      (s = q8_check_nonzero(fn, "outer", outer, error)) ||
      (s = q8_check_nonzero(fn, "stride", stride, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  softmax_f32_op* op = (softmax_f32_op*)base;
  size_t total;
  if (!q8_mul_size(outer, stride, &total) || !q8_mul_size(total, op->channels, &total))
    return q8_fail(error, q8_status_invalid_parameter, "%s: the tensor is too large", fn);
  op->outer = outer;
  op->stride = stride;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static void softmax_f32_rows(void* context, size_t start, size_t count) {
  const softmax_f32_op* op = context;
  const size_t c = op->channels, stride = op->stride;
  for (size_t r = start; r < start + count; r++) {
    const size_t base = (r / stride) * stride * c + r % stride;
    const float* x = op->input + base;
    float* y = op->output + base;
    float max = x[0];
    for (size_t k = 1; k < c; k++) max = x[k * stride] > max || isnan(x[k * stride]) ? x[k * stride] : max;
    float sum = 0.0f;
    for (size_t k = 0; k < c; k++) {
      const float e = expf(x[k * stride] - max);
      if (!op->log) y[k * stride] = e;
      sum += e;
    }
    if (op->log) {
      const float log_sum = logf(sum);
      for (size_t k = 0; k < c; k++) y[k * stride] = x[k * stride] - max - log_sum;
    } else {
      const float inverse = 1.0f / sum;
      for (size_t k = 0; k < c; k++) y[k * stride] *= inverse;
    }
  }
}

static q8_status run_softmax_f32(q8_operator* base, pthreadpool_t threadpool) {
  softmax_f32_op* op = (softmax_f32_op*)base;
  pthreadpool_parallelize_1d_tile_1d(threadpool, softmax_f32_rows, op, op->outer * op->stride,
                                     SOFTMAX_F32_ROW_BLOCK, 0);
  return q8_status_success;
}

/*
 * Unary elementwise operators: every kind is a 256-entry table built at
 * create time (src/quant/elementwise-params.c), applied by the lut kernel
 * over rows of channels, in tiles spread over the threadpool.
 */
#include <math.h>
#include <string.h>

#include "../../quant/elementwise-params.h"
#include "operator.h"

#define UNARY_TILE 4096 /* elements per task */

typedef struct unary_op {
  q8_operator base;
  q8_unary_kind kind;
  q8_lut_ukernel_fn lut;
  uint8_t table[256];
  size_t batch, channels, input_stride, output_stride;
  const uint8_t* input;
  uint8_t* output;
} unary_op;

static q8_status run_unary(q8_operator* base, pthreadpool_t threadpool);

const char* q8_unary_kind_name(q8_unary_kind kind) {
  static const char* const names[q8_unary_kind_count] = {
      "requantize", "relu", "clamp", "leaky_relu", "elu",
      "hardswish",  "hardsigmoid", "sigmoid", "tanh"};
  return (unsigned)kind < q8_unary_kind_count ? names[kind] : NULL;
}

static q8_status check_finite(const char* fn, const char* name, float value, q8_error* error) {
  if (!isfinite(value)) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: %s is %g; it must be finite", fn,
                   name, value);
  }
  return q8_status_success;
}

static q8_status check_unary_params(const char* fn, q8_unary_kind kind, const q8_unary_params* p,
                                    q8_error* error) {
  const bool needs = kind == q8_unary_clamp || kind == q8_unary_leaky_relu || kind == q8_unary_elu;
  if (needs && p == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL; %s needs them", fn,
                   q8_unary_kind_name(kind));
  }
  q8_status s = q8_status_success;
  switch (kind) {
    case q8_unary_clamp:
      if ((s = check_finite(fn, "clamp.min", p->clamp.min, error)) ||
          (s = check_finite(fn, "clamp.max", p->clamp.max, error))) {
        return s;
      }
      if (p->clamp.min > p->clamp.max) {
        return q8_fail(error, q8_status_invalid_parameter,
                       "%s: clamp.min %g is greater than clamp.max %g", fn, p->clamp.min,
                       p->clamp.max);
      }
      break;
    case q8_unary_leaky_relu:
      s = check_finite(fn, "leaky_relu.negative_slope", p->leaky_relu.negative_slope, error);
      break;
    case q8_unary_elu:
      if ((s = check_finite(fn, "elu.alpha", p->elu.alpha, error)) ||
          (s = check_finite(fn, "elu.scale", p->elu.scale, error))) {
        return s;
      }
      s = check_finite(fn, "elu.input_scale", p->elu.input_scale, error);
      break;
    default: break;
  }
  return s;
}

q8_status q8_unary_create(q8_unary_kind kind, const q8_unary_params* params,
                          q8_quantization input, q8_quantization output, q8_isa isa,
                          q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_unary_create";
  if (op_out == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  }
  *op_out = NULL;
  if ((unsigned)kind >= q8_unary_kind_count) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: kind %d is not a q8_unary_kind", fn,
                   (int)kind);
  }
  q8_status s;
  if ((s = check_unary_params(fn, kind, params, error)) ||
      (s = q8_check_quantization(fn, "input", input, error)) ||
      (s = q8_check_quantization(fn, "output", output, error))) {
    return s;
  }
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(unary_op), q8_unary_kind_name(kind), isa, &base, error))) {
    return s;
  }
  unary_op* op = (unary_op*)base;
  base->run = run_unary;
  op->kind = kind;
  op->lut = base->kernels->elementwise->lut;
  q8_unary_table_init(kind, params, input, output, op->table);
  *op_out = base;
  return q8_status_success;
}

q8_status q8_lookup_create(const uint8_t table[256], q8_isa isa, q8_operator** op_out,
                           q8_error* error) {
  static const char fn[] = "q8_lookup_create";
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_pointer(fn, "table", table, error))) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(unary_op), "lookup", isa, &base, error))) return s;
  unary_op* op = (unary_op*)base;
  base->run = run_unary;
  op->kind = q8_unary_kind_count; /* none of the formulas */
  op->lut = base->kernels->elementwise->lut;
  memcpy(op->table, table, sizeof(op->table));
  *op_out = base;
  return q8_status_success;
}

const uint8_t* q8_unary_table(const q8_operator* base) {
  if (base == NULL || base->run != run_unary) return NULL;
  return ((const unary_op*)base)->table;
}

/* Shared by unary, quantize and dequantize setups: rows of channels. */
static q8_status check_rows(const char* fn, size_t batch, size_t channels, size_t* input_stride,
                            size_t* output_stride, const void* input, const void* output,
                            q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "batch", batch, error)) ||
      (s = q8_check_nonzero(fn, "channels", channels, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  if (*input_stride == 0) *input_stride = channels;
  if (*output_stride == 0) *output_stride = channels;
  if (*input_stride < channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_stride %zu is smaller than channels %zu", fn, *input_stride,
                   channels);
  }
  if (*output_stride < channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_stride %zu is smaller than channels %zu", fn, *output_stride,
                   channels);
  }
  return q8_status_success;
}

q8_status q8_unary_setup(q8_operator* base, size_t batch, size_t channels, size_t input_stride,
                         size_t output_stride, const uint8_t* input, uint8_t* output,
                         q8_error* error) {
  static const char fn[] = "q8_unary_setup";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_unary, error)) ||
      (s = check_rows(fn, batch, channels, &input_stride, &output_stride, input, output,
                      error))) {
    return s;
  }
  unary_op* op = (unary_op*)base;
  /* Dense rows are one long row: longer kernel calls, fewer tasks. */
  const bool dense = input_stride == channels && output_stride == channels;
  op->batch = dense ? 1 : batch;
  op->channels = dense ? batch * channels : channels;
  op->input_stride = input_stride;
  op->output_stride = output_stride;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static void unary_tile(void* context, size_t row, size_t start, size_t count) {
  const unary_op* op = context;
  op->lut(count, op->input + row * op->input_stride + start,
                                    op->output + row * op->output_stride + start, op->table);
}

static q8_status run_unary(q8_operator* base, pthreadpool_t threadpool) {
  unary_op* op = (unary_op*)base;
  pthreadpool_parallelize_2d_tile_1d(threadpool, unary_tile, op, op->batch, op->channels,
                                     UNARY_TILE, 0);
  return q8_status_success;
}

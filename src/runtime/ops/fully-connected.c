/*
 * Fully connected (quantized Linear) and dynamic fully connected (dynamic
 * quantized Linear): one GEMM over the batch, weights prepacked at create.
 */
#include <math.h>
#include <stdlib.h>

#include "../../quant/packing.h"
#include "../../quant/quantize.h"
#include "gemm-job.h"
#include "operator.h"

typedef struct fully_connected_op {
  q8_operator base;
  size_t input_channels, output_channels, input_stride, output_stride;
  void* packed;
  q8_requant_params requant;
  bool dynamic, relu;
  /* setup state */
  size_t batch;
  const void* input; /* uint8 or, dynamic, fp32 */
  void* output;
  uint8_t* quantized_input; /* dynamic: batch x input_channels */
  size_t quantized_capacity;
} fully_connected_op;

static q8_status run_fully_connected(q8_operator* base, pthreadpool_t threadpool);

static void destroy_fully_connected(q8_operator* base) {
  fully_connected_op* op = (fully_connected_op*)base;
  free(op->packed);
  free(op->quantized_input);
}

typedef struct fc_shape {
  size_t input_channels, output_channels, input_stride, output_stride;
} fc_shape;

static q8_status check_shape(const char* fn, fc_shape* s, const q8_weight_quantization* wq,
                             const int8_t* weights, q8_error* error) {
  q8_status st;
  if (s->input_stride == 0) s->input_stride = s->input_channels;
  if (s->output_stride == 0) s->output_stride = s->output_channels;
  if ((st = q8_check_nonzero(fn, "input_channels", s->input_channels, error)) ||
      (st = q8_check_nonzero(fn, "output_channels", s->output_channels, error)) ||
      (st = q8_check_weight_quantization(fn, wq, s->output_channels, error)) ||
      (st = q8_check_pointer(fn, "weights", weights, error))) {
    return st;
  }
  if (s->input_stride < s->input_channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_stride %zu is smaller than input_channels %zu", fn, s->input_stride,
                   s->input_channels);
  }
  if (s->output_stride < s->output_channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_stride %zu is smaller than output_channels %zu", fn,
                   s->output_stride, s->output_channels);
  }
  if (s->input_channels > Q8_MAX_REDUCTION) {
    return q8_fail(error, q8_status_unsupported_parameter,
                   "%s: input_channels is %zu; at most %d fit the int32 accumulator", fn,
                   s->input_channels, Q8_MAX_REDUCTION);
  }
  return q8_status_success;
}

static q8_status create_common(const char* fn, const char* kind, const fc_shape* shape,
                               const q8_weight_quantization* wq, size_t tail_words, q8_isa isa,
                               fully_connected_op** op_out, q8_error* error) {
  q8_operator* base;
  q8_status s = q8_operator_create(sizeof(fully_connected_op), kind, isa, &base, error);
  if (s != q8_status_success) return s;
  fully_connected_op* op = (fully_connected_op*)base;
  base->run = run_fully_connected;
  base->destroy = destroy_fully_connected;
  op->input_channels = shape->input_channels;
  op->output_channels = shape->output_channels;
  op->input_stride = shape->input_stride;
  op->output_stride = shape->output_stride;
  const q8_gemm_config* cfg = &base->kernels->gemm;
  const size_t size = q8_gemm_packed_size(shape->output_channels, shape->input_channels, 1,
                                          cfg->nr, cfg->kr, tail_words);
  op->packed = q8_alloc_packed(size);
  if (op->packed == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for packed weights", fn);
  }
  op->requant.subtract_row_sums = q8_has_weight_zero_points(
      &(q8_channel_quantization){wq->scales, wq->zero_points, wq->count == 1 ? 0 : 1}, wq->count);
  *op_out = op;
  return q8_status_success;
}

static q8_gemm_weights gemm_weights(const fc_shape* s, const q8_weight_quantization* wq,
                                    const int8_t* weights, const float* bias) {
  return (q8_gemm_weights){
      .nc = s->output_channels, .kc = s->input_channels, .ks = 1, .w = weights,
      .channel_stride = s->input_channels, .bias = bias,
      .weight = {wq->scales, wq->zero_points, wq->count == 1 ? 0 : 1}};
}

q8_status q8_fully_connected_create(const q8_fully_connected_params* p, const int8_t* weights,
                                    const float* bias, q8_isa isa, q8_operator** op_out,
                                    q8_error* error) {
  static const char fn[] = "q8_fully_connected_create";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  fc_shape shape = {p->input_channels, p->output_channels, p->input_stride, p->output_stride};
  q8_status s;
  if ((s = check_shape(fn, &shape, &p->weight, weights, error)) ||
      (s = q8_check_quantization(fn, "input", p->input, error)) ||
      (s = q8_check_quantization(fn, "output", p->output, error)) ||
      (s = q8_check_output_range(fn, p->output_min, p->output_max, error))) {
    return s;
  }
  fully_connected_op* op;
  if ((s = create_common(fn, "fully_connected", &shape, &p->weight, 2, isa, &op, error))) {
    return s;
  }
  const q8_gemm_weights gw = gemm_weights(&shape, &p->weight, weights, bias);
  const q8_gemm_config* cfg = &op->base.kernels->gemm;
  q8_pack_gemm_static(&gw, cfg->nr, cfg->kr, p->input.scale, p->input.zero_point + cfg->a_value_offset,
                      p->output.scale, op->packed);
  op->requant.output_zero_point = p->output.zero_point;
  op->requant.output_min = p->output_min;
  op->requant.output_max = p->output_max;
  *op_out = &op->base;
  return q8_status_success;
}

q8_status q8_dynamic_fully_connected_create(const q8_dynamic_fully_connected_params* p,
                                            const int8_t* weights, const float* bias,
                                            q8_isa isa, q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_dynamic_fully_connected_create";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  fc_shape shape = {p->input_channels, p->output_channels, p->input_stride, p->output_stride};
  q8_status s;
  if ((s = check_shape(fn, &shape, &p->weight, weights, error))) return s;
  fully_connected_op* op;
  if ((s = create_common(fn, "dynamic_fully_connected", &shape, &p->weight, 3, isa, &op,
                         error))) {
    return s;
  }
  const q8_gemm_weights gw = gemm_weights(&shape, &p->weight, weights, bias);
  const q8_gemm_config* cfg = &op->base.kernels->gemm;
  q8_pack_gemm_dynamic(&gw, cfg->nr, cfg->kr, op->packed);
  op->dynamic = true;
  op->relu = p->relu;
  *op_out = &op->base;
  return q8_status_success;
}

static q8_status setup_common(const char* fn, bool dynamic, q8_operator* base, size_t batch,
                              const void* input, void* output, q8_error* error) {
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_fully_connected, error))) return s;
  fully_connected_op* op = (fully_connected_op*)base;
  if (op->dynamic != dynamic) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op is a %s operator", fn, base->kind);
  }
  if ((s = q8_check_nonzero(fn, "batch", batch, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  if (dynamic) {
    size_t bytes;
    if (!q8_mul_size(batch, op->input_channels, &bytes)) {
      return q8_fail(error, q8_status_out_of_memory, "%s: batch %zu overflows", fn, batch);
    }
    uint8_t* buffer = q8_grow_buffer(op->quantized_input, &op->quantized_capacity, bytes, 1);
    if (buffer == NULL) return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
    op->quantized_input = buffer;
  }
  op->batch = batch;
  op->input = input;
  op->output = output;
  base->ops = 2 * (uint64_t)batch * op->input_channels * op->output_channels;
  base->is_setup = true;
  return q8_status_success;
}

q8_status q8_fully_connected_setup(q8_operator* op, size_t batch, const uint8_t* input,
                                   uint8_t* output, q8_error* error) {
  return setup_common("q8_fully_connected_setup", false, op, batch, input, output, error);
}

q8_status q8_dynamic_fully_connected_setup(q8_operator* op, size_t batch, const float* input,
                                           float* output, q8_error* error) {
  return setup_common("q8_dynamic_fully_connected_setup", true, op, batch, input, output, error);
}

/* Quantizes the fp32 input with qparams chosen from its range, as PyTorch's
 * dynamic linear does per call. */
static q8_dynamic_qparams quantize_input(fully_connected_op* op) {
  const float* x = op->input;
  float lo = INFINITY, hi = -INFINITY;
  for (size_t b = 0; b < op->batch; b++) {
    for (size_t k = 0; k < op->input_channels; k++) {
      const float v = x[b * op->input_stride + k];
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  }
  const q8_dynamic_qparams q = q8_choose_dynamic_qparams(lo, hi);
  const float inverse_scale = 1.0f / q.scale;
  for (size_t b = 0; b < op->batch; b++) {
    for (size_t k = 0; k < op->input_channels; k++) {
      op->quantized_input[b * op->input_channels + k] =
          q8_quantize_value(x[b * op->input_stride + k], inverse_scale, q.zero_point);
    }
  }
  return q;
}

static q8_status run_fully_connected(q8_operator* base, pthreadpool_t threadpool) {
  fully_connected_op* op = (fully_connected_op*)base;
  q8_gemm_job job = {
      .config = &base->kernels->gemm, .groups = 1, .m = op->batch, .nc = op->output_channels,
      .kc = op->input_channels, .ks = 1, .a = op->input, .a_stride = op->input_stride,
      .packed = op->packed, .c = op->output, .c_stride = op->output_stride,
      .requant = op->requant};
  if (op->dynamic) {
    const q8_dynamic_qparams q = quantize_input(op);
    job.dynamic = 1;
    job.a = op->quantized_input;
    job.a_stride = op->input_channels;
    job.c_stride = op->output_stride * sizeof(float);
    job.dq = (q8_gemm_dq_params){.input_zero_point = q.zero_point, .input_scale = q.scale,
                                 .relu = op->relu,
                                 .subtract_row_sums = op->requant.subtract_row_sums};
  }
  q8_gemm_job_run(&job, threadpool);
  return q8_status_success;
}

/*
 * quantize (fp32 -> uint8) and dequantize (uint8 -> fp32): rows of channels,
 * tiled over the threadpool; one operator struct serves both directions.
 */
#include "../../quant/elementwise-params.h"
#include "operator.h"

#define CONVERT_TILE 4096 /* elements per task */

typedef struct convert_op {
  q8_operator base;
  bool dequantize;
  q8_elementwise_config k;
  q8_quantize_params quantize_params;
  q8_dequantize_params dequantize_params;
  size_t batch, channels, input_stride, output_stride;
  const void* input;
  void* output;
} convert_op;

static q8_status run_convert(q8_operator* base, pthreadpool_t threadpool);

static q8_status create_convert(const char* fn, bool dequantize, q8_quantization q, q8_isa isa,
                                q8_operator** op_out, q8_error* error) {
  if (op_out == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  }
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_quantization(fn, dequantize ? "input" : "output", q, error))) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(convert_op), dequantize ? "dequantize" : "quantize", isa,
                              &base, error))) {
    return s;
  }
  convert_op* op = (convert_op*)base;
  base->run = run_convert;
  op->dequantize = dequantize;
  op->k = *base->kernels->elementwise;
  /* ATen: inverse scale in fp32, then a float multiply per element. */
  op->quantize_params = (q8_quantize_params){1.0f / q.scale, q.zero_point};
  op->dequantize_params = (q8_dequantize_params){q.scale, q.zero_point};
  *op_out = base;
  return q8_status_success;
}

q8_status q8_quantize_create(q8_quantization output, q8_isa isa, q8_operator** op_out,
                             q8_error* error) {
  return create_convert("q8_quantize_create", false, output, isa, op_out, error);
}

q8_status q8_dequantize_create(q8_quantization input, q8_isa isa, q8_operator** op_out,
                               q8_error* error) {
  return create_convert("q8_dequantize_create", true, input, isa, op_out, error);
}

static q8_status setup_convert(const char* fn, bool dequantize, q8_operator* base, size_t batch,
                               size_t channels, size_t input_stride, size_t output_stride,
                               const void* input, void* output, q8_error* error) {
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_convert, error))) return s;
  convert_op* op = (convert_op*)base;
  if (op->dequantize != dequantize) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op is a %s operator", fn, base->kind);
  }
  if ((s = q8_check_nonzero(fn, "batch", batch, error)) ||
      (s = q8_check_nonzero(fn, "channels", channels, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  if (input_stride == 0) input_stride = channels;
  if (output_stride == 0) output_stride = channels;
  if (input_stride < channels || output_stride < channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: %s %zu is smaller than channels %zu", fn,
                   input_stride < channels ? "input_stride" : "output_stride",
                   input_stride < channels ? input_stride : output_stride, channels);
  }
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

q8_status q8_quantize_setup(q8_operator* op, size_t batch, size_t channels, size_t input_stride,
                            size_t output_stride, const float* input, uint8_t* output,
                            q8_error* error) {
  return setup_convert("q8_quantize_setup", false, op, batch, channels, input_stride,
                       output_stride, input, output, error);
}

q8_status q8_dequantize_setup(q8_operator* op, size_t batch, size_t channels,
                              size_t input_stride, size_t output_stride, const uint8_t* input,
                              float* output, q8_error* error) {
  return setup_convert("q8_dequantize_setup", true, op, batch, channels, input_stride,
                       output_stride, input, output, error);
}

static void convert_tile(void* context, size_t row, size_t start, size_t count) {
  const convert_op* op = context;
  const q8_elementwise_config* k = &op->k;
  const size_t in = row * op->input_stride + start, out = row * op->output_stride + start;
  if (op->dequantize) {
    k->dequantize(count, (const uint8_t*)op->input + in, (float*)op->output + out,
                  &op->dequantize_params);
  } else {
    k->quantize(count, (const float*)op->input + in, (uint8_t*)op->output + out,
                &op->quantize_params);
  }
}

static q8_status run_convert(q8_operator* base, pthreadpool_t threadpool) {
  convert_op* op = (convert_op*)base;
  pthreadpool_parallelize_2d_tile_1d(threadpool, convert_tile, op, op->batch, op->channels,
                                     CONVERT_TILE, 0);
  return q8_status_success;
}

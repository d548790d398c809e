/*
 * Softmax over the channels of each pixel. Output qparams (1/256, 0) take
 * PyTorch's QNNPACK path (integer normalization over a table built at create
 * time); any others take its fallback: dequantize, fp32 softmax, quantize.
 * Parallel over pixels; each pixel is one independent row.
 */
#include <math.h>
#include <stdlib.h>

#include "../../quant/pooling-params.h"
#include "../../quant/quantize.h"
#include "operator.h"

#define SOFTMAX_PIXEL_BLOCK 16

typedef struct softmax_op {
  q8_operator base;
  size_t channels, input_pixel_stride, output_pixel_stride;
  q8_quantization input_q, output_q;
  bool integer_path;
  uint32_t table[256];
  /* setup state */
  size_t pixels;
  const uint8_t* input;
  uint8_t* output;
} softmax_op;

static q8_status run_softmax(q8_operator* base, pthreadpool_t threadpool);

/* PyTorch compares the double scale with 1.0f / 256.0f. */
static bool qnnpack_output(q8_quantization q) {
  return q.scale == 1.0f / 256.0f && q.zero_point == 0;
}

static q8_status check_params(const char* fn, const q8_softmax_params* p, q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "channels", p->channels, error)) ||
      (s = q8_check_quantization(fn, "input", p->input, error)) ||
      (s = q8_check_quantization(fn, "output", p->output, error))) {
    return s;
  }
  if (p->channels > ((size_t)1 << 24)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: channels is %zu; it must be at most 2^24", fn, p->channels);
  }
  if (p->input_pixel_stride != 0 && p->input_pixel_stride < p->channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_pixel_stride %zu is smaller than channels %zu", fn,
                   p->input_pixel_stride, p->channels);
  }
  if (p->output_pixel_stride != 0 && p->output_pixel_stride < p->channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_pixel_stride %zu is smaller than channels %zu", fn,
                   p->output_pixel_stride, p->channels);
  }
  return q8_status_success;
}

q8_status q8_softmax_create_nc(const q8_softmax_params* p, q8_isa isa, q8_operator** op_out,
                               q8_error* error) {
  static const char fn[] = "q8_softmax_create_nc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  q8_status s = check_params(fn, p, error);
  if (s != q8_status_success) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(softmax_op), "softmax", isa, &base, error))) return s;
  softmax_op* op = (softmax_op*)base;
  base->run = run_softmax;
  op->channels = p->channels;
  op->input_pixel_stride = p->input_pixel_stride ? p->input_pixel_stride : p->channels;
  op->output_pixel_stride = p->output_pixel_stride ? p->output_pixel_stride : p->channels;
  op->input_q = p->input;
  op->output_q = p->output;
  op->integer_path = qnnpack_output(p->output);
  if (op->integer_path) q8_softmax_table(p->input.scale, p->channels, op->table);
  *op_out = base;
  return q8_status_success;
}

q8_status q8_softmax_setup_nc(q8_operator* base, size_t pixels, const uint8_t* input,
                              uint8_t* output, q8_error* error) {
  static const char fn[] = "q8_softmax_setup_nc";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_softmax, error))) return s;
  if ((s = q8_check_nonzero(fn, "pixels", pixels, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  softmax_op* op = (softmax_op*)base;
  op->pixels = pixels;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

/* The fp32 fallback for one row: max, exp of the shifted values, their sum,
 * a multiply by the reciprocal (as ATen's softmax does), quantize. */
static void float_softmax_row(const softmax_op* op, const uint8_t* x, uint8_t* y) {
  const float s = op->input_q.scale;
  const int32_t zp = op->input_q.zero_point;
  uint8_t max = 0;
  for (size_t c = 0; c < op->channels; c++) max = x[c] > max ? x[c] : max;
  const float xmax = q8_dequantize_value(max, s, zp);
  float sum = 0.0f;
  for (size_t c = 0; c < op->channels; c++) sum += expf(q8_dequantize_value(x[c], s, zp) - xmax);
  const float inverse_sum = 1.0f / sum, inverse_scale = 1.0f / op->output_q.scale;
  for (size_t c = 0; c < op->channels; c++) {
    const float e = expf(q8_dequantize_value(x[c], s, zp) - xmax) * inverse_sum;
    y[c] = q8_quantize_value(e, inverse_scale, op->output_q.zero_point);
  }
}

static void softmax_block(void* context, size_t p0, size_t count) {
  const softmax_op* op = context;
  for (size_t p = p0; p < p0 + count; p++) {
    const uint8_t* x = op->input + p * op->input_pixel_stride;
    uint8_t* y = op->output + p * op->output_pixel_stride;
    if (op->integer_path) {
      op->base.kernels->pooling->lut32norm(op->channels, x, op->table, y);
    } else {
      float_softmax_row(op, x, y);
    }
  }
}

static q8_status run_softmax(q8_operator* base, pthreadpool_t threadpool) {
  softmax_op* op = (softmax_op*)base;
  pthreadpool_parallelize_1d_tile_1d(threadpool, softmax_block, op, op->pixels,
                                     SOFTMAX_PIXEL_BLOCK, 0);
  return q8_status_success;
}

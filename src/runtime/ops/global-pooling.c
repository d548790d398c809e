/*
 * Global average pooling (torch.mean over H and W): one gavgpool kernel call
 * per image, parallel over images and channel blocks.
 */
#include <stdlib.h>

#include "../../quant/pooling-params.h"
#include "operator.h"

/* Channels per task: enough work per call, and more tasks than images. */
#define GAVG_CHANNEL_BLOCK 64

typedef struct gavg_op {
  q8_operator base;
  size_t channels, input_pixel_stride, output_stride;
  q8_quantization input_q, output_q;
  q8_avgpool_params params;
  /* setup state */
  size_t batch, pixels;
  float multiplier;
  const uint8_t* input;
  uint8_t* output;
} gavg_op;

static q8_status run_gavg(q8_operator* base, pthreadpool_t threadpool);

static q8_status check_params(const char* fn, const q8_global_avg_pooling2d_params* p,
                              q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "channels", p->channels, error)) ||
      (s = q8_check_quantization(fn, "input", p->input, error)) ||
      (s = q8_check_quantization(fn, "output", p->output, error)) ||
      (s = q8_check_output_range(fn, p->output_min, p->output_max, error))) {
    return s;
  }
  if (p->input_pixel_stride != 0 && p->input_pixel_stride < p->channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_pixel_stride %zu is smaller than channels %zu", fn,
                   p->input_pixel_stride, p->channels);
  }
  if (p->output_stride != 0 && p->output_stride < p->channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_stride %zu is smaller than channels %zu", fn, p->output_stride,
                   p->channels);
  }
  return q8_status_success;
}

q8_status q8_global_avg_pooling2d_create_nhwc(const q8_global_avg_pooling2d_params* p,
                                              q8_isa isa, q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_global_avg_pooling2d_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  q8_status s = check_params(fn, p, error);
  if (s != q8_status_success) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(gavg_op), "global_avg_pooling2d", isa, &base, error))) {
    return s;
  }
  gavg_op* op = (gavg_op*)base;
  base->run = run_gavg;
  op->channels = p->channels;
  op->input_pixel_stride = p->input_pixel_stride ? p->input_pixel_stride : p->channels;
  op->output_stride = p->output_stride ? p->output_stride : p->channels;
  op->input_q = p->input;
  op->output_q = p->output;
  op->params = (q8_avgpool_params){.input_zero_point = p->input.zero_point,
                                   .output_zero_point = p->output.zero_point,
                                   .output_min = p->output_min, .output_max = p->output_max};
  *op_out = base;
  return q8_status_success;
}

q8_status q8_global_avg_pooling2d_setup_nhwc(q8_operator* base, size_t batch, size_t input_height,
                                             size_t input_width, const uint8_t* input,
                                             uint8_t* output, q8_error* error) {
  static const char fn[] = "q8_global_avg_pooling2d_setup_nhwc";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_gavg, error))) return s;
  gavg_op* op = (gavg_op*)base;
  if ((s = q8_check_image(fn, batch, input_height, input_width, input, output, error))) return s;
  size_t pixels;
  if (!q8_mul_size(input_height, input_width, &pixels) || pixels > ((size_t)1 << 23)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_height * input_width must be at most 2^23", fn);
  }
  op->batch = batch;
  op->pixels = pixels;
  op->multiplier = q8_avgpool_qnnpack_multiplier(op->input_q.scale, op->output_q.scale, pixels);
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static void gavg_block(void* context, size_t n, size_t c0, size_t nc) {
  const gavg_op* op = context;
  op->base.kernels->pooling->gavgpool(op->pixels, nc,
                                     op->input + n * op->pixels * op->input_pixel_stride + c0,
                                     op->input_pixel_stride, op->multiplier,
                                     op->output + n * op->output_stride + c0, &op->params);
}

static q8_status run_gavg(q8_operator* base, pthreadpool_t threadpool) {
  gavg_op* op = (gavg_op*)base;
  pthreadpool_parallelize_2d_tile_1d(threadpool, gavg_block,
                                     op, op->batch, op->channels, GAVG_CHANNEL_BLOCK, 0);
  return q8_status_success;
}

/*
 * Concatenation along channels, NHWC. Each input is requantized to the
 * output's qparams through a 256-entry table built at create time (the
 * elementwise table-lookup kernel), or copied when its qparams already are
 * the output's (the table would be the identity). Parallel over pixel blocks.
 *
 * An input with the output's qparams that already lies in its channel slice
 * of the output (same pointer and pixel stride: the planner had its producer
 * write there) is skipped, so a concat of such inputs only costs its setup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../quant/pooling-params.h"
#include "operator.h"

#define CONCAT_PIXEL_BLOCK 64

typedef struct concat_input {
  size_t channels, pixel_stride, offset;
  bool copy;
  bool in_place; /* set up: the input is its slice of the output */
  uint8_t table[256];
} concat_input;

typedef struct concat_op {
  q8_operator base;
  size_t num_inputs, output_pixel_stride;
  concat_input* in;
  /* setup state */
  size_t pixels;
  const uint8_t** inputs;
  uint8_t* output;
  bool all_in_place;
} concat_op;

static q8_status run_concat(q8_operator* base, pthreadpool_t threadpool);

static void destroy_concat(q8_operator* base) {
  concat_op* op = (concat_op*)base;
  free(op->in);
  free(op->inputs);
}

static q8_status check_input(const char* fn, const q8_concat_params* p, size_t i,
                             q8_error* error) {
  if (p->input_channels[i] == 0) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_channels[%zu] is 0; it must be at least 1", fn, i);
  }
  if (p->input_pixel_strides != NULL && p->input_pixel_strides[i] != 0 &&
      p->input_pixel_strides[i] < p->input_channels[i]) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_pixel_strides[%zu] %zu is smaller than input_channels[%zu] %zu",
                   fn, i, p->input_pixel_strides[i], i, p->input_channels[i]);
  }
  char name[32];
  snprintf(name, sizeof(name), "inputs[%zu]", i);
  return q8_check_quantization(fn, name, p->inputs[i], error);
}

static q8_status check_params(const char* fn, const q8_concat_params* p, size_t* total,
                              q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "num_inputs", p->num_inputs, error)) ||
      (s = q8_check_pointer(fn, "input_channels", p->input_channels, error)) ||
      (s = q8_check_pointer(fn, "inputs", p->inputs, error)) ||
      (s = q8_check_quantization(fn, "output", p->output, error))) {
    return s;
  }
  *total = 0;
  for (size_t i = 0; i < p->num_inputs; i++) {
    if ((s = check_input(fn, p, i, error))) return s;
    *total += p->input_channels[i];
  }
  if (p->output_pixel_stride != 0 && p->output_pixel_stride < *total) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_pixel_stride %zu is smaller than the total channel count %zu", fn,
                   p->output_pixel_stride, *total);
  }
  return q8_status_success;
}

static void init_inputs(concat_op* op, const q8_concat_params* p) {
  size_t offset = 0;
  for (size_t i = 0; i < p->num_inputs; i++) {
    concat_input* in = &op->in[i];
    in->channels = p->input_channels[i];
    in->pixel_stride = p->input_pixel_strides && p->input_pixel_strides[i]
                           ? p->input_pixel_strides[i] : in->channels;
    in->offset = offset;
    offset += in->channels;
    in->copy = p->inputs[i].scale == p->output.scale &&
               p->inputs[i].zero_point == p->output.zero_point;
    if (!in->copy) {
      q8_requantize_table(p->inputs[i].scale, p->inputs[i].zero_point, p->output.scale,
                          p->output.zero_point, in->table);
    }
  }
}

q8_status q8_concat_create_nhwc(const q8_concat_params* p, q8_isa isa, q8_operator** op_out,
                                q8_error* error) {
  static const char fn[] = "q8_concat_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  size_t total;
  q8_status s = check_params(fn, p, &total, error);
  if (s != q8_status_success) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(concat_op), "concat", isa, &base, error))) return s;
  concat_op* op = (concat_op*)base;
  base->destroy = destroy_concat;
  base->run = run_concat;
  op->num_inputs = p->num_inputs;
  op->output_pixel_stride = p->output_pixel_stride ? p->output_pixel_stride : total;
  op->in = calloc(p->num_inputs, sizeof(concat_input));
  op->inputs = calloc(p->num_inputs, sizeof(const uint8_t*));
  if (op->in == NULL || op->inputs == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  }
  init_inputs(op, p);
  *op_out = base;
  return q8_status_success;
}

static void mark_in_place(concat_op* op, const uint8_t* output) {
  op->all_in_place = true;
  for (size_t i = 0; i < op->num_inputs; i++) {
    concat_input* in = &op->in[i];
    in->in_place = in->copy && op->inputs[i] == output + in->offset &&
                   in->pixel_stride == op->output_pixel_stride;
    op->all_in_place = op->all_in_place && in->in_place;
  }
}

q8_status q8_concat_setup_nhwc(q8_operator* base, size_t batch, size_t height, size_t width,
                               const uint8_t* const* inputs, uint8_t* output, q8_error* error) {
  static const char fn[] = "q8_concat_setup_nhwc";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_concat, error))) return s;
  concat_op* op = (concat_op*)base;
  if ((s = q8_check_nonzero(fn, "batch", batch, error)) ||
      (s = q8_check_nonzero(fn, "height", height, error)) ||
      (s = q8_check_nonzero(fn, "width", width, error)) ||
      (s = q8_check_pointer(fn, "inputs", inputs, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  for (size_t i = 0; i < op->num_inputs; i++) {
    if (inputs[i] == NULL) {
      return q8_fail(error, q8_status_invalid_parameter, "%s: inputs[%zu] is NULL", fn, i);
    }
    op->inputs[i] = inputs[i];
  }
  mark_in_place(op, output);
  size_t pixels;
  if (!q8_mul_size(batch, height, &pixels) || !q8_mul_size(pixels, width, &pixels)) {
    return q8_fail(error, q8_status_out_of_memory, "%s: pixel count overflows", fn);
  }
  op->pixels = pixels;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static void concat_block(void* context, size_t p0, size_t count) {
  const concat_op* op = context;
  const q8_lut_ukernel_fn lut = op->base.kernels->elementwise->lut;
  for (size_t i = 0; i < op->num_inputs; i++) {
    const concat_input* in = &op->in[i];
    if (in->in_place) continue;
    for (size_t p = p0; p < p0 + count; p++) {
      const uint8_t* x = op->inputs[i] + p * in->pixel_stride;
      uint8_t* y = op->output + p * op->output_pixel_stride + in->offset;
      if (in->copy) {
        memcpy(y, x, in->channels);
      } else {
        lut(in->channels, x, y, in->table);
      }
    }
  }
}

static q8_status run_concat(q8_operator* base, pthreadpool_t threadpool) {
  concat_op* op = (concat_op*)base;
  if (op->all_in_place) return q8_status_success;
  pthreadpool_parallelize_1d_tile_1d(threadpool, concat_block, op, op->pixels, CONCAT_PIXEL_BLOCK,
                                     0);
  return q8_status_success;
}

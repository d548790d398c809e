/* Channel shuffle, NHWC: a per-pixel transpose, parallel over pixel blocks. */
#include "operator.h"

#define SHUFFLE_PIXEL_BLOCK 64

typedef struct shuffle_op {
  q8_operator base;
  size_t groups, group_channels, input_pixel_stride, output_pixel_stride;
  size_t pixels;
  const uint8_t* input;
  uint8_t* output;
} shuffle_op;

static q8_status run_shuffle(q8_operator* base, pthreadpool_t threadpool);

q8_status q8_channel_shuffle_create_nhwc(const q8_channel_shuffle_params* p, q8_isa isa,
                                         q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_channel_shuffle_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  q8_status s;
  if ((s = q8_check_nonzero(fn, "groups", p->groups, error)) ||
      (s = q8_check_nonzero(fn, "group_channels", p->group_channels, error))) {
    return s;
  }
  const size_t channels = (size_t)p->groups * p->group_channels;
  if (p->input_pixel_stride != 0 && p->input_pixel_stride < channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_pixel_stride %zu is smaller than the channel count %zu", fn,
                   p->input_pixel_stride, channels);
  }
  if (p->output_pixel_stride != 0 && p->output_pixel_stride < channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_pixel_stride %zu is smaller than the channel count %zu", fn,
                   p->output_pixel_stride, channels);
  }
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(shuffle_op), "channel_shuffle", isa, &base, error))) return s;
  shuffle_op* op = (shuffle_op*)base;
  base->run = run_shuffle;
  op->groups = p->groups;
  op->group_channels = p->group_channels;
  op->input_pixel_stride = p->input_pixel_stride ? p->input_pixel_stride : channels;
  op->output_pixel_stride = p->output_pixel_stride ? p->output_pixel_stride : channels;
  *op_out = base;
  return q8_status_success;
}

q8_status q8_channel_shuffle_setup_nhwc(q8_operator* base, size_t batch, size_t height,
                                        size_t width, const uint8_t* input, uint8_t* output,
                                        q8_error* error) {
  static const char fn[] = "q8_channel_shuffle_setup_nhwc";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_shuffle, error))) return s;
  shuffle_op* op = (shuffle_op*)base;
  size_t pixels;
  if ((s = q8_check_nonzero(fn, "batch", batch, error)) ||
      (s = q8_check_nonzero(fn, "height", height, error)) ||
      (s = q8_check_nonzero(fn, "width", width, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  if (!q8_mul_size(batch, height, &pixels) || !q8_mul_size(pixels, width, &pixels)) {
    return q8_fail(error, q8_status_out_of_memory, "%s: pixel count overflows", fn);
  }
  op->pixels = pixels;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static void shuffle_block(void* context, size_t p0, size_t count) {
  const shuffle_op* op = context;
  op->base.kernels->pooling->shuffle(count, op->groups, op->group_channels,
                                    op->input + p0 * op->input_pixel_stride,
                                    op->input_pixel_stride,
                                    op->output + p0 * op->output_pixel_stride,
                                    op->output_pixel_stride);
}

static q8_status run_shuffle(q8_operator* base, pthreadpool_t threadpool) {
  shuffle_op* op = (shuffle_op*)base;
  pthreadpool_parallelize_1d_tile_1d(threadpool, shuffle_block, op, op->pixels,
                                     SHUFFLE_PIXEL_BLOCK, 0);
  return q8_status_success;
}

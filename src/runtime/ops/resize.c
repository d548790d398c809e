/*
 * Nearest and bilinear resize, NHWC. Setup computes PyTorch's source indices
 * once per shape: for nearest one input pointer per output pixel (a gather
 * of whole pixels), for bilinear four corner pointers and four fp32 weights
 * per output pixel. Parallel over output rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../quant/pooling-params.h"
#include "operator.h"

typedef struct resize_op {
  q8_operator base;
  q8_resize2d_params p; /* strides resolved */
  bool channels_last_rounding;
  /* setup state */
  size_t batch, input_height, input_width;
  const uint8_t* input;
  uint8_t* output;
  const uint8_t** pointers; /* nearest: 1, bilinear: 4 per output pixel */
  size_t pointer_count;
  float* lambdas; /* bilinear: 4 per output pixel of one image */
  size_t lambda_count;
} resize_op;

static q8_status run_resize(q8_operator* base, pthreadpool_t threadpool);

static void destroy_resize(q8_operator* base) {
  resize_op* op = (resize_op*)base;
  free(op->pointers);
  free(op->lambdas);
}

static bool valid_scale(double s) { return s == 0.0 || (s > 0.0 && isfinite(s)); }

static q8_status check_params(const char* fn, const q8_resize2d_params* p, q8_error* error) {
  q8_status s;
  if (p->mode != q8_resize_nearest && p->mode != q8_resize_bilinear) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: mode %d is not a q8_resize_mode value", fn, (int)p->mode);
  }
  if ((s = q8_check_nonzero(fn, "output_height", p->output_height, error)) ||
      (s = q8_check_nonzero(fn, "output_width", p->output_width, error)) ||
      (s = q8_check_nonzero(fn, "channels", p->channels, error))) {
    return s;
  }
  if (!valid_scale(p->scale_height) || !valid_scale(p->scale_width)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: scale_height %g / scale_width %g must be 0 or positive and finite", fn,
                   p->scale_height, p->scale_width);
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
  if (p->mode == q8_resize_bilinear && (p->zero_point < 0 || p->zero_point > 255)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: zero_point is %d; it must be in [0, 255]", fn, (int)p->zero_point);
  }
  return q8_status_success;
}

q8_status q8_resize2d_create_nhwc(const q8_resize2d_params* p, q8_isa isa, q8_operator** op_out,
                                  q8_error* error) {
  static const char fn[] = "q8_resize2d_create_nhwc";
  if (op_out != NULL) *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  q8_status s = check_params(fn, p, error);
  if (s != q8_status_success) return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(resize_op), "resize2d", isa, &base, error))) return s;
  resize_op* op = (resize_op*)base;
  base->run = run_resize;
  base->destroy = destroy_resize;
  op->p = *p;
  if (op->p.input_pixel_stride == 0) op->p.input_pixel_stride = p->channels;
  if (op->p.output_pixel_stride == 0) op->p.output_pixel_stride = p->channels;
  *op_out = base;
  return q8_status_success;
}

q8_status q8_resize2d_create_channels_last_nhwc(const q8_resize2d_params* p, q8_isa isa,
                                                q8_operator** op_out, q8_error* error) {
  q8_status s = q8_resize2d_create_nhwc(p, isa, op_out, error);
  if (s == q8_status_success) ((resize_op*)*op_out)->channels_last_rounding = true;
  return s;
}

static const uint8_t* pixel(const resize_op* op, size_t n, size_t y, size_t x) {
  return op->input + ((n * op->input_height + y) * op->input_width + x) * op->p.input_pixel_stride;
}

static void build_nearest(resize_op* op) {
  const size_t oh = op->p.output_height, ow = op->p.output_width;
  const float rh = q8_resize_ratio(op->input_height, oh, op->p.scale_height);
  const float rw = q8_resize_ratio(op->input_width, ow, op->p.scale_width);
  for (size_t n = 0; n < op->batch; n++) {
    for (size_t oy = 0; oy < oh; oy++) {
      const size_t iy = q8_nearest_source(oy, op->input_height, oh, rh);
      for (size_t ox = 0; ox < ow; ox++) {
        const size_t ix = q8_nearest_source(ox, op->input_width, ow, rw);
        op->pointers[(n * oh + oy) * ow + ox] = pixel(op, n, iy, ix);
      }
    }
  }
}

/* PyTorch's channels_last source index: its AVX2 translation unit contracts
 * scale * (dst + 0.5f) - 0.5f into one FMA. */
static q8_bilinear_tap channels_last_source(size_t dst, size_t in, size_t out, bool align_corners,
                                            double scale) {
  float r;
  if (align_corners) r = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
  else r = scale > 0.0 ? (float)(1.0 / scale) : (float)in / (float)out;
  float src = align_corners ? r * (float)dst : fmaf(r, (float)dst + 0.5f, -0.5f);
  if (!align_corners && src < 0.0f) src = 0.0f;
  q8_bilinear_tap t;
  t.i0 = (size_t)src;
  if (t.i0 > in - 1) t.i0 = in - 1; /* cannot happen for a valid ratio; stays in bounds */
  t.step = t.i0 < in - 1 ? 1 : 0;
  t.l1 = src - (float)t.i0;
  t.l0 = 1.0f - t.l1;
  return t;
}

static q8_bilinear_tap bilinear_source(const resize_op* op, size_t dst, size_t in, size_t out,
                                       double scale) {
  return op->channels_last_rounding
             ? channels_last_source(dst, in, out, op->p.align_corners, scale)
             : q8_bilinear_source(dst, in, out, op->p.align_corners, scale);
}

static void build_bilinear(resize_op* op) {
  const size_t oh = op->p.output_height, ow = op->p.output_width;
  for (size_t oy = 0; oy < oh; oy++) {
    const q8_bilinear_tap h = bilinear_source(op, oy, op->input_height, oh, op->p.scale_height);
    for (size_t ox = 0; ox < ow; ox++) {
      const q8_bilinear_tap w = bilinear_source(op, ox, op->input_width, ow, op->p.scale_width);
      float* l = op->lambdas + 4 * (oy * ow + ox);
      l[0] = h.l0, l[1] = h.l1, l[2] = w.l0, l[3] = w.l1;
      for (size_t n = 0; n < op->batch; n++) {
        const uint8_t** c = op->pointers + 4 * ((n * oh + oy) * ow + ox);
        c[0] = pixel(op, n, h.i0, w.i0);
        c[1] = pixel(op, n, h.i0, w.i0 + w.step);
        c[2] = pixel(op, n, h.i0 + h.step, w.i0);
        c[3] = pixel(op, n, h.i0 + h.step, w.i0 + w.step);
      }
    }
  }
}

q8_status q8_resize2d_setup_nhwc(q8_operator* base, size_t batch, size_t input_height,
                                 size_t input_width, const uint8_t* input, uint8_t* output,
                                 q8_error* error) {
  static const char fn[] = "q8_resize2d_setup_nhwc";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_resize, error))) return s;
  resize_op* op = (resize_op*)base;
  if ((s = q8_check_image(fn, batch, input_height, input_width, input, output, error))) return s;
  const size_t per_pixel = op->p.mode == q8_resize_bilinear ? 4 : 1;
  size_t image, count;
  if (!q8_mul_size(op->p.output_height, op->p.output_width, &image) ||
      !q8_mul_size(image, batch * per_pixel, &count)) {
    return q8_fail(error, q8_status_out_of_memory, "%s: output size overflows", fn);
  }
  const uint8_t** pointers = q8_grow_buffer(op->pointers, &op->pointer_count, count, sizeof(void*));
  if (pointers == NULL) {
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for the source tables", fn);
  }
  op->pointers = pointers;
  if (per_pixel == 4) {
    float* lambdas = q8_grow_buffer(op->lambdas, &op->lambda_count, image * 4, sizeof(float));
    if (lambdas == NULL) {
      return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for the weights", fn);
    }
    op->lambdas = lambdas;
  }
  op->batch = batch;
  op->input_height = input_height;
  op->input_width = input_width;
  op->input = input;
  op->output = output;
  if (per_pixel == 4) {
    build_bilinear(op);
  } else {
    build_nearest(op);
  }
  base->is_setup = true;
  return q8_status_success;
}

/* PyTorch's channels_last bilinear pixel (see pooling.h): the first
 * floor(C / 8) * 8 channels as its vector body rounds, the rest as its
 * scalar tail. */
static void channels_last_bilinear(const resize_op* op, const uint8_t* const* corners,
                                   const float* l, uint8_t* out) {
  const size_t channels = op->p.channels, vector = channels / 8 * 8;
  const float h0 = l[0], h1 = l[1], w0 = l[2], w1 = l[3], z = (float)op->p.zero_point;
  for (size_t c = 0; c < channels; c++) {
    const float p00 = corners[0][c], p01 = corners[1][c], p10 = corners[2][c], p11 = corners[3][c];
    float v;
    if (c < vector) {
      const float t = fmaf(w1, p01, w0 * p00), b = fmaf(w1, p11, w0 * p10);
      v = fmaf(h1, b, h0 * t) - z;
    } else {
      const float t = fmaf(w0, p00, w1 * p01), b = fmaf(w0, p10, w1 * p11);
      v = fmaf(h0, t, h1 * b) - z;
    }
    const float y = nearbyintf(v) + z;
    out[c] = (uint8_t)(y < 0.0f ? 0.0f : y > 255.0f ? 255.0f : y);
  }
}

static void resize_row(void* context, size_t row) {
  const resize_op* op = context;
  const size_t ow = op->p.output_width, stride = op->p.output_pixel_stride;
  uint8_t* out = op->output + row * ow * stride;
  if (op->p.mode == q8_resize_bilinear && op->channels_last_rounding) {
    const size_t oy = row % op->p.output_height;
    for (size_t ox = 0; ox < ow; ox++)
      channels_last_bilinear(op, op->pointers + 4 * (row * ow + ox), op->lambdas + 4 * (oy * ow + ox),
                             out + ox * stride);
    return;
  }
  if (op->p.mode == q8_resize_bilinear) {
    const size_t oy = row % op->p.output_height;
    op->base.kernels->pooling->bilinear(ow, op->p.channels, op->pointers + 4 * row * ow,
                                       op->lambdas + 4 * oy * ow, out, stride,
                                       op->p.zero_point);
    return;
  }
  for (size_t ox = 0; ox < ow; ox++) {
    memcpy(out + ox * stride, op->pointers[row * ow + ox], op->p.channels);
  }
}

static q8_status run_resize(q8_operator* base, pthreadpool_t threadpool) {
  resize_op* op = (resize_op*)base;
  pthreadpool_parallelize_1d(threadpool, resize_row, op, op->batch * op->p.output_height, 0);
  return q8_status_success;
}

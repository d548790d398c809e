/*
 * Nearest and bilinear resize of fp32 NCHW planes (upsample_nearest2d /
 * upsample_bilinear2d on float tensors: FX graph mode leaves nn.Upsample
 * unquantized, between a dequantize and a quantize). Setup computes the
 * per-axis source taps once per shape; the run is parallel over the
 * batch x channels planes. The rounding of ATen's two CPU kernels (its
 * channels_last one and its generic one) is in pooling.h.
 */
#include <math.h>
#include <stdlib.h>

#include "q8/pooling.h"
#include "operator.h"

typedef struct f32_tap {
  size_t i0, i1;
  float l0, l1;
} f32_tap;

typedef struct resize_f32_op {
  q8_operator base;
  q8_resize2d_params p;
  bool channels_last;
  /* setup state */
  size_t batch, input_height, input_width;
  const float* input;
  float* output;
  f32_tap* taps; /* output_height taps, then output_width taps */
  size_t tap_count;
} resize_f32_op;

static q8_status run_resize_f32(q8_operator* base, pthreadpool_t threadpool);

static void destroy_resize_f32(q8_operator* base) { free(((resize_f32_op*)base)->taps); }

static bool valid_scale(double s) { return s == 0.0 || (s > 0.0 && isfinite(s)); }

q8_status q8_resize2d_f32_create(const q8_resize2d_params* p, bool channels_last, q8_isa isa,
                                 q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_resize2d_f32_create";
  if (op_out != NULL) *op_out = NULL;
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  if (p->mode != q8_resize_nearest && p->mode != q8_resize_bilinear)
    return q8_fail(error, q8_status_invalid_parameter, "%s: mode %d is not a q8_resize_mode value",
                   fn, (int)p->mode);
  q8_status s;
  if ((s = q8_check_nonzero(fn, "output_height", p->output_height, error)) ||
      (s = q8_check_nonzero(fn, "output_width", p->output_width, error)) ||
      (s = q8_check_nonzero(fn, "channels", p->channels, error)))
    return s;
  if (!valid_scale(p->scale_height) || !valid_scale(p->scale_width))
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: scale_height %g / scale_width %g must be 0 or positive and finite", fn,
                   p->scale_height, p->scale_width);
  if (p->input_pixel_stride != 0 || p->output_pixel_stride != 0)
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: the planes are dense: pixel strides must be 0", fn);
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(resize_f32_op), "resize2d_f32", isa, &base, error))) return s;
  resize_f32_op* op = (resize_f32_op*)base;
  base->run = run_resize_f32;
  base->destroy = destroy_resize_f32;
  op->p = *p;
  op->channels_last = channels_last;
  *op_out = base;
  return q8_status_success;
}

/* ATen's fp32 ratio: area_pixel_compute_scale. */
static float ratio_of(size_t in, size_t out, bool align_corners, double scale) {
  if (align_corners) return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
  return scale > 0.0 ? (float)(1.0 / scale) : (float)in / (float)out;
}

static f32_tap nearest_tap(size_t dst, size_t in, size_t out, double scale, bool channels_last) {
  f32_tap t = {0, 0, 1.0f, 0.0f};
  if (channels_last && out == in) t.i0 = dst;
  else if (channels_last && out == 2 * in) t.i0 = dst >> 1;
  else {
    const float src = floorf((float)dst * ratio_of(in, out, false, scale));
    t.i0 = src < (float)(in - 1) ? (size_t)src : in - 1;
  }
  t.i1 = t.i0;
  return t;
}

/* The source position in double (ATen's accscalar_t), the weights in fp32. */
static f32_tap bilinear_tap(size_t dst, size_t in, size_t out, bool align_corners, double scale) {
  f32_tap t = {dst, dst, 1.0f, 0.0f};
  if (out == in) return t;
  const double r = ratio_of(in, out, align_corners, scale);
  double src = align_corners ? r * (double)dst : r * ((double)dst + 0.5) - 0.5;
  if (src < 0.0) src = 0.0;
  t.i0 = (size_t)src;
  if (t.i0 > in - 1) t.i0 = in - 1; /* not reached for valid ratios; stays in bounds */
  t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
  t.l1 = (float)(src - (double)t.i0);
  t.l0 = 1.0f - t.l1;
  return t;
}

q8_status q8_resize2d_f32_setup(q8_operator* base, size_t batch, size_t input_height,
                                size_t input_width, const float* input, float* output,
                                q8_error* error) {
  static const char fn[] = "q8_resize2d_f32_setup";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_resize_f32, error))) return s;
  resize_f32_op* op = (resize_f32_op*)base;
  if ((s = q8_check_image(fn, batch, input_height, input_width, input, output, error))) return s;
  size_t count, planes, in_size, out_size;
  if (__builtin_add_overflow(op->p.output_height, op->p.output_width, &count) ||
      !q8_mul_size(batch, op->p.channels, &planes) ||
      !q8_mul_size(input_height, input_width, &in_size) || !q8_mul_size(planes, in_size, &in_size) ||
      !q8_mul_size(op->p.output_height, op->p.output_width, &out_size) ||
      !q8_mul_size(planes, out_size, &out_size))
    return q8_fail(error, q8_status_invalid_parameter, "%s: the tensor sizes overflow", fn);
  f32_tap* taps = q8_grow_buffer(op->taps, &op->tap_count, count, sizeof(f32_tap));
  if (taps == NULL) return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for the taps", fn);
  op->taps = taps;
  const bool bilinear = op->p.mode == q8_resize_bilinear;
  for (size_t y = 0; y < op->p.output_height; y++)
    taps[y] = bilinear ? bilinear_tap(y, input_height, op->p.output_height, op->p.align_corners,
                                      op->p.scale_height)
                       : nearest_tap(y, input_height, op->p.output_height, op->p.scale_height,
                                     op->channels_last);
  for (size_t x = 0; x < op->p.output_width; x++)
    taps[op->p.output_height + x] =
        bilinear ? bilinear_tap(x, input_width, op->p.output_width, op->p.align_corners,
                                op->p.scale_width)
                 : nearest_tap(x, input_width, op->p.output_width, op->p.scale_width,
                               op->channels_last);
  op->batch = batch;
  op->input_height = input_height;
  op->input_width = input_width;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

/* One output pixel of ATen's channels_last kernel: fp32 corner weights; the
 * channels of its 8-wide vector body nest FMAs, the scalar tail sums in
 * double. */
static float channels_last_pixel(const float x[4], float h0, float h1, float w0, float w1,
                                 bool vector_body) {
  const float w00 = h0 * w0, w01 = h0 * w1, w10 = h1 * w0, w11 = h1 * w1;
  if (vector_body) return fmaf(w00, x[0], fmaf(w01, x[1], fmaf(w11, x[3], w10 * x[2])));
  return (float)((((double)x[0] * w00 + (double)x[1] * w01) + (double)x[2] * w10) +
                 (double)x[3] * w11);
}

static void resize_plane(void* context, size_t plane) {
  const resize_f32_op* op = context;
  const size_t ih = op->input_height, iw = op->input_width;
  const size_t oh = op->p.output_height, ow = op->p.output_width, channels = op->p.channels;
  const float* in = op->input + plane * ih * iw;
  float* out = op->output + plane * oh * ow;
  const f32_tap* rows = op->taps;
  const f32_tap* cols = op->taps + oh;
  if (op->p.mode == q8_resize_nearest) {
    for (size_t y = 0; y < oh; y++)
      for (size_t x = 0; x < ow; x++) out[y * ow + x] = in[rows[y].i0 * iw + cols[x].i0];
    return;
  }
  const bool vector_body = (plane % channels) < channels - channels % 8;
  for (size_t y = 0; y < oh; y++) {
    const f32_tap h = rows[y];
    for (size_t x = 0; x < ow; x++) {
      const f32_tap w = cols[x];
      const float c[4] = {in[h.i0 * iw + w.i0], in[h.i0 * iw + w.i1], in[h.i1 * iw + w.i0],
                          in[h.i1 * iw + w.i1]};
      float v;
      if (op->channels_last) {
        v = channels_last_pixel(c, h.l0, h.l1, w.l0, w.l1, vector_body);
      } else {
        const float r0 = fmaf(w.l0, c[0], w.l1 * c[1]), r1 = fmaf(w.l0, c[2], w.l1 * c[3]);
        v = fmaf(h.l0, r0, h.l1 * r1);
      }
      out[y * ow + x] = v;
    }
  }
}

static q8_status run_resize_f32(q8_operator* base, pthreadpool_t threadpool) {
  resize_f32_op* op = (resize_f32_op*)base;
  pthreadpool_parallelize_1d(threadpool, resize_plane, op, op->batch * op->p.channels, 0);
  return q8_status_success;
}

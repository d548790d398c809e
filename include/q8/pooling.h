/*
 * q8 pooling and data-movement operators, NHWC uint8 (see q8/operators.h for
 * the conventions: create once, setup per shape, run, delete; every create
 * and setup call returns q8_status_invalid_parameter with a message naming
 * the parameter when one is out of the range documented here).
 *
 * Common ranges, unless stated otherwise:
 *   channels >= 1; input/output pixel strides 0 (dense: the channel count)
 *   or >= the channel count; kernel, stride and dilation >= 1;
 *   scales positive and finite, zero points in [0, 255];
 *   output_min <= output_max; batch, input_height and input_width >= 1;
 *   input and output non-NULL and not overlapping.
 * The exact arithmetic of every operator (bit-exact with PyTorch 1.13.1's
 * qnnpack engine) is given next to it.
 */
#ifndef Q8_POOLING_H
#define Q8_POOLING_H

#include "q8/operators.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Max pooling 2D (torch.nn.functional.max_pool2d on quint8; qparams pass
 * through unchanged). y = clamp(max over the window's taps, output_min,
 * output_max), where a tap in the padding
 * - ceil_mode false (PyTorch's QNNPACK path): reads the nearest image pixel
 *   (coordinates clamped to the image). Without dilation that pixel is in
 *   the window anyway when padding < kernel; with dilation it may not be,
 *   and PyTorch's result then differs from float max pooling: q8 follows it.
 * - ceil_mode true (ATen's generic path): is ignored; a window with no
 *   in-image tap (only with padding >= kernel) gives output_min.
 * Output size along an axis, with pad = pad_a + pad_b and
 * eff = dilation * (kernel - 1) + 1:
 *   floor mode: (in + pad - eff) / stride + 1
 *   ceil mode:  ceil((in + pad - eff) / stride) + 1, minus 1 if the last
 *               window would start at or past in + pad_a (PyTorch's rule that
 *               the last window starts inside the input or left padding).
 * in + pad must be >= eff (checked at setup).
 */
typedef struct q8_max_pooling2d_params {
  uint32_t padding_top, padding_right, padding_bottom, padding_left; /* any */
  uint32_t kernel_height, kernel_width;     /* >= 1 */
  uint32_t stride_height, stride_width;     /* >= 1 */
  uint32_t dilation_height, dilation_width; /* >= 1 */
  bool ceil_mode;
  size_t channels;            /* >= 1 */
  size_t input_pixel_stride;  /* 0 or >= channels */
  size_t output_pixel_stride; /* 0 or >= channels */
  uint8_t output_min, output_max; /* output_min <= output_max; 0, 255: no clamp */
} q8_max_pooling2d_params;

Q8_API q8_status q8_max_pooling2d_create_nhwc(const q8_max_pooling2d_params* params, q8_isa isa,
                                              q8_operator** op_out, q8_error* error);

/* output_height/output_width may be NULL; otherwise they receive the size. */
Q8_API q8_status q8_max_pooling2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                             size_t input_width, const uint8_t* input,
                                             uint8_t* output, size_t* output_height,
                                             size_t* output_width, q8_error* error);

/* ---------------------------------------------------------------------------
 * Average pooling 2D (torch.nn.functional.avg_pool2d on quint8). PyTorch
 * takes one of two paths, and q8 reproduces both:
 *
 * ceil_mode false (QNNPACK path): count_include_pad and divisor_override are
 * IGNORED, as in PyTorch; the divisor is always K = kernel_height *
 * kernel_width and padded taps count as zeros:
 *   acc = sum over in-image taps of (q - input_zp)
 *   m   = input_scale / (output_scale * (float)K)         (fp32, that order)
 *   y   = clamp(rne((float)acc * m) + output_zp, output_min, output_max)
 *
 * ceil_mode true (ATen's generic path): per window, with
 *   start = o * stride - pad_a, end = min(start + kernel, in + pad_b),
 *   pool = (end_h - start_h) * (end_w - start_w) before clipping, and
 *   size = the number of in-image taps after clipping to the image:
 *   div = divisor_override ? divisor_override : count_include_pad ? pool : size
 *   acc = sum over in-image taps of (q - input_zp)
 *   m   = (float)(((double)input_scale / output_scale) / div)
 *   contiguous (NCHW) PyTorch tensors, channels_last_rounding false:
 *     y = clamp(rne((float)acc * m + (float)output_zp), ...)   (zp added
 *         before rounding: differs from the line below on exact ties)
 *   channels_last PyTorch tensors, channels_last_rounding true:
 *     y = clamp(rne((float)acc * m) + output_zp, ...)
 * PyTorch keeps the input's qparams (input == output); distinct ones follow
 * the same formulas. channels_last_rounding: which PyTorch memory format to
 * reproduce; note that PyTorch treats a tensor with C == 1 as channels_last.
 * rne = round half to even; every product/sum is fp32. Output size: as max
 * pooling with dilation 1.
 */
typedef struct q8_avg_pooling2d_params {
  uint32_t padding_top, padding_right, padding_bottom, padding_left; /* any */
  uint32_t kernel_height, kernel_width; /* >= 1; K = product <= 2^23 */
  uint32_t stride_height, stride_width; /* >= 1 */
  bool ceil_mode;
  bool count_include_pad;    /* ceil_mode only (see above) */
  uint32_t divisor_override; /* 0: none; ceil_mode only */
  bool channels_last_rounding;
  size_t channels;            /* >= 1 */
  size_t input_pixel_stride;  /* 0 or >= channels */
  size_t output_pixel_stride; /* 0 or >= channels */
  q8_quantization input, output;
  uint8_t output_min, output_max;
} q8_avg_pooling2d_params;

Q8_API q8_status q8_avg_pooling2d_create_nhwc(const q8_avg_pooling2d_params* params, q8_isa isa,
                                              q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_avg_pooling2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                             size_t input_width, const uint8_t* input,
                                             uint8_t* output, size_t* output_height,
                                             size_t* output_width, q8_error* error);

/* ---------------------------------------------------------------------------
 * Adaptive average pooling 2D (F.adaptive_avg_pool2d on quint8) to
 * output_height x output_width. Window of output index o along an axis:
 *   start = floor((float)(o * in) / (float)out),
 *   end   = ceil((float)((o + 1) * in) / (float)out)      (fp32, as ATen)
 * K = window area; acc = sum over the window of (q - input_zp).
 * - in % out == 0 on both axes and (in_h, in_w) != (out_h, out_w): QNNPACK
 *   path, the rule of avg pooling with ceil_mode false (m = in_s / (out_s * K)).
 * - otherwise ATen's generic path:
 *   channels_last_rounding false and input qparams == output qparams:
 *     y = rne((float)sum(q) * r), r = (1.0f / (float)K_h) / (float)K_w
 *   else: m = (in_s / out_s) / (float)K (fp32), y = clamp(rne((float)acc * m) + out_zp)
 * Every result is finally clamped to [output_min, output_max].
 * output_height, output_width >= 1 and must not exceed the input's (setup).
 */
typedef struct q8_adaptive_avg_pooling2d_params {
  size_t output_height, output_width; /* >= 1 */
  bool channels_last_rounding;
  size_t channels;
  size_t input_pixel_stride;
  size_t output_pixel_stride;
  q8_quantization input, output;
  uint8_t output_min, output_max;
} q8_adaptive_avg_pooling2d_params;

Q8_API q8_status
q8_adaptive_avg_pooling2d_create_nhwc(const q8_adaptive_avg_pooling2d_params* params, q8_isa isa,
                                      q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_adaptive_avg_pooling2d_setup_nhwc(q8_operator* op, size_t batch,
                                                      size_t input_height, size_t input_width,
                                                      const uint8_t* input, uint8_t* output,
                                                      q8_error* error);

/* ---------------------------------------------------------------------------
 * Global average pooling = torch.mean(x, [2, 3], keepdim) on quint8 (QNNPACK
 * global average pooling; also adaptive_avg_pool2d to 1x1). Per image and
 * channel, with N = input_height * input_width:
 *   acc = sum over the image of (q - input_zp)
 *   m   = input_scale / (output_scale * (float)N)   (fp32)
 *   y   = clamp(rne((float)acc * m) + output_zp, output_min, output_max)
 * Output: batch rows of channels bytes, output_stride apart (0: channels).
 * N must be at most 2^23 (setup), so that the int32 sum cannot overflow.
 */
typedef struct q8_global_avg_pooling2d_params {
  size_t channels;
  size_t input_pixel_stride;
  size_t output_stride;
  q8_quantization input, output;
  uint8_t output_min, output_max;
} q8_global_avg_pooling2d_params;

Q8_API q8_status q8_global_avg_pooling2d_create_nhwc(const q8_global_avg_pooling2d_params* params,
                                                     q8_isa isa, q8_operator** op_out,
                                                     q8_error* error);

Q8_API q8_status q8_global_avg_pooling2d_setup_nhwc(q8_operator* op, size_t batch,
                                                    size_t input_height, size_t input_width,
                                                    const uint8_t* input, uint8_t* output,
                                                    q8_error* error);

/* ---------------------------------------------------------------------------
 * Concatenation along channels (quantized::cat / FloatFunctional.cat, dim 1).
 * Input i (input_channels[i] channels, its own qparams) is written at channel
 * offset sum_{j<i} input_channels[j] of each output pixel as
 *   y = clamp(out_zp + rne((float)(q - z_i) * s_i * (1.0f / out_s)), 0, 255)
 * (dequantize, then PyTorch's quantize; fp32) through a 256-entry table;
 * inputs whose qparams equal the output's are copied.
 * num_inputs >= 1; input_channels[i] >= 1; input_pixel_strides may be NULL
 * (all dense) or hold 0 or >= input_channels[i]; output_pixel_stride 0 or
 * >= the total channel count.
 */
typedef struct q8_concat_params {
  size_t num_inputs;
  const size_t* input_channels;       /* [num_inputs] */
  const size_t* input_pixel_strides;  /* [num_inputs] or NULL */
  const q8_quantization* inputs;      /* [num_inputs] */
  q8_quantization output;
  size_t output_pixel_stride;
} q8_concat_params;

Q8_API q8_status q8_concat_create_nhwc(const q8_concat_params* params, q8_isa isa,
                                       q8_operator** op_out, q8_error* error);

/* inputs: num_inputs pointers, each non-NULL; all share batch x height x width. */
Q8_API q8_status q8_concat_setup_nhwc(q8_operator* op, size_t batch, size_t height, size_t width,
                                      const uint8_t* const* inputs, uint8_t* output,
                                      q8_error* error);

/* ---------------------------------------------------------------------------
 * Channel shuffle (ShuffleNet: view(N, g, C/g, H, W).transpose(1, 2).view(N,
 * C, H, W); torch.nn.ChannelShuffle). With C = groups * group_channels:
 *   y[c * groups + g] = x[g * group_channels + c]
 * Qparams unchanged. groups >= 1 (1 is a copy), group_channels >= 1.
 */
typedef struct q8_channel_shuffle_params {
  uint32_t groups;
  size_t group_channels;
  size_t input_pixel_stride;  /* 0 or >= groups * group_channels */
  size_t output_pixel_stride; /* 0 or >= groups * group_channels */
} q8_channel_shuffle_params;

Q8_API q8_status q8_channel_shuffle_create_nhwc(const q8_channel_shuffle_params* params, q8_isa isa,
                                                q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_channel_shuffle_setup_nhwc(q8_operator* op, size_t batch, size_t height,
                                               size_t width, const uint8_t* input, uint8_t* output,
                                               q8_error* error);

/* ---------------------------------------------------------------------------
 * Resize 2D (F.interpolate / upsample_nearest2d, upsample_bilinear2d on
 * quint8; qparams unchanged) to output_height x output_width (>= 1).
 * scale_height/scale_width: PyTorch's scale_factor when one was given (the
 * output size is then floor(in * scale_factor), computed by the caller), or
 * 0 when the output size was given; otherwise positive and finite.
 * Per axis, the fp32 ratio r = scale ? (float)(1.0 / scale) : (float)in / (float)out.
 * nearest: src = min(floor((float)dst * r), in - 1) (no shortcut for
 *          out == in: with a scale factor PyTorch's quantized kernel has none)
 * bilinear: align_corners: r = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0,
 *           src = r * dst; else src = max(r * (dst + 0.5f) - 0.5f, 0) (fp32).
 *   i0 = (int)src, i1 = i0 + (i0 < in - 1), l1 = src - i0, l0 = 1 - l1; with
 *   the raw codes p as fp32, each product and sum rounded to fp32:
 *   v = (h_l0 * (w_l0 * p00 + w_l1 * p01) + h_l1 * (w_l0 * p10 + w_l1 * p11)) - zp
 *   y = clamp(rne(v) + zp, 0, 255)     (PyTorch's NCHW kernel)
 * q8_resize2d_create_channels_last_nhwc (bilinear): PyTorch's channels_last
 * kernel instead (its AVX2 translation unit contracts to FMAs): not align_corners:
 * src = max(fmaf(r, dst + 0.5f, -0.5f), 0); with t = fmaf(w_l1, p01, w_l0 * p00),
 * b = fmaf(w_l1, p11, w_l0 * p10): v = fmaf(h_l1, b, h_l0 * t) - zp for the
 * channels below floor(channels / 8) * 8 (its 8-wide vector body), and with
 * t = fmaf(w_l0, p00, w_l1 * p01), b = fmaf(w_l0, p10, w_l1 * p11):
 * v = fmaf(h_l0, t, h_l1 * b) - zp for the rest; y = clamp(zp + rne(v), 0, 255).
 * Nearest is the same for both.
 * zero_point: bilinear only, in [0, 255].
 */
typedef enum q8_resize_mode {
  q8_resize_nearest = 0,
  q8_resize_bilinear = 1,
} q8_resize_mode;

typedef struct q8_resize2d_params {
  q8_resize_mode mode;
  bool align_corners; /* bilinear only */
  size_t output_height, output_width;
  double scale_height, scale_width;
  size_t channels;
  size_t input_pixel_stride;
  size_t output_pixel_stride;
  int32_t zero_point;
} q8_resize2d_params;

Q8_API q8_status q8_resize2d_create_nhwc(const q8_resize2d_params* params, q8_isa isa,
                                         q8_operator** op_out, q8_error* error);

/* The same operator with PyTorch's channels_last bilinear rounding (above). */
Q8_API q8_status q8_resize2d_create_channels_last_nhwc(const q8_resize2d_params* params, q8_isa isa,
                                                       q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_resize2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                        size_t input_width, const uint8_t* input, uint8_t* output,
                                        q8_error* error);

/* ---------------------------------------------------------------------------
 * Resize 2D of fp32 tensors (upsample_nearest2d / upsample_bilinear2d on
 * float: FX graph mode leaves nn.Upsample unquantized). Data are dense NCHW
 * planes (batch * channels planes of height x width); pixel strides must be
 * 0; zero_point is unused. PyTorch has two kernels, chosen by whether the
 * input is contiguous in channels_last (which an NCHW tensor with one channel
 * or a 1x1 image also is): channels_last selects that kernel's rounding.
 * r: the fp32 ratio of q8_resize2d_params (align_corners as above).
 * nearest: channels_last kernel: src = dst when out == in, dst >> 1 when
 *   out == 2 * in, else min(floor((float)dst * r), in - 1); the other kernel
 *   always uses the formula.
 * bilinear: out == in: src = dst (weights 1, 0); else in double:
 *   s = align_corners ? r * dst : max(r * (dst + 0.5) - 0.5, 0), i0 = (int)s,
 *   i1 = i0 + (i0 < in - 1), l1 = f32(s - i0), l0 = 1 - l1 (fp32).
 *   Generic kernel: v = fmaf(h_l0, fmaf(w_l0, p00, w_l1 * p01),
 *                            h_l1 * fmaf(w_l0, p10, w_l1 * p11)).
 *   channels_last kernel: w00 = h_l0 * w_l0, w01 = h_l0 * w_l1, w10 = h_l1 * w_l0,
 *   w11 = h_l1 * w_l1 (fp32); channels below floor(channels / 8) * 8:
 *   v = fmaf(w00, p00, fmaf(w01, p01, fmaf(w11, p11, w10 * p10))); the rest:
 *   v = f32(((p00 * w00 + p01 * w01) + p10 * w10) + p11 * w11) summed in double.
 */
Q8_API q8_status q8_resize2d_f32_create(const q8_resize2d_params* params, bool channels_last,
                                        q8_isa isa, q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_resize2d_f32_setup(q8_operator* op, size_t batch, size_t input_height,
                                       size_t input_width, const float* input, float* output,
                                       q8_error* error);

/* ---------------------------------------------------------------------------
 * Softmax over the channels of each pixel (quantized::softmax /
 * nn.quantized.Softmax over dim 1 of an NCHW tensor).
 * Output qparams (1/256, 0): the QNNPACK path PyTorch takes, integer only:
 *   T[i] = lrint(Q * exp((i - 255) * (double)input_scale)), i in [0, 255],
 *   Q = min(UINT32_MAX / channels, 8388607)                  (double)
 *   per pixel: M = max q, S = sum_c T[q_c + 255 - M]        (uint32)
 *   y_c = min(255, ((T[q_c + 255 - M] << 8) + S / 2) / S)    (uint32)
 * Other output qparams: PyTorch dequantizes, runs an fp32 softmax and
 * quantizes; q8 does the same with libm expf:
 *   x_c = (q_c - zp) * s, e_c = expf(x_c - max x), y_c = quantize(e_c * (1 / sum e))
 * PyTorch's exp is vectorized (not libm's), so one-code differences are
 * possible in principle; none were seen in tools/check_pooling_numerics.py.
 * channels in [1, 2^24].
 */
typedef struct q8_softmax_params {
  size_t channels;
  size_t input_pixel_stride;
  size_t output_pixel_stride;
  q8_quantization input, output;
} q8_softmax_params;

Q8_API q8_status q8_softmax_create_nc(const q8_softmax_params* params, q8_isa isa,
                                      q8_operator** op_out, q8_error* error);

/* pixels = batch * height * width rows. */
Q8_API q8_status q8_softmax_setup_nc(q8_operator* op, size_t pixels, const uint8_t* input,
                                     uint8_t* output, q8_error* error);

/* Mean over `reduce` values `inner` elements apart, for outer x inner
 * outputs (aten::mean.dim of quint8 tensors over dimensions other than an
 * image's H and W). integer false: ATen's reference path,
 * y = quantize(f32(sum dequantize(x)) / reduce, output), the fp32 sum in the
 * order of ATen's cascade_sum for this layout; integer true: ATen's fast path
 * for a contiguous tensor's trailing dimensions, y = rne(f32((float)sum(x) /
 * reduce)) (output must then equal input). */
Q8_API q8_status q8_mean_create(q8_quantization input, q8_quantization output, bool integer,
                                q8_isa isa, q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_mean_setup(q8_operator* op, size_t outer, size_t reduce, size_t inner,
                               const uint8_t* input, uint8_t* output, q8_error* error);

/* Softmax (log false) or log-softmax of fp32 values along one dimension:
 * outer x stride rows of `channels` elements, consecutive elements of a row
 * `stride` apart (stride 1: the last dimension). ATen's order of
 * operations (max, exp(x - max), sum, times 1 / sum; log-softmax:
 * x - max - log(sum)) with expf and a sequential sum, so within a few float
 * ulps of PyTorch (whose exp is SLEEF's and whose sums are lane-wise). */
Q8_API q8_status q8_softmax_f32_create(size_t channels, bool log, q8_isa isa, q8_operator** op_out,
                                       q8_error* error);

Q8_API q8_status q8_softmax_f32_setup(q8_operator* op, size_t outer, size_t stride,
                                      const float* input, float* output, q8_error* error);

#ifdef __cplusplus
}
#endif

#endif

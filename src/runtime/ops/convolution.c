/*
 * 2D convolution and transposed convolution, NHWC.
 *
 * Three paths, chosen at create time:
 * - gemm: 1x1 kernel, stride 1, no padding: the input is the GEMM's A.
 * - dwconv: one input and one output channel per group (depthwise, channel
 *   multiplier 1): the depthwise micro-kernel over an indirection buffer.
 * - igemm: everything else, transposed convolution included: an indirection
 *   buffer holds, per output pixel and kernel tap, a pointer to the input
 *   pixel (or to a buffer of input zero points for padding and, in
 *   transposed convolution, for taps that no input pixel maps to).
 * - im2col: one group of at most KR input channels (an RGB first layer), a
 *   kernel of several taps: with kc <= KR the igemm packing
 *   w[ks][1][NR][KR] is the direct GEMM packing of kc' = ks * KR, so run
 *   copies each pixel's taps into a row of ks * KR bytes (kc input bytes or
 *   input zero points for padding, then the bytes the igemm kernels
 *   zero-fill past kc) and runs the direct GEMM on those rows: the same
 *   products and row sums as igemm, without reading a pointer and a few
 *   bytes per tap.
 */
#include <stdlib.h>
#include <string.h>

#include "../../quant/packing.h"
#include "convolution-stride.h"
#include "epilogue.h"
#include "gemm-job.h"
#include "operator.h"

typedef enum conv_path { path_gemm, path_igemm, path_dwconv, path_im2col } conv_path;

/* The geometry both public parameter structs reduce to. */
typedef struct conv_geometry {
  uint32_t padding_top, padding_left, padding_bottom, padding_right;
  uint32_t output_padding_height, output_padding_width; /* transposed only */
  uint32_t kernel_height, kernel_width;
  uint32_t stride_height, stride_width;
  uint32_t dilation_height, dilation_width;
  uint32_t groups;
  size_t group_input_channels, group_output_channels;
  size_t input_pixel_stride, output_pixel_stride;
  bool transposed;
} conv_geometry;

typedef struct convolution_op {
  q8_operator base;
  conv_geometry geo;
  conv_path path;
  void* packed;
  size_t packed_group_stride;
  uint8_t* zero;
  q8_requant_params requant;
  /* setup state */
  size_t batch, input_height, input_width, output_height, output_width;
  const uint8_t* input;
  uint8_t* output;
  const uint8_t** indirection;
  size_t indirection_count;
  uint8_t* im2col; /* path_im2col: pixels rows of ks * KR bytes */
  size_t im2col_capacity;
  uint8_t* padded; /* path_im2col: the padded input image, KR bytes a pixel */
  size_t padded_capacity;
  const q8_operator* epilogue; /* q8_convolution2d_set_epilogue, or NULL */
} convolution_op;

static q8_status run_convolution(q8_operator* base, pthreadpool_t threadpool);

static size_t kernel_size(const conv_geometry* g) {
  return (size_t)g->kernel_height * g->kernel_width;
}

static void destroy_convolution(q8_operator* base) {
  convolution_op* op = (convolution_op*)base;
  free(op->packed);
  free(op->zero);
  free(op->indirection);
  free(op->im2col);
  free(op->padded);
}

/* --- create ------------------------------------------------------------- */

static q8_status check_geometry(const char* fn, const conv_geometry* g, q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(fn, "kernel_height", g->kernel_height, error)) ||
      (s = q8_check_nonzero(fn, "kernel_width", g->kernel_width, error)) ||
      (s = q8_check_nonzero(fn, "stride_height", g->stride_height, error)) ||
      (s = q8_check_nonzero(fn, "stride_width", g->stride_width, error)) ||
      (s = q8_check_nonzero(fn, "dilation_height", g->dilation_height, error)) ||
      (s = q8_check_nonzero(fn, "dilation_width", g->dilation_width, error)) ||
      (s = q8_check_nonzero(fn, "groups", g->groups, error)) ||
      (s = q8_check_nonzero(fn, "group_input_channels", g->group_input_channels, error)) ||
      (s = q8_check_nonzero(fn, "group_output_channels", g->group_output_channels, error))) {
    return s;
  }
  const size_t in_channels = g->groups * g->group_input_channels;
  const size_t out_channels = g->groups * g->group_output_channels;
  if (g->input_pixel_stride < in_channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_pixel_stride %zu is smaller than the input channel count %zu", fn,
                   g->input_pixel_stride, in_channels);
  }
  if (g->output_pixel_stride < out_channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_pixel_stride %zu is smaller than the output channel count %zu",
                   fn, g->output_pixel_stride, out_channels);
  }
  if (g->transposed && ((g->output_padding_height >= g->stride_height &&
                         g->output_padding_height >= g->dilation_height) ||
                        (g->output_padding_width >= g->stride_width &&
                         g->output_padding_width >= g->dilation_width))) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_padding (%u, %u) must be smaller than stride or dilation", fn,
                   g->output_padding_height, g->output_padding_width);
  }
  /* The int32 accumulator must hold sum (x - zp)(w - zp) over K terms. */
  const size_t k_total = kernel_size(g) * g->group_input_channels;
  if (k_total > Q8_MAX_REDUCTION) {
    return q8_fail(error, q8_status_unsupported_parameter,
                   "%s: kernel_height * kernel_width * group_input_channels is %zu; at most %d "
                   "fit the int32 accumulator",
                   fn, k_total, Q8_MAX_REDUCTION);
  }
  return q8_status_success;
}

static conv_path choose_path(const conv_geometry* g, const q8_gemm_config* gemm) {
  if (g->transposed) return path_igemm;
  if (g->group_input_channels == 1 && g->group_output_channels == 1) return path_dwconv;
  if (g->kernel_height == 1 && g->kernel_width == 1 && g->stride_height == 1 &&
      g->stride_width == 1 && g->padding_top == 0 && g->padding_left == 0 &&
      g->padding_bottom == 0 && g->padding_right == 0) {
    return path_gemm;
  }
  if (g->groups == 1 && g->group_input_channels <= gemm->kr && kernel_size(g) > 1 &&
      (gemm->kr == 1 || gemm->kr == 2 || gemm->kr == 4 || gemm->kr == 8)) {
    return path_im2col;
  }
  return path_igemm;
}

static q8_status pack_weights(convolution_op* op, const int8_t* weights, const float* bias,
                              const q8_weight_quantization* wq, q8_quantization input,
                              q8_quantization output, q8_error* error, const char* fn) {
  const conv_geometry* g = &op->geo;
  const q8_kernel_table* k = op->base.kernels;
  const size_t ks = kernel_size(g), kc = g->group_input_channels, nc = g->group_output_channels;
  const size_t per_channel = wq->count == 1 ? 0 : 1;
  size_t total;
  if (op->path == path_dwconv) {
    total = q8_dwconv_packed_size(g->groups, ks, k->dwconv.cr);
  } else {
    op->packed_group_stride = q8_gemm_packed_size(nc, kc, ks, k->gemm.nr, k->gemm.kr, 2);
    if (!q8_mul_size(op->packed_group_stride, g->groups, &total)) total = SIZE_MAX;
  }
  op->packed = total == SIZE_MAX ? NULL : q8_alloc_packed(total);
  if (op->packed == NULL) {
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for packed weights", fn);
  }
  const q8_channel_quantization all = {wq->scales, wq->zero_points, per_channel};
  if (op->path == path_dwconv) {
    q8_pack_dwconv_static(g->groups, ks, k->dwconv.cr, weights, bias, &all, input.scale,
                          input.zero_point, output.scale, op->packed);
  } else {
    for (size_t grp = 0; grp < g->groups; grp++) {
      const size_t c0 = grp * nc;
      const q8_gemm_weights gw = {
          .nc = nc, .kc = kc, .ks = ks, .w = weights + c0 * ks * kc, .channel_stride = ks * kc,
          .bias = bias ? bias + c0 : NULL,
          .weight = {wq->scales + c0 * per_channel,
                     wq->zero_points ? wq->zero_points + c0 * per_channel : NULL, per_channel}};
      q8_pack_gemm_static(&gw, k->gemm.nr, k->gemm.kr, input.scale,
                          input.zero_point + k->gemm.a_value_offset, output.scale, (char*)op->packed + grp * op->packed_group_stride);
    }
  }
  op->requant.subtract_row_sums =
      q8_has_weight_zero_points(&all, wq->count == 1 ? 1 : wq->count);
  return q8_status_success;
}

/* Zero buffer: what padding taps read, input zero points, as wide as the
 * widest read (a group's channels or, for depthwise, all channels) plus
 * slack for kernels that read whole vectors. */
static q8_status make_zero_buffer(convolution_op* op, uint8_t input_zero_point, q8_error* error,
                                  const char* fn) {
  const conv_geometry* g = &op->geo;
  const size_t width = (op->path == path_dwconv ? g->groups : g->group_input_channels) + 64;
  op->zero = malloc(width);
  if (op->zero == NULL) return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  memset(op->zero, input_zero_point, width);
  return q8_status_success;
}

static q8_status create_convolution(const char* fn, const conv_geometry* geometry,
                                    q8_quantization input, const q8_weight_quantization* wq,
                                    q8_quantization output, uint8_t output_min,
                                    uint8_t output_max, const int8_t* weights, const float* bias,
                                    q8_isa isa, q8_operator** op_out, q8_error* error) {
  q8_status s;
  if (op_out != NULL) *op_out = NULL;
  conv_geometry g = *geometry;
  if (g.input_pixel_stride == 0) g.input_pixel_stride = g.groups * g.group_input_channels;
  if (g.output_pixel_stride == 0) g.output_pixel_stride = g.groups * g.group_output_channels;
  if ((s = check_geometry(fn, &g, error)) || (s = q8_check_quantization(fn, "input", input, error)) ||
      (s = q8_check_quantization(fn, "output", output, error)) ||
      (s = q8_check_weight_quantization(fn, wq, g.groups * g.group_output_channels, error)) ||
      (s = q8_check_output_range(fn, output_min, output_max, error)) ||
      (s = q8_check_pointer(fn, "weights", weights, error))) {
    return s;
  }
  q8_operator* base;
  s = q8_operator_create(sizeof(convolution_op), g.transposed ? "deconvolution2d" : "convolution2d",
                         isa, &base, error);
  if (s != q8_status_success) return s;
  convolution_op* op = (convolution_op*)base;
  base->destroy = destroy_convolution;
  op->geo = g;
  op->path = choose_path(&g, &base->kernels->gemm);
  op->requant.output_zero_point = output.zero_point;
  op->requant.output_min = output_min;
  op->requant.output_max = output_max;
  if ((s = pack_weights(op, weights, bias, wq, input, output, error, fn)) ||
      (s = make_zero_buffer(op, (uint8_t)input.zero_point, error, fn))) {
    q8_operator_delete(base);
    return s;
  }
  base->run = run_convolution;
  *op_out = base;
  return q8_status_success;
}

/* --- setup -------------------------------------------------------------- */

/* Output extent along one axis; false if the input is too small. */
static bool output_extent(const conv_geometry* g, size_t in, uint32_t pad_a, uint32_t pad_b,
                          uint32_t kernel, uint32_t stride, uint32_t dilation,
                          uint32_t output_padding, size_t* out) {
  const size_t effective_kernel = (size_t)dilation * (kernel - 1) + 1;
  if (g->transposed) {
    const size_t grown = (in - 1) * stride + effective_kernel + output_padding;
    if (grown <= (size_t)pad_a + pad_b) return false;
    *out = grown - pad_a - pad_b;
  } else {
    const size_t padded = in + pad_a + pad_b;
    if (padded < effective_kernel) return false;
    *out = (padded - effective_kernel) / stride + 1;
  }
  return true;
}

/* The input pixel that tap (ky, kx) of output pixel (n, oy, ox) reads, or
 * the zero buffer. */
static const uint8_t* tap_pointer(const convolution_op* op, size_t n, size_t oy, size_t ox,
                                  size_t ky, size_t kx) {
  const conv_geometry* g = &op->geo;
  size_t iy, ix;
  if (g->transposed) {
    /* oy = iy * stride - pad + ky * dilation */
    const ptrdiff_t ty = (ptrdiff_t)(oy + g->padding_top) - (ptrdiff_t)(ky * g->dilation_height);
    const ptrdiff_t tx = (ptrdiff_t)(ox + g->padding_left) - (ptrdiff_t)(kx * g->dilation_width);
    if (ty < 0 || tx < 0 || ty % g->stride_height != 0 || tx % g->stride_width != 0) {
      return op->zero;
    }
    iy = (size_t)ty / g->stride_height;
    ix = (size_t)tx / g->stride_width;
  } else {
    const ptrdiff_t ty = (ptrdiff_t)(oy * g->stride_height + ky * g->dilation_height) -
                         (ptrdiff_t)g->padding_top;
    const ptrdiff_t tx = (ptrdiff_t)(ox * g->stride_width + kx * g->dilation_width) -
                         (ptrdiff_t)g->padding_left;
    if (ty < 0 || tx < 0) return op->zero;
    iy = (size_t)ty;
    ix = (size_t)tx;
  }
  if (iy >= op->input_height || ix >= op->input_width) return op->zero;
  return op->input + ((n * op->input_height + iy) * op->input_width + ix) * g->input_pixel_stride;
}

/* Writes the ks tap pointers of output pixel m, `step` entries apart. */
static void fill_pixel_taps(const convolution_op* op, size_t m, const uint8_t** out, size_t step) {
  const size_t ox = m % op->output_width, oy = m / op->output_width % op->output_height;
  const size_t n = m / (op->output_width * op->output_height);
  for (size_t ky = 0; ky < op->geo.kernel_height; ky++) {
    for (size_t kx = 0; kx < op->geo.kernel_width; kx++) {
      *out = tap_pointer(op, n, oy, ox, ky, kx);
      out += step;
    }
  }
}

static void build_indirection(convolution_op* op, size_t pixels) {
  const size_t ks = kernel_size(&op->geo);
  if (op->path == path_dwconv) {
    for (size_t m = 0; m < pixels; m++) fill_pixel_taps(op, m, op->indirection + m * ks, 1);
    return;
  }
  /* [m tile][ks][MR]; rows past the end repeat the last pixel. */
  const size_t mr = op->base.kernels->gemm.mr;
  for (size_t m0 = 0; m0 < pixels; m0 += mr) {
    for (size_t i = 0; i < mr; i++) {
      const size_t m = m0 + i < pixels ? m0 + i : pixels - 1;
      fill_pixel_taps(op, m, op->indirection + m0 * ks + i, mr);
    }
  }
}

static size_t indirection_entries(const convolution_op* op, size_t pixels) {
  const size_t ks = kernel_size(&op->geo);
  size_t count = 0;
  if (op->path == path_dwconv) {
    if (!q8_mul_size(pixels, ks, &count)) return SIZE_MAX;
  } else if (op->path == path_igemm) {
    const size_t mr = op->base.kernels->gemm.mr;
    const size_t tiles = pixels / mr + (pixels % mr != 0);
    if (!q8_mul_size(tiles * mr, ks, &count)) return SIZE_MAX;
  }
  return count;
}

/* Grows *buffer to count elements of size bytes; false if it cannot. */
static bool grow_scratch(uint8_t** buffer, size_t* capacity, size_t count, size_t size) {
  uint8_t* grown = q8_grow_buffer(*buffer, capacity, count, size);
  if (grown != NULL) *buffer = grown;
  return grown != NULL;
}

static size_t padded_height(const convolution_op* op);
static size_t padded_width(const convolution_op* op);
static void fill_padded(const convolution_op* op, size_t taps);

static q8_status setup_convolution(const char* fn, bool transposed, q8_operator* base,
                                   size_t batch, size_t input_height, size_t input_width,
                                   const uint8_t* input, uint8_t* output, size_t* output_height,
                                   size_t* output_width, q8_error* error) {
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_convolution, error))) return s;
  convolution_op* op = (convolution_op*)base;
  if (op->geo.transposed != transposed) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op is a %s operator", fn, base->kind);
  }
  if ((s = q8_check_image(fn, batch, input_height, input_width, input, output, error))) return s;
  const conv_geometry* g = &op->geo;
  size_t oh, ow;
  if (!output_extent(g, input_height, g->padding_top, g->padding_bottom, g->kernel_height,
                     g->stride_height, g->dilation_height, g->output_padding_height, &oh) ||
      !output_extent(g, input_width, g->padding_left, g->padding_right, g->kernel_width,
                     g->stride_width, g->dilation_width, g->output_padding_width, &ow)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input %zux%zu is too small for the padded, dilated kernel", fn,
                   input_height, input_width);
  }
  size_t pixels, bytes;
  if (!q8_mul_size(batch, oh, &pixels) || !q8_mul_size(pixels, ow, &pixels) ||
      !q8_mul_size(pixels, g->output_pixel_stride, &bytes)) {
    return q8_fail(error, q8_status_out_of_memory, "%s: output size overflows", fn);
  }
  op->epilogue = NULL;
  op->batch = batch;
  op->input_height = input_height;
  op->input_width = input_width;
  op->output_height = oh;
  op->output_width = ow;
  op->input = input;
  op->output = output;
  const size_t entries = indirection_entries(op, pixels);
  if (entries == SIZE_MAX) {
    return q8_fail(error, q8_status_out_of_memory, "%s: indirection buffer size overflows", fn);
  }
  const uint8_t** indirection =
      q8_grow_buffer(op->indirection, &op->indirection_count, entries, sizeof(void*));
  if (indirection == NULL) {
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for the indirection buffer",
                   fn);
  }
  op->indirection = indirection;
  if (entries != 0) build_indirection(op, pixels);
  if (op->path == path_im2col) {
    /* q8_grow_buffer checks count * size for overflow. */
    size_t taps = 0;
    const size_t kr = base->kernels->gemm.kr;
    if (!q8_mul_size(batch, padded_height(op), &taps) ||
        !q8_mul_size(taps, padded_width(op), &taps) ||
        !grow_scratch(&op->im2col, &op->im2col_capacity, pixels, kernel_size(g) * kr) ||
        !grow_scratch(&op->padded, &op->padded_capacity, taps, kr)) {
      return q8_fail(error, q8_status_out_of_memory, "%s: out of memory for the im2col buffers",
                     fn);
    }
    fill_padded(op, taps);
  }
  /* A transposed convolution does its multiply-adds per input pixel. */
  const uint64_t taps_per_pixel = (uint64_t)g->kernel_height * g->kernel_width * g->groups *
                                  g->group_input_channels * g->group_output_channels;
  const uint64_t macs_pixels = transposed ? (uint64_t)batch * input_height * input_width : pixels;
  base->ops = 2 * macs_pixels * taps_per_pixel;
  if (output_height) *output_height = oh;
  if (output_width) *output_width = ow;
  base->is_setup = true;
  return q8_status_success;
}

/* --- run ---------------------------------------------------------------- */

typedef struct dwconv_context {
  const convolution_op* op;
} dwconv_context;

static void dwconv_row(void* context, size_t row) {
  const convolution_op* op = ((const dwconv_context*)context)->op;
  const size_t ks = kernel_size(&op->geo), ow = op->output_width;
  const q8_dwconv_ukernel_fn dwconv = q8_dwconv_ukernel_for(&op->base.kernels->dwconv, ks);
  dwconv(op->geo.groups, ow, ks, op->indirection + row * ow * ks, ks, op->packed,
              op->output + row * ow * op->geo.output_pixel_stride, op->geo.output_pixel_stride, 0,
              op->zero, &op->requant);
  if (op->epilogue != NULL) {
    q8_binary_run_range(op->epilogue, row * ow * op->geo.output_pixel_stride,
                        ow * op->geo.output_pixel_stride);
  }
}

/* im2col. A tap is KR bytes: kc input bytes (or input zero points for
 * padding), then bytes that make the row sums what the igemm kernels sum:
 * they zero-fill past kc and sum a + a_value_offset, so these bytes are
 * -a_value_offset (their weights are zero, so products do not see them).
 * Run first spreads the input into the padded image (op->padded: batch x
 * padded_height x padded_width taps, whose border setup filled with padding
 * taps), then copies each output pixel's taps from it: along a kernel row
 * without dilation, kernel_width * KR contiguous bytes. */
#if defined(__GNUC__)
#define Q8_IM2COL_INLINE static inline __attribute__((always_inline))
#else
#define Q8_IM2COL_INLINE static inline
#endif

/* The KR bytes of a padding tap and the bytes past kc of an input tap (at
 * kc..KR-1, zeros below), in memory order. */
static void im2col_taps(const convolution_op* op, uint8_t zero_tap[8], uint8_t fill[8]) {
  const size_t kc = op->geo.group_input_channels;
  const uint8_t fill_byte = (uint8_t)(0 - (uint32_t)op->base.kernels->gemm.a_value_offset);
  for (size_t j = 0; j < 8; j++) {
    zero_tap[j] = j < kc ? op->zero[0] : fill_byte;
    fill[j] = j < kc ? 0 : fill_byte;
  }
}

static size_t padded_height(const convolution_op* op) {
  return op->input_height + op->geo.padding_top + op->geo.padding_bottom;
}

static size_t padded_width(const convolution_op* op) {
  return op->input_width + op->geo.padding_left + op->geo.padding_right;
}

/* Setup: every tap of the padded image a padding tap. */
static void fill_padded(const convolution_op* op, size_t taps) {
  const size_t kr = op->base.kernels->gemm.kr;
  uint8_t zero_tap[8], fill[8];
  im2col_taps(op, zero_tap, fill);
  for (size_t t = 0; t < taps; t++) memcpy(op->padded + t * kr, zero_tap, kr);
}

/* One input row into the padded image: taps of KR (1, 2, 4 or 8) bytes,
 * loaded as whole words and masked where the input extends KR bytes past the
 * tap (all but the input's last pixel). */
Q8_IM2COL_INLINE void spread_input_row(const convolution_op* op, size_t row, size_t kr) {
  const conv_geometry* g = &op->geo;
  const size_t kc = g->group_input_channels, ps = g->input_pixel_stride;
  const size_t iw = op->input_width, ih = op->input_height;
  const size_t n = row / ih, iy = row % ih;
  uint8_t zero_tap[8], fill_bytes[8], keep_bytes[8];
  im2col_taps(op, zero_tap, fill_bytes);
  for (size_t j = 0; j < 8; j++) keep_bytes[j] = j < kc ? 0xff : 0;
  uint64_t keep = 0, fill = 0;
  memcpy(&keep, keep_bytes, kr);
  memcpy(&fill, fill_bytes, kr);
  const uint8_t* src = op->input + row * iw * ps;
  uint8_t* dst = op->padded +
                 ((n * padded_height(op) + g->padding_top + iy) * padded_width(op) +
                  g->padding_left) * kr;
  size_t x = 0;
  if (kc == kr) {
    for (; x < iw; x++, src += ps, dst += kr) memcpy(dst, src, kr);
    return;
  }
  /* The input ends kc bytes into its last pixel. */
  const uint8_t* end = op->input + (op->batch * ih * iw - 1) * ps + kc;
  for (; x < iw && (size_t)(end - src) >= kr; x++, src += ps, dst += kr) {
    uint64_t v = 0;
    memcpy(&v, src, kr);
    v = (v & keep) | fill;
    memcpy(dst, &v, kr);
  }
  for (; x < iw; x++, src += ps, dst += kr) {
    uint8_t bytes[8];
    memcpy(bytes, fill_bytes, sizeof(bytes));
    for (size_t j = 0; j < kc; j++) bytes[j] = src[j];
    memcpy(dst, bytes, kr);
  }
}

/* n bytes, in 16-, 8- or 4-byte moves (overlapping at the end). */
Q8_IM2COL_INLINE void copy_run(uint8_t* dst, const uint8_t* src, size_t n) {
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) memcpy(dst + i, src + i, 16);
    if (i < n) memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    memcpy(dst, src, 8);
    memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    memcpy(dst, src, 4);
    memcpy(dst + n - 4, src + n - 4, 4);
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
  }
}

Q8_IM2COL_INLINE void im2col_output_row(const convolution_op* op, size_t row, size_t kr) {
  const conv_geometry* g = &op->geo;
  const size_t kh = g->kernel_height, kw = g->kernel_width, ow = op->output_width;
  const size_t oy = row % op->output_height, n = row / op->output_height;
  const size_t pw = padded_width(op);
  const size_t sw = g->stride_width, sh = g->stride_height, dw = g->dilation_width;
  const size_t dh = g->dilation_height;
  const uint8_t* image = op->padded + n * padded_height(op) * pw * kr;
  uint8_t* dst = op->im2col + row * ow * kh * kw * kr;
  for (size_t ox = 0; ox < ow; ox++) {
    for (size_t ky = 0; ky < kh; ky++) {
      const uint8_t* src = image + ((oy * sh + ky * dh) * pw + ox * sw) * kr;
      if (dw == 1) {
        copy_run(dst, src, kw * kr);
        dst += kw * kr;
      } else {
        for (size_t kx = 0; kx < kw; kx++, dst += kr) memcpy(dst, src + kx * dw * kr, kr);
      }
    }
  }
}

static void spread_row(void* context, size_t row) {
  const convolution_op* op = context;
  switch (op->base.kernels->gemm.kr) {
    case 1: spread_input_row(op, row, 1); break;
    case 2: spread_input_row(op, row, 2); break;
    case 4: spread_input_row(op, row, 4); break;
    default: spread_input_row(op, row, 8); break; /* choose_path: 1, 2, 4 or 8 */
  }
}

static void im2col_row(void* context, size_t row) {
  const convolution_op* op = context;
  switch (op->base.kernels->gemm.kr) {
    case 1: im2col_output_row(op, row, 1); break;
    case 2: im2col_output_row(op, row, 2); break;
    case 4: im2col_output_row(op, row, 4); break;
    default: im2col_output_row(op, row, 8); break;
  }
}

static void build_im2col(const convolution_op* op, pthreadpool_t threadpool) {
  pthreadpool_parallelize_1d(threadpool, spread_row, (void*)op, op->batch * op->input_height, 0);
  pthreadpool_parallelize_1d(threadpool, im2col_row, (void*)op, op->batch * op->output_height, 0);
}

static q8_status run_convolution(q8_operator* base, pthreadpool_t threadpool) {
  const convolution_op* op = (const convolution_op*)base;
  const conv_geometry* g = &op->geo;
  const size_t pixels = op->batch * op->output_height * op->output_width;
  if (op->path == path_dwconv) {
    dwconv_context ctx = {op};
    pthreadpool_parallelize_1d(threadpool, dwconv_row, &ctx, op->batch * op->output_height, 0);
    return q8_status_success;
  }
  if (op->path == path_im2col) {
    build_im2col(op, threadpool);
    const size_t row_bytes = kernel_size(g) * base->kernels->gemm.kr;
    const q8_gemm_job job = {
        .config = &base->kernels->gemm,
        .groups = 1, .m = pixels, .nc = g->group_output_channels,
        .kc = row_bytes, .ks = 1,
        .a = op->im2col, .a_stride = row_bytes,
        .zero = op->zero,
        .packed = op->packed, .packed_group_stride = op->packed_group_stride,
        .c = op->output, .c_stride = g->output_pixel_stride,
        .requant = op->requant, .epilogue = op->epilogue};
    q8_gemm_job_run(&job, threadpool);
    return q8_status_success;
  }
  const q8_gemm_job job = {
      .config = &base->kernels->gemm,
      .groups = g->groups, .m = pixels, .nc = g->group_output_channels,
      .kc = g->group_input_channels, .ks = kernel_size(g),
      .a = op->input, .a_stride = g->input_pixel_stride,
      .indirection = op->path == path_igemm ? op->indirection : NULL,
      .zero = op->zero,
      .packed = op->packed, .packed_group_stride = op->packed_group_stride,
      .c = op->output, .c_stride = g->output_pixel_stride,
      .requant = op->requant, .epilogue = op->epilogue};
  q8_gemm_job_run(&job, threadpool);
  return q8_status_success;
}

/* --- public API --------------------------------------------------------- */

q8_status q8_convolution2d_create_nhwc(const q8_convolution2d_params* p, const int8_t* weights,
                                       const float* bias, q8_isa isa, q8_operator** op_out,
                                       q8_error* error) {
  static const char fn[] = "q8_convolution2d_create_nhwc";
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  const conv_geometry g = {
      .padding_top = p->padding_top, .padding_left = p->padding_left,
      .padding_bottom = p->padding_bottom, .padding_right = p->padding_right,
      .kernel_height = p->kernel_height, .kernel_width = p->kernel_width,
      .stride_height = p->stride_height, .stride_width = p->stride_width,
      .dilation_height = p->dilation_height, .dilation_width = p->dilation_width,
      .groups = p->groups, .group_input_channels = p->group_input_channels,
      .group_output_channels = p->group_output_channels,
      .input_pixel_stride = p->input_pixel_stride, .output_pixel_stride = p->output_pixel_stride};
  return create_convolution(fn, &g, p->input, &p->weight, p->output, p->output_min, p->output_max,
                            weights, bias, isa, op_out, error);
}

q8_status q8_deconvolution2d_create_nhwc(const q8_deconvolution2d_params* p,
                                         const int8_t* weights, const float* bias, q8_isa isa,
                                         q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_deconvolution2d_create_nhwc";
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  const conv_geometry g = {
      .padding_top = p->padding_top, .padding_left = p->padding_left,
      .padding_bottom = p->padding_bottom, .padding_right = p->padding_right,
      .output_padding_height = p->output_padding_height,
      .output_padding_width = p->output_padding_width,
      .kernel_height = p->kernel_height, .kernel_width = p->kernel_width,
      .stride_height = p->stride_height, .stride_width = p->stride_width,
      .dilation_height = p->dilation_height, .dilation_width = p->dilation_width,
      .groups = p->groups, .group_input_channels = p->group_input_channels,
      .group_output_channels = p->group_output_channels,
      .input_pixel_stride = p->input_pixel_stride, .output_pixel_stride = p->output_pixel_stride,
      .transposed = true};
  return create_convolution(fn, &g, p->input, &p->weight, p->output, p->output_min, p->output_max,
                            weights, bias, isa, op_out, error);
}

q8_status q8_convolution2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                      size_t input_width, const uint8_t* input, uint8_t* output,
                                      size_t* output_height, size_t* output_width,
                                      q8_error* error) {
  return setup_convolution("q8_convolution2d_setup_nhwc", false, op, batch, input_height,
                           input_width, input, output, output_height, output_width, error);
}

q8_status q8_deconvolution2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                        size_t input_width, const uint8_t* input, uint8_t* output,
                                        size_t* output_height, size_t* output_width,
                                        q8_error* error) {
  return setup_convolution("q8_deconvolution2d_setup_nhwc", true, op, batch, input_height,
                           input_width, input, output, output_height, output_width, error);
}

q8_status q8_convolution2d_set_output_pixel_stride(q8_operator* base, size_t stride,
                                                   q8_error* error) {
  static const char fn[] = "q8_convolution2d_set_output_pixel_stride";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_convolution, error))) return s;
  convolution_op* op = (convolution_op*)base;
  const size_t channels = op->geo.groups * op->geo.group_output_channels;
  if (stride == 0) stride = channels;
  if (stride < channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output pixel stride %zu is smaller than the output channel count %zu", fn,
                   stride, channels);
  }
  op->geo.output_pixel_stride = stride;
  return q8_status_success;
}

q8_status q8_convolution2d_set_epilogue(q8_operator* base, const q8_operator* binary,
                                        q8_error* error) {
  static const char fn[] = "q8_convolution2d_set_epilogue";
  if (base == NULL || base->run != run_convolution || !base->is_setup) {
    return q8_fail(error, q8_status_invalid_state, "%s: op is not a set up convolution", fn);
  }
  convolution_op* op = (convolution_op*)base;
  if (binary == NULL) {
    op->epilogue = NULL;
    return q8_status_success;
  }
  const conv_geometry* g = &op->geo;
  const uint8_t* output = NULL;
  size_t count = 0;
  const size_t channels = g->groups * g->group_output_channels;
  const size_t pixels = op->batch * op->output_height * op->output_width;
  if (!q8_binary_is_elementwise(binary, &output, &count) || output != op->output ||
      g->output_pixel_stride != channels || count != pixels * channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: the epilogue must be an elementwise operator on the convolution's dense "
                   "output", fn);
  }
  op->epilogue = binary;
  return q8_status_success;
}

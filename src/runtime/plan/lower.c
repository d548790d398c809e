/*
 * Lowering of graph nodes to q8 operators: one q8_lowering per operator
 * kind. Argument positions follow the TorchScript schemas; arguments the
 * bytecode left out take the schema defaults given here.
 */
#include "lower.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "q8/elementwise.h"
#include "q8/pooling.h"
#include "../../quant/quantize.h"
#include "../ops/convolution-stride.h"
#include "quantize-input.h"

q8_status q8_step_fail(const q8_step* step, q8_error* error, q8_status status, const char* format,
                       ...) {
  if (error != NULL) {
    char reason[Q8_ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof(reason), format, args);
    va_end(args);
    error->status = status;
    snprintf(error->message, sizeof(error->message), "%.60s at instruction %zu: %.150s",
             step->node->name, step->node->instruction, reason);
  }
  return status;
}

/* Prefixes an operator's own error with the node that made the call. */
static q8_status wrap(const q8_step* step, q8_error* error, q8_status status) {
  if (status == q8_status_success || error == NULL) return status;
  char reason[Q8_ERROR_MESSAGE_SIZE];
  memcpy(reason, error->message, sizeof(reason));
  return q8_step_fail(step, error, status, "%s", reason);
}

/* --- argument access ------------------------------------------------------------ */

static uint32_t arg(const q8_step* step, size_t i) {
  return i < step->node->num_inputs ? step->node->inputs[i] : Q8_GRAPH_NO_VALUE;
}

static bool absent(const q8_program* p, const q8_step* s, size_t i) {
  return arg(s, i) == Q8_GRAPH_NO_VALUE || q8_graph_is_none(p->graph, arg(s, i));
}

static q8_status int_arg(const q8_program* p, const q8_step* s, size_t i, int64_t fallback,
                         int64_t* out, q8_error* error) {
  *out = fallback;
  if (absent(p, s, i) || q8_graph_const_int(p->graph, arg(s, i), out)) return q8_status_success;
  return q8_step_fail(s, error, q8_status_unsupported_parameter,
                      "argument %zu is not a constant integer", i);
}

static q8_status float_arg(const q8_program* p, const q8_step* s, size_t i, double* out,
                           q8_error* error) {
  if (q8_graph_const_float(p->graph, arg(s, i), out) && isfinite(*out)) return q8_status_success;
  return q8_step_fail(s, error, q8_status_unsupported_parameter,
                      "argument %zu is not a constant finite number", i);
}

/* An int[] argument of one or two entries (one: both axes); an empty or
 * absent list gives `fallback`. */
static q8_status pair_arg(const q8_program* p, const q8_step* s, size_t i, const uint32_t fallback[2],
                          int64_t minimum, uint32_t out[2], q8_error* error) {
  out[0] = fallback[0], out[1] = fallback[1];
  if (absent(p, s, i)) return q8_status_success;
  const q8_value* v = &p->graph->values[arg(s, i)];
  if (v->kind != q8_value_int_list || !v->is_constant || v->u.ints.count > 2)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "argument %zu is not a constant list of one or two integers", i);
  if (v->u.ints.count == 0) return q8_status_success;
  for (size_t k = 0; k < 2; k++) {
    const int64_t x = v->u.ints.items[v->u.ints.count == 1 ? 0 : k];
    if (x < minimum || x > 65535)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "argument %zu holds %lld, outside [%lld, 65535]", i, (long long)x,
                          (long long)minimum);
    out[k] = (uint32_t)x;
  }
  return q8_status_success;
}

static q8_tensor_plan* tensor(q8_program* p, uint32_t id) { return &p->tensors[id]; }
static q8_tensor_plan* out_tensor(q8_program* p, const q8_step* s) {
  return &p->tensors[s->node->output];
}

/* Input i must be a tensor of `dtype`. */
static q8_status tensor_arg(q8_program* p, const q8_step* s, size_t i, q8_tensor_dtype dtype,
                            q8_tensor_plan** out, q8_error* error) {
  const uint32_t id = arg(s, i);
  if (id == Q8_GRAPH_NO_VALUE || !p->tensors[id].is_tensor || p->tensors[id].dtype != dtype)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "argument %zu is not a %s tensor", i,
                        dtype == q8_tensor_quint8 ? "quint8" : "float32");
  *out = &p->tensors[id];
  return q8_status_success;
}

static q8_status image_arg(q8_program* p, const q8_step* s, q8_tensor_plan** out, q8_error* error) {
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, out, error);
  if (status == q8_status_success && (*out)->rank != 4)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "input has %zu dimensions; 4 (NCHW) expected", (*out)->rank);
  return status;
}

/* Output qparams from (scale, zero_point) arguments at i, i + 1. */
static q8_status qparams_arg(q8_program* p, const q8_step* s, size_t i, q8_error* error) {
  double scale;
  int64_t zp;
  q8_status status = float_arg(p, s, i, &scale, error);
  if (status == q8_status_success) status = int_arg(p, s, i + 1, -1, &zp, error);
  if (status != q8_status_success) return status;
  if (!(scale > 0.0) || !isfinite((float)scale) || (float)scale == 0.0f || zp < 0 || zp > 255)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "output scale %g / zero point %lld: scale must be positive and finite, "
                        "zero point in [0, 255]", scale, (long long)zp);
  q8_tensor_plan* out = out_tensor(p, s);
  out->scale = (float)scale;
  out->zero_point = (int32_t)zp;
  return q8_status_success;
}

/* Output keeps the input's qparams and memory format. */
static void pass_qparams(q8_program* p, const q8_step* s, const q8_tensor_plan* in) {
  q8_tensor_plan* out = out_tensor(p, s);
  out->scale = in->scale;
  out->zero_point = in->zero_point;
  out->channels_last = in->channels_last;
}

static q8_quantization quantization_of(const q8_tensor_plan* t) {
  return (q8_quantization){t->scale, t->zero_point};
}

/* The node's real-valued clamp in the output's quantized codes. */
static void clamp_codes(const q8_step* s, const q8_tensor_plan* out, uint8_t* lo, uint8_t* hi) {
  *lo = 0, *hi = 255;
  if (!s->node->has_clamp) return;
  const float inverse = 1.0f / out->scale;
  if (s->node->clamp_min > -INFINITY)
    *lo = q8_quantize_value(s->node->clamp_min, inverse, out->zero_point);
  if (s->node->clamp_max < INFINITY)
    *hi = q8_quantize_value(s->node->clamp_max, inverse, out->zero_point);
}

static void set_shape(q8_tensor_plan* t, size_t rank, const size_t* shape) {
  t->rank = rank;
  memcpy(t->shape, shape, rank * sizeof(size_t));
}

static void set_image(q8_tensor_plan* t, size_t n, size_t c, size_t h, size_t w) {
  const size_t shape[4] = {n, c, h, w};
  set_shape(t, 4, shape);
}

static size_t numel(const q8_tensor_plan* t) {
  size_t n = 1;
  for (size_t d = 0; d < t->rank; d++) n *= t->shape[d];
  return n;
}

/* Channels of the storage's innermost axis (NHWC: C; logical: last dim). */
static size_t inner_channels(const q8_tensor_plan* t) {
  if (t->rank == 0) return 1;
  return t->nhwc ? t->shape[1] : t->shape[t->rank - 1];
}

/* --- quantize / dequantize (layout conversion at the graph's edges) --------------- */

static q8_status quantize_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  int64_t dtype;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_float32, &in, error);
  if (status == q8_status_success) status = qparams_arg(p, s, 1, error);
  if (status == q8_status_success) status = int_arg(p, s, 3, 13, &dtype, error);
  if (status != q8_status_success) return status;
  if (dtype != 13)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "dtype %lld: only torch.quint8 (13) activations are supported",
                        (long long)dtype);
  out_tensor(p, s)->channels_last = in->channels_last; /* ATen keeps the memory format */
  return q8_status_success;
}

static q8_status same_shape(q8_program* p, q8_step* s, q8_error* error) {
  (void)error;
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  set_shape(out_tensor(p, s), in->rank, in->shape);
  return q8_status_success;
}

static q8_status no_setup(q8_program* p, q8_step* s, q8_error* error) {
  (void)p, (void)s, (void)error;
  return q8_status_success;
}

/* Visits an NCHW-ordered rank-4 tensor with its NHWC counterpart: calls
 * f(nchw_index, nhwc_index) for every element. */
#define FOR_NCHW_NHWC(t, body)                                                        \
  do {                                                                                \
    const size_t N_ = (t)->shape[0], C_ = (t)->shape[1], H_ = (t)->shape[2],           \
                 W_ = (t)->shape[3];                                                  \
    for (size_t n_ = 0; n_ < N_; n_++)                                                \
      for (size_t c_ = 0; c_ < C_; c_++)                                              \
        for (size_t y_ = 0; y_ < H_ * W_; y_++) {                                     \
          const size_t nchw = (n_ * C_ + c_) * H_ * W_ + y_;                          \
          const size_t nhwc = (n_ * H_ * W_ + y_) * C_ + c_;                          \
          body;                                                                       \
        }                                                                             \
  } while (0)

static q8_status quantize_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  const q8_kernel_table* kernels = q8_kernel_table_get(p->isa);
  if (kernels == NULL)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "the kernel table is not available on this CPU");
  const float* x = (const float*)in->data;
  const float inverse = 1.0f / out->scale;
  if (out->nhwc)
    q8_quantize_nchw_to_nhwc(kernels, x, out->data, out->shape[0], out->shape[1],
                             out->shape[2] * out->shape[3], inverse, out->zero_point, pool);
  else
    q8_quantize_nchw_to_nhwc(kernels, x, out->data, 1, 1, numel(out), inverse, out->zero_point,
                             pool);
  return q8_status_success;
}

bool q8_lowering_reads_inputs_at_run(const q8_lowering* lowering) {
  return lowering->run == quantize_run;
}

/* dequantize of an fp32 tensor returns it (a DeQuantStub after a float op). */
static q8_status dequantize_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  const uint32_t id = arg(s, 0);
  if (id != Q8_GRAPH_NO_VALUE && p->tensors[id].is_tensor && p->tensors[id].dtype == q8_tensor_float32)
    return q8_status_success;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) out_tensor(p, s)->channels_last = in->channels_last;
  return status;
}

static q8_status dequantize_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)pool, (void)error;
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  float* y = (float*)out_tensor(p, s)->data;
  if (in->dtype == q8_tensor_float32) {
    memcpy(y, in->data, in->bytes);
    return q8_status_success;
  }
  if (in->nhwc) {
    FOR_NCHW_NHWC(in, y[nchw] = q8_dequantize_value(in->data[nhwc], in->scale, in->zero_point));
  } else {
    for (size_t i = 0, n = numel(in); i < n; i++)
      y[i] = q8_dequantize_value(in->data[i], in->scale, in->zero_point);
  }
  return q8_status_success;
}

/* --- convolution and transposed convolution -------------------------------------- */

static q8_status packed_arg(q8_program* p, q8_step* s, bool conv, const q8_packed_weights** out,
                            q8_error* error) {
  const uint32_t id = arg(s, 1);
  if (id == Q8_GRAPH_NO_VALUE || p->graph->values[id].kind != q8_value_packed ||
      p->graph->values[id].u.packed->is_conv != conv)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "argument 1 is not constant %s packed weights", conv ? "conv" : "linear");
  *out = p->graph->values[id].u.packed;
  return q8_status_success;
}

static q8_weight_quantization weight_quantization(const q8_packed_weights* w) {
  return (q8_weight_quantization){w->quant_count, w->scales, w->zero_points};
}

/* OIHW (conv) or per-group IOHW (transposed) to OHWI. */
static int8_t* to_ohwi(const q8_packed_weights* w) {
  const size_t kh = w->weight_shape[2], kw = w->weight_shape[3], g = w->groups;
  const size_t gin = w->transposed ? w->weight_shape[0] / g : w->weight_shape[1];
  const size_t gout = w->transposed ? w->weight_shape[1] : w->weight_shape[0] / g;
  int8_t* ohwi = malloc(g * gout * kh * kw * gin);
  if (ohwi == NULL) return NULL;
  for (size_t gi = 0; gi < g; gi++)
    for (size_t o = 0; o < gout; o++)
      for (size_t k = 0; k < kh * kw; k++)
        for (size_t i = 0; i < gin; i++) {
          const size_t src = w->transposed ? (((gi * gin + i) * gout + o) * kh * kw + k)
                                           : (((gi * gout + o) * gin + i) * kh * kw + k);
          ohwi[((gi * gout + o) * kh * kw + k) * gin + i] = w->weight[src];
        }
  return ohwi;
}

static q8_status conv_create(q8_program* p, q8_step* s, q8_error* error) {
  const bool transposed = s->node->kind == q8_op_conv_transpose2d;
  const q8_packed_weights* w = NULL;
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = packed_arg(p, s, true, &w, error);
  if (status == q8_status_success) status = qparams_arg(p, s, 2, error);
  if (status != q8_status_success) return status;
  if (w->transposed != transposed)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "packed weights are for a %s convolution",
                        w->transposed ? "transposed" : "regular");
  q8_tensor_plan* out = out_tensor(p, s);
  out->channels_last = true; /* QNNPACK convolutions return channels_last */
  uint8_t lo, hi;
  clamp_codes(s, out, &lo, &hi);
  int8_t* ohwi = to_ohwi(w);
  if (ohwi == NULL) return q8_step_fail(s, error, q8_status_out_of_memory, "out of memory");
  const size_t g = w->groups;
  const size_t gin = transposed ? w->weight_shape[0] / g : w->weight_shape[1];
  const size_t gout = transposed ? w->weight_shape[1] : w->weight_shape[0] / g;
  if (!transposed) {
    const q8_convolution2d_params params = {
        .padding_top = w->padding[0], .padding_bottom = w->padding[0],
        .padding_left = w->padding[1], .padding_right = w->padding[1],
        .kernel_height = (uint32_t)w->weight_shape[2], .kernel_width = (uint32_t)w->weight_shape[3],
        .stride_height = w->stride[0], .stride_width = w->stride[1],
        .dilation_height = w->dilation[0], .dilation_width = w->dilation[1],
        .groups = w->groups, .group_input_channels = gin, .group_output_channels = gout,
        .input = quantization_of(in), .weight = weight_quantization(w),
        .output = quantization_of(out), .output_min = lo, .output_max = hi};
    status = q8_convolution2d_create_nhwc(&params, ohwi, w->bias, p->isa, &s->op, error);
  } else {
    const q8_deconvolution2d_params params = {
        .padding_top = w->padding[0], .padding_bottom = w->padding[0],
        .padding_left = w->padding[1], .padding_right = w->padding[1],
        .output_padding_height = w->output_padding[0], .output_padding_width = w->output_padding[1],
        .kernel_height = (uint32_t)w->weight_shape[2], .kernel_width = (uint32_t)w->weight_shape[3],
        .stride_height = w->stride[0], .stride_width = w->stride[1],
        .dilation_height = w->dilation[0], .dilation_width = w->dilation[1],
        .groups = w->groups, .group_input_channels = gin, .group_output_channels = gout,
        .input = quantization_of(in), .weight = weight_quantization(w),
        .output = quantization_of(out), .output_min = lo, .output_max = hi};
    status = q8_deconvolution2d_create_nhwc(&params, ohwi, w->bias, p->isa, &s->op, error);
  }
  free(ohwi);
  s->aux[0] = g * gin;
  s->aux[1] = g * gout;
  return wrap(s, error, status);
}

/* Output extent along one axis; 0 if the window does not fit. */
static size_t conv_extent(const q8_packed_weights* w, size_t axis, size_t in) {
  const size_t k = w->weight_shape[2 + axis], d = w->dilation[axis], st = w->stride[axis];
  const size_t pad = 2 * (size_t)w->padding[axis], eff = d * (k - 1) + 1;
  if (w->transposed) {
    const size_t full = (in - 1) * st + eff + w->output_padding[axis];
    return full > pad ? full - pad : 0;
  }
  return in + pad >= eff ? (in + pad - eff) / st + 1 : 0;
}

static q8_status conv_shape(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  q8_status status = image_arg(p, s, &in, error);
  if (status != q8_status_success) return status;
  const q8_packed_weights* w = p->graph->values[arg(s, 1)].u.packed;
  if (in->shape[1] != s->aux[0])
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "input has %zu channels; the weights take %zu", in->shape[1], s->aux[0]);
  const size_t oh = conv_extent(w, 0, in->shape[2]), ow = conv_extent(w, 1, in->shape[3]);
  if (oh == 0 || ow == 0)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "input %zux%zu is too small for the kernel", in->shape[2], in->shape[3]);
  set_image(out_tensor(p, s), in->shape[0], s->aux[1], oh, ow);
  return q8_status_success;
}

/* The operator's own output size must be the one the buffer was planned
 * for, or it would write past it. */
static q8_status check_extent(const q8_step* s, const q8_tensor_plan* out, size_t oh, size_t ow,
                              q8_error* error) {
  if (oh == out->shape[2] && ow == out->shape[3]) return q8_status_success;
  return q8_step_fail(s, error, q8_status_invalid_state,
                      "the operator computes a %zux%zu output; %zux%zu was planned", oh, ow,
                      out->shape[2], out->shape[3]);
}

static q8_status conv_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const q8_tensor_plan* out = out_tensor(p, s);
  size_t oh = 0, ow = 0;
  q8_status status = q8_convolution2d_set_output_pixel_stride(s->op, out->pixel_stride, error);
  if (status != q8_status_success) return wrap(s, error, status);
  status =
      s->node->kind == q8_op_conv2d
          ? q8_convolution2d_setup_nhwc(s->op, in->shape[0], in->shape[2], in->shape[3], in->data,
                                        out->data, &oh, &ow, error)
          : q8_deconvolution2d_setup_nhwc(s->op, in->shape[0], in->shape[2], in->shape[3],
                                          in->data, out->data, &oh, &ow, error);
  if (status != q8_status_success) return wrap(s, error, status);
  return check_extent(s, out, oh, ow, error);
}

/* --- fully connected --------------------------------------------------------------- */

static q8_status linear_create(q8_program* p, q8_step* s, q8_error* error) {
  const bool dynamic = s->node->kind == q8_op_linear_dynamic;
  const q8_packed_weights* w = NULL;
  q8_tensor_plan* in = NULL;
  q8_status status =
      tensor_arg(p, s, 0, dynamic ? q8_tensor_float32 : q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = packed_arg(p, s, false, &w, error);
  if (status == q8_status_success && !dynamic) status = qparams_arg(p, s, 2, error);
  if (status != q8_status_success) return status;
  s->aux[0] = w->weight_shape[1];
  s->aux[1] = w->weight_shape[0];
  if (dynamic) {
    if (s->node->has_clamp && (s->node->clamp_min != 0.0f || s->node->clamp_max != INFINITY))
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "only relu can be fused into a dynamic linear");
    const q8_dynamic_fully_connected_params params = {
        .input_channels = w->weight_shape[1], .output_channels = w->weight_shape[0],
        .weight = weight_quantization(w), .relu = s->node->has_clamp};
    return wrap(s, error,
                q8_dynamic_fully_connected_create(&params, w->weight, w->bias, p->isa, &s->op, error));
  }
  q8_tensor_plan* out = out_tensor(p, s);
  uint8_t lo, hi;
  clamp_codes(s, out, &lo, &hi);
  const q8_fully_connected_params params = {
      .input_channels = w->weight_shape[1], .output_channels = w->weight_shape[0],
      .input = quantization_of(in), .weight = weight_quantization(w),
      .output = quantization_of(out), .output_min = lo, .output_max = hi};
  return wrap(s, error, q8_fully_connected_create(&params, w->weight, w->bias, p->isa, &s->op, error));
}

static q8_status linear_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  if (in->rank == 0 || in->nhwc || in->shape[in->rank - 1] != s->aux[0])
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "input of %zu dimensions with last dimension %zu; the weights take %zu "
                        "features (flatten NCHW images first)",
                        in->rank, in->rank ? in->shape[in->rank - 1] : 0, s->aux[0]);
  q8_tensor_plan* out = out_tensor(p, s);
  set_shape(out, in->rank, in->shape);
  out->shape[in->rank - 1] = s->aux[1];
  return q8_status_success;
}

static q8_status linear_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  const size_t batch = numel(in) / s->aux[0];
  const q8_status status =
      s->node->kind == q8_op_linear
          ? q8_fully_connected_setup(s->op, batch, in->data, out->data, error)
          : q8_dynamic_fully_connected_setup(s->op, batch, (const float*)in->data,
                                             (float*)out->data, error);
  return wrap(s, error, status);
}

/* --- activations of fp32 tensors -----------------------------------------------------
 * After a dynamic linear, or FX's float ops between a dequantize and a
 * quantize (nn.SiLU, nn.GELU). */
static bool is_float_input(const q8_program* p, const q8_step* s) {
  const uint32_t id = arg(s, 0);
  return id != Q8_GRAPH_NO_VALUE && p->tensors[id].is_tensor &&
         p->tensors[id].dtype == q8_tensor_float32;
}

static q8_status float_unary_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_float32, &in, error);
  if (status != q8_status_success) return status;
  out_tensor(p, s)->channels_last = in->channels_last;
  q8_unary_params params = {.clamp = {-INFINITY, INFINITY}, .leaky_relu = {0.01f}};
  q8_unary_f32_kind kind = q8_unary_f32_clamp;
  if (strncmp(s->node->name, "quantized::", 11) == 0)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "argument 0 is a float32 tensor; this operator takes a quint8 one");
  switch (s->node->kind) {
    case q8_op_relu:
    case q8_op_hardtanh:
      if (s->node->has_clamp) params.clamp.min = s->node->clamp_min, params.clamp.max = s->node->clamp_max;
      break;
    case q8_op_leaky_relu: {
      double slope = 0.01;
      kind = q8_unary_f32_leaky_relu;
      if (!absent(p, s, 1)) status = float_arg(p, s, 1, &slope, error);
      params.leaky_relu.negative_slope = (float)slope;
      break;
    }
    case q8_op_hardsigmoid: kind = q8_unary_f32_hardsigmoid; break;
    case q8_op_hardswish: kind = q8_unary_f32_hardswish; break;
    case q8_op_sigmoid: kind = q8_unary_f32_sigmoid; break;
    case q8_op_tanh: kind = q8_unary_f32_tanh; break;
    case q8_op_silu: kind = q8_unary_f32_silu; break;
    case q8_op_gelu: {
      /* gelu(self, approximate="none") */
      kind = q8_unary_f32_gelu;
      const q8_value* v = absent(p, s, 1) ? NULL : &p->graph->values[arg(s, 1)];
      if (v != NULL && v->kind == q8_value_string && v->u.str.text != NULL &&
          strcmp(v->u.str.text, "tanh") == 0)
        kind = q8_unary_f32_gelu_tanh;
      else if (v != NULL && !(v->kind == q8_value_string && v->u.str.text != NULL &&
                              strcmp(v->u.str.text, "none") == 0))
        return q8_step_fail(s, error, q8_status_unsupported_parameter,
                            "approximate must be the constant 'none' or 'tanh'");
      break;
    }
    default:
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "not supported on a float32 tensor");
  }
  if (status != q8_status_success) return status;
  return wrap(s, error, q8_unary_f32_create(kind, &params, p->isa, &s->op, error));
}

static q8_status float_unary_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const size_t count = numel(in);
  if (count == 0) return q8_status_success;
  return wrap(s, error, q8_unary_f32_setup(s->op, count, (const float*)in->data,
                                           (float*)out_tensor(p, s)->data, error));
}

static q8_status float_unary_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  if (numel(tensor(p, arg(s, 0))) == 0) return q8_status_success;
  return wrap(s, error, q8_operator_run(s->op, pool, error));
}

/* --- relu / hardtanh / clamp on their own ---------------------------------------
 * A plain clamp is a 1x1 max pooling with an output clamp. A relayout node
 * on a channels_last input (see q8_node) instead writes element i of the
 * input's memory (NHWC) as logical element i of an NCHW tensor, clamped. */

static q8_status clamp_create(q8_program* p, q8_step* s, q8_error* error) {
  if (is_float_input(p, s)) return float_unary_create(p, s, error);
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status != q8_status_success) return status;
  pass_qparams(p, s, in);
  if (s->node->relayout) out_tensor(p, s)->channels_last = false;
  s->aux[0] = s->node->relayout && in->channels_last; /* PyTorch scrambles the layout */
  return q8_status_success;
}

static q8_status clamp_setup(q8_program* p, q8_step* s, q8_error* error) {
  if (is_float_input(p, s)) return float_unary_setup(p, s, error);
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  if (s->aux[0] && in->rank == 4) return q8_status_success; /* done by clamp_run */
  const size_t channels = inner_channels(in), pixels = channels ? numel(in) / channels : 0;
  q8_max_pooling2d_params params = {.kernel_height = 1, .kernel_width = 1, .stride_height = 1,
                                    .stride_width = 1, .dilation_height = 1, .dilation_width = 1,
                                    .channels = channels};
  clamp_codes(s, out, &params.output_min, &params.output_max);
  q8_status status = q8_max_pooling2d_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_max_pooling2d_setup_nhwc(s->shaped_op, pixels, 1, 1, in->data, out->data, NULL,
                                         NULL, error);
  return wrap(s, error, status);
}

static q8_status clamp_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  if (is_float_input(p, s)) return float_unary_run(p, s, pool, error);
  if (s->shaped_op != NULL) return wrap(s, error, q8_operator_run(s->shaped_op, pool, error));
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  uint8_t lo, hi;
  clamp_codes(s, out, &lo, &hi);
  FOR_NCHW_NHWC(out, {
    const uint8_t q = in->data[nchw];
    out->data[nhwc] = q < lo ? lo : q > hi ? hi : q;
  });
  return q8_status_success;
}

/* --- pooling ----------------------------------------------------------------------- */

static q8_status pass_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) pass_qparams(p, s, in);
  return status;
}

typedef struct window {
  uint32_t kernel[2], stride[2], padding[2], dilation[2];
  bool ceil_mode;
} window;

/* max_pool2d(self, kernel_size, stride=[], padding=0, dilation=1, ceil_mode=False)
 * avg_pool2d(self, kernel_size, stride=[], padding=0, ceil_mode=False, ...) */
static q8_status window_args(q8_program* p, q8_step* s, window* w, q8_error* error) {
  const bool is_max = s->node->kind == q8_op_max_pool2d;
  const uint32_t zero[2] = {0, 0}, one[2] = {1, 1};
  int64_t ceil_mode = 0;
  q8_status status = pair_arg(p, s, 1, one, 1, w->kernel, error);
  if (status == q8_status_success) status = pair_arg(p, s, 2, w->kernel, 1, w->stride, error);
  if (status == q8_status_success) status = pair_arg(p, s, 3, zero, 0, w->padding, error);
  if (status == q8_status_success && is_max) status = pair_arg(p, s, 4, one, 1, w->dilation, error);
  if (status == q8_status_success) status = int_arg(p, s, is_max ? 5 : 4, 0, &ceil_mode, error);
  if (!is_max) w->dilation[0] = w->dilation[1] = 1;
  w->ceil_mode = ceil_mode != 0;
  return status;
}

static size_t pool_extent(const window* w, size_t axis, size_t in) {
  const size_t pad = 2 * (size_t)w->padding[axis];
  const size_t eff = (size_t)w->dilation[axis] * (w->kernel[axis] - 1) + 1;
  if (in + pad < eff) return 0;
  const size_t span = in + pad - eff, st = w->stride[axis];
  if (!w->ceil_mode) return span / st + 1;
  size_t out = (span + st - 1) / st + 1;
  /* The last window must start inside the input or its left padding. */
  if ((out - 1) * st >= in + w->padding[axis]) out--;
  return out;
}

static q8_status pool_shape(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  window w;
  q8_status status = image_arg(p, s, &in, error);
  if (status == q8_status_success) status = window_args(p, s, &w, error);
  if (status != q8_status_success) return status;
  const size_t oh = pool_extent(&w, 0, in->shape[2]), ow = pool_extent(&w, 1, in->shape[3]);
  if (oh == 0 || ow == 0)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "input %zux%zu is too small for the window", in->shape[2], in->shape[3]);
  set_image(out_tensor(p, s), in->shape[0], in->shape[1], oh, ow);
  return q8_status_success;
}

static q8_status max_pool_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  window w;
  size_t oh = 0, ow = 0;
  q8_status status = window_args(p, s, &w, error);
  if (status != q8_status_success) return status;
  const q8_max_pooling2d_params params = {
      .padding_top = w.padding[0], .padding_bottom = w.padding[0], .padding_left = w.padding[1],
      .padding_right = w.padding[1], .kernel_height = w.kernel[0], .kernel_width = w.kernel[1],
      .stride_height = w.stride[0], .stride_width = w.stride[1], .dilation_height = w.dilation[0],
      .dilation_width = w.dilation[1], .ceil_mode = w.ceil_mode, .channels = in->shape[1],
      .output_pixel_stride = out_tensor(p, s)->pixel_stride, .output_min = 0, .output_max = 255};
  status = q8_max_pooling2d_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_max_pooling2d_setup_nhwc(s->shaped_op, in->shape[0], in->shape[2], in->shape[3],
                                         in->data, out_tensor(p, s)->data, &oh, &ow, error);
  if (status != q8_status_success) return wrap(s, error, status);
  return check_extent(s, out_tensor(p, s), oh, ow, error);
}

static q8_status avg_pool_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  window w;
  size_t oh = 0, ow = 0;
  int64_t count_include_pad, divisor;
  q8_status status = window_args(p, s, &w, error);
  if (status == q8_status_success) status = int_arg(p, s, 5, 1, &count_include_pad, error);
  if (status == q8_status_success) status = int_arg(p, s, 6, 0, &divisor, error);
  if (status != q8_status_success) return status;
  if (divisor < 0 || divisor > UINT32_MAX)
    return q8_step_fail(s, error, q8_status_invalid_parameter, "divisor_override %lld",
                        (long long)divisor);
  const q8_avg_pooling2d_params params = {
      .padding_top = w.padding[0], .padding_bottom = w.padding[0], .padding_left = w.padding[1],
      .padding_right = w.padding[1], .kernel_height = w.kernel[0], .kernel_width = w.kernel[1],
      .stride_height = w.stride[0], .stride_width = w.stride[1], .ceil_mode = w.ceil_mode,
      .count_include_pad = count_include_pad != 0, .divisor_override = (uint32_t)divisor,
      .channels_last_rounding = in->channels_last, .channels = in->shape[1],
      .output_pixel_stride = out_tensor(p, s)->pixel_stride,
      .input = quantization_of(in), .output = quantization_of(out_tensor(p, s)),
      .output_min = 0, .output_max = 255};
  status = q8_avg_pooling2d_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_avg_pooling2d_setup_nhwc(s->shaped_op, in->shape[0], in->shape[2], in->shape[3],
                                         in->data, out_tensor(p, s)->data, &oh, &ow, error);
  if (status != q8_status_success) return wrap(s, error, status);
  return check_extent(s, out_tensor(p, s), oh, ow, error);
}

/* adaptive_avg_pool2d(self, output_size[2]) */
static q8_status adaptive_shape(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  const uint32_t none[2] = {0, 0};
  uint32_t size[2];
  q8_status status = image_arg(p, s, &in, error);
  if (status == q8_status_success) status = pair_arg(p, s, 1, none, 1, size, error);
  if (status != q8_status_success) return status;
  if (size[0] == 0 || size[0] > in->shape[2] || size[1] > in->shape[3])
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "output size %ux%u must be given and not exceed the input's %zux%zu",
                        size[0], size[1], in->shape[2], in->shape[3]);
  set_image(out_tensor(p, s), in->shape[0], in->shape[1], size[0], size[1]);
  return q8_status_success;
}

static q8_status adaptive_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  const q8_adaptive_avg_pooling2d_params params = {
      .output_height = out->shape[2], .output_width = out->shape[3],
      .channels_last_rounding = in->channels_last, .channels = in->shape[1],
      .input = quantization_of(in), .output = quantization_of(out), .output_min = 0,
      .output_max = 255};
  q8_status status = q8_adaptive_avg_pooling2d_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_adaptive_avg_pooling2d_setup_nhwc(s->shaped_op, in->shape[0], in->shape[2],
                                                  in->shape[3], in->data, out->data, error);
  return wrap(s, error, status);
}

/* mean.dim(self, dim[], keepdim=False, dtype=None). Over H and W of an
 * image: QNNPACK's global average pooling (PyTorch's path for exactly
 * dim == [2, 3]); over other dimensions: ATen's dequantize, fp32 mean,
 * quantize (q8_mean), when the reduced dimensions are adjacent in storage.
 * aux[0]: 1 for the generic path; aux[1..3]: outer, reduce, inner. */
static q8_status mean_shape(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  int64_t keepdim;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = int_arg(p, s, 2, 0, &keepdim, error);
  if (status != q8_status_success) return status;
  const q8_value* dims = arg(s, 1) == Q8_GRAPH_NO_VALUE ? NULL : &p->graph->values[arg(s, 1)];
  if (dims == NULL || dims->kind != q8_value_int_list || !dims->is_constant || !absent(p, s, 3) ||
      dims->u.ints.count == 0 || dims->u.ints.count > in->rank || in->rank == 0)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: the mean needs a constant list of dimensions and no dtype");
  bool reduced[Q8_GRAPH_MAX_DIMS] = {false};
  for (size_t i = 0; i < dims->u.ints.count; i++) {
    int64_t d = dims->u.ints.items[i];
    if (d < 0) d += (int64_t)in->rank;
    if (d < 0 || d >= (int64_t)in->rank || reduced[d])
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "dimension %lld is out of range or repeated", (long long)dims->u.ints.items[i]);
    reduced[d] = true;
  }
  q8_tensor_plan* out = out_tensor(p, s);
  out->rank = 0;
  for (size_t d = 0; d < in->rank; d++) {
    if (!reduced[d]) out->shape[out->rank++] = in->shape[d];
    else if (keepdim) out->shape[out->rank++] = 1;
  }
  if (out->rank == 0) out->shape[out->rank++] = 1; /* a scalar mean: q8 keeps one dimension */
  const bool spatial = in->rank == 4 && dims->u.ints.count == 2 && reduced[2] && reduced[3] &&
                       dims->u.ints.items[0] != dims->u.ints.items[1];
  s->aux[0] = !spatial;
  if (spatial) return q8_status_success;
  /* Storage order of the input's dimensions: reduced ones must be adjacent,
   * and the kept ones must come out in the output's order. */
  static const size_t nhwc[4] = {0, 2, 3, 1};
  size_t order[Q8_GRAPH_MAX_DIMS], first = SIZE_MAX, last = 0, outer = 1, reduce = 1, inner = 1;
  for (size_t k = 0; k < in->rank; k++) order[k] = in->nhwc ? nhwc[k] : k;
  for (size_t k = 0; k < in->rank; k++)
    if (reduced[order[k]]) first = first == SIZE_MAX ? k : first, last = k;
  bool ok = true, out_nhwc = out->rank == 4; /* quint8 rank 4: stored NHWC */
  size_t previous = 0;
  bool any = false;
  for (size_t k = 0; k < in->rank; k++) {
    const size_t d = order[k], extent = in->shape[d];
    if (k >= first && k <= last && !reduced[d]) ok = false;
    if (reduced[d]) reduce *= extent;
    else if (k < first) outer *= extent;
    else inner *= extent;
    /* Kept dimensions in storage order must be increasing logical
     * dimensions, unless both tensors are NHWC images (keepdim). */
    if (!reduced[d] && !(out_nhwc && in->nhwc)) {
      if (any && d < previous) ok = false;
      previous = d, any = true;
    }
  }
  if (!ok)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: a mean over dimensions that are not adjacent in memory, or "
                        "whose result is ordered unlike its input's memory (a channels_last "
                        "image reduced over H or W alone without keepdim)");
  s->aux[1] = outer, s->aux[2] = reduce, s->aux[3] = inner;
  /* ATen's integer fast path: a contiguous tensor, trailing dimensions. */
  bool trailing = true;
  for (size_t d = 0; d < in->rank; d++) trailing = trailing && (reduced[d] || d < in->rank - dims->u.ints.count);
  s->aux[0] = trailing && !in->channels_last ? 2 : 1;
  return q8_status_success;
}

static q8_status mean_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  if (s->aux[0]) {
    q8_status status = q8_mean_create(quantization_of(in), quantization_of(out), s->aux[0] == 2,
                                      p->isa, &s->shaped_op, error);
    if (status == q8_status_success)
      status = q8_mean_setup(s->shaped_op, s->aux[1], s->aux[2], s->aux[3], in->data, out->data, error);
    return wrap(s, error, status);
  }
  const q8_global_avg_pooling2d_params params = {
      .channels = in->shape[1], .input = quantization_of(in), .output = quantization_of(out),
      .output_min = 0, .output_max = 255};
  q8_status status = q8_global_avg_pooling2d_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_global_avg_pooling2d_setup_nhwc(s->shaped_op, in->shape[0], in->shape[2],
                                                in->shape[3], in->data, out->data, error);
  return wrap(s, error, status);
}

/* --- cat ------------------------------------------------------------------------- */

/* quantized::cat(Tensor[] qx, int dim, float? scale, int? zero_point) and
 * aten::cat(Tensor[] tensors, int dim=0) (quint8 inputs sharing qparams, as
 * PyTorch requires, or float32). Along any dimension: in storage order the
 * inputs are rows of `extent * inner` elements, `outer` rows each. */
static q8_status cat_create(q8_program* p, q8_step* s, q8_error* error) {
  const uint32_t list = arg(s, 0);
  if (list == Q8_GRAPH_NO_VALUE || p->graph->values[list].kind != q8_value_tensor_list ||
      p->graph->values[list].u.tensors.count == 0)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not a tensor list");
  const q8_value* v = &p->graph->values[list];
  const q8_tensor_plan* first = &p->tensors[v->u.tensors.items[0]];
  const bool floats = first->dtype == q8_tensor_float32;
  for (size_t i = 0; i < v->u.tensors.count; i++)
    if (p->tensors[v->u.tensors.items[i]].dtype != (floats ? q8_tensor_float32 : q8_tensor_quint8))
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "input %zu is not %s like input 0", i, floats ? "float32" : "quint8");
  if (floats && !absent(p, s, 2))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "float inputs with output qparams");
  q8_status status = absent(p, s, 2) ? q8_status_success : qparams_arg(p, s, 2, error);
  if (status != q8_status_success) return status;
  q8_tensor_plan* out = out_tensor(p, s);
  out->dtype = first->dtype;
  out->channels_last = first->channels_last;
  if (absent(p, s, 2)) out->scale = first->scale, out->zero_point = first->zero_point;
  return q8_status_success;
}

/* Position of logical dimension `dim` in t's storage order. */
static size_t storage_position(const q8_tensor_plan* t, size_t dim) {
  static const size_t nhwc[4] = {0, 3, 1, 2};
  return t->nhwc ? nhwc[dim] : dim;
}

static q8_status cat_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_value* v = &p->graph->values[arg(s, 0)];
  const q8_tensor_plan* first = &p->tensors[v->u.tensors.items[0]];
  int64_t dim;
  q8_status status = int_arg(p, s, 1, 0, &dim, error);
  if (status != q8_status_success) return status;
  if (dim < 0) dim += (int64_t)first->rank;
  if (first->rank == 0 || dim < 0 || dim >= (int64_t)first->rank)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "dimension %lld out of range for %zu-D tensors", (long long)dim, first->rank);
  const size_t axis = (size_t)dim;
  q8_tensor_plan* out = out_tensor(p, s);
  set_shape(out, first->rank, first->shape);
  out->shape[axis] = 0;
  for (size_t i = 0; i < v->u.tensors.count; i++) {
    const q8_tensor_plan* t = &p->tensors[v->u.tensors.items[i]];
    bool same = t->rank == first->rank;
    for (size_t d = 0; same && d < t->rank; d++) same = d == axis || t->shape[d] == first->shape[d];
    if (!same)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "input %zu's shape differs from input 0's outside dimension %zu", i, axis);
    out->shape[axis] += t->shape[axis];
  }
  s->aux[0] = axis;
  return q8_status_success;
}

/* Rows (outer) and the elements of one row per unit of the axis (inner) of
 * t in storage order, around logical dimension `axis`. */
static void cat_geometry(const q8_tensor_plan* t, size_t axis, size_t* outer, size_t* inner) {
  size_t storage[Q8_GRAPH_MAX_DIMS];
  memcpy(storage, t->shape, t->rank * sizeof(size_t));
  if (t->nhwc) storage[1] = t->shape[2], storage[2] = t->shape[3], storage[3] = t->shape[1];
  const size_t pos = storage_position(t, axis);
  *outer = 1, *inner = 1;
  for (size_t d = 0; d < t->rank; d++) {
    if (d < pos) *outer *= storage[d];
    if (d > pos) *inner *= storage[d];
  }
}

static q8_status cat_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_value* v = &p->graph->values[arg(s, 0)];
  q8_tensor_plan* out = out_tensor(p, s);
  if (out->dtype == q8_tensor_float32) return q8_status_success; /* cat_run copies */
  const size_t n = v->u.tensors.count, axis = s->aux[0];
  size_t outer, inner;
  cat_geometry(out, axis, &outer, &inner);
  /* channels, then pixel strides (views of the output: the concat skips them) */
  size_t* channels = malloc(2 * n * sizeof(size_t));
  q8_quantization* quant = malloc(n * sizeof(q8_quantization));
  const uint8_t** inputs = malloc(n * sizeof(uint8_t*));
  q8_status status = q8_status_out_of_memory;
  if (channels != NULL && quant != NULL && inputs != NULL) {
    for (size_t i = 0; i < n; i++) {
      const q8_tensor_plan* t = &p->tensors[v->u.tensors.items[i]];
      channels[i] = t->shape[axis] * inner;
      channels[n + i] = t->pixel_stride;
      quant[i] = quantization_of(t);
      inputs[i] = t->data;
    }
    const q8_concat_params params = {.num_inputs = n, .input_channels = channels,
                                     .input_pixel_strides = channels + n,
                                     .inputs = quant, .output = quantization_of(out)};
    status = q8_concat_create_nhwc(&params, p->isa, &s->shaped_op, error);
    if (status == q8_status_success)
      status = q8_concat_setup_nhwc(s->shaped_op, outer, 1, 1, inputs, out->data, error);
  } else if (error != NULL) {
    error->status = status;
    snprintf(error->message, sizeof(error->message), "out of memory");
  }
  free(channels);
  free(quant);
  free(inputs);
  return wrap(s, error, status);
}

static q8_status cat_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  if (s->shaped_op != NULL) return wrap(s, error, q8_operator_run(s->shaped_op, pool, error));
  const q8_value* v = &p->graph->values[arg(s, 0)];
  q8_tensor_plan* out = out_tensor(p, s);
  size_t outer, inner, row = 0;
  cat_geometry(out, s->aux[0], &outer, &inner);
  const size_t out_row = out->shape[s->aux[0]] * inner * sizeof(float);
  for (size_t i = 0; i < v->u.tensors.count; i++) {
    const q8_tensor_plan* t = &p->tensors[v->u.tensors.items[i]];
    const size_t bytes = t->shape[s->aux[0]] * inner * sizeof(float);
    for (size_t r = 0; r < outer; r++) memcpy(out->data + r * out_row + row, t->data + r * bytes, bytes);
    row += bytes;
  }
  return q8_status_success;
}

/* --- flatten ---------------------------------------------------------------------- */

/* flatten.using_ints(self, start_dim=0, end_dim=-1) */
static q8_status flatten_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  int64_t start, end;
  q8_status status = int_arg(p, s, 1, 0, &start, error);
  if (status == q8_status_success) status = int_arg(p, s, 2, -1, &end, error);
  if (status != q8_status_success) return status;
  const int64_t rank = (int64_t)(in->rank ? in->rank : 1);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  if (start < 0 || end >= rank || start > end)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "dimensions [%lld, %lld] do not fit a %zu-D tensor", (long long)start,
                        (long long)end, in->rank);
  q8_tensor_plan* out = out_tensor(p, s);
  out->rank = 0;
  for (int64_t d = 0; d < (int64_t)in->rank; d++) {
    if (d > start && d <= end) out->shape[out->rank - 1] *= in->shape[d];
    else out->shape[out->rank++] = in->shape[d];
  }
  if (in->rank == 0) out->shape[out->rank++] = 1;
  return q8_status_success;
}

static q8_status flatten_create(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  if (!in->is_tensor)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not a tensor");
  pass_qparams(p, s, in);
  out_tensor(p, s)->channels_last = false;
  return q8_status_success;
}

/* A flattened NHWC image is written in NCHW order, PyTorch's. */
static q8_status flatten_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)pool, (void)error;
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  if (in->nhwc && !out->nhwc) {
    FOR_NCHW_NHWC(in, out->data[nchw] = in->data[nhwc]);
  } else {
    memcpy(out->data, in->data, in->bytes);
  }
  return q8_status_success;
}

/* --- contiguous -------------------------------------------------------------------
 * aten::contiguous(self, memory_format=contiguous_format): the same values in
 * PyTorch's given memory format (0 contiguous, 2 channels_last); q8's storage
 * does not change, so a copy that sets the format q8 tracks. */
static q8_status contiguous_create(q8_program* p, q8_step* s, q8_error* error) {
  const uint32_t id = arg(s, 0);
  if (id == Q8_GRAPH_NO_VALUE || !p->tensors[id].is_tensor)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not a tensor");
  const q8_tensor_plan* in = &p->tensors[id];
  int64_t format = 0;
  q8_status status = int_arg(p, s, 1, 0, &format, error);
  if (status != q8_status_success) return status;
  if (format != 0 && format != 2)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "memory_format %lld: only torch.contiguous_format (0) and "
                        "torch.channels_last (2) are supported", (long long)format);
  pass_qparams(p, s, in);
  out_tensor(p, s)->channels_last = format == 2;
  return q8_status_success;
}

static q8_status contiguous_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  int64_t format = 0;
  q8_status status = int_arg(p, s, 1, 0, &format, error);
  if (status != q8_status_success) return status;
  if (format == 2 && in->rank != 4)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "channels_last needs a 4-D tensor, not %zu-D", in->rank);
  return same_shape(p, s, error);
}

static q8_status contiguous_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)pool, (void)error;
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  memcpy(out_tensor(p, s)->data, in->data, in->bytes);
  return q8_status_success;
}

/* --- upsample_nearest2d ----------------------------------------------------------- */

/* Where the scale factors are: after output_size (nearest) or after
 * output_size and align_corners (bilinear); one list (.vec) or one per axis. */
static size_t scales_index(const q8_step* s, bool vec, size_t axis) {
  const size_t first = s->node->kind == q8_op_upsample_bilinear2d ? 3 : 2;
  return vec ? first : first + axis;
}

/* nearest: .vec(input, output_size?, scale_factors?) or (self, output_size, scales_h?, scales_w?)
 * bilinear: .vec(input, output_size?, align_corners, scale_factors?) or
 *           (self, output_size, align_corners, scales_h?, scales_w?) */
/* quint8, or fp32 (nn.Upsample that FX graph mode leaves unquantized). */
static q8_status upsample_create(q8_program* p, q8_step* s, q8_error* error) {
  const uint32_t id = arg(s, 0);
  if (id != Q8_GRAPH_NO_VALUE && p->tensors[id].is_tensor &&
      p->tensors[id].dtype == q8_tensor_float32) {
    out_tensor(p, s)->channels_last = p->tensors[id].channels_last;
    return q8_status_success;
  }
  return pass_create(p, s, error);
}

static q8_status upsample_shape(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  const uint32_t id = arg(s, 0);
  const bool floats = id != Q8_GRAPH_NO_VALUE && p->tensors[id].dtype == q8_tensor_float32;
  q8_status status = floats ? tensor_arg(p, s, 0, q8_tensor_float32, &in, error)
                            : image_arg(p, s, &in, error);
  if (status == q8_status_success && in->rank != 4)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "input has %zu dimensions; 4 (NCHW) expected", in->rank);
  if (status != q8_status_success) return status;
  const bool vec = strstr(s->node->name, ".vec") != NULL;
  double scales[2] = {0.0, 0.0};
  size_t size[2] = {0, 0};
  if (!absent(p, s, 1)) {
    const q8_value* v = &p->graph->values[arg(s, 1)];
    if (v->kind == q8_value_int_list && !v->is_constant) {
      /* Computed at plan time: size=y.shape[-2:] or (y.size(2), y.size(3)). */
      const q8_tensor_plan* sizes = tensor(p, arg(s, 1));
      if (sizes->num_ints != 2)
        return q8_step_fail(s, error, q8_status_unsupported_parameter,
                            "output_size has %zu entries; 2 expected", sizes->num_ints);
      for (size_t k = 0; k < 2; k++) {
        if (sizes->ints[k] < 1 || sizes->ints[k] > 65536)
          return q8_step_fail(s, error, q8_status_invalid_parameter,
                              "output size %lld is outside [1, 65536]", (long long)sizes->ints[k]);
        size[k] = (size_t)sizes->ints[k];
      }
    } else {
      const uint32_t none[2] = {0, 0};
      uint32_t given[2];
      if ((status = pair_arg(p, s, 1, none, 1, given, error)) != q8_status_success) return status;
      size[0] = given[0], size[1] = given[1];
    }
  }
  for (size_t k = 0; k < 2; k++) {
    const size_t i = scales_index(s, vec, k);
    if (absent(p, s, i)) continue;
    const q8_value* v = &p->graph->values[arg(s, i)];
    if (vec && v->kind == q8_value_float_list && v->u.floats.count == 2) scales[k] = v->u.floats.items[k];
    else if (!vec && (status = float_arg(p, s, i, &scales[k], error)) != q8_status_success) return status;
    else if (vec) return q8_step_fail(s, error, q8_status_unsupported_parameter,
                                      "scale_factors must be two constant numbers");
  }
  for (size_t k = 0; k < 2; k++) {
    if (size[k] == 0 && scales[k] > 0.0 && isfinite(scales[k]))
      size[k] = (size_t)floor((double)in->shape[2 + k] * scales[k]);
    if (size[k] == 0 || size[k] > 65536)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "output size or scale factors must give 1 to 65536 pixels per axis");
  }
  set_image(out_tensor(p, s), in->shape[0], in->shape[1], size[0], size[1]);
  return q8_status_success;
}

static q8_status upsample_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  /* The operator needs PyTorch's scale factors (not just the sizes): with
   * them the source index is computed from the scale, as PyTorch does. */
  double scales[2] = {0.0, 0.0};
  const bool vec = strstr(s->node->name, ".vec") != NULL;
  for (size_t k = 0; k < 2; k++) {
    const size_t i = scales_index(s, vec, k);
    if (absent(p, s, i) || !absent(p, s, 1)) continue;
    const q8_value* v = &p->graph->values[arg(s, i)];
    scales[k] = vec ? v->u.floats.items[k] : (v->kind == q8_value_float ? v->u.number : (double)v->u.integer);
  }
  int64_t align_corners = 0;
  const bool bilinear = s->node->kind == q8_op_upsample_bilinear2d;
  q8_status status = bilinear ? int_arg(p, s, 2, 0, &align_corners, error) : q8_status_success;
  if (status != q8_status_success) return status;
  if (in->dtype == q8_tensor_float32) {
    const q8_resize2d_params params = {
        .mode = bilinear ? q8_resize_bilinear : q8_resize_nearest,
        .align_corners = align_corners != 0, .output_height = out->shape[2],
        .output_width = out->shape[3], .scale_height = scales[0], .scale_width = scales[1],
        .channels = in->shape[1]};
    /* PyTorch takes its channels_last kernel when the input is contiguous
     * in that format, which a contiguous NCHW tensor with one channel or a
     * 1x1 image also is. */
    const bool channels_last = in->channels_last || in->shape[1] == 1 ||
                               (in->shape[2] == 1 && in->shape[3] == 1);
    status = q8_resize2d_f32_create(&params, channels_last, p->isa, &s->shaped_op, error);
    if (status == q8_status_success)
      status = q8_resize2d_f32_setup(s->shaped_op, in->shape[0], in->shape[2], in->shape[3],
                                     (const float*)in->data, (float*)out->data, error);
    return wrap(s, error, status);
  }
  const q8_resize2d_params params = {
      .mode = bilinear ? q8_resize_bilinear : q8_resize_nearest, .align_corners = align_corners != 0,
      .output_height = out->shape[2], .output_width = out->shape[3], .scale_height = scales[0],
      .scale_width = scales[1], .channels = in->shape[1], .zero_point = in->zero_point};
  status = bilinear && in->channels_last
               ? q8_resize2d_create_channels_last_nhwc(&params, p->isa, &s->shaped_op, error)
               : q8_resize2d_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_resize2d_setup_nhwc(s->shaped_op, in->shape[0], in->shape[2], in->shape[3],
                                    in->data, out->data, error);
  return wrap(s, error, status);
}

/* --- softmax ---------------------------------------------------------------------- */

/* quantized::softmax(Tensor qx, int dim, float output_scale, int output_zero_point) */
static q8_status softmax_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = qparams_arg(p, s, 2, error);
  if (status == q8_status_success) out_tensor(p, s)->channels_last = in->channels_last;
  return status;
}

static q8_status softmax_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  int64_t dim;
  q8_status status = int_arg(p, s, 1, 0, &dim, error);
  if (status != q8_status_success) return status;
  if (dim < 0) dim += (int64_t)in->rank;
  if (in->rank == 0 || dim != (in->nhwc ? 1 : (int64_t)in->rank - 1))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: softmax over dimension %lld of a %zu-D tensor (only "
                        "channels: dimension 1 of NCHW, or the last)", (long long)dim, in->rank);
  set_shape(out_tensor(p, s), in->rank, in->shape);
  return q8_status_success;
}

static q8_status softmax_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  q8_tensor_plan* out = out_tensor(p, s);
  const size_t channels = inner_channels(in);
  const q8_softmax_params params = {.channels = channels, .input = quantization_of(in),
                                    .output = quantization_of(out)};
  q8_status status = q8_softmax_create_nc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_softmax_setup_nc(s->shaped_op, numel(in) / channels, in->data, out->data, error);
  return wrap(s, error, status);
}

/* --- elementwise: add, mul (broadcasting), table activations ------------------- */

/* quantized::add / add_relu / mul / mul_relu(Tensor qa, Tensor qb, float scale, int zero_point) */
static q8_status binary_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan *a = NULL, *b = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &a, error);
  if (status == q8_status_success) status = tensor_arg(p, s, 1, q8_tensor_quint8, &b, error);
  if (status == q8_status_success) status = qparams_arg(p, s, 2, error);
  if (status != q8_status_success) return status;
  q8_tensor_plan* out = out_tensor(p, s);
  out->channels_last = a->channels_last; /* ATen allocates like the first operand */
  uint8_t lo, hi;
  clamp_codes(s, out, &lo, &hi);
  status = s->node->kind == q8_op_add
               ? q8_add_nd_create(quantization_of(a), quantization_of(b), quantization_of(out), lo,
                                  hi, p->isa, &s->op, error)
               : q8_multiply_nd_create(quantization_of(a), quantization_of(b),
                                       quantization_of(out), lo, hi, p->isa, &s->op, error);
  return wrap(s, error, status);
}

static q8_status binary_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* a = tensor(p, arg(s, 0));
  const q8_tensor_plan* b = tensor(p, arg(s, 1));
  /* NHWC storage only broadcasts consistently against NHWC storage. */
  if ((a->rank == 4) != (b->rank == 4) || a->rank > Q8_BINARY_MAX_DIMS || b->rank > Q8_BINARY_MAX_DIMS)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "operands of %zu and %zu dimensions: both must be 4-D images, or neither",
                        a->rank, b->rank);
  const size_t rank = a->rank > b->rank ? a->rank : b->rank;
  q8_tensor_plan* out = out_tensor(p, s);
  out->rank = rank;
  for (size_t d = 0; d < rank; d++) {
    const size_t ea = d + a->rank >= rank ? a->shape[d + a->rank - rank] : 1;
    const size_t eb = d + b->rank >= rank ? b->shape[d + b->rank - rank] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "shapes do not broadcast: %zu against %zu in dimension %zu", ea, eb, d);
    out->shape[d] = ea == 1 ? eb : ea;
  }
  return q8_status_success;
}

/* The shape of a tensor as stored (NCHW -> NHWC for images). */
static void storage_shape(const q8_tensor_plan* t, size_t shape[Q8_GRAPH_MAX_DIMS]) {
  memcpy(shape, t->shape, t->rank * sizeof(size_t));
  if (t->nhwc) shape[1] = t->shape[2], shape[2] = t->shape[3], shape[3] = t->shape[1];
}

static q8_status binary_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* a = tensor(p, arg(s, 0));
  const q8_tensor_plan* b = tensor(p, arg(s, 1));
  size_t sa[Q8_GRAPH_MAX_DIMS], sb[Q8_GRAPH_MAX_DIMS];
  storage_shape(a, sa);
  storage_shape(b, sb);
  uint8_t* y = out_tensor(p, s)->data;
  const q8_status status =
      s->node->kind == q8_op_add
          ? q8_add_nd_setup(s->op, a->rank, sa, b->rank, sb, a->data, b->data, y, error)
          : q8_multiply_nd_setup(s->op, a->rank, sa, b->rank, sb, a->data, b->data, y, error);
  return wrap(s, error, status);
}

/* hardswish(x, scale, zero_point); hardsigmoid, sigmoid, tanh with PyTorch's
 * fixed output qparams; leaky_relu(x, negative_slope=0.01) keeps the input's. */
static q8_status unary_create(q8_program* p, q8_step* s, q8_error* error) {
  if (is_float_input(p, s)) return float_unary_create(p, s, error);
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status != q8_status_success) return status;
  q8_tensor_plan* out = out_tensor(p, s);
  pass_qparams(p, s, in);
  q8_unary_params params = {.leaky_relu = {0.01f}};
  q8_unary_kind kind = q8_unary_hardswish;
  switch (s->node->kind) {
    case q8_op_hardswish:
      if (strncmp(s->node->name, "quantized::", 11) != 0)
        return q8_step_fail(s, error, q8_status_unsupported_parameter,
                            "PyTorch has no quint8 kernel for it (quantized::hardswish has one)");
      status = qparams_arg(p, s, 1, error);
      break;
    case q8_op_hardsigmoid: kind = q8_unary_hardsigmoid, out->scale = 1.0f / 256, out->zero_point = 0; break;
    case q8_op_sigmoid: kind = q8_unary_sigmoid, out->scale = 1.0f / 256, out->zero_point = 0; break;
    case q8_op_tanh: kind = q8_unary_tanh, out->scale = 1.0f / 128, out->zero_point = 128; break;
    case q8_op_elu: {
      /* elu(self, output_scale, output_zero_point, alpha=1, scale=1, input_scale=1) */
      double alpha = 1.0, scale = 1.0, input_scale = 1.0;
      kind = q8_unary_elu;
      status = qparams_arg(p, s, 1, error);
      if (status == q8_status_success && !absent(p, s, 3)) status = float_arg(p, s, 3, &alpha, error);
      if (status == q8_status_success && !absent(p, s, 4)) status = float_arg(p, s, 4, &scale, error);
      if (status == q8_status_success && !absent(p, s, 5)) status = float_arg(p, s, 5, &input_scale, error);
      params.elu.alpha = (float)alpha, params.elu.scale = (float)scale;
      params.elu.input_scale = (float)input_scale;
      break;
    }
    default: {
      double slope = 0.01;
      kind = q8_unary_leaky_relu;
      if (!absent(p, s, 1)) status = float_arg(p, s, 1, &slope, error);
      params.leaky_relu.negative_slope = (float)slope;
      /* quantized::leaky_relu(qx, slope, inplace, output_scale, output_zero_point) */
      if (status == q8_status_success && strncmp(s->node->name, "quantized::", 11) == 0)
        status = qparams_arg(p, s, 3, error);
    }
  }
  if (status != q8_status_success) return status;
  return wrap(s, error, q8_unary_create(kind, &params, quantization_of(in), quantization_of(out),
                                        p->isa, &s->op, error));
}

static q8_status unary_setup(q8_program* p, q8_step* s, q8_error* error) {
  if (is_float_input(p, s)) return float_unary_setup(p, s, error);
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const size_t channels = inner_channels(in);
  return wrap(s, error,
              q8_unary_setup(s->op, numel(in) / channels, channels, 0, 0, in->data,
                             out_tensor(p, s)->data, error));
}

/* --- add / mul with a scalar: PyTorch derives the output qparams ---------------
 * quantized::add_scalar(_relu)(qa, b), add.Scalar, mul_scalar, mul.Scalar:
 * a table over the 256 input codes (see docs/pytorch-numerics.md 4d). */
static q8_status scalar_op_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  double c;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = float_arg(p, s, 1, &c, error);
  if (status != q8_status_success) return status;
  const bool relu = s->node->has_clamp;
  if (relu && (s->node->clamp_min != 0.0f || s->node->clamp_max != INFINITY))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "only relu can follow a scalar add or multiply");
  const double scale = in->scale;
  const int64_t z = in->zero_point;
  double out_scale = scale;
  int64_t out_zp = z;
  uint8_t table[256];
  for (int q = 0; q < 256; q++) table[q] = (uint8_t)q;
  if (s->node->kind == q8_op_add_scalar) {
    const double cq = nearbyint(c / scale);
    if (!(fabs(cq) < 1e9))
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "the scalar %g is %g input steps: too large", c, cq);
    const int64_t c_q = (int64_t)cq, diff = z - c_q;
    if (diff < 0 || diff > 255) {
      /* The output range moves to keep the shifted values: requantize. */
      out_scale = diff < 0 ? (255.0 - (double)diff) / 255.0 * scale : (double)diff / 255.0 * scale;
      out_zp = diff < 0 ? 0 : 255;
      const float multiplier = (float)scale * (1.0f / (float)out_scale);
      for (int q = 0; q < 256; q++) {
        const long r = out_zp + lrintf((float)(q - z + c_q) * multiplier);
        table[q] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
      }
    } else {
      out_zp = diff; /* same codes, the zero point moves */
    }
  } else if (c > 0.0) {
    out_scale = c * scale;
  } else if (c == 0.0) {
    out_scale = 1.0, out_zp = 0;
    memset(table, 0, sizeof(table));
  } else {
    out_scale = -c * scale, out_zp = 255 - z;
    for (int q = 0; q < 256; q++) table[q] = (uint8_t)(255 - q);
  }
  if (relu)
    for (int q = 0; q < 256; q++)
      if (table[q] < out_zp) table[q] = (uint8_t)out_zp;
  if (!(out_scale > 0.0) || !isfinite((float)out_scale) || (float)out_scale == 0.0f)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "the output scale %g is not a positive float", out_scale);
  q8_tensor_plan* out = out_tensor(p, s);
  out->scale = (float)out_scale;
  out->zero_point = (int32_t)out_zp;
  out->channels_last = in->channels_last;
  return wrap(s, error, q8_lookup_create(table, p->isa, &s->op, error));
}

/* --- batch norm ------------------------------------------------------------------
 * quantized::batch_norm2d(_relu) / batch_norm1d(_relu) / batch_norm(qx,
 * weight?, bias?, mean, var, eps, output_scale, output_zero_point). */

/* A constant float list argument of `count` entries (count 0: any length,
 * set); NULL for None when `optional`. */
static q8_status float_list_arg(q8_program* p, const q8_step* s, size_t i, bool optional,
                                size_t* count, float** out, q8_error* error) {
  *out = NULL;
  if (optional && absent(p, s, i)) return q8_status_success;
  const q8_value* v = arg(s, i) == Q8_GRAPH_NO_VALUE ? NULL : &p->graph->values[arg(s, i)];
  if (v == NULL || v->kind != q8_value_float_list || !v->is_constant || v->u.floats.count == 0 ||
      (*count != 0 && v->u.floats.count != *count))
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "argument %zu is not a constant float tensor of %zu elements", i, *count);
  *count = v->u.floats.count;
  *out = malloc(*count * sizeof(float));
  if (*out == NULL) return q8_step_fail(s, error, q8_status_out_of_memory, "out of memory");
  for (size_t k = 0; k < *count; k++) (*out)[k] = (float)v->u.floats.items[k];
  return q8_status_success;
}

static q8_status batch_norm_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  double eps;
  float *weight = NULL, *bias = NULL, *mean = NULL, *var = NULL;
  size_t channels = 0;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = float_list_arg(p, s, 3, false, &channels, &mean, error);
  if (status == q8_status_success) status = float_list_arg(p, s, 4, false, &channels, &var, error);
  if (status == q8_status_success) status = float_list_arg(p, s, 1, true, &channels, &weight, error);
  if (status == q8_status_success) status = float_list_arg(p, s, 2, true, &channels, &bias, error);
  if (status == q8_status_success) status = float_arg(p, s, 5, &eps, error);
  if (status == q8_status_success) status = qparams_arg(p, s, 6, error);
  if (status == q8_status_success) {
    q8_tensor_plan* out = out_tensor(p, s);
    out->channels_last = true; /* ATen computes it on a channels_last copy */
    uint8_t lo, hi;
    clamp_codes(s, out, &lo, &hi);
    const q8_batch_norm_params params = {
        .channels = channels, .weight = weight, .bias = bias, .mean = mean, .variance = var,
        .epsilon = (float)eps, .input = quantization_of(in), .output = quantization_of(out),
        .output_min = lo, .output_max = hi};
    status = wrap(s, error, q8_batch_norm_create_nc(&params, p->isa, &s->op, error));
    s->aux[0] = channels;
  }
  free(weight);
  free(bias);
  free(mean);
  free(var);
  return status;
}

static q8_status batch_norm_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  /* Channels must be the storage's innermost axis: NCHW images (stored
   * NHWC) or (N, C) rows. */
  if ((in->rank != 4 && in->rank != 2) || in->shape[1] != s->aux[0])
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: batch norm of a %zu-D input with %zu channels (4-D NCHW or "
                        "2-D (N, C) inputs with %zu channels are supported)",
                        in->rank, in->rank > 1 ? in->shape[1] : 0, s->aux[0]);
  set_shape(out_tensor(p, s), in->rank, in->shape);
  return q8_status_success;
}

static q8_status batch_norm_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  return wrap(s, error, q8_batch_norm_setup_nc(s->op, numel(in) / s->aux[0], in->data,
                                               out_tensor(p, s)->data, error));
}

/* --- softmax / log_softmax of fp32 tensors ------------------------------------------
 * aten::softmax.int(self, dim, dtype=None) on a dequantized tensor. */
static q8_status softmax_float_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_float32, &in, error);
  if (status != q8_status_success) return status;
  if (!absent(p, s, 2))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: softmax with a dtype argument");
  return q8_status_success;
}

static q8_status softmax_float_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  int64_t dim;
  q8_status status = int_arg(p, s, 1, -1, &dim, error);
  if (status != q8_status_success) return status;
  if (dim < 0) dim += (int64_t)in->rank;
  if (in->rank == 0 || dim < 0 || dim >= (int64_t)in->rank)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "dimension out of range for a %zu-D tensor", in->rank);
  size_t stride = 1;
  for (size_t d = (size_t)dim + 1; d < in->rank; d++) stride *= in->shape[d];
  s->aux[0] = (size_t)dim;
  s->aux[1] = stride;
  set_shape(out_tensor(p, s), in->rank, in->shape);
  return q8_status_success;
}

static q8_status softmax_float_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const size_t channels = in->shape[s->aux[0]], stride = s->aux[1];
  const bool log = strncmp(s->node->name, "aten::log_softmax", 17) == 0;
  q8_status status = q8_softmax_f32_create(channels, log, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_softmax_f32_setup(s->shaped_op, numel(in) / (channels * stride), stride,
                                  (const float*)in->data, (float*)out_tensor(p, s)->data, error);
  return wrap(s, error, status);
}

/* --- dynamic LSTM ---------------------------------------------------------------
 * aten::quantized_lstm.input(input, hx[h0, c0], params[cells], has_biases,
 * num_layers, dropout, train, bidirectional, batch_first, dtype=None,
 * use_dynamic=False) + which result (0 output, 1 h_n, 2 c_n). */
static q8_status lstm_fail(const q8_step* s, q8_error* error, const char* what) {
  return q8_step_fail(s, error, q8_status_unsupported_parameter, "unsupported: %s", what);
}

static q8_status lstm_create(q8_program* p, q8_step* s, q8_error* error) {
  const size_t n = s->node->num_inputs;
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_float32, &in, error);
  if (status != q8_status_success) return status;
  int64_t layers, train, bidirectional, batch_first, dtype = 12, dynamic = 0, which;
  if ((status = int_arg(p, s, 4, 1, &layers, error)) || (status = int_arg(p, s, 6, 0, &train, error)) ||
      (status = int_arg(p, s, 7, 0, &bidirectional, error)) ||
      (status = int_arg(p, s, 8, 0, &batch_first, error)) ||
      (status = int_arg(p, s, n - 1, 0, &which, error)))
    return status;
  const bool gru = s->node->kind == q8_op_gru;
  const size_t gates = gru ? 3 : 4;
  if (!gru && n >= 11 && (status = int_arg(p, s, 9, 12, &dtype, error))) return status;
  if (!gru && n >= 12 && (status = int_arg(p, s, 10, 0, &dynamic, error))) return status;
  if (gru) dynamic = 1; /* its cells say: quantized_dynamic */
  if (!dynamic) return lstm_fail(s, error, "a quantized_lstm that is not dynamic (use_dynamic=False)");
  if (dtype != 12) return lstm_fail(s, error, "a dynamic LSTM with weights other than qint8 (dtype 12)");
  if (train) return lstm_fail(s, error, "an LSTM in training mode");
  if (layers < 1 || layers > 64 || which < 0 || which > (gru ? 1 : 2))
    return q8_step_fail(s, error, q8_status_invalid_parameter, "num_layers %lld", (long long)layers);
  const q8_value* hx = &p->graph->values[arg(s, 1)];
  const q8_value* cells = &p->graph->values[arg(s, 2)];
  const size_t directions = bidirectional ? 2 : 1, count = (size_t)layers * directions;
  if (gru ? (hx->kind != q8_value_tensor || p->tensors[arg(s, 1)].dtype != q8_tensor_float32)
          : (hx->kind != q8_value_tensor_list || hx->u.tensors.count != 2 ||
             p->tensors[hx->u.tensors.items[0]].dtype != q8_tensor_float32 ||
             p->tensors[hx->u.tensors.items[1]].dtype != q8_tensor_float32))
    return lstm_fail(s, error, gru ? "hx other than a float32 tensor" : "hx other than two float32 tensors (h0, c0)");
  if (cells->kind != q8_value_rnn_cell_list || cells->u.tensors.count != count)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "params must hold %zu dynamic LSTM cells (num_layers x directions)", count);
  q8_lstm_cell_weights weights[128];
  size_t hidden = 0, input_size = 0;
  for (size_t i = 0; i < count; i++) {
    const q8_rnn_cell* cell = p->graph->values[cells->u.tensors.items[i]].u.cell;
    const q8_packed_weights *ih = cell->input, *hh = cell->hidden;
    if (i == 0) hidden = hh->weight_shape[1], input_size = ih->weight_shape[1];
    const size_t in = i < directions ? input_size : directions * hidden;
    if (ih->weight_dims != 2 || hh->weight_dims != 2 || hh->weight_shape[1] != hidden ||
        hh->weight_shape[0] != gates * hidden || ih->weight_shape[0] != gates * hidden ||
        ih->weight_shape[1] != in || (ih->bias != NULL && ih->bias_count != gates * hidden) ||
        (hh->bias != NULL && hh->bias_count != gates * hidden))
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "cell %zu's weights are not [%zuH][in] and [%zuH][H] %s weights", i, gates,
                          gates, gru ? "GRU" : "LSTM");
    weights[i] = (q8_lstm_cell_weights){
        .input_weights = ih->weight, .input_quantization = weight_quantization(ih),
        .input_bias = ih->bias, .hidden_weights = hh->weight,
        .hidden_quantization = weight_quantization(hh), .hidden_bias = hh->bias};
  }
  const q8_lstm_dynamic_params params = {.input_size = input_size, .hidden_size = hidden,
                                         .num_layers = (size_t)layers,
                                         .bidirectional = bidirectional != 0, .cells = weights};
  s->aux[0] = (size_t)which;
  s->aux[1] = hidden;
  s->aux[2] = directions;
  s->aux[3] = ((size_t)batch_first << 8) | (size_t)layers;
  return wrap(s, error, gru ? q8_gru_dynamic_create(&params, p->isa, &s->op, error)
                           : q8_lstm_dynamic_create(&params, p->isa, &s->op, error));
}

static q8_status lstm_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const q8_value* hx = &p->graph->values[arg(s, 1)];
  const size_t hidden = s->aux[1], directions = s->aux[2], layers = s->aux[3] & 0xff;
  const bool batch_first = (s->aux[3] >> 8) != 0;
  const q8_packed_weights* ih =
      p->graph->values[p->graph->values[arg(s, 2)].u.tensors.items[0]].u.cell->input;
  if (in->rank != 3 || in->shape[2] != ih->weight_shape[1])
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "input of %zu dimensions, last %zu: a (seq, batch, %zu) sequence expected",
                        in->rank, in->rank ? in->shape[in->rank - 1] : 0, ih->weight_shape[1]);
  const size_t steps = in->shape[batch_first ? 1 : 0], batch = in->shape[batch_first ? 0 : 1];
  for (size_t k = 0; k < (s->node->kind == q8_op_gru ? 1 : 2); k++) {
    const q8_tensor_plan* h = tensor(p, s->node->kind == q8_op_gru ? arg(s, 1) : hx->u.tensors.items[k]);
    if (h->rank != 3 || h->shape[0] != layers * directions || h->shape[1] != batch || h->shape[2] != hidden)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "h0 / c0 must be (%zu, %zu, %zu)", layers * directions, batch, hidden);
  }
  q8_tensor_plan* out = out_tensor(p, s);
  out->rank = 3;
  if (s->aux[0] == 0) {
    out->shape[0] = batch_first ? batch : steps, out->shape[1] = batch_first ? steps : batch;
    out->shape[2] = directions * hidden;
  } else {
    out->shape[0] = layers * directions, out->shape[1] = batch, out->shape[2] = hidden;
  }
  return q8_status_success;
}

static q8_status lstm_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const q8_value* hx = &p->graph->values[arg(s, 1)];
  const bool batch_first = (s->aux[3] >> 8) != 0;
  float* out = (float*)out_tensor(p, s)->data;
  const bool gru = s->node->kind == q8_op_gru;
  return wrap(s, error,
              q8_lstm_dynamic_setup(s->op, in->shape[batch_first ? 1 : 0], in->shape[batch_first ? 0 : 1],
                                    batch_first, (const float*)in->data,
                                    (const float*)tensor(p, gru ? arg(s, 1) : hx->u.tensors.items[0])->data,
                                    gru ? NULL : (const float*)tensor(p, hx->u.tensors.items[1])->data,
                                    s->aux[0] == 0 ? out : NULL, s->aux[0] == 1 ? out : NULL,
                                    s->aux[0] == 2 ? out : NULL, error));
}

/* --- layer norm, group norm, instance norm -------------------------------------------
 * quantized::layer_norm(input, normalized_shape, weight?, bias?, eps, scale, zp)
 * quantized::group_norm(input, num_groups, weight?, bias?, eps, scale, zp)
 * quantized::instance_norm(input, weight?, bias?, eps, scale, zp) */
static q8_status norm_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  const bool layer = s->node->kind == q8_op_layer_norm;
  const bool instance = strncmp(s->node->name, "quantized::instance_norm", 24) == 0;
  const size_t first = instance ? 1 : 2; /* weight's position */
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  double eps;
  int64_t groups = 0;
  if (status == q8_status_success) status = float_arg(p, s, first + 2, &eps, error);
  if (status == q8_status_success) status = qparams_arg(p, s, first + 3, error);
  if (status == q8_status_success && !layer && !instance) status = int_arg(p, s, 1, 0, &groups, error);
  if (status != q8_status_success) return status;
  size_t size = 0;
  if (layer) {
    const q8_value* shape = &p->graph->values[arg(s, 1)];
    if (shape->kind != q8_value_int_list || !shape->is_constant || shape->u.ints.count == 0 ||
        shape->u.ints.count > Q8_GRAPH_MAX_DIMS)
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "normalized_shape must be a constant list of sizes");
    size = 1;
    for (size_t i = 0; i < shape->u.ints.count; i++) {
      const int64_t d = shape->u.ints.items[i];
      if (d < 1 || d > (1 << 24) || size > ((size_t)1 << 24) / (size_t)d)
        return q8_step_fail(s, error, q8_status_invalid_parameter, "normalized_shape is too large");
      size *= (size_t)d;
    }
    s->aux[1] = shape->u.ints.count;
  }
  /* Per-channel weights of group / instance norm: their count fixes C. */
  const q8_value* w = absent(p, s, first) ? NULL : &p->graph->values[arg(s, first)];
  if (!layer) size = w != NULL && w->kind == q8_value_float_list ? w->u.floats.count : 0;
  if (!layer && size == 0)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: group / instance norm without per-channel weights");
  float *weight = NULL, *bias = NULL;
  size_t count = size;
  status = float_list_arg(p, s, first, true, &count, &weight, error);
  if (status == q8_status_success) count = size, status = float_list_arg(p, s, first + 1, true, &count, &bias, error);
  q8_tensor_plan* out = out_tensor(p, s);
  out->channels_last = in->channels_last;
  if (status == q8_status_success)
    status = layer ? q8_layer_norm_create(size, weight, bias, eps, quantization_of(in),
                                          quantization_of(out), p->isa, &s->op, error)
                   : q8_group_norm_create(size, instance ? size : (size_t)(groups > 0 ? groups : 0),
                                          weight, bias, eps, quantization_of(in),
                                          quantization_of(out), p->isa, &s->op, error);
  free(weight);
  free(bias);
  s->aux[0] = size;
  return wrap(s, error, status);
}

static q8_status norm_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  if (s->node->kind == q8_op_layer_norm) {
    /* The normalized (trailing) dimensions must be the storage's last ones. */
    size_t trailing = 1;
    for (size_t d = in->rank - (s->aux[1] <= in->rank ? s->aux[1] : in->rank); d < in->rank; d++)
      trailing *= in->shape[d];
    if (s->aux[1] > in->rank || trailing != s->aux[0] || in->nhwc)
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "unsupported: layer norm over %zu trailing elements of a %zu-D input "
                          "(supported: inputs of other than 4 dimensions, normalized over their "
                          "last dimensions)", s->aux[0], in->rank);
  } else if (in->rank != 4 || in->shape[1] != s->aux[0]) {
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: group / instance norm of a %zu-D input with %zu channels "
                        "(4-D NCHW with %zu channels expected)", in->rank,
                        in->rank > 1 ? in->shape[1] : 0, s->aux[0]);
  }
  set_shape(out_tensor(p, s), in->rank, in->shape);
  return q8_status_success;
}

static q8_status norm_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  const bool layer = s->node->kind == q8_op_layer_norm;
  const size_t rows = layer ? numel(in) / s->aux[0] : in->shape[0];
  return wrap(s, error, q8_norm_setup(s->op, rows, layer ? 1 : in->shape[2] * in->shape[3], in->data,
                                      out_tensor(p, s)->data, error));
}

/* --- prelu -------------------------------------------------------------------------
 * quantized::prelu(qx, weight (quint8, per tensor), output_scale, output_zero_point):
 * ATen's integer rule (see docs/pytorch-numerics.md) as one table per channel. */
static q8_status prelu_create(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* in = NULL;
  q8_status status = tensor_arg(p, s, 0, q8_tensor_quint8, &in, error);
  if (status == q8_status_success) status = qparams_arg(p, s, 2, error);
  if (status != q8_status_success) return status;
  const q8_value* w = arg(s, 1) == Q8_GRAPH_NO_VALUE ? NULL : &p->graph->values[arg(s, 1)];
  if (w == NULL || w->kind != q8_value_qtensor || w->u.qtensor.count == 0 ||
      w->u.qtensor.count > ((size_t)1 << 20))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "argument 1 is not a constant quint8 weight of 1 to 2^20 values");
  q8_tensor_plan* out = out_tensor(p, s);
  out->channels_last = in->channels_last;
  const size_t channels = w->u.qtensor.count;
  uint8_t* tables = malloc(channels * 256);
  if (tables == NULL) return q8_step_fail(s, error, q8_status_out_of_memory, "out of memory");
  const float ws = w->u.qtensor.scale, multiplier = in->scale * ws * (1.0f / out->scale);
  const int32_t wz = w->u.qtensor.zero_point, iz = in->zero_point;
  /* The weight value 1.0 quantized with the weight's qparams. */
  const int32_t one = q8_quantize_value(1.0f, 1.0f / ws, wz) - wz;
  for (size_t c = 0; c < channels; c++)
    for (int q = 0; q < 256; q++) {
      const int32_t d = q - iz;
      const int32_t acc = (d > 0 ? d : 0) * one + (d < 0 ? d : 0) * ((int32_t)w->u.qtensor.data[c] - wz);
      const long y = out->zero_point + lrintf((float)acc * multiplier);
      tables[c * 256 + (size_t)q] = (uint8_t)(y < 0 ? 0 : y > 255 ? 255 : y);
    }
  status = q8_channel_lookup_create(channels, tables, p->isa, &s->op, error);
  free(tables);
  s->aux[0] = channels;
  return wrap(s, error, status);
}

static q8_status prelu_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  /* One weight broadcasts; otherwise one per channel (dimension 1), which
   * must be the storage's innermost axis. */
  const size_t channels = in->nhwc || in->rank == 2 ? in->shape[1] : in->rank == 1 ? in->shape[0] : 0;
  if (in->rank == 0 || (s->aux[0] != 1 && s->aux[0] != channels))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: prelu with %zu weights on a %zu-D input (one weight, or one "
                        "per channel of an NCHW image or (N, C) rows)", s->aux[0], in->rank);
  set_shape(out_tensor(p, s), in->rank, in->shape);
  return q8_status_success;
}

static q8_status prelu_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor(p, arg(s, 0));
  return wrap(s, error, q8_batch_norm_setup_nc(s->op, numel(in) / s->aux[0], in->data,
                                               out_tensor(p, s)->data, error));
}

/* --- the table ------------------------------------------------------------------- */

static const q8_lowering lowerings[q8_op_kind_count] = {
    [q8_op_quantize] = {quantize_create, same_shape, no_setup, quantize_run},
    [q8_op_dequantize] = {dequantize_create, same_shape, no_setup, dequantize_run},
    [q8_op_conv2d] = {conv_create, conv_shape, conv_setup, NULL},
    [q8_op_conv_transpose2d] = {conv_create, conv_shape, conv_setup, NULL},
    [q8_op_linear] = {linear_create, linear_shape, linear_setup, NULL},
    [q8_op_linear_dynamic] = {linear_create, linear_shape, linear_setup, NULL},
    [q8_op_cat] = {cat_create, cat_shape, cat_setup, cat_run},
    [q8_op_relu] = {clamp_create, same_shape, clamp_setup, clamp_run},
    [q8_op_hardtanh] = {clamp_create, same_shape, clamp_setup, clamp_run},
    [q8_op_max_pool2d] = {pass_create, pool_shape, max_pool_setup, NULL},
    [q8_op_avg_pool2d] = {pass_create, pool_shape, avg_pool_setup, NULL},
    [q8_op_adaptive_avg_pool2d] = {pass_create, adaptive_shape, adaptive_setup, NULL},
    [q8_op_mean] = {pass_create, mean_shape, mean_setup, NULL},
    [q8_op_flatten] = {flatten_create, flatten_shape, no_setup, flatten_run},
    [q8_op_upsample_nearest2d] = {upsample_create, upsample_shape, upsample_setup, NULL},
    [q8_op_upsample_bilinear2d] = {upsample_create, upsample_shape, upsample_setup, NULL},
    [q8_op_softmax] = {softmax_create, softmax_shape, softmax_setup, NULL},
    [q8_op_add] = {binary_create, binary_shape, binary_setup, NULL},
    [q8_op_mul] = {binary_create, binary_shape, binary_setup, NULL},
    [q8_op_hardswish] = {unary_create, same_shape, unary_setup, NULL},
    [q8_op_hardsigmoid] = {unary_create, same_shape, unary_setup, NULL},
    [q8_op_sigmoid] = {unary_create, same_shape, unary_setup, NULL},
    [q8_op_tanh] = {unary_create, same_shape, unary_setup, NULL},
    [q8_op_leaky_relu] = {unary_create, same_shape, unary_setup, NULL},
    [q8_op_add_scalar] = {scalar_op_create, same_shape, unary_setup, NULL},
    [q8_op_mul_scalar] = {scalar_op_create, same_shape, unary_setup, NULL},
    [q8_op_batch_norm] = {batch_norm_create, batch_norm_shape, batch_norm_setup, NULL},
    [q8_op_softmax_float] = {softmax_float_create, softmax_float_shape, softmax_float_setup, NULL},
    [q8_op_lstm] = {lstm_create, lstm_shape, lstm_setup, NULL},
    [q8_op_gru] = {lstm_create, lstm_shape, lstm_setup, NULL},
    [q8_op_layer_norm] = {norm_create, norm_shape, norm_setup, NULL},
    [q8_op_prelu] = {prelu_create, prelu_shape, prelu_setup, NULL},
    [q8_op_elu] = {unary_create, same_shape, unary_setup, NULL},
    [q8_op_group_norm] = {norm_create, norm_shape, norm_setup, NULL},
    [q8_op_contiguous] = {contiguous_create, contiguous_shape, no_setup, contiguous_run},
    [q8_op_silu] = {float_unary_create, same_shape, float_unary_setup, float_unary_run},
    [q8_op_gelu] = {float_unary_create, same_shape, float_unary_setup, float_unary_run},
};

const q8_lowering* q8_lowering_for(q8_op_kind kind) {
  const q8_lowering* layout = q8_layout_lowering_for(kind);
  if (layout != NULL) return layout;
  if ((unsigned)kind >= q8_op_kind_count || lowerings[kind].create == NULL) return NULL;
  return &lowerings[kind];
}

const char* q8_lowering_unsupported_reason(q8_op_kind kind) {
  (void)kind;
  return "q8 has no lowering for it";
}

#include "ts-weights.h"
#include "tensor-data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the conv config of a .ptl stores (int16) and the lowering accepts. */
#define MAX_CONV_PARAM 32767

static q8_status oom(q8_error* error) {
  return q8_graph_fail(error, q8_status_out_of_memory, "data.pkl: out of memory");
}

/* A state tensor's data (storage data/<key>), dense (see tensor-data.h). */
static q8_status read_dense(q8_archive* archive, const q8_pickle_value* t, void** out,
                            size_t* numel_out, q8_error* error) {
  return q8_read_dense_tensor(archive, "data.pkl", "data", t, out, numel_out, error);
}

/* `expected` float32 or float64 values as floats. */
static q8_status read_floats(q8_archive* archive, const q8_pickle_value* t, size_t expected,
                             float** out, q8_error* error) {
  void* raw;
  size_t n;
  q8_status status = read_dense(archive, t, &raw, &n, error);
  if (status != q8_status_success) return status;
  const q8_dtype dt = t->u.tensor.storage->u.storage.dtype;
  float* values = malloc((n == 0 ? 1 : n) * sizeof(float));
  const bool ok = values != NULL && n == expected && (dt == q8_dtype_float32 || dt == q8_dtype_float64);
  for (size_t i = 0; ok && i < n; i++)
    values[i] = dt == q8_dtype_float32 ? ((const float*)raw)[i] : (float)((const double*)raw)[i];
  free(raw);
  if (!ok) {
    const bool allocated = values != NULL;
    free(values);
    if (!allocated) return oom(error);
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "data.pkl: tensor 'data/%s' holds %zu %s values; %zu floats expected",
                         t->u.tensor.storage->u.storage.key, n, q8_dtype_name(dt), expected);
  }
  *out = values;
  return q8_status_success;
}

static bool int8_zero_point(int64_t zp) { return zp >= -128 && zp <= 127; }

/* `expected` int64 / int32 zero points, each in the int8 range. */
static q8_status read_zero_points(q8_archive* archive, const q8_pickle_value* t, size_t expected,
                                  int32_t** out, q8_error* error) {
  void* raw;
  size_t n;
  q8_status status = read_dense(archive, t, &raw, &n, error);
  if (status != q8_status_success) return status;
  const q8_dtype dt = t->u.tensor.storage->u.storage.dtype;
  int32_t* zps = malloc((n == 0 ? 1 : n) * sizeof(int32_t));
  bool ok = zps != NULL && n == expected && (dt == q8_dtype_int64 || dt == q8_dtype_int32);
  for (size_t i = 0; ok && i < n; i++) {
    const int64_t z = dt == q8_dtype_int64 ? ((const int64_t*)raw)[i] : ((const int32_t*)raw)[i];
    ok = int8_zero_point(z);
    zps[i] = (int32_t)z;
  }
  free(raw);
  if (!ok) {
    free(zps);
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "data.pkl: per-channel weight zero points are not %zu int8 values",
                         expected);
  }
  *out = zps;
  return q8_status_success;
}

static q8_status per_tensor(const q8_tensor_ref* ref, q8_packed_weights* p, q8_error* error) {
  p->quant_count = 1;
  p->scales = malloc(sizeof(float));
  p->zero_points = malloc(sizeof(int32_t));
  if (p->scales == NULL || p->zero_points == NULL) return oom(error);
  if (!int8_zero_point(ref->zero_point))
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "data.pkl: weight zero point %lld is outside [-128, 127]",
                         (long long)ref->zero_point);
  p->scales[0] = (float)ref->scale;
  p->zero_points[0] = (int32_t)ref->zero_point;
  return q8_status_success;
}

/* The qint8 weight, dense, with its quantization parameters. */
static q8_status read_weight(q8_archive* archive, const q8_pickle_value* t, size_t dims,
                             q8_packed_weights* p, q8_error* error) {
  if (t == NULL || t->kind != q8_pickle_tensor || t->u.tensor.dim != dims ||
      t->u.tensor.storage->u.storage.dtype != q8_dtype_qint8)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "data.pkl: weight is not a %zu-D qint8 tensor", dims);
  const q8_tensor_ref* ref = &t->u.tensor;
  p->weight_dims = dims;
  for (size_t d = 0; d < dims; d++) {
    if (ref->sizes[d] == 0)
      return q8_graph_fail(error, q8_status_invalid_parameter,
                           "data.pkl: weight 'data/%s' has an empty dimension",
                           ref->storage->u.storage.key);
    p->weight_shape[d] = (size_t)ref->sizes[d];
  }
  size_t n;
  void* raw;
  q8_status status = read_dense(archive, t, &raw, &n, error);
  if (status != q8_status_success) return status;
  p->weight = raw;
  if (ref->qscheme == q8_qscheme_per_tensor_affine) return per_tensor(ref, p, error);
  if (ref->qscheme != q8_qscheme_per_channel_affine || ref->axis != 0)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "data.pkl: weight 'data/%s': only per-tensor or per-channel (axis 0) "
                         "affine quantization is supported",
                         ref->storage->u.storage.key);
  p->quant_count = p->weight_shape[0];
  status = read_floats(archive, ref->scales, p->quant_count, &p->scales, error);
  if (status != q8_status_success) return status;
  return read_zero_points(archive, ref->zero_points, p->quant_count, &p->zero_points, error);
}

static q8_status read_bias(q8_archive* archive, const q8_pickle_value* t, size_t channels,
                           q8_packed_weights* p, q8_error* error) {
  if (t == NULL || t->kind == q8_pickle_none) return q8_status_success;
  p->bias_count = channels;
  return read_floats(archive, t, channels, &p->bias, error);
}

/* --- conv modules -------------------------------------------------------------- */

static bool int_item(const q8_pickle_value* state, size_t i, int64_t lo, int64_t* out) {
  const q8_pickle_value* v = q8_pickle_item(state, i);
  if (v == NULL || v->kind != q8_pickle_int || v->u.integer < lo || v->u.integer > MAX_CONV_PARAM)
    return false;
  *out = v->u.integer;
  return true;
}

/* A (h, w) tuple of integers in [lo, MAX_CONV_PARAM]; for a 1-D conv
 * (dims 1) a (w,) tuple, h then being `height` (1 for sizes, 0 for pads). */
static bool pair_item(const q8_pickle_value* state, size_t i, size_t dims, int64_t lo,
                      uint32_t height, uint32_t out[2]) {
  const q8_pickle_value* pair = q8_pickle_item(state, i);
  int64_t v[2] = {height, 0};
  if (q8_pickle_length(pair) != dims || (dims == 2 && !int_item(pair, 0, lo, &v[0])) ||
      !int_item(pair, dims - 1, lo, &v[1]))
    return false;
  out[0] = (uint32_t)v[0], out[1] = (uint32_t)v[1];
  return true;
}

/* *dims: 2 for a 2-D conv module, 1 for a 1-D one (Conv1d, ConvReLU1d),
 * whose sizes become (1, w) and pads (0, w), as PyTorch's conv1d runs the
 * 2-D kernel on an unsqueezed input. */
static q8_status conv_config(const q8_pickle_value* state, q8_packed_weights* p,
                             int64_t channels[2], size_t* dims, q8_error* error) {
  const q8_pickle_value* transposed = q8_pickle_item(state, 6);
  const q8_pickle_value* mode = q8_pickle_item(state, 9);
  uint32_t kernel[2];
  int64_t groups;
  const size_t d = q8_pickle_length(q8_pickle_item(state, 2)) == 1 ? 1 : 2;
  const bool ok = q8_pickle_length(state) == TS_CONV_STATE_ITEMS &&
                  int_item(state, 0, 1, &channels[0]) && int_item(state, 1, 1, &channels[1]) &&
                  pair_item(state, 2, d, 1, 1, kernel) && pair_item(state, 3, d, 1, 1, p->stride) &&
                  pair_item(state, 4, d, 0, 0, p->padding) && pair_item(state, 5, d, 1, 1, p->dilation) &&
                  transposed != NULL && transposed->kind == q8_pickle_bool &&
                  pair_item(state, 7, d, 0, 0, p->output_padding) && int_item(state, 8, 1, &groups);
  if (!ok)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "data.pkl: conv module state is not the 1-D or 2-D (in_channels, "
                         "out_channels, kernel_size, stride, padding, dilation, transposed, "
                         "output_padding, groups, ...) tuple");
  *dims = d;
  if (!q8_pickle_is_string(mode, "zeros")) {
    /* The module's forward pads (torch.pad with the mode) and its
     * set_weight_bias prepacks with padding 0, as here. */
    if (!q8_pickle_is_string(mode, "reflect") && !q8_pickle_is_string(mode, "replicate") &&
        !q8_pickle_is_string(mode, "circular"))
      return q8_graph_fail(error, q8_status_unsupported_parameter,
                           "data.pkl: conv padding_mode is not 'zeros', 'reflect', 'replicate' "
                           "or 'circular'");
    if (transposed->u.boolean)
      return q8_graph_fail(error, q8_status_unsupported_parameter,
                           "data.pkl: a transposed conv with a padding_mode other than 'zeros'");
    p->padding[0] = p->padding[1] = 0;
  }
  p->is_conv = true;
  p->transposed = transposed->u.boolean;
  p->groups = (uint32_t)groups;
  return q8_status_success;
}

/* The weight's shape must agree with the channel counts and groups the
 * module declares (conv: OIHW, transposed: IOHW). */
static q8_status conv_shape_check(const q8_packed_weights* p, const int64_t channels[2],
                                  q8_error* error) {
  /* 64-bit: a weight dimension (< 2^31) times groups (< 2^15) cannot wrap,
   * even where size_t is 32 bits. */
  const uint64_t g = p->groups;
  const uint64_t in = p->transposed ? p->weight_shape[0] : (uint64_t)p->weight_shape[1] * g;
  const uint64_t out = p->transposed ? (uint64_t)p->weight_shape[1] * g : p->weight_shape[0];
  if (in != (uint64_t)channels[0] || out != (uint64_t)channels[1] || in % g != 0 || out % g != 0)
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "data.pkl: conv weight of shape %zux%zux%zux%zu does not match %lld input "
                         "and %lld output channels in %zu groups",
                         p->weight_shape[0], p->weight_shape[1], p->weight_shape[2],
                         p->weight_shape[3], (long long)channels[0], (long long)channels[1], (size_t)g);
  if (p->transposed && p->quant_count != 1)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "data.pkl: per-channel transposed convolution weights are not supported");
  return q8_status_success;
}

q8_status ts_conv_weights(q8_archive* archive, const q8_pickle_value* state,
                          q8_packed_weights** out, q8_error* error) {
  *out = NULL;
  q8_packed_weights* p = calloc(1, sizeof(q8_packed_weights));
  if (p == NULL) return oom(error);
  int64_t channels[2] = {0, 0};
  size_t dims = 2;
  q8_status status = conv_config(state, p, channels, &dims, error);
  if (status == q8_status_success)
    status = read_weight(archive, q8_pickle_item(state, 10), dims + 2, p, error);
  if (status == q8_status_success && dims == 1) {
    /* (O, I, K) is (O, I, 1, K) in the same order. */
    p->weight_shape[3] = p->weight_shape[2];
    p->weight_shape[2] = 1;
    p->weight_dims = 4;
  }
  if (status == q8_status_success) status = conv_shape_check(p, channels, error);
  if (status == q8_status_success)
    status = read_bias(archive, q8_pickle_item(state, 11), (size_t)channels[1], p, error);
  if (status != q8_status_success) {
    q8_packed_weights_free(p);
    return status;
  }
  *out = p;
  return q8_status_success;
}

q8_status ts_linear_weights(q8_archive* archive, const q8_pickle_value* state,
                            q8_packed_weights** out, q8_error* error) {
  *out = NULL;
  if (q8_pickle_length(state) != 2 || state->kind != q8_pickle_tuple)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "data.pkl: LinearPackedParamsBase state is not (weight, bias)");
  q8_packed_weights* p = calloc(1, sizeof(q8_packed_weights));
  if (p == NULL) return oom(error);
  q8_status status = read_weight(archive, q8_pickle_item(state, 0), 2, p, error);
  if (status == q8_status_success)
    status = read_bias(archive, q8_pickle_item(state, 1), p->weight_shape[0], p, error);
  if (status != q8_status_success) {
    q8_packed_weights_free(p);
    return status;
  }
  *out = p;
  return q8_status_success;
}

q8_status ts_scalar_constant(q8_archive* archive, const char* storage_dir,
                             const q8_pickle_value* t, bool* is_float, int64_t* integer,
                             double* number, q8_error* error) {
  const q8_dtype dt = t->kind == q8_pickle_tensor ? t->u.tensor.storage->u.storage.dtype : q8_dtype_uint8;
  const bool floating = dt == q8_dtype_float32 || dt == q8_dtype_float64;
  bool one = t->kind == q8_pickle_tensor; /* 0-dim or one element (Quantize's scale buffer) */
  for (size_t d = 0; one && d < t->u.tensor.dim; d++) one = t->u.tensor.sizes[d] == 1;
  if (!one || (dt != q8_dtype_int64 && dt != q8_dtype_int32 && !floating))
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s: tensor constants other than 0-dim integers or floats are not "
                         "supported", strcmp(storage_dir, "data") == 0 ? "data.pkl" : "constants.pkl");
  const q8_pickle_value* storage = t->u.tensor.storage;
  char entry[600];
  snprintf(entry, sizeof(entry), "%s/%.500s", storage_dir, storage->u.storage.key);
  void* data = NULL;
  q8_status status = q8_archive_read_storage(archive, entry, storage->u.storage.bytes, &data, error);
  if (status != q8_status_success) return status;
  /* The pickle decoder checked that the view lies inside the storage. */
  const size_t offset = (size_t)t->u.tensor.storage_offset;
  *is_float = floating;
  *integer = 0;
  *number = 0.0;
  switch (dt) {
    case q8_dtype_int64: *integer = ((const int64_t*)data)[offset]; break;
    case q8_dtype_int32: *integer = ((const int32_t*)data)[offset]; break;
    case q8_dtype_float32: *number = ((const float*)data)[offset]; break;
    default: *number = ((const double*)data)[offset]; break;
  }
  free(data);
  return q8_status_success;
}

q8_status ts_float_tensor(q8_archive* archive, const char* storage_dir, const q8_pickle_value* t,
                          double** items_out, size_t* count_out, q8_error* error) {
  const char* pickle_name = strcmp(storage_dir, "data") == 0 ? "data.pkl" : "constants.pkl";
  const q8_dtype dt = t->kind == q8_pickle_tensor ? t->u.tensor.storage->u.storage.dtype : q8_dtype_uint8;
  if (t->kind != q8_pickle_tensor || (dt != q8_dtype_float32 && dt != q8_dtype_float64))
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s: tensor constants other than float tensors and 0-dim integers are "
                         "not supported", pickle_name);
  void* raw;
  size_t n;
  q8_status status = q8_read_dense_tensor(archive, pickle_name, storage_dir, t, &raw, &n, error);
  if (status != q8_status_success) return status;
  double* items = malloc((n + 1) * sizeof(double));
  if (items == NULL) {
    free(raw);
    return oom(error);
  }
  for (size_t i = 0; i < n; i++)
    items[i] = dt == q8_dtype_float32 ? ((const float*)raw)[i] : ((const double*)raw)[i];
  free(raw);
  *items_out = items;
  *count_out = n;
  return q8_status_success;
}

q8_status ts_rnn_cell(q8_archive* archive, const q8_pickle_value* state, q8_rnn_cell** out,
                      q8_error* error) {
  *out = NULL;
  const q8_pickle_value* linears = q8_pickle_item(state, 4);
  const q8_pickle_value* ih = q8_pickle_item(linears, 0);
  const q8_pickle_value* hh = q8_pickle_item(linears, 1);
  if (q8_pickle_length(state) != 5 || !q8_pickle_is_string(q8_pickle_item(state, 0), "quantized_dynamic") ||
      q8_pickle_length(linears) != 2 || ih == NULL || ih->kind != q8_pickle_object ||
      hh == NULL || hh->kind != q8_pickle_object ||
      !q8_pickle_is_global(ih->u.object.cls, "__torch__.torch.classes.quantized", "LinearPackedParamsBase") ||
      !q8_pickle_is_global(hh->u.object.cls, "__torch__.torch.classes.quantized", "LinearPackedParamsBase"))
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "data.pkl: RNN cell parameters other than 'quantized_dynamic' (two qint8 "
                         "linears) are not supported");
  q8_rnn_cell* cell = calloc(1, sizeof(q8_rnn_cell));
  if (cell == NULL) return oom(error);
  q8_status status = ts_linear_weights(archive, ih->u.object.state, &cell->input, error);
  if (status == q8_status_success) status = ts_linear_weights(archive, hh->u.object.state, &cell->hidden, error);
  if (status != q8_status_success) {
    q8_packed_weights_free(cell->input);
    q8_packed_weights_free(cell->hidden);
    free(cell);
    return status;
  }
  *out = cell;
  return q8_status_success;
}

q8_status ts_qtensor(q8_archive* archive, const char* storage_dir, const q8_pickle_value* t,
                     uint8_t** data_out, size_t* count_out, float* scale, int32_t* zero_point,
                     q8_error* error) {
  const char* pickle_name = strcmp(storage_dir, "data") == 0 ? "data.pkl" : "constants.pkl";
  const q8_tensor_ref* ref = &t->u.tensor;
  if (t->kind != q8_pickle_tensor || ref->storage->u.storage.dtype != q8_dtype_quint8 ||
      ref->qscheme != q8_qscheme_per_tensor_affine || ref->zero_point < 0 || ref->zero_point > 255 ||
      !(ref->scale > 0.0) || !isfinite((float)ref->scale) || (float)ref->scale == 0.0f)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s: a quint8 tensor that is not per-tensor quantized with a positive "
                         "scale and a zero point in [0, 255]", pickle_name);
  void* raw;
  size_t n;
  q8_status status = q8_read_dense_tensor(archive, pickle_name, storage_dir, t, &raw, &n, error);
  if (status != q8_status_success) return status;
  *data_out = raw;
  *count_out = n;
  *scale = (float)ref->scale;
  *zero_point = (int32_t)ref->zero_point;
  return q8_status_success;
}

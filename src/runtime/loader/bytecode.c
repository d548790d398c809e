#include "bytecode.h"
#include "tensor-data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle.h"

/* Bounds against hostile files (far above any real model). */
#define MAX_STACK 65536
#define MAX_REGISTERS 65536
/* Constant-condition jumps may go backwards; bound the executed steps. */
#define MAX_STEPS_PER_INSTRUCTION 16

typedef struct frontend {
  q8_archive* archive;
  q8_graph* graph;
  const q8_pickle_value* constants;
  size_t num_constants;
  uint32_t* constant_ids; /* value id per constant, converted on first LOADC */
  const q8_pickle_value* operators;
  size_t num_operators;
  const q8_pickle_value* code; /* forward's instructions */
  uint32_t* stack;
  size_t depth;
  uint32_t* registers; /* 1-based, as the bytecode numbers them */
  size_t num_registers;
  size_t pc; /* current instruction, for messages */
  q8_error* error;
} frontend;

static q8_status bad(frontend* f, const char* what) {
  return q8_graph_fail(f->error, q8_status_invalid_parameter,
                       "bytecode.pkl: instruction %zu: %s", f->pc, what);
}

/* --- tensor data from constants/N.storage ------------------------------------ */

/* A constant tensor's data, dense (see tensor-data.h). */
static q8_status read_dense(frontend* f, const q8_pickle_value* t, void** out, size_t* numel_out) {
  return q8_read_dense_tensor(f->archive, "bytecode.pkl", "constants", t, out, numel_out,
                              f->error);
}

/* A 1-D float tensor (float32 or float64) as floats. */
static q8_status read_floats(frontend* f, const q8_pickle_value* t, size_t expected, float** out) {
  void* raw;
  size_t n;
  q8_status status = read_dense(f, t, &raw, &n);
  if (status != q8_status_success) return status;
  const q8_dtype dt = t->u.tensor.storage->u.storage.dtype;
  if (n != expected || (dt != q8_dtype_float32 && dt != q8_dtype_float64)) {
    free(raw);
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: tensor '%s' holds %zu %s values; expected %zu float values",
                         t->u.tensor.storage->u.storage.key, n, q8_dtype_name(dt), expected);
  }
  float* values = malloc((n == 0 ? 1 : n) * sizeof(float));
  if (values == NULL) {
    free(raw);
    return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  }
  for (size_t i = 0; i < n; i++)
    values[i] = dt == q8_dtype_float32 ? ((const float*)raw)[i] : (float)((const double*)raw)[i];
  free(raw);
  *out = values;
  return q8_status_success;
}

static bool weight_zero_point_ok(int64_t zp) { return zp >= -128 && zp <= 127; }

/* Per-channel zero points (int64 or int32) as int32 in the int8 range. */
static q8_status read_zero_points(frontend* f, const q8_pickle_value* t, size_t expected,
                                  int32_t** out) {
  void* raw;
  size_t n;
  q8_status status = read_dense(f, t, &raw, &n);
  if (status != q8_status_success) return status;
  const q8_dtype dt = t->u.tensor.storage->u.storage.dtype;
  int32_t* zps = malloc((n == 0 ? 1 : n) * sizeof(int32_t));
  bool ok = zps != NULL && n == expected && (dt == q8_dtype_int64 || dt == q8_dtype_int32);
  for (size_t i = 0; ok && i < n; i++) {
    const int64_t z = dt == q8_dtype_int64 ? ((const int64_t*)raw)[i] : ((const int32_t*)raw)[i];
    ok = weight_zero_point_ok(z);
    zps[i] = (int32_t)z;
  }
  free(raw);
  if (!ok) {
    free(zps);
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: per-channel weight zero points are not %zu int8 values",
                         expected);
  }
  *out = zps;
  return q8_status_success;
}

/* The qint8 weight of a packed params object, dense, with its quantization.
 * out_channels: extent of the per-channel axis (0). */
static q8_status read_weight(frontend* f, const q8_pickle_value* t, size_t dims,
                             q8_packed_weights* p) {
  if (t == NULL || t->kind != q8_pickle_tensor || t->u.tensor.dim != dims ||
      t->u.tensor.storage->u.storage.dtype != q8_dtype_qint8)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: packed weight is not a %zu-D qint8 tensor", dims);
  const q8_tensor_ref* ref = &t->u.tensor;
  p->weight_dims = dims;
  for (size_t d = 0; d < dims; d++) {
    p->weight_shape[d] = (size_t)ref->sizes[d];
    if (ref->sizes[d] == 0)
      return q8_graph_fail(f->error, q8_status_invalid_parameter,
                           "bytecode.pkl: packed weight '%s' has an empty dimension",
                           ref->storage->u.storage.key);
  }
  void* raw;
  size_t n;
  q8_status status = read_dense(f, t, &raw, &n);
  if (status != q8_status_success) return status;
  p->weight = raw;
  const size_t channels = p->weight_shape[0];
  if (ref->qscheme == q8_qscheme_per_tensor_affine) {
    p->quant_count = 1;
    p->scales = malloc(sizeof(float));
    p->zero_points = malloc(sizeof(int32_t));
    if (p->scales == NULL || p->zero_points == NULL)
      return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
    p->scales[0] = (float)ref->scale;
    if (!weight_zero_point_ok(ref->zero_point))
      return q8_graph_fail(f->error, q8_status_invalid_parameter,
                           "bytecode.pkl: weight zero point %lld is outside [-128, 127]",
                           (long long)ref->zero_point);
    p->zero_points[0] = (int32_t)ref->zero_point;
    return q8_status_success;
  }
  if (ref->qscheme != q8_qscheme_per_channel_affine || ref->axis != 0)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: weight '%s': only per-tensor or per-channel (axis 0) "
                         "affine quantization is supported",
                         ref->storage->u.storage.key);
  p->quant_count = channels;
  status = read_floats(f, ref->scales, channels, &p->scales);
  if (status != q8_status_success) return status;
  return read_zero_points(f, ref->zero_points, channels, &p->zero_points);
}

static q8_status read_bias(frontend* f, const q8_pickle_value* t, size_t channels,
                           q8_packed_weights* p) {
  if (t == NULL || t->kind == q8_pickle_none) return q8_status_success;
  p->bias_count = channels;
  return read_floats(f, t, channels, &p->bias);
}

/* Conv2dPackedParamsBase state ('2', [config int16[11+], weight], [bias?]). */
static q8_status read_conv_config(frontend* f, const q8_pickle_value* t, q8_packed_weights* p) {
  void* raw;
  size_t n;
  q8_status status = read_dense(f, t, &raw, &n);
  if (status != q8_status_success) return status;
  const int16_t* c = raw;
  const bool ok = t->u.tensor.storage->u.storage.dtype == q8_dtype_int16 && n >= 11 && c[0] == 2 &&
                  c[1] >= 1 && c[2] >= 1 && c[3] >= 0 && c[4] >= 0 && c[5] >= 1 && c[6] >= 1 &&
                  c[7] >= 0 && c[8] >= 0 && c[9] >= 1 && (c[10] == 0 || c[10] == 1);
  if (ok) {
    for (int i = 0; i < 2; i++) {
      p->stride[i] = (uint32_t)c[1 + i];
      p->padding[i] = (uint32_t)c[3 + i];
      p->dilation[i] = (uint32_t)c[5 + i];
      p->output_padding[i] = (uint32_t)c[7 + i];
    }
    p->groups = (uint32_t)c[9];
    p->transposed = c[10] == 1;
  }
  free(raw);
  if (!ok)
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: conv packed params: bad config tensor (2-D conv with "
                         "stride, dilation, groups >= 1 expected)");
  return q8_status_success;
}

static q8_status read_conv_packed(frontend* f, const q8_pickle_value* state, q8_packed_weights* p) {
  const q8_pickle_value* tensors = q8_pickle_item(state, 1);
  const q8_pickle_value* optional = q8_pickle_item(state, 2);
  if (q8_pickle_length(state) != 3 || !q8_pickle_is_string(q8_pickle_item(state, 0), "2") ||
      q8_pickle_length(tensors) < 2 || optional == NULL || optional->kind != q8_pickle_list)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: Conv2dPackedParamsBase state is not version '2'");
  p->is_conv = true;
  q8_status status = read_conv_config(f, q8_pickle_item(tensors, 0), p);
  if (status == q8_status_success) status = read_weight(f, q8_pickle_item(tensors, 1), 4, p);
  if (status != q8_status_success) return status;
  if (p->transposed && p->quant_count != 1)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: per-channel transposed convolution weights are not supported");
  const size_t out = p->transposed ? p->weight_shape[1] * p->groups : p->weight_shape[0];
  if (!p->transposed && p->weight_shape[0] % p->groups != 0)
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: conv weight has %zu output channels, not a multiple of "
                         "groups %u", p->weight_shape[0], p->groups);
  if (p->transposed && p->weight_shape[0] % p->groups != 0)
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: transposed conv weight has %zu input channels, not a "
                         "multiple of groups %u", p->weight_shape[0], p->groups);
  return read_bias(f, q8_pickle_length(optional) > 0 ? q8_pickle_item(optional, 0) : NULL, out, p);
}

/* LinearPackedParamsBase state (weight, bias?). */
static q8_status read_linear_packed(frontend* f, const q8_pickle_value* state,
                                   q8_packed_weights* p) {
  if (q8_pickle_length(state) != 2)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: LinearPackedParamsBase state is not (weight, bias)");
  q8_status status = read_weight(f, q8_pickle_item(state, 0), 2, p);
  if (status != q8_status_success) return status;
  return read_bias(f, q8_pickle_item(state, 1), p->weight_shape[0], p);
}

/* --- constants ----------------------------------------------------------------- */

static q8_status new_value(frontend* f, q8_value_kind kind, uint32_t* id) {
  q8_status status = q8_graph_add_value(f->graph, kind, id, f->error);
  if (status == q8_status_success) f->graph->values[*id].is_constant = true;
  return status;
}

/* CellParamsBase state ('quantized_dynamic', [b_ih, b_hh], [], [reduce_range],
 * [LinearPackedParamsBase w_ih, w_hh]): the two linears (their biases are
 * the ones the dynamic cell applies). */
static q8_status convert_rnn_cell(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  const q8_pickle_value* state = c->u.object.state;
  const q8_pickle_value* linears = q8_pickle_item(state, 4);
  const q8_pickle_value* ih = q8_pickle_item(linears, 0);
  const q8_pickle_value* hh = q8_pickle_item(linears, 1);
  if (q8_pickle_length(state) != 5 || !q8_pickle_is_string(q8_pickle_item(state, 0), "quantized_dynamic") ||
      q8_pickle_length(linears) != 2 || ih == NULL || ih->kind != q8_pickle_object ||
      hh == NULL || hh->kind != q8_pickle_object ||
      !q8_pickle_is_global(ih->u.object.cls, "__torch__.torch.classes.quantized", "LinearPackedParamsBase") ||
      !q8_pickle_is_global(hh->u.object.cls, "__torch__.torch.classes.quantized", "LinearPackedParamsBase"))
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: RNN cell parameters other than 'quantized_dynamic' (two "
                         "qint8 linears) are not supported");
  q8_rnn_cell* cell = calloc(1, sizeof(q8_rnn_cell));
  if (cell == NULL) return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  cell->input = calloc(1, sizeof(q8_packed_weights));
  cell->hidden = calloc(1, sizeof(q8_packed_weights));
  q8_status status = cell->input != NULL && cell->hidden != NULL
                         ? q8_status_success
                         : q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  if (status == q8_status_success) status = read_linear_packed(f, ih->u.object.state, cell->input);
  if (status == q8_status_success) status = read_linear_packed(f, hh->u.object.state, cell->hidden);
  if (status == q8_status_success) status = new_value(f, q8_value_rnn_cell, id);
  if (status != q8_status_success) {
    q8_packed_weights_free(cell->input);
    q8_packed_weights_free(cell->hidden);
    free(cell);
    return status;
  }
  f->graph->values[*id].u.cell = cell;
  return q8_status_success;
}

static q8_status convert_packed(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  if (q8_pickle_is_global(c->u.object.cls, "__torch__.torch.classes.rnn", "CellParamsBase"))
    return convert_rnn_cell(f, c, id);
  const bool conv = q8_pickle_is_global(c->u.object.cls, "__torch__.torch.classes.quantized",
                                        "Conv2dPackedParamsBase");
  const bool linear = q8_pickle_is_global(c->u.object.cls, "__torch__.torch.classes.quantized",
                                          "LinearPackedParamsBase");
  if (!conv && !linear) {
    /* optimize_for_mobile prepacks float Linear / Conv layers that were left unquantized
       (qconfig None, or after a DeQuantStub) into xnnpack op contexts. */
    const bool xnnpack = strcmp(c->u.object.cls->u.global.module, "__torch__.torch.classes.xnnpack") == 0;
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: constant object of class %s.%s is not supported%s",
                         c->u.object.cls->u.global.module, c->u.object.cls->u.global.name,
                         xnnpack ? " (a float layer left unquantized; q8 runs quantized layers only)" : "");
  }
  q8_packed_weights* p = calloc(1, sizeof(q8_packed_weights));
  if (p == NULL) return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  q8_status status = conv ? read_conv_packed(f, c->u.object.state, p)
                          : read_linear_packed(f, c->u.object.state, p);
  if (status == q8_status_success) status = new_value(f, q8_value_packed, id);
  if (status != q8_status_success) {
    q8_packed_weights_free(p);
    return status;
  }
  f->graph->values[*id].u.packed = p;
  return q8_status_success;
}

static q8_status convert_list(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  const size_t n = c->u.seq.count;
  bool ints = true, floats = true;
  for (size_t i = 0; i < n; i++) {
    ints = ints && c->u.seq.items[i]->kind == q8_pickle_int;
    floats = floats && c->u.seq.items[i]->kind == q8_pickle_float;
  }
  if (!ints && !floats)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: constant list of %s is not supported",
                         c->type_tag ? c->type_tag : "mixed values");
  q8_status status = new_value(f, ints ? q8_value_int_list : q8_value_float_list, id);
  if (status != q8_status_success) return status;
  q8_value* v = &f->graph->values[*id];
  if (ints) {
    v->u.ints.items = malloc((n + 1) * sizeof(int64_t));
    if (v->u.ints.items == NULL) goto oom;
    for (size_t i = 0; i < n; i++) v->u.ints.items[i] = c->u.seq.items[i]->u.integer;
    v->u.ints.count = n;
  } else {
    v->u.floats.items = malloc((n + 1) * sizeof(double));
    if (v->u.floats.items == NULL) goto oom;
    for (size_t i = 0; i < n; i++) v->u.floats.items[i] = c->u.seq.items[i]->u.number;
    v->u.floats.count = n;
  }
  return q8_status_success;
oom:
  return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
}

/* A 0-dim integer tensor (the divisor of traced shape arithmetic) becomes
 * an int: the graph does not tell scalars from 0-dim tensors. */
/* A float tensor of one or more dimensions (batch norm statistics, layer
 * norm weights) becomes a constant float list of its elements in row-major
 * order; the operator that takes it checks its length. */
static q8_status convert_float_tensor(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  const q8_dtype dt = c->u.tensor.storage->u.storage.dtype;
  void* raw;
  size_t n;
  q8_status status = read_dense(f, c, &raw, &n);
  if (status != q8_status_success) return status;
  double* items = malloc((n + 1) * sizeof(double));
  if (items == NULL) {
    free(raw);
    return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  }
  for (size_t i = 0; i < n; i++)
    items[i] = dt == q8_dtype_float32 ? ((const float*)raw)[i] : ((const double*)raw)[i];
  free(raw);
  if ((status = new_value(f, q8_value_float_list, id)) != q8_status_success) {
    free(items);
    return status;
  }
  f->graph->values[*id].u.floats.items = items;
  f->graph->values[*id].u.floats.count = n;
  return q8_status_success;
}

/* A per-tensor quantized quint8 tensor (a quantized PReLU's weight). */
static q8_status convert_qtensor(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  const q8_tensor_ref* ref = &c->u.tensor;
  if (ref->qscheme != q8_qscheme_per_tensor_affine || ref->zero_point < 0 || ref->zero_point > 255 ||
      !(ref->scale > 0.0) || !isfinite((float)ref->scale) || (float)ref->scale == 0.0f)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: quint8 tensor constant '%s' is not per-tensor quantized "
                         "with a positive scale and a zero point in [0, 255]",
                         ref->storage->u.storage.key);
  void* raw;
  size_t n;
  q8_status status = read_dense(f, c, &raw, &n);
  if (status != q8_status_success) return status;
  if ((status = new_value(f, q8_value_qtensor, id)) != q8_status_success) {
    free(raw);
    return status;
  }
  q8_value* v = &f->graph->values[*id];
  v->u.qtensor.data = raw;
  v->u.qtensor.count = n;
  v->u.qtensor.scale = (float)ref->scale;
  v->u.qtensor.zero_point = (int32_t)ref->zero_point;
  return q8_status_success;
}

static q8_status convert_scalar_tensor(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  const q8_dtype dt = c->u.tensor.storage->u.storage.dtype;
  const bool floating = dt == q8_dtype_float32 || dt == q8_dtype_float64;
  if (dt == q8_dtype_quint8) return convert_qtensor(f, c, id);
  if (floating && c->u.tensor.dim >= 1) return convert_float_tensor(f, c, id);
  if (c->u.tensor.dim != 0 || (dt != q8_dtype_int64 && dt != q8_dtype_int32 && !floating))
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: tensor constants other than 0-dim integers or floats "
                         "are not supported");
  void* raw;
  size_t n;
  q8_status status = read_dense(f, c, &raw, &n);
  if (status != q8_status_success) return status;
  if (n != 1) {
    free(raw);
    return bad(f, "0-dim tensor constant without exactly one element");
  }
  /* 0-dim float tensors are FX's quantization parameters (scale); the graph
   * does not tell them from Python floats. */
  const int64_t x = dt == q8_dtype_int64 ? *(const int64_t*)raw : dt == q8_dtype_int32 ? *(const int32_t*)raw : 0;
  const double number = dt == q8_dtype_float32 ? *(const float*)raw : dt == q8_dtype_float64 ? *(const double*)raw : 0.0;
  free(raw);
  if ((status = new_value(f, floating ? q8_value_float : q8_value_int, id)) != q8_status_success)
    return status;
  if (floating) f->graph->values[*id].u.number = number;
  else f->graph->values[*id].u.integer = x;
  return status;
}

static q8_status convert_constant(frontend* f, const q8_pickle_value* c, uint32_t* id) {
  q8_status status;
  switch (c->kind) {
    case q8_pickle_none: return new_value(f, q8_value_none, id);
    case q8_pickle_bool:
    case q8_pickle_int:
      status = new_value(f, c->kind == q8_pickle_bool ? q8_value_bool : q8_value_int, id);
      if (status == q8_status_success)
        f->graph->values[*id].u.integer = c->kind == q8_pickle_bool ? c->u.boolean : c->u.integer;
      return status;
    case q8_pickle_float:
      status = new_value(f, q8_value_float, id);
      if (status == q8_status_success) f->graph->values[*id].u.number = c->u.number;
      return status;
    case q8_pickle_string:
      return q8_graph_add_string(f->graph, c->u.string.data, c->u.string.size, id, f->error);
    case q8_pickle_list: return convert_list(f, c, id);
    case q8_pickle_object: return convert_packed(f, c, id);
    case q8_pickle_tensor: return convert_scalar_tensor(f, c, id);
    case q8_pickle_call:
      /* torch.device('cpu'): the device argument of aten::zeros. */
      if (q8_pickle_is_global(c->u.call.callable, "torch", "device"))
        return q8_graph_add_string(f->graph, "cpu", 3, id, f->error);
      return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                           "bytecode.pkl: constant %s.%s(...) is not supported",
                           c->u.call.callable->u.global.module, c->u.call.callable->u.global.name);
    default:
      return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                           "bytecode.pkl: constant of kind %s is not supported",
                           q8_pickle_kind_name(c->kind));
  }
}

static q8_status load_constant(frontend* f, int64_t index, uint32_t* id) {
  if (index < 0 || (uint64_t)index >= f->num_constants) return bad(f, "LOADC index out of range");
  if (f->constant_ids[index] == Q8_GRAPH_NO_VALUE) {
    q8_status status = convert_constant(f, q8_pickle_item(f->constants, (size_t)index), id);
    if (status != q8_status_success) return status;
    f->constant_ids[index] = *id;
  }
  *id = f->constant_ids[index];
  return q8_status_success;
}

/* --- the operand stack and registers ------------------------------------------ */

static q8_status push(frontend* f, uint32_t id) {
  if (f->depth >= MAX_STACK) return bad(f, "operand stack overflow");
  f->stack[f->depth++] = id;
  return q8_status_success;
}

static q8_status pop_n(frontend* f, size_t n, const char* what) {
  if (n > f->depth) return bad(f, what);
  f->depth -= n;
  return q8_status_success;
}

static q8_status check_register(frontend* f, int64_t r, int64_t count) {
  if (r < 1 || count < 0 || (uint64_t)r + (uint64_t)count - 1 > f->num_registers)
    return bad(f, "register index out of range");
  return q8_status_success;
}

/* --- operators ------------------------------------------------------------------ */

/* The real-valued clamp of relu / relu6 / hardtanh / clamp. */
static q8_status clamp_bounds(frontend* f, q8_node* node, const char* name) {
  const q8_graph* g = f->graph;
  double lo = 0.0, hi = INFINITY;
  if (strcmp(name, "quantized::relu6") == 0 || strcmp(name, "aten::relu6") == 0) {
    hi = 6.0;
  } else if (strncmp(name, "aten::hardtanh", 14) == 0) {
    lo = -1.0, hi = 1.0; /* schema defaults */
    if ((node->num_inputs > 1 && !q8_graph_const_float(g, node->inputs[1], &lo)) ||
        (node->num_inputs > 2 && !q8_graph_const_float(g, node->inputs[2], &hi)))
      goto unsupported;
  } else if (strcmp(name, "aten::clamp") == 0) {
    lo = -INFINITY;
    if (node->num_inputs > 1 && !q8_graph_is_none(g, node->inputs[1]) &&
        !q8_graph_const_float(g, node->inputs[1], &lo))
      goto unsupported;
    if (node->num_inputs > 2 && !q8_graph_is_none(g, node->inputs[2]) &&
        !q8_graph_const_float(g, node->inputs[2], &hi))
      goto unsupported;
  }
  if (!(lo <= hi)) goto unsupported;
  /* The out-of-place forms relayout (see q8_node); relu6(x, inplace=True)
   * and the trailing-underscore forms write in place and do not. */
  int64_t inplace = 0;
  if (strcmp(name, "quantized::relu6") == 0 && node->num_inputs > 1)
    q8_graph_const_int(g, node->inputs[1], &inplace);
  node->relayout = !inplace && (strcmp(name, "quantized::relu6") == 0 ||
                                strcmp(name, "aten::relu6") == 0 ||
                                strcmp(name, "aten::hardtanh") == 0 || strcmp(name, "aten::clamp") == 0);
  node->has_clamp = true;
  node->clamp_min = (float)lo;
  node->clamp_max = (float)hi;
  return q8_status_success;
unsupported:
  return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                       "%s at instruction %zu: bounds must be constant numbers with min <= max",
                       node->name, node->instruction);
}

/* aten::__getitem__.t(list, i) on a tensor list: item i (a constant index). */
static q8_status exec_list_item(frontend* f, const uint32_t* args) {
  int64_t i;
  if (!q8_graph_const_int(f->graph, args[1], &i))
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: a tensor list indexed by a value "
                         "computed at run time is not supported", f->pc);
  const uint32_t list = args[0];
  uint32_t item;
  f->depth -= 2;
  if (q8_graph_is_split(f->graph, list)) {
    q8_status status = q8_graph_split_piece(f->graph, list, i, &item, f->error);
    return status == q8_status_success ? push(f, item) : status;
  }
  const q8_value* v = &f->graph->values[list];
  const int64_t n = (int64_t)v->u.tensors.count;
  if (i < 0) i += n;
  if (i < 0 || i >= n) return bad(f, "tensor list index out of range");
  return push(f, v->u.tensors.items[i]);
}

static q8_status push_constant(frontend* f, q8_value_kind kind, int64_t x) {
  uint32_t id;
  q8_status status = new_value(f, kind, &id);
  if (status != q8_status_success) return status;
  f->graph->values[id].u.integer = x;
  return push(f, id);
}

#define MAX_LIST_ITEMS 65536

/* aten::append.t(list, item) on a list built by this forward (a loop
 * filling in scale factors): the list grows in place, as in TorchScript. */
static q8_status exec_append(frontend* f, const uint32_t* args) {
  q8_value* list = &f->graph->values[args[0]];
  const q8_value* item = &f->graph->values[args[1]];
  if (item->kind == q8_value_rnn_cell) {
    /* A scripted RNN collects its cells: [] then append(cell). */
    const bool empty = list->kind == q8_value_int_list && list->is_constant && list->u.ints.count == 0;
    if (!empty && list->kind != q8_value_rnn_cell_list)
      return bad(f, "append of an RNN cell to a list of something else");
    if (empty) {
      free(list->u.ints.items);
      list->kind = q8_value_rnn_cell_list;
      list->u.tensors.items = NULL;
      list->u.tensors.count = 0;
    }
    if (list->u.tensors.count >= MAX_LIST_ITEMS) return bad(f, "list grows too long");
    uint32_t* items = realloc(list->u.tensors.items, (list->u.tensors.count + 1) * sizeof(uint32_t));
    if (items == NULL) return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
    list->u.tensors.items = items;
    list->u.tensors.items[list->u.tensors.count++] = args[1];
    f->depth -= 2;
    return push(f, args[0]);
  }
  const bool number = item->kind == q8_value_int || item->kind == q8_value_float;
  if (!list->is_constant || !number || !item->is_constant ||
      (list->kind != q8_value_int_list && list->kind != q8_value_float_list))
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: aten::append.t is supported on lists of "
                         "constant numbers only", f->pc);
  const size_t count = list->kind == q8_value_int_list ? list->u.ints.count : list->u.floats.count;
  if (count >= MAX_LIST_ITEMS) return bad(f, "list grows too long");
  /* An empty list takes the kind of its first item; an int joins floats. */
  if (count == 0 && item->kind == q8_value_float && list->kind == q8_value_int_list) {
    free(list->u.ints.items);
    list->kind = q8_value_float_list;
    list->u.floats.items = NULL;
    list->u.floats.count = 0;
  }
  if (list->kind == q8_value_int_list && item->kind != q8_value_int)
    return bad(f, "append of a float to an int list");
  const size_t size = list->kind == q8_value_int_list ? sizeof(int64_t) : sizeof(double);
  void* items = realloc(list->kind == q8_value_int_list ? (void*)list->u.ints.items
                                                         : (void*)list->u.floats.items,
                        (count + 2) * size);
  if (items == NULL) return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  if (list->kind == q8_value_int_list) {
    list->u.ints.items = items;
    list->u.ints.items[list->u.ints.count++] = item->u.integer;
  } else {
    list->u.floats.items = items;
    list->u.floats.items[list->u.floats.count++] =
        item->kind == q8_value_float ? item->u.number : (double)item->u.integer;
  }
  f->depth -= 2;
  return push(f, args[0]); /* append returns the list */
}

/* aten::list.t(list): a copy. */
static q8_status exec_list_copy(frontend* f, uint32_t source) {
  uint32_t id;
  q8_status status = new_value(f, q8_value_int_list, &id);
  if (status != q8_status_success) return status;
  const q8_value* from = &f->graph->values[source];
  q8_value* to = &f->graph->values[id];
  to->u.ints.items = malloc((from->u.ints.count + 1) * sizeof(int64_t));
  if (to->u.ints.items == NULL)
    return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  if (from->u.ints.count) memcpy(to->u.ints.items, from->u.ints.items, from->u.ints.count * sizeof(int64_t));
  to->u.ints.count = from->u.ints.count;
  f->depth -= 1;
  return push(f, id);
}

/* aten::quantized_lstm.input returns (output, h_n, c_n): one node per
 * result (the same inputs plus which one), unused ones dropped later. */
static q8_status exec_lstm(frontend* f, q8_op_kind kind, const char* name, const uint32_t* args,
                           size_t n) {
  const size_t results = kind == q8_op_gru ? 2 : 3;
  if (n < 9 || n > 11 || f->graph->values[args[0]].kind != q8_value_tensor)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: %s with %zu arguments is not supported",
                         f->pc, name, n);
  uint32_t inputs[12], outputs[3];
  memcpy(inputs, args, n * sizeof(uint32_t));
  for (size_t which = 0; which < results; which++) {
    q8_status status = q8_graph_add_int(f->graph, (int64_t)which, &inputs[n], f->error);
    if (status == q8_status_success)
      status = q8_graph_add_node(f->graph, kind, name, f->pc, inputs, n + 1, &outputs[which], f->error);
    if (status != q8_status_success) return status;
    f->graph->values[outputs[which]].dtype = q8_tensor_float32;
    f->graph->values[outputs[which]].known_rank = 3;
  }
  f->depth -= n;
  for (size_t which = 0; which < results; which++) {
    q8_status status = push(f, outputs[which]);
    if (status != q8_status_success) return status;
  }
  return q8_status_success;
}

static q8_status raise_reached(frontend* f) {
  return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                       "bytecode.pkl: instruction %zu: the model raises an exception on every "
                       "run", f->pc);
}

static q8_status exec_op(frontend* f, int64_t index) {
  const q8_pickle_value* entry = q8_pickle_item(f->operators, (size_t)index);
  if (index < 0 || entry == NULL) return bad(f, "OP index out of range");
  const q8_pickle_value* name = q8_pickle_item(entry, 0);
  const q8_pickle_value* overload = q8_pickle_item(entry, 1);
  const q8_pickle_value* nargs = q8_pickle_item(entry, 2);
  if (name == NULL || name->kind != q8_pickle_string || overload == NULL ||
      overload->kind != q8_pickle_string || nargs == NULL || nargs->kind != q8_pickle_int)
    return bad(f, "operator table entry is not (name, overload, number of arguments)");
  char full[Q8_NODE_NAME_SIZE];
  snprintf(full, sizeof(full), "%s%s%s", name->u.string.data, overload->u.string.size ? "." : "",
           overload->u.string.data);
  if (nargs->u.integer < 1 || nargs->u.integer > (int64_t)f->depth)
    return bad(f, "operator takes more arguments than the stack holds");
  const size_t n = (size_t)nargs->u.integer;
  const uint32_t* args = f->stack + f->depth - n;
  /* int(0-dim tensor): scalars and 0-dim tensors are the same to the graph. */
  if (strcmp(full, "aten::Int.Tensor") == 0 && n == 1 && f->graph->values[args[0]].kind == q8_value_int)
    return q8_status_success;
  /* list[i] of a tensor list (chunk, split) picks the tensor. */
  if (strcmp(full, "aten::__getitem__.t") == 0 && n == 2 &&
      f->graph->values[args[0]].kind == q8_value_tensor_list)
    return exec_list_item(f, args);
  if (strcmp(full, "prim::RaiseException") == 0) return raise_reached(f);
  if (strcmp(full, "prim::is_quantized") == 0 && n == 1) {
    const q8_tensor_dtype dt = f->graph->values[args[0]].dtype;
    if (f->graph->values[args[0]].kind != q8_value_tensor || dt == q8_tensor_unknown)
      return bad(f, "prim::is_quantized of something other than a tensor");
    f->depth -= 1;
    return push_constant(f, q8_value_bool, dt == q8_tensor_quint8);
  }
  if (strcmp(full, "aten::append.t") == 0 && n == 2) return exec_append(f, args);
  if (strcmp(full, "aten::list.t") == 0 && n == 1 &&
      f->graph->values[args[0]].kind == q8_value_int_list && f->graph->values[args[0]].is_constant)
    return exec_list_copy(f, args[0]);
  bool relu;
  const q8_op_kind kind = q8_op_kind_from_name(name->u.string.data, overload->u.string.data, &relu);
  if (kind == q8_op_unknown)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "unsupported operator %s at instruction %zu", full, f->pc);
  const q8_value_kind first = f->graph->values[args[0]].kind;
  if (kind == q8_op_lstm || kind == q8_op_gru) return exec_lstm(f, kind, full, args, n);
  if (first != q8_value_tensor && first != q8_value_tensor_list && !q8_op_is_scalar(kind) &&
      !(kind == q8_op_zeros && first == q8_value_int_list))
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "%s at instruction %zu: first argument is not a tensor", full, f->pc);
  uint32_t out;
  q8_status status;
  if (kind == q8_op_conv1d || kind == q8_op_pool1d) {
    status = kind == q8_op_conv1d
                 ? q8_graph_add_conv1d(f->graph, full, f->pc, relu, args, n, &out, f->error)
                 : q8_graph_add_pool1d(f->graph, full, f->pc, args, n, &out, f->error);
    if (status != q8_status_success) return status;
    f->depth -= n;
    return push(f, out);
  }
  if (kind == q8_op_stack) {
    if ((status = q8_graph_add_stack(f->graph, full, f->pc, args, n, &out, f->error)) != q8_status_success)
      return status;
    f->depth -= n;
    return push(f, out);
  }
  if (kind == q8_op_chunk) status = q8_graph_add_chunks(f->graph, full, f->pc, args, n, &out, f->error);
  else if (kind == q8_op_split) status = q8_graph_add_split(f->graph, full, f->pc, args, n, &out, f->error);
  else status = q8_graph_add_node(f->graph, kind, full, f->pc, args, n, &out, f->error);
  if (status != q8_status_success) return status;
  f->depth -= n;
  if (kind == q8_op_chunk || kind == q8_op_split) return push(f, out);
  q8_node* node = &f->graph->nodes[f->graph->num_nodes - 1];
  f->graph->values[out].dtype = q8_op_output_dtype(f->graph, kind, node->inputs);
  if (q8_op_is_scalar(kind)) {
    q8_graph_fold_scalar(f->graph, node);
    return push(f, out);
  }
  q8_graph_infer_rank(f->graph, node);
  if (relu) {
    node->has_clamp = true;
    node->clamp_min = 0.0f;
    node->clamp_max = INFINITY;
  }
  if (kind == q8_op_relu || kind == q8_op_hardtanh) {
    status = clamp_bounds(f, node, name->u.string.data);
    if (status != q8_status_success) return status;
  }
  return push(f, out);
}

static bool all_constant(const q8_graph* g, const uint32_t* items, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!g->values[items[i]].is_constant) return false;
  return true;
}

/* LIST_CONSTRUCT / TUPLE_CONSTRUCT of n tensors or ints; a list of ints
 * some of which are computed is a prim::ListConstruct node. */
static q8_status exec_construct(frontend* f, int64_t count) {
  if (count < 0 || (uint64_t)count > f->depth) return bad(f, "list size exceeds the stack");
  const size_t n = (size_t)count;
  const uint32_t* items = f->stack + f->depth - n;
  bool tensors = true, ints = true, cells = n > 0;
  for (size_t i = 0; i < n; i++) {
    tensors = tensors && f->graph->values[items[i]].kind == q8_value_tensor;
    ints = ints && f->graph->values[items[i]].kind == q8_value_int;
    cells = cells && f->graph->values[items[i]].kind == q8_value_rnn_cell;
  }
  if (cells) {
    uint32_t id;
    q8_status status = new_value(f, q8_value_rnn_cell_list, &id);
    if (status != q8_status_success) return status;
    uint32_t* copy = malloc(n * sizeof(uint32_t));
    if (copy == NULL) return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
    memcpy(copy, items, n * sizeof(uint32_t));
    f->graph->values[id].u.tensors.items = copy;
    f->graph->values[id].u.tensors.count = n;
    f->depth -= n;
    return push(f, id);
  }
  if (!tensors && !ints)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: lists of mixed values are not supported",
                         f->pc);
  uint32_t id;
  if (!tensors && !all_constant(f->graph, items, n)) {
    q8_status status = q8_graph_add_node(f->graph, q8_op_list_construct, "prim::ListConstruct",
                                         f->pc, items, n, &id, f->error);
    if (status != q8_status_success) return status;
    f->depth -= n;
    return push(f, id);
  }
  q8_status status = q8_graph_add_value(f->graph, tensors && n > 0 ? q8_value_tensor_list
                                                                    : q8_value_int_list, &id, f->error);
  if (status != q8_status_success) return status;
  q8_value* v = &f->graph->values[id];
  if (v->kind == q8_value_tensor_list) {
    v->u.tensors.items = malloc(n * sizeof(uint32_t));
    if (v->u.tensors.items == NULL) goto oom;
    memcpy(v->u.tensors.items, items, n * sizeof(uint32_t));
    v->u.tensors.count = n;
  } else {
    v->is_constant = true;
    v->u.ints.items = malloc((n + 1) * sizeof(int64_t));
    if (v->u.ints.items == NULL) goto oom;
    for (size_t i = 0; i < n; i++) v->u.ints.items[i] = f->graph->values[items[i]].u.integer;
    v->u.ints.count = n;
  }
  f->depth -= n;
  return push(f, id);
oom:
  return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
}

/* `n, c, h, w = x.shape`: items of an int list (constant, or computed at
 * plan time: aten::__getitem__.t nodes, folded when possible). */
static q8_status unpack_ints(frontend* f, size_t count) {
  const uint32_t list = f->stack[--f->depth];
  const q8_value* v = &f->graph->values[list];
  if (v->is_constant && v->u.ints.count != count) return bad(f, "LIST_UNPACK of a list of another size");
  for (size_t i = 0; i < count; i++) {
    uint32_t inputs[2] = {list, 0}, out;
    q8_status status = q8_graph_add_int(f->graph, (int64_t)i, &inputs[1], f->error);
    if (status == q8_status_success)
      status = q8_graph_add_node(f->graph, q8_op_list_item, "aten::__getitem__.t", f->pc, inputs, 2,
                                 &out, f->error);
    if (status != q8_status_success) return status;
    f->graph->values[out].dtype = q8_tensor_unknown;
    q8_graph_fold_scalar(f->graph, &f->graph->nodes[f->graph->num_nodes - 1]);
    if ((status = push(f, out)) != q8_status_success) return status;
  }
  return q8_status_success;
}

static q8_status exec_unpack(frontend* f, int64_t count) {
  if (f->depth == 0) return bad(f, "LIST_UNPACK on an empty stack");
  if (q8_graph_is_split(f->graph, f->stack[f->depth - 1])) {
    if (count < 0) return bad(f, "LIST_UNPACK of a negative count");
    q8_status status = q8_graph_unpack_split(f->graph, f->stack[f->depth - 1], (size_t)count, f->error);
    if (status != q8_status_success) return status;
  }
  const q8_value* v = &f->graph->values[f->stack[f->depth - 1]];
  if (v->kind == q8_value_int_list && count >= 0 && count <= Q8_GRAPH_MAX_DIMS)
    return unpack_ints(f, (size_t)count);
  if (v->kind != q8_value_tensor_list || count < 0 || (uint64_t)count != v->u.tensors.count)
    return bad(f, "LIST_UNPACK of something other than a tensor list of that size");
  const uint32_t list = f->stack[--f->depth];
  for (size_t i = 0; i < v->u.tensors.count; i++) {
    q8_status status = push(f, f->graph->values[list].u.tensors.items[i]);
    if (status != q8_status_success) return status;
  }
  return q8_status_success;
}

static q8_status exec_return(frontend* f) {
  if (f->depth == 0) return bad(f, "RET on an empty stack");
  const uint32_t id = f->stack[f->depth - 1];
  const q8_value* v = &f->graph->values[id];
  const size_t n = v->kind == q8_value_tensor_list ? v->u.tensors.count : 1;
  if (v->kind != q8_value_tensor && v->kind != q8_value_tensor_list)
    return bad(f, "forward returns something other than tensors");
  f->graph->outputs = malloc(n * sizeof(uint32_t));
  if (f->graph->outputs == NULL)
    return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  for (size_t i = 0; i < n; i++)
    f->graph->outputs[i] = v->kind == q8_value_tensor_list ? v->u.tensors.items[i] : id;
  f->graph->num_outputs = n;
  return q8_status_success;
}

/* Register instructions: STORE, STOREN, LOAD, MOVE, DROPR. */
static q8_status exec_register(frontend* f, const char* op, int64_t x, int64_t n) {
  q8_status status;
  if (strcmp(op, "STOREN") == 0) {
    if ((status = check_register(f, x, n)) != q8_status_success) return status;
    if ((status = pop_n(f, (size_t)n, "STOREN pops more than the stack holds")) != q8_status_success)
      return status;
    for (int64_t i = 0; i < n; i++) f->registers[x + i] = f->stack[f->depth + (size_t)i];
    return q8_status_success;
  }
  if ((status = check_register(f, x, 1)) != q8_status_success) return status;
  if (strcmp(op, "STORE") == 0) {
    if ((status = pop_n(f, 1, "STORE on an empty stack")) != q8_status_success) return status;
    f->registers[x] = f->stack[f->depth];
    return q8_status_success;
  }
  if (f->registers[x] == Q8_GRAPH_NO_VALUE) return bad(f, "read of an empty register");
  if (strcmp(op, "DROPR") == 0) {
    f->registers[x] = Q8_GRAPH_NO_VALUE;
    return q8_status_success;
  }
  status = push(f, f->registers[x]);
  if (strcmp(op, "MOVE") == 0) f->registers[x] = Q8_GRAPH_NO_VALUE;
  return status;
}

/* Whether the instructions from `start` raise before doing anything else
 * (loading constants and registers, formatting the message). */
static bool block_raises(const frontend* f, int64_t start) {
  const size_t count = q8_pickle_length(f->code);
  for (int64_t pc = start; pc >= 0 && (size_t)pc < count && pc < start + 64; pc++) {
    const q8_pickle_value* ins = q8_pickle_item(f->code, (size_t)pc);
    const q8_pickle_value* op = q8_pickle_item(ins, 0);
    const q8_pickle_value* x = q8_pickle_item(ins, 1);
    if (op == NULL || op->kind != q8_pickle_string) return false;
    const char* code = op->u.string.data;
    if (strcmp(code, "RAISE_EXCEPTION") == 0) return true;
    if (strcmp(code, "OP") == 0 && x != NULL && x->kind == q8_pickle_int) {
      const q8_pickle_value* entry = q8_pickle_item(f->operators, (size_t)x->u.integer);
      const q8_pickle_value* name = q8_pickle_item(entry, 0);
      if (x->u.integer < 0 || name == NULL || name->kind != q8_pickle_string) return false;
      if (strcmp(name->u.string.data, "prim::RaiseException") == 0) return true;
      /* Building the message: format() and str() / list() of its arguments,
       * which may be shapes (list(input.shape[2:])). */
      if (strcmp(name->u.string.data, "aten::format") != 0 &&
          strcmp(name->u.string.data, "aten::str") != 0 &&
          strcmp(name->u.string.data, "aten::list") != 0 &&
          strcmp(name->u.string.data, "aten::size") != 0 &&
          strcmp(name->u.string.data, "aten::slice") != 0 &&
          strcmp(name->u.string.data, "aten::len") != 0 &&
          strcmp(name->u.string.data, "aten::dim") != 0)
        return false;
      continue;
    }
    if (strcmp(code, "LOADC") != 0 && strcmp(code, "LOAD") != 0 && strcmp(code, "MOVE") != 0 &&
        strcmp(code, "DROPR") != 0 && strcmp(code, "STORE") != 0 && strcmp(code, "DROP") != 0 &&
        strcmp(code, "FORMAT") != 0 && strcmp(code, "TUPLE_CONSTRUCT") != 0 &&
        strcmp(code, "LIST_CONSTRUCT") != 0)
      return false;
  }
  return false;
}

/* JF with a constant condition. A condition computed at plan time (shape
 * checks of scripted modules: `if len(x.size()) != 4: raise ...`) is
 * supported when one branch only raises: the other one is taken and a guard
 * node checks the condition when the program is planned. Anything else is
 * data-dependent control flow. */
static q8_status exec_jump_if_false(frontend* f, int64_t offset, size_t* next) {
  int64_t condition;
  if (f->depth == 0) return bad(f, "JF on an empty stack");
  const uint32_t id = f->stack[--f->depth];
  if (f->graph->values[id].kind == q8_value_bool && q8_graph_const_int(f->graph, id, &condition)) {
    *next = condition ? f->pc + 1 : (size_t)((int64_t)f->pc + offset);
    return q8_status_success;
  }
  const int64_t target = (int64_t)f->pc + offset;
  const bool then_raises = block_raises(f, (int64_t)f->pc + 1);
  const bool else_raises = !then_raises && offset > 1 && block_raises(f, target);
  if (f->graph->values[id].kind != q8_value_bool || (!then_raises && !else_raises))
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: a jump on a value computed at run time "
                         "(data-dependent control flow) is not supported", f->pc);
  q8_status status = q8_graph_add_guard(f->graph, id, !then_raises, f->pc, f->error);
  if (status != q8_status_success) return status;
  *next = then_raises ? (size_t)target : f->pc + 1;
  return q8_status_success;
}

/* LOOP X N with a trip count known at load time (loops over the spatial
 * dimensions of a tensor whose rank is known): the stack holds trip count,
 * maximum, condition and N - 2 loop-carried values. */
static q8_status exec_loop(frontend* f, int64_t offset, int64_t carried, size_t* next) {
  if (carried < 2 || (uint64_t)carried + 1 > f->depth) return bad(f, "LOOP frame exceeds the stack");
  uint32_t* frame = f->stack + f->depth - (size_t)carried - 1;
  int64_t trip, max_trip, condition;
  if (!q8_graph_const_int(f->graph, frame[0], &trip) ||
      !q8_graph_const_int(f->graph, frame[1], &max_trip) ||
      !q8_graph_const_int(f->graph, frame[2], &condition))
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: a loop whose trip count is computed at "
                         "run time is not supported", f->pc);
  if (trip < max_trip && condition) {
    uint32_t id;
    q8_status status = q8_graph_add_int(f->graph, trip, &id, f->error);
    if (status == q8_status_success) status = q8_graph_add_int(f->graph, trip + 1, &frame[0], f->error);
    if (status != q8_status_success) return status;
    frame[2] = id;
    *next = f->pc + 1;
    return q8_status_success;
  }
  for (int64_t i = 0; i < carried - 2; i++) frame[i] = frame[i + 3];
  f->depth -= 3;
  *next = (size_t)((int64_t)f->pc + offset);
  return q8_status_success;
}

/* DIM, DTYPE, DEVICE of the tensor on top of the stack. */
static q8_status exec_tensor_query(frontend* f, const char* code) {
  if (f->depth == 0 || f->graph->values[f->stack[f->depth - 1]].kind != q8_value_tensor)
    return bad(f, "DIM, DTYPE or DEVICE of something other than a tensor");
  const uint32_t t = f->stack[--f->depth];
  if (strcmp(code, "DEVICE") == 0) return push_constant(f, q8_value_string, 0);
  if (strcmp(code, "DTYPE") == 0) {
    const q8_tensor_dtype dt = f->graph->values[t].dtype;
    if (dt != q8_tensor_quint8 && dt != q8_tensor_float32) return bad(f, "DTYPE of a tensor of unknown type");
    return push_constant(f, q8_value_int, dt == q8_tensor_quint8 ? 13 : 6); /* torch.quint8, float32 */
  }
  uint32_t out;
  q8_status status = q8_graph_add_node(f->graph, q8_op_dim, "aten::dim", f->pc, &t, 1, &out, f->error);
  if (status != q8_status_success) return status;
  f->graph->values[out].dtype = q8_tensor_unknown;
  q8_graph_fold_scalar(f->graph, &f->graph->nodes[f->graph->num_nodes - 1]);
  return push(f, out);
}

static q8_status exec_not(frontend* f) {
  int64_t x;
  if (f->depth == 0) return bad(f, "__NOT__ on an empty stack");
  const uint32_t id = f->stack[f->depth - 1];
  if (f->graph->values[id].kind != q8_value_bool) return bad(f, "__NOT__ of something other than a bool");
  if (q8_graph_const_int(f->graph, id, &x)) {
    f->depth--;
    return push_constant(f, q8_value_bool, !x);
  }
  /* not x == (x == 0), evaluated at plan time. */
  uint32_t inputs[2] = {id, 0}, out;
  q8_status status = q8_graph_add_int(f->graph, 0, &inputs[1], f->error);
  if (status == q8_status_success)
    status = q8_graph_add_node(f->graph, q8_op_compare, "aten::eq.int", f->pc, inputs, 2, &out, f->error);
  if (status != q8_status_success) return status;
  f->graph->values[out].dtype = q8_tensor_unknown;
  f->depth--;
  return push(f, out);
}

/* `x is None` / `x is not None` on values known at load time. */
static q8_status exec_is(frontend* f, bool negate) {
  if (f->depth < 2) return bad(f, "__IS__ on a stack of fewer than two values");
  const q8_value* a = &f->graph->values[f->stack[f->depth - 2]];
  const q8_value* b = &f->graph->values[f->stack[f->depth - 1]];
  if (a->kind != q8_value_none && b->kind != q8_value_none)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: instruction %zu: `is` is supported only against None", f->pc);
  const bool same = a->kind == b->kind;
  f->depth -= 2;
  return push_constant(f, q8_value_bool, same != negate);
}

static q8_status exec_instruction(frontend* f, const q8_pickle_value* ins, size_t* next, bool* done) {
  const q8_pickle_value* op = q8_pickle_item(ins, 0);
  const q8_pickle_value* x = q8_pickle_item(ins, 1);
  const q8_pickle_value* n = q8_pickle_item(ins, 2);
  if (op == NULL || op->kind != q8_pickle_string || x == NULL || x->kind != q8_pickle_int ||
      n == NULL || n->kind != q8_pickle_int)
    return bad(f, "instruction is not (opcode, X, N)");
  const char* code = op->u.string.data;
  const int64_t X = x->u.integer, N = n->u.integer;
  uint32_t id;
  q8_status status;
  *next = f->pc + 1;
  if (strcmp(code, "OP") == 0) return exec_op(f, X);
  if (strcmp(code, "LOADC") == 0) {
    if ((status = load_constant(f, X, &id)) != q8_status_success) return status;
    return push(f, id);
  }
  if (strcmp(code, "STOREN") == 0 || strcmp(code, "STORE") == 0 || strcmp(code, "LOAD") == 0 ||
      strcmp(code, "MOVE") == 0 || strcmp(code, "DROPR") == 0)
    return exec_register(f, code, X, N);
  if (strcmp(code, "DROP") == 0) return pop_n(f, 1, "DROP on an empty stack");
  if (strcmp(code, "LIST_CONSTRUCT") == 0 || strcmp(code, "TUPLE_CONSTRUCT") == 0)
    return exec_construct(f, strcmp(code, "TUPLE_CONSTRUCT") == 0 ? X : N);
  if (strcmp(code, "LIST_UNPACK") == 0 || strcmp(code, "TUPLE_UNPACK") == 0) return exec_unpack(f, X);
  if (strcmp(code, "JF") == 0) return exec_jump_if_false(f, X, next);
  if (strcmp(code, "NUM_TO_TENSOR") == 0) {
    if (f->depth == 0 || f->graph->values[f->stack[f->depth - 1]].kind != q8_value_int)
      return bad(f, "NUM_TO_TENSOR of something other than an int");
    return q8_status_success; /* 0-dim tensors are ints to the graph */
  }
  if (strcmp(code, "JMP") == 0) {
    *next = (size_t)((int64_t)f->pc + X);
    return q8_status_success;
  }
  if (strcmp(code, "RET") == 0) {
    *done = true;
    return exec_return(f);
  }
  if (strcmp(code, "RAISE_EXCEPTION") == 0) return raise_reached(f);
  if (strcmp(code, "LOOP") == 0) return exec_loop(f, X, N, next);
  if (strcmp(code, "DIM") == 0 || strcmp(code, "DTYPE") == 0 || strcmp(code, "DEVICE") == 0)
    return exec_tensor_query(f, code);
  if (strcmp(code, "UN_INITIALIZED") == 0) return push_constant(f, q8_value_none, 0);
  if (strcmp(code, "__NOT__") == 0) return exec_not(f);
  if (strcmp(code, "__IS__") == 0 || strcmp(code, "__ISNOT__") == 0) return exec_is(f, code[2] == 'I' && code[4] == 'N');
  if (strcmp(code, "FORMAT") == 0) {
    /* Only error messages are formatted; the result is an opaque string. */
    if (X < 1 || (uint64_t)X > f->depth) return bad(f, "FORMAT of more values than the stack holds");
    f->depth -= (size_t)X;
    return push_constant(f, q8_value_string, 0);
  }
  if (strcmp(code, "WARN") == 0) return pop_n(f, 2, "WARN on a stack of fewer than two values");
  char message[160];
  snprintf(message, sizeof(message), "unsupported opcode '%.40s'", code);
  return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                       "bytecode.pkl: instruction %zu: %s", f->pc, message);
}

static q8_status run_instructions(frontend* f, const q8_pickle_value* code) {
  const size_t count = q8_pickle_length(code);
  f->code = code;
  const size_t max_steps = count * MAX_STEPS_PER_INSTRUCTION;
  bool done = false;
  for (size_t steps = 0; !done; steps++) {
    if (f->pc >= count || steps > max_steps)
      return q8_graph_fail(f->error, q8_status_invalid_parameter,
                           "bytecode.pkl: forward runs past its instructions without RET");
    size_t next = f->pc + 1;
    q8_status status = exec_instruction(f, q8_pickle_item(code, f->pc), &next, &done);
    if (status != q8_status_success) return status;
    f->pc = next;
  }
  return q8_status_success;
}

/* --- the method table ---------------------------------------------------------- */

static const q8_pickle_value* table_get(const q8_pickle_value* table, const char* key) {
  for (size_t i = 0; i < q8_pickle_length(table); i++) {
    const q8_pickle_value* pair = q8_pickle_item(table, i);
    if (q8_pickle_is_string(q8_pickle_item(pair, 0), key)) return q8_pickle_item(pair, 1);
  }
  return NULL;
}

static const q8_pickle_value* find_forward(const q8_pickle_value* root) {
  for (size_t i = 1; i < q8_pickle_length(root); i++) {
    const q8_pickle_value* method = q8_pickle_item(root, i);
    const q8_pickle_value* name = q8_pickle_item(method, 0);
    if (name == NULL || name->kind != q8_pickle_string || name->u.string.size < 8) continue;
    if (strcmp(name->u.string.data + name->u.string.size - 8, ".forward") == 0) return method;
  }
  return NULL;
}

/* Pushes `self` and one fp32 tensor per schema argument after it. */
static q8_status push_arguments(frontend* f, const q8_pickle_value* schema) {
  const q8_pickle_value* args = table_get(schema, "arguments");
  const size_t n = q8_pickle_length(args);
  if (n < 1) return q8_graph_fail(f->error, q8_status_invalid_parameter,
                                  "bytecode.pkl: forward's schema has no arguments");
  uint32_t id;
  q8_status status = q8_graph_add_value(f->graph, q8_value_object, &id, f->error);
  if (status == q8_status_success) status = push(f, id);
  if (status != q8_status_success) return status;
  f->graph->inputs = malloc(n * sizeof(uint32_t));
  if (f->graph->inputs == NULL)
    return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  for (size_t i = 1; i < n; i++) {
    const q8_pickle_value* type = table_get(q8_pickle_item(args, i), "type");
    if (!q8_pickle_is_string(type, "Tensor"))
      return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                           "bytecode.pkl: forward argument %zu is not a Tensor", i);
    if ((status = q8_graph_add_value(f->graph, q8_value_tensor, &id, f->error)) != q8_status_success)
      return status;
    f->graph->values[id].dtype = q8_tensor_float32;
    f->graph->inputs[f->graph->num_inputs++] = id;
    if ((status = push(f, id)) != q8_status_success) return status;
  }
  return q8_status_success;
}

static q8_status setup_frontend(frontend* f, const q8_pickle_value* table) {
  const q8_pickle_value* regs = table_get(table, "register_size");
  f->constants = table_get(table, "constants");
  f->operators = table_get(table, "operators");
  if (regs == NULL || regs->kind != q8_pickle_int || regs->u.integer < 0 ||
      regs->u.integer > MAX_REGISTERS || f->constants == NULL || f->operators == NULL ||
      (f->constants->kind != q8_pickle_tuple && f->constants->kind != q8_pickle_list))
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: forward's code table lacks constants, operators or a "
                         "valid register_size");
  f->num_constants = q8_pickle_length(f->constants);
  f->num_registers = (size_t)regs->u.integer;
  f->constant_ids = malloc((f->num_constants + 1) * sizeof(uint32_t));
  f->registers = malloc((f->num_registers + 1) * sizeof(uint32_t));
  f->stack = malloc(MAX_STACK * sizeof(uint32_t));
  if (f->constant_ids == NULL || f->registers == NULL || f->stack == NULL)
    return q8_graph_fail(f->error, q8_status_out_of_memory, "bytecode.pkl: out of memory");
  for (size_t i = 0; i < f->num_constants; i++) f->constant_ids[i] = Q8_GRAPH_NO_VALUE;
  for (size_t i = 0; i <= f->num_registers; i++) f->registers[i] = Q8_GRAPH_NO_VALUE;
  return q8_status_success;
}

static q8_status build(frontend* f, const q8_pickle_value* root) {
  const q8_pickle_value* version = q8_pickle_item(root, 0);
  if (version == NULL || version->kind != q8_pickle_int || version->u.integer < 7 ||
      version->u.integer > 8)
    return q8_graph_fail(f->error, q8_status_unsupported_parameter,
                         "bytecode.pkl: bytecode version %lld is not supported (7 or 8 expected)",
                         version && version->kind == q8_pickle_int ? (long long)version->u.integer : -1LL);
  const q8_pickle_value* method = find_forward(root);
  if (method == NULL)
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: no forward method");
  const q8_pickle_value* table = q8_pickle_item(method, 1);
  const q8_pickle_value* code = table_get(table, "instructions");
  if (code == NULL || (code->kind != q8_pickle_tuple && code->kind != q8_pickle_list))
    return q8_graph_fail(f->error, q8_status_invalid_parameter,
                         "bytecode.pkl: forward has no instruction list");
  q8_status status = setup_frontend(f, table);
  if (status == q8_status_success) status = push_arguments(f, q8_pickle_item(method, 2));
  if (status == q8_status_success) status = run_instructions(f, code);
  if (status == q8_status_success) status = q8_graph_drop_identities(f->graph, f->error);
  if (status == q8_status_success) status = q8_graph_fuse_channel_shuffles(f->graph, f->error);
  if (status == q8_status_success) status = q8_graph_fuse_clamps(f->graph, f->error);
  if (status == q8_status_success) status = q8_graph_fold_quant_pairs(f->graph, f->error);
  if (status == q8_status_success) status = q8_graph_drop_unused_scalars(f->graph, f->error);
  return status;
}

q8_status q8_bytecode_load(q8_archive* archive, q8_graph** graph_out, q8_error* error) {
  *graph_out = NULL;
  void* data = NULL;
  size_t size = 0;
  q8_status status = q8_archive_read(archive, "bytecode.pkl", &data, &size, error);
  if (status != q8_status_success) return status;
  q8_pickle* pickle = NULL;
  status = q8_pickle_decode(data, size, "bytecode.pkl", &q8_archive_limits_of(archive)->pickle,
                            &pickle, error);
  free(data);
  if (status != q8_status_success) return status;
  frontend f = {.archive = archive, .error = error};
  status = q8_graph_create(&f.graph, error);
  if (status == q8_status_success) {
    f.graph->max_nodes = q8_archive_limits_of(archive)->max_graph_nodes;
    status = build(&f, q8_pickle_root(pickle));
  }
  free(f.constant_ids);
  free(f.registers);
  free(f.stack);
  q8_pickle_free(pickle);
  if (status != q8_status_success) {
    q8_graph_delete(f.graph);
    return status;
  }
  *graph_out = f.graph;
  return q8_status_success;
}

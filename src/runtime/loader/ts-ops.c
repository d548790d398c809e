/*
 * Operator calls of the .pt front end: the TorchScript spelling of each
 * supported operator ("ops.quantized.conv2d", "torch.max_pool2d"), the
 * operator and overload the lite interpreter names it by, and its schema
 * (argument names and defaults).
 *
 * Nodes are built exactly as the bytecode front end builds them for the
 * same model: same name and overload, arguments in schema order, and -- as
 * bytecode version 8 serializes calls -- trailing arguments that equal
 * their schema default left out (the lowering fills them back in).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts-eval.h"
#include "ts-weights.h"

#define MAX_PARAMS 12

typedef enum default_kind {
  required = 0,
  none_default,
  bool_default,
  int_default,
  float_default,
  int_list_default, /* `list_size` copies of value (int[2] padding=0) */
  empty_list_default,
  string_default,
  kept_bool_default, /* a bool default the bytecode always passes (before keyword-only ones) */
} default_kind;

typedef struct param {
  const char* name;
  default_kind kind;
  double value;
  size_t list_size;
  const char* text; /* string_default */
} param;

typedef struct schema {
  const char* call;     /* as the source spells it */
  const char* op;       /* "quantized::conv2d" */
  const char* overload; /* "new", or "" */
  size_t num_params;
  const param* params; /* num_params of them */
} schema;

#define REQ(n) {n, required, 0, 0, NULL}
#define NONE(n) {n, none_default, 0, 0, NULL}
#define FLAG(n, v) {n, bool_default, v, 0, NULL}
#define INT(n, v) {n, int_default, v, 0, NULL}
#define FLOAT(n, v) {n, float_default, v, 0, NULL}
#define INTS(n, v) {n, int_list_default, v, 2, NULL}
#define EMPTY(n) {n, empty_list_default, 0, 0, NULL}
#define INTS1(n, v) {n, int_list_default, v, 1, NULL}
#define KEPT_FLAG(n, v) {n, kept_bool_default, v, 0, NULL}
#define STR(n, t) {n, string_default, 0, 0, t}

/* A schema's parameter count and list, the list an array of exactly that
 * size (a fixed MAX_PARAMS array per schema was 50 KB of mostly empty
 * slots); the bit-field fails to compile for lists over MAX_PARAMS. */
#define PARAMS(...) \
  PARAM_COUNT(__VA_ARGS__), (const param[]) { __VA_ARGS__ }
#define PARAM_COUNT(...)       \
  (PARAM_LENGTH(__VA_ARGS__) + \
   0 * sizeof(struct { int fits : PARAM_LENGTH(__VA_ARGS__) <= MAX_PARAMS ? 1 : -1; }))
#define PARAM_LENGTH(...) (sizeof((const param[]){__VA_ARGS__}) / sizeof(param))

/* Facts from PyTorch 1.13's operator schemas (native_functions.yaml and the
 * quantized library's registrations). */
static const schema schemas[] = {
    {"torch.quantize_per_tensor", "aten::quantize_per_tensor", "",
     PARAMS(REQ("self"), REQ("scale"), REQ("zero_point"), REQ("dtype"))},
    {"torch.dequantize", "aten::dequantize", "self", PARAMS(REQ("self"))},
    {"ops.quantized.conv2d", "quantized::conv2d", "new",
     PARAMS(REQ("qx"), REQ("packed_weight"), REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.conv2d_relu", "quantized::conv2d_relu", "new",
     PARAMS(REQ("qx"), REQ("packed_weight"), REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.conv1d", "quantized::conv1d", "",
     PARAMS(REQ("qx"), REQ("packed_weight"), REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.conv1d_relu", "quantized::conv1d_relu", "",
     PARAMS(REQ("qx"), REQ("packed_weight"), REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.conv_transpose2d", "quantized::conv_transpose2d", "",
     PARAMS(REQ("qx"), REQ("packed_weight"), REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.linear", "quantized::linear", "",
     PARAMS(REQ("X"), REQ("W_prepack"), REQ("Y_scale_i"), REQ("Y_zero_point_i"))},
    {"ops.quantized.linear_relu", "quantized::linear_relu", "",
     PARAMS(REQ("X"), REQ("W_prepack"), REQ("Y_scale_i"), REQ("Y_zero_point_i"))},
    {"ops.quantized.linear_dynamic", "quantized::linear_dynamic", "",
     PARAMS(REQ("X"), REQ("W_prepack"), FLAG("reduce_range", 0))},
    {"ops.quantized.linear_relu_dynamic", "quantized::linear_relu_dynamic", "",
     PARAMS(REQ("X"), REQ("W_prepack"), FLAG("reduce_range", 0))},
    {"ops.quantized.add", "quantized::add", "",
     PARAMS(REQ("qa"), REQ("qb"), REQ("scale"), REQ("zero_point"))},
    {"ops.quantized.add_relu", "quantized::add_relu", "",
     PARAMS(REQ("qa"), REQ("qb"), REQ("scale"), REQ("zero_point"))},
    {"ops.quantized.mul", "quantized::mul", "",
     PARAMS(REQ("qa"), REQ("qb"), REQ("scale"), REQ("zero_point"))},
    {"ops.quantized.mul_relu", "quantized::mul_relu", "",
     PARAMS(REQ("qa"), REQ("qb"), REQ("scale"), REQ("zero_point"))},
    {"ops.quantized.cat", "quantized::cat", "",
     PARAMS(REQ("qx"), REQ("dim"), REQ("scale"), REQ("zero_point"))},
    {"ops.quantized.hardswish", "quantized::hardswish", "",
     PARAMS(REQ("input"), REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.relu6", "quantized::relu6", "", PARAMS(REQ("qx"), FLAG("inplace", 0))},
    {"torch.hardsigmoid", "aten::hardsigmoid", "", PARAMS(REQ("self"))},
    {"torch.hardsigmoid_", "aten::hardsigmoid_", "", PARAMS(REQ("self"))},
    {"torch.sigmoid", "aten::sigmoid", "", PARAMS(REQ("self"))},
    {"torch.sigmoid_", "aten::sigmoid_", "", PARAMS(REQ("self"))},
    {"torch.tanh", "aten::tanh", "", PARAMS(REQ("self"))},
    {"torch.tanh_", "aten::tanh_", "", PARAMS(REQ("self"))},
    {"torch.silu", "aten::silu", "", PARAMS(REQ("self"))},
    {"torch.silu_", "aten::silu_", "", PARAMS(REQ("self"))},
    {"torch.gelu", "aten::gelu", "", PARAMS(REQ("self"), STR("approximate", "none"))},
    {"torch.hardswish", "aten::hardswish", "", PARAMS(REQ("self"))},
    {"torch.hardswish_", "aten::hardswish_", "", PARAMS(REQ("self"))},
    {"torch.relu", "aten::relu", "", PARAMS(REQ("self"))},
    {"torch.relu_", "aten::relu_", "", PARAMS(REQ("self"))},
    {"torch.hardtanh", "aten::hardtanh", "",
     PARAMS(REQ("self"), FLOAT("min_val", -1), FLOAT("max_val", 1))},
    {"torch.hardtanh_", "aten::hardtanh_", "",
     PARAMS(REQ("self"), FLOAT("min_val", -1), FLOAT("max_val", 1))},
    {"torch.clamp", "aten::clamp", "", PARAMS(REQ("self"), NONE("min"), NONE("max"))},
    {"torch.leaky_relu", "aten::leaky_relu", "",
     PARAMS(REQ("self"), FLOAT("negative_slope", 0.01))},
    {"torch.leaky_relu_", "aten::leaky_relu_", "",
     PARAMS(REQ("self"), FLOAT("negative_slope", 0.01))},
    {"torch.max_pool2d", "aten::max_pool2d", "",
     PARAMS(REQ("self"), REQ("kernel_size"), EMPTY("stride"), INTS("padding", 0),
            INTS("dilation", 1), FLAG("ceil_mode", 0))},
    {"torch.avg_pool2d", "aten::avg_pool2d", "",
     PARAMS(REQ("self"), REQ("kernel_size"), EMPTY("stride"), INTS("padding", 0),
            FLAG("ceil_mode", 0), FLAG("count_include_pad", 1), NONE("divisor_override"))},
    {"torch.max_pool1d", "aten::max_pool1d", "",
     PARAMS(REQ("self"), REQ("kernel_size"), EMPTY("stride"), INTS1("padding", 0),
            INTS1("dilation", 1), FLAG("ceil_mode", 0))},
    {"torch.avg_pool1d", "aten::avg_pool1d", "",
     PARAMS(REQ("self"), REQ("kernel_size"), EMPTY("stride"), INTS1("padding", 0),
            FLAG("ceil_mode", 0), FLAG("count_include_pad", 1))},
    {"torch.adaptive_avg_pool1d", "aten::adaptive_avg_pool1d", "",
     PARAMS(REQ("self"), REQ("output_size"))},
    {"torch.adaptive_avg_pool2d", "aten::adaptive_avg_pool2d", "",
     PARAMS(REQ("self"), REQ("output_size"))},
    {"torch.mean", "aten::mean", "dim",
     PARAMS(REQ("self"), REQ("dim"), FLAG("keepdim", 0), NONE("dtype"))},
    {"torch.flatten", "aten::flatten", "using_ints",
     PARAMS(REQ("self"), INT("start_dim", 0), INT("end_dim", -1))},
    {"torch.upsample_nearest2d", "aten::upsample_nearest2d", "vec",
     PARAMS(REQ("input"), REQ("output_size"), REQ("scale_factors"))},
    {"torch.dropout", "aten::dropout", "", PARAMS(REQ("input"), REQ("p"), REQ("train"))},
    {"torch.dropout_", "aten::dropout_", "", PARAMS(REQ("self"), REQ("p"), REQ("train"))},
    {"torch.feature_dropout", "aten::feature_dropout", "",
     PARAMS(REQ("input"), REQ("p"), REQ("train"))},
    {"torch.contiguous", "aten::contiguous", "", PARAMS(REQ("self"), INT("memory_format", 0))},
    {"torch.detach", "aten::detach", "", PARAMS(REQ("self"))},
    {"torch.upsample_bilinear2d", "aten::upsample_bilinear2d", "vec",
     PARAMS(REQ("input"), REQ("output_size"), REQ("align_corners"), REQ("scale_factors"))},
    {"ops.quantized.softmax", "quantized::softmax", "",
     PARAMS(REQ("qx"), REQ("dim"), REQ("output_scale"), REQ("output_zero_point"))},
    {"torch.channel_shuffle", "aten::channel_shuffle", "", PARAMS(REQ("self"), REQ("groups"))},
    {"torch.native_channel_shuffle", "aten::native_channel_shuffle", "",
     PARAMS(REQ("self"), REQ("groups"))},
    {"torch.view", "aten::view", "", PARAMS(REQ("self"), REQ("size"))},
    {"torch.transpose", "aten::transpose", "int", PARAMS(REQ("self"), REQ("dim0"), REQ("dim1"))},
    {"torch.chunk", "aten::chunk", "", PARAMS(REQ("self"), REQ("chunks"), INT("dim", 0))},
    {"torch.size", "aten::size", "int", PARAMS(REQ("self"), REQ("dim"))},
    {"torch.floor_divide", "aten::floor_divide", "", PARAMS(REQ("self"), REQ("other"))},
    {"torch.mul", "aten::mul", "Tensor", PARAMS(REQ("self"), REQ("other"))},
    {"torch.to", "aten::to", "dtype",
     PARAMS(REQ("self"), REQ("dtype"), FLAG("non_blocking", 0), FLAG("copy", 0),
            NONE("memory_format"))},
    {"torch.reshape", "aten::reshape", "", PARAMS(REQ("self"), REQ("shape"))},
    {"torch.permute", "aten::permute", "", PARAMS(REQ("self"), REQ("dims"))},
    {"torch.slice", "aten::slice", "Tensor",
     PARAMS(REQ("self"), INT("dim", 0), NONE("start"), NONE("end"), INT("step", 1))},
    {"torch.select", "aten::select", "int", PARAMS(REQ("self"), REQ("dim"), REQ("index"))},
    {"torch.split", "aten::split", "Tensor", PARAMS(REQ("self"), REQ("split_size"), INT("dim", 0))},
    {"torch.split_with_sizes", "aten::split_with_sizes", "",
     PARAMS(REQ("self"), REQ("split_sizes"), INT("dim", 0))},
    {"torch.squeeze", "aten::squeeze", "", PARAMS(REQ("self"))},
    {"torch.unsqueeze", "aten::unsqueeze", "", PARAMS(REQ("self"), REQ("dim"))},
    {"torch.constant_pad_nd", "aten::constant_pad_nd", "",
     PARAMS(REQ("self"), REQ("pad"), FLOAT("value", 0))},
    {"torch.pad", "aten::pad", "",
     PARAMS(REQ("self"), REQ("pad"), STR("mode", "constant"), NONE("value"))},
    {"torch.cat", "aten::cat", "", PARAMS(REQ("tensors"), INT("dim", 0))},
    {"torch.stack", "aten::stack", "", PARAMS(REQ("tensors"), INT("dim", 0))},
    {"torch.relu6", "aten::relu6", "", PARAMS(REQ("self"))},
    {"ops.quantized.add_scalar", "quantized::add_scalar", "", PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.add_scalar_relu", "quantized::add_scalar_relu", "",
     PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.mul_scalar", "quantized::mul_scalar", "", PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.mul_scalar_relu", "quantized::mul_scalar_relu", "",
     PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.leaky_relu", "quantized::leaky_relu", "",
     PARAMS(REQ("qx"), REQ("negative_slope"), REQ("inplace"), REQ("output_scale"),
            REQ("output_zero_point"))},
#define BATCH_NORM(call, op)                                                               \
  {                                                                                        \
    call, op, "",                                                                          \
        PARAMS(REQ("qx"), REQ("weight"), REQ("bias"), REQ("mean"), REQ("var"), REQ("eps"), \
               REQ("output_scale"), REQ("output_zero_point"))                              \
  }
    BATCH_NORM("ops.quantized.batch_norm2d", "quantized::batch_norm2d"),
    BATCH_NORM("ops.quantized.batch_norm2d_relu", "quantized::batch_norm2d_relu"),
    BATCH_NORM("ops.quantized.batch_norm1d", "quantized::batch_norm1d"),
    BATCH_NORM("ops.quantized.batch_norm1d_relu", "quantized::batch_norm1d_relu"),
    BATCH_NORM("ops.quantized.batch_norm", "quantized::batch_norm"),
    {"torch.softmax", "aten::softmax", "int", PARAMS(REQ("self"), REQ("dim"), NONE("dtype"))},
    {"torch.log_softmax", "aten::log_softmax", "int",
     PARAMS(REQ("self"), REQ("dim"), NONE("dtype"))},
    {"torch.zeros", "aten::zeros", "",
     PARAMS(REQ("size"), NONE("dtype"), NONE("layout"), NONE("device"), NONE("pin_memory"))},
    {"torch.quantized_lstm", "aten::quantized_lstm", "input",
     PARAMS(REQ("input"), REQ("hx"), REQ("params"), REQ("has_biases"), REQ("num_layers"),
            REQ("dropout"), REQ("train"), REQ("bidirectional"), REQ("batch_first"), NONE("dtype"),
            FLAG("use_dynamic", 0))},
    {"ops.quantized.layer_norm", "quantized::layer_norm", "",
     PARAMS(REQ("input"), REQ("normalized_shape"), REQ("weight"), REQ("bias"), REQ("eps"),
            REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.group_norm", "quantized::group_norm", "",
     PARAMS(REQ("input"), REQ("num_groups"), REQ("weight"), REQ("bias"), REQ("eps"),
            REQ("output_scale"), REQ("output_zero_point"))},
    {"ops.quantized.instance_norm", "quantized::instance_norm", "",
     PARAMS(REQ("input"), REQ("weight"), REQ("bias"), REQ("eps"), REQ("output_scale"),
            REQ("output_zero_point"))},
    /* Scalar defaults are the int 1: a float 1.0 is not the default (the
     * bytecode keeps it). */
    {"ops.quantized.elu", "quantized::elu", "",
     PARAMS(REQ("self"), REQ("output_scale"), REQ("output_zero_point"), INT("alpha", 1),
            INT("scale", 1), INT("input_scale", 1))},
    {"ops.quantized.prelu", "quantized::prelu", "",
     PARAMS(REQ("qx"), REQ("weight"), REQ("output_scale"), REQ("output_zero_point"))},
    {"torch.quantized_gru", "aten::quantized_gru", "input",
     PARAMS(REQ("input"), REQ("hx"), REQ("params"), REQ("has_biases"), REQ("num_layers"),
            REQ("dropout"), REQ("train"), REQ("bidirectional"), REQ("batch_first"))},
    {"torch.dim", "aten::dim", "", PARAMS(REQ("self"))},
    {"torch.len", "aten::len", "t", PARAMS(REQ("a"))},
    {"torch.eq", "aten::eq", "int", PARAMS(REQ("a"), REQ("b"))},
    {"torch.ne", "aten::ne", "int", PARAMS(REQ("a"), REQ("b"))},
    {"torch.lt", "aten::lt", "int", PARAMS(REQ("a"), REQ("b"))},
    {"torch.gt", "aten::gt", "int", PARAMS(REQ("a"), REQ("b"))},
    {"torch.le", "aten::le", "int", PARAMS(REQ("a"), REQ("b"))},
    {"torch.ge", "aten::ge", "int", PARAMS(REQ("a"), REQ("b"))},
};

/* Overloads picked by the arguments' kinds (see choose_schema). */
static const schema size_list = {"torch.size", "aten::size", "", PARAMS(REQ("self"))};
static const schema slice_list = {"torch.slice", "aten::slice", "t",
                                  PARAMS(REQ("l"), NONE("start"), NONE("end"), INT("step", 1))};
static const schema quantize_tensor_qparams = {
    "torch.quantize_per_tensor", "aten::quantize_per_tensor", "tensor_qparams",
    PARAMS(REQ("self"), REQ("scale"), REQ("zero_point"), REQ("dtype"))};
static const schema split_sizes = {"torch.split", "aten::split", "sizes",
                                   PARAMS(REQ("self"), REQ("split_size"), INT("dim", 0))};
static const schema squeeze_dim = {"torch.squeeze", "aten::squeeze", "dim",
                                   PARAMS(REQ("self"), REQ("dim"))};
static const schema add_int = {"torch.add", "aten::add", "int", PARAMS(REQ("a"), REQ("b"))};
static const schema sub_int = {"torch.sub", "aten::sub", "int", PARAMS(REQ("a"), REQ("b"))};
static const schema mul_int = {"torch.mul", "aten::mul", "int", PARAMS(REQ("a"), REQ("b"))};
static const schema binary_scalar[4] = {
    {"ops.quantized.add", "quantized::add", "Scalar", PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.add_relu", "quantized::add_relu", "Scalar", PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.mul", "quantized::mul", "Scalar", PARAMS(REQ("qa"), REQ("b"))},
    {"ops.quantized.mul_relu", "quantized::mul_relu", "Scalar", PARAMS(REQ("qa"), REQ("b"))},
};

/* upsample_nearest2d(self, int[2] output_size, float? scales_h, float? scales_w):
 * the overload the source calls when it passes sizes, not scale factors. */
static const schema upsample_sizes = {
    "torch.upsample_nearest2d", "aten::upsample_nearest2d", "",
    PARAMS(REQ("self"), REQ("output_size"), NONE("scales_h"), NONE("scales_w"))};

static bool path_is(const tv* path, const char* text) {
  return path->kind == tv_path && strlen(text) == path->u.str.length &&
         memcmp(path->u.str.text, text, path->u.str.length) == 0;
}

static const schema* find_schema(const tv* path) {
  for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
    if (path_is(path, schemas[i].call)) return &schemas[i];
  return NULL;
}

bool ts_is_operator(const tv* path) { return find_schema(path) != NULL; }

const char* ts_kind_name(tv_kind kind) {
  static const char* const names[] = {"None", "bool",   "int",    "float",  "str",
                                      "tuple", "list",  "module", "packed weights",
                                      "pickled value", "tensor", "builtin", "method"};
  return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* --- arguments ------------------------------------------------------------------ */

static bool is_number(const tv* v) { return v->kind == tv_int || v->kind == tv_float; }
static double number_of(const tv* v) { return v->kind == tv_int ? (double)v->u.integer : v->u.number; }

/* Whether an argument equals its schema default (and may be left out). */
static bool equals_default(const tv* v, const param* p) {
  switch (p->kind) {
    case none_default: return v->kind == tv_none;
    case bool_default: return v->kind == tv_bool && (double)v->u.integer == p->value;
    case int_default: return v->kind == tv_int && (double)v->u.integer == p->value;
    case float_default: return is_number(v) && number_of(v) == p->value;
    case empty_list_default:
      return (v->kind == tv_list || v->kind == tv_tuple) && v->u.seq.count == 0;
    case string_default:
      return v->kind == tv_string && strlen(p->text) == v->u.str.length &&
             memcmp(p->text, v->u.str.text, v->u.str.length) == 0;
    case int_list_default:
      if ((v->kind != tv_list && v->kind != tv_tuple) || v->u.seq.count != p->list_size) return false;
      for (size_t i = 0; i < v->u.seq.count; i++)
        if (v->u.seq.items[i].kind != tv_int || (double)v->u.seq.items[i].u.integer != p->value)
          return false;
      return true;
    default: return false;
  }
}

static bool name_is(const char* text, size_t length, const char* name) {
  return strlen(name) == length && memcmp(text, name, length) == 0;
}

/* Places positional and keyword arguments at their schema positions;
 * given[i] says whether position i was passed. */
static q8_status bind_arguments(ts_context* ts, const ts_call_site* site, const schema* s,
                                const tv* args, size_t num_args, const ts_kwarg* kwargs,
                                size_t num_kwargs, tv bound[MAX_PARAMS], bool given[MAX_PARAMS]) {
  if (num_args > s->num_params)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "%s takes at most %zu arguments; %zu given", s->call, s->num_params, num_args);
  for (size_t i = 0; i < s->num_params; i++) given[i] = i < num_args;
  for (size_t i = 0; i < s->num_params && i < num_args; i++) bound[i] = args[i];
  for (size_t k = 0; k < num_kwargs; k++) {
    size_t i = 0;
    while (i < s->num_params && !name_is(kwargs[k].name, kwargs[k].length, s->params[i].name)) i++;
    if (i == s->num_params || given[i])
      return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                     "%s: unexpected keyword argument '%.*s'", s->call, (int)kwargs[k].length,
                     kwargs[k].name);
    bound[i] = kwargs[k].value;
    given[i] = true;
  }
  for (size_t i = 0; i < s->num_params; i++)
    if (!given[i] && s->params[i].kind == required)
      return ts_fail(ts, site->file, site->line, q8_status_invalid_parameter,
                     "%s: missing argument '%s'", s->call, s->params[i].name);
  return q8_status_success;
}

/* How many leading arguments the bytecode would pass: up to the last one
 * given with a value other than its default. */
static size_t serialized_count(const schema* s, const tv* bound, const bool* given) {
  size_t n = s->num_params;
  while (n > 0 && (!given[n - 1] || equals_default(&bound[n - 1], &s->params[n - 1]))) {
    if (s->params[n - 1].kind == required || s->params[n - 1].kind == kept_bool_default) break;
    n--;
  }
  return n;
}

/* --- graph values for Python-level values ------------------------------------- */

static q8_status constant(ts_context* ts, q8_value_kind kind, uint32_t* id) {
  q8_status status = q8_graph_add_value(ts->graph, kind, id, ts->error);
  if (status == q8_status_success) ts->graph->values[*id].is_constant = true;
  return status;
}

static q8_status packed_value(ts_context* ts, const ts_call_site* site, const tv* v, uint32_t* id) {
  for (size_t i = 0; i < ts->num_packed; i++)
    if (ts->packed[i].object == v->object) {
      *id = ts->packed[i].id;
      return q8_status_success;
    }
  const q8_pickle_value* obj = v->object;
  q8_packed_weights* p = NULL;
  q8_status status;
  if (q8_pickle_is_global(obj->u.object.cls, "__torch__.torch.classes.rnn", "CellParamsBase")) {
    q8_rnn_cell* cell = NULL;
    status = ts_rnn_cell(ts->archive, obj->u.object.state, &cell, ts->error);
    if (status == q8_status_success) status = constant(ts, q8_value_rnn_cell, id);
    if (status != q8_status_success) {
      if (cell != NULL) {
        q8_packed_weights_free(cell->input);
        q8_packed_weights_free(cell->hidden);
        free(cell);
      }
      return status;
    }
    ts->graph->values[*id].u.cell = cell;
    return q8_status_success;
  }
  if (q8_pickle_is_global(obj->u.object.cls, "__torch__.torch.classes.quantized", "LinearPackedParamsBase"))
    status = ts_linear_weights(ts->archive, obj->u.object.state, &p, ts->error);
  else if (obj->u.object.state != NULL && obj->u.object.state->kind == q8_pickle_tuple &&
           obj->u.object.state->u.seq.count == TS_CONV_STATE_ITEMS)
    status = ts_conv_weights(ts->archive, obj->u.object.state, &p, ts->error);
  else
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "packed weights of class %s.%s are not supported",
                   obj->u.object.cls->u.global.module, obj->u.object.cls->u.global.name);
  if (status == q8_status_success && ts->num_packed == ts->packed_capacity) {
    const size_t next = ts->packed_capacity == 0 ? 16 : ts->packed_capacity * 2;
    ts_packed_entry* grown = realloc(ts->packed, next * sizeof(ts_packed_entry));
    if (grown == NULL) status = q8_graph_fail(ts->error, q8_status_out_of_memory, "out of memory");
    else ts->packed = grown, ts->packed_capacity = next;
  }
  if (status == q8_status_success) status = constant(ts, q8_value_packed, id);
  if (status != q8_status_success) {
    q8_packed_weights_free(p);
    return status;
  }
  ts->graph->values[*id].u.packed = p;
  ts->packed[ts->num_packed++] = (ts_packed_entry){obj, *id};
  return q8_status_success;
}

static bool all_of(const tv* v, tv_kind kind) {
  for (size_t i = 0; i < v->u.seq.count; i++)
    if (v->u.seq.items[i].kind != kind) return false;
  return true;
}

static bool is_graph_int(const ts_context* ts, const tv* v) {
  return v->kind == tv_graph && ts->graph->values[v->u.id].kind == q8_value_int;
}

/* Ints some of which are computed: a prim::ListConstruct node, as the
 * bytecode has it. */
static bool computed_ints(const ts_context* ts, const tv* v) {
  bool computed = false;
  for (size_t i = 0; i < v->u.seq.count; i++) {
    const tv* item = &v->u.seq.items[i];
    if (item->kind != tv_int && !is_graph_int(ts, item)) return false;
    computed = computed || item->kind == tv_graph;
  }
  return computed;
}

static q8_status list_node(ts_context* ts, const ts_call_site* site, const tv* v, uint32_t* id) {
  const size_t n = v->u.seq.count;
  uint32_t* items = ts_alloc(ts, (n + 1) * sizeof(uint32_t));
  if (items == NULL) return q8_status_out_of_memory;
  for (size_t i = 0; i < n; i++) {
    q8_status status = ts_to_graph(ts, site, &v->u.seq.items[i], &items[i]);
    if (status != q8_status_success) return status;
  }
  return q8_graph_add_node(ts->graph, q8_op_list_construct, "prim::ListConstruct", site->line,
                           items, n, id, ts->error);
}

static q8_status list_value(ts_context* ts, const ts_call_site* site, const tv* v, uint32_t* id) {
  const size_t n = v->u.seq.count;
  if (computed_ints(ts, v)) return list_node(ts, site, v, id);
  if (n > 0 && all_of(v, tv_packed)) {
    /* A list of RNN cells (quantized_lstm's params). */
    uint32_t* items = ts_alloc(ts, n * sizeof(uint32_t));
    if (items == NULL) return q8_status_out_of_memory;
    for (size_t i = 0; i < n; i++) {
      q8_status status = packed_value(ts, site, &v->u.seq.items[i], &items[i]);
      if (status != q8_status_success) return status;
      if (ts->graph->values[items[i]].kind != q8_value_rnn_cell)
        return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                       "lists of packed weights other than RNN cells are not supported");
    }
    q8_status status = constant(ts, q8_value_rnn_cell_list, id);
    if (status != q8_status_success) return status;
    uint32_t* copy = malloc(n * sizeof(uint32_t));
    if (copy == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "out of memory");
    memcpy(copy, items, n * sizeof(uint32_t));
    ts->graph->values[*id].u.tensors.items = copy;
    ts->graph->values[*id].u.tensors.count = n;
    return q8_status_success;
  }
  const bool ints = all_of(v, tv_int), floats = all_of(v, tv_float), tensors = n > 0 && all_of(v, tv_graph);
  if (!ints && !floats && !tensors)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "lists of mixed or non-constant values are not supported");
  q8_status status = tensors ? q8_graph_add_value(ts->graph, q8_value_tensor_list, id, ts->error)
                             : constant(ts, ints ? q8_value_int_list : q8_value_float_list, id);
  if (status != q8_status_success) return status;
  q8_value* out = &ts->graph->values[*id];
  void* items = malloc((n + 1) * (ints ? sizeof(int64_t) : floats ? sizeof(double) : sizeof(uint32_t)));
  if (items == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const tv* item = &v->u.seq.items[i];
    if (ints) ((int64_t*)items)[i] = item->u.integer;
    else if (floats) ((double*)items)[i] = item->u.number;
    else ((uint32_t*)items)[i] = item->u.id;
  }
  if (ints) out->u.ints.items = items, out->u.ints.count = n;
  else if (floats) out->u.floats.items = items, out->u.floats.count = n;
  else out->u.tensors.items = items, out->u.tensors.count = n;
  /* A list of tensors holds tensors only, never a nested list. */
  for (size_t i = 0; tensors && i < n; i++)
    if (ts->graph->values[v->u.seq.items[i].u.id].kind != q8_value_tensor)
      return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                     "lists of tensor lists are not supported");
  return q8_status_success;
}

q8_status ts_pickle_scalar(ts_context* ts, const tv* v, tv* out) {
  bool is_float;
  int64_t integer;
  double number;
  q8_status status = ts_scalar_constant(ts->archive, v->storage_dir ? v->storage_dir : "constants",
                                        v->object, &is_float, &integer, &number, ts->error);
  if (status != q8_status_success) return status;
  memset(out, 0, sizeof(*out));
  if (is_float) out->kind = tv_float, out->u.number = number;
  else out->kind = tv_int, out->u.integer = integer;
  return q8_status_success;
}

q8_status ts_to_graph(ts_context* ts, const ts_call_site* site, const tv* v, uint32_t* id) {
  q8_status status;
  switch (v->kind) {
    case tv_graph: *id = v->u.id; return q8_status_success;
    case tv_none: return constant(ts, q8_value_none, id);
    case tv_string: return q8_graph_add_string(ts->graph, v->u.str.text, v->u.str.length, id, ts->error);
    case tv_bool:
    case tv_int:
      status = constant(ts, v->kind == tv_bool ? q8_value_bool : q8_value_int, id);
      if (status == q8_status_success) ts->graph->values[*id].u.integer = v->u.integer;
      return status;
    case tv_float:
      status = constant(ts, q8_value_float, id);
      if (status == q8_status_success) ts->graph->values[*id].u.number = v->u.number;
      return status;
    case tv_tuple:
    case tv_list: return list_value(ts, site, v, id);
    case tv_packed: return packed_value(ts, site, v, id);
    case tv_pickle: {
      const q8_pickle_value* t = v->object;
      if (t->kind == q8_pickle_tensor && t->u.tensor.storage->u.storage.dtype == q8_dtype_quint8) {
        uint8_t* data;
        size_t count;
        float scale;
        int32_t zp;
        status = ts_qtensor(ts->archive, v->storage_dir ? v->storage_dir : "constants", t, &data,
                            &count, &scale, &zp, ts->error);
        if (status != q8_status_success) return status;
        if ((status = constant(ts, q8_value_qtensor, id)) != q8_status_success) {
          free(data);
          return status;
        }
        q8_value* q = &ts->graph->values[*id];
        q->u.qtensor.data = data, q->u.qtensor.count = count;
        q->u.qtensor.scale = scale, q->u.qtensor.zero_point = zp;
        return q8_status_success;
      }
      if (t->kind == q8_pickle_tensor && t->u.tensor.dim >= 1 &&
          (t->u.tensor.storage->u.storage.dtype == q8_dtype_float32 ||
           t->u.tensor.storage->u.storage.dtype == q8_dtype_float64)) {
        /* A float tensor attribute: a constant float list, as in the bytecode. */
        double* items;
        size_t count;
        status = ts_float_tensor(ts->archive, v->storage_dir ? v->storage_dir : "constants", t,
                                 &items, &count, ts->error);
        if (status != q8_status_success) return status;
        if ((status = constant(ts, q8_value_float_list, id)) != q8_status_success) {
          free(items);
          return status;
        }
        ts->graph->values[*id].u.floats.items = items;
        ts->graph->values[*id].u.floats.count = count;
        return q8_status_success;
      }
      tv scalar;
      status = ts_pickle_scalar(ts, v, &scalar);
      return status == q8_status_success ? ts_to_graph(ts, site, &scalar, id) : status;
    }
    default:
      return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                     "a %s cannot be passed to an operator", ts_kind_name(v->kind));
  }
}

/* --- nodes ----------------------------------------------------------------------- */

/* Real-valued output range of relu / relu6 / hardtanh / clamp, and whether
 * the op relayouts (the out-of-place quantized hardtanh family, see
 * q8_node::relayout; in-place forms do not). */
static q8_status clamp_of(ts_context* ts, const ts_call_site* site, const schema* s,
                          const tv* bound, const bool* given, q8_node* node) {
  double lo = 0.0, hi = INFINITY;
  bool relayout = false;
  if (strcmp(s->op, "quantized::relu6") == 0) {
    hi = 6.0;
    relayout = !(given[1] && bound[1].kind == tv_bool && bound[1].u.integer);
  } else if (strcmp(s->op, "aten::relu6") == 0) {
    hi = 6.0;
    relayout = true;
  } else if (strncmp(s->op, "aten::hardtanh", 14) == 0 || strcmp(s->op, "aten::clamp") == 0) {
    const bool clamp = strcmp(s->op, "aten::clamp") == 0;
    lo = clamp ? -INFINITY : -1.0, hi = clamp ? INFINITY : 1.0;
    for (size_t i = 1; i < 3; i++) {
      if (!given[i] || bound[i].kind == tv_none) continue;
      if (!is_number(&bound[i])) goto unsupported;
      *(i == 1 ? &lo : &hi) = number_of(&bound[i]);
    }
    relayout = strcmp(s->op, "aten::hardtanh_") != 0;
  }
  if (!(lo <= hi)) goto unsupported;
  node->has_clamp = true;
  node->clamp_min = (float)lo;
  node->clamp_max = (float)hi;
  node->relayout = relayout;
  return q8_status_success;
unsupported:
  return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                 "%s: bounds must be constant numbers with min <= max", s->call);
}

static bool int_like(const ts_context* ts, const tv* v) { return v->kind == tv_int || is_graph_int(ts, v); }

static const schema* choose_schema(const ts_context* ts, const tv* path, const tv* args,
                                   size_t num_args) {
  if (path_is(path, "torch.size") && num_args == 1) return &size_list;
  if (path_is(path, "torch.slice") && num_args >= 1 && args[0].kind == tv_graph &&
      ts->graph->values[args[0].u.id].kind == q8_value_int_list)
    return &slice_list; /* x.shape[-2:] */
  if (path_is(path, "torch.quantize_per_tensor") && num_args >= 2 && args[1].kind == tv_pickle)
    return &quantize_tensor_qparams; /* FX: scale and zero point are tensor attributes */
  if (path_is(path, "torch.split") && num_args >= 2 && args[1].kind == tv_list) return &split_sizes;
  if (path_is(path, "torch.squeeze") && num_args == 2) return &squeeze_dim;
  if (num_args == 2 && int_like(ts, &args[0]) && int_like(ts, &args[1])) {
    if (path_is(path, "torch.add")) return &add_int;
    if (path_is(path, "torch.sub")) return &sub_int;
    if (path_is(path, "torch.mul") && args[0].kind == tv_int && args[1].kind == tv_int) return &mul_int;
  }
  for (size_t i = 0; i < 4 && num_args == 2; i++)
    if (path_is(path, binary_scalar[i].call) && is_number(&args[1])) return &binary_scalar[i];
  const schema* s = find_schema(path);
  /* Sizes as the second argument and no scale-factor list: the int[2] overload. */
  if (s != NULL && strcmp(s->op, "aten::upsample_nearest2d") == 0 && num_args >= 2 &&
      args[1].kind != tv_none && (num_args < 3 || (args[2].kind != tv_list && args[2].kind != tv_none)))
    return &upsample_sizes;
  return s;
}

struct ts_call_record {
  const schema* s;
  size_t node;
};

static q8_status record_call(ts_context* ts, const schema* s, size_t node) {
  if (ts->num_calls == ts->calls_capacity) {
    const size_t next = ts->calls_capacity ? 2 * ts->calls_capacity : 64;
    struct ts_call_record* grown = realloc(ts->calls, next * sizeof(*grown));
    if (grown == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "out of memory");
    ts->calls = grown, ts->calls_capacity = next;
  }
  ts->calls[ts->num_calls++] = (struct ts_call_record){s, node};
  return q8_status_success;
}

/* The graph value of a parameter's schema default. */
static q8_status default_value(ts_context* ts, const param* p, uint32_t* id) {
  tv v = {.kind = tv_none};
  tv items[2];
  switch (p->kind) {
    case bool_default:
    case kept_bool_default: v.kind = tv_bool, v.u.integer = p->value != 0; break;
    case int_default: v.kind = tv_int, v.u.integer = (int64_t)p->value; break;
    case float_default: v.kind = tv_float, v.u.number = p->value; break;
    case string_default: v.kind = tv_string, v.u.str.text = p->text, v.u.str.length = strlen(p->text); break;
    case empty_list_default: v.kind = tv_list, v.u.seq.items = items, v.u.seq.count = 0; break;
    case int_list_default:
      for (size_t i = 0; i < p->list_size && i < 2; i++)
        memset(&items[i], 0, sizeof(tv)), items[i].kind = tv_int, items[i].u.integer = (int64_t)p->value;
      v.kind = tv_list, v.u.seq.items = items, v.u.seq.count = p->list_size < 2 ? p->list_size : 2;
      break;
    default: break;
  }
  const ts_call_site site = {"schema", 0};
  return ts_to_graph(ts, &site, &v, id);
}

#define NUM_SCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

/* A dense index for every schema object (the table's, then the overloads
 * chosen by argument kinds). */
static size_t schema_index(const schema* s) {
  const schema* const extra[] = {&size_list, &quantize_tensor_qparams, &split_sizes, &squeeze_dim,
                                 &add_int, &sub_int, &mul_int, &binary_scalar[0], &binary_scalar[1],
                                 &binary_scalar[2], &binary_scalar[3], &upsample_sizes, &slice_list};
  if (s >= schemas && s < schemas + NUM_SCHEMAS) return (size_t)(s - schemas);
  for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
    if (extra[i] == s) return NUM_SCHEMAS + i;
  return NUM_SCHEMAS + 13; /* unreachable: every schema is listed */
}

q8_status ts_pad_arguments(ts_context* ts) {
  size_t most[NUM_SCHEMAS + 14] = {0};
  for (size_t k = 0; k < ts->num_calls; k++) {
    const size_t i = schema_index(ts->calls[k].s), n = ts->graph->nodes[ts->calls[k].node].num_inputs;
    if (n > most[i]) most[i] = n;
  }
  for (size_t i = 0; i < ts->num_calls; i++) {
    const schema* s = ts->calls[i].s;
    const size_t target = most[schema_index(s)];
    q8_node* node = &ts->graph->nodes[ts->calls[i].node];
    if (node->num_inputs >= target || target > s->num_params) continue;
    uint32_t* inputs = realloc(node->inputs, (target + 1) * sizeof(uint32_t));
    if (inputs == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "out of memory");
    node->inputs = inputs;
    for (size_t a = node->num_inputs; a < target; a++) {
      if (s->params[a].kind == required) return q8_graph_fail(ts->error, q8_status_invalid_parameter, "schema");
      q8_status status = default_value(ts, &s->params[a], &inputs[a]);
      if (status != q8_status_success) return status;
      node = &ts->graph->nodes[ts->calls[i].node]; /* values may have moved, nodes not */
      node->num_inputs = a + 1;
    }
  }
  return q8_status_success;
}

/* quantized_lstm's three results (output, h_n, c_n): one node each, with
 * the result's index as an extra input; *out gets a tensor list of them. */
static q8_status lstm_nodes(ts_context* ts, const ts_call_site* site, q8_op_kind kind,
                            const char* name, const uint32_t* inputs, size_t n, uint32_t* out) {
  const size_t count = kind == q8_op_gru ? 2 : 3;
  uint32_t args[MAX_PARAMS + 1], results[3];
  memcpy(args, inputs, n * sizeof(uint32_t));
  for (size_t which = 0; which < count; which++) {
    q8_status status = q8_graph_add_int(ts->graph, (int64_t)which, &args[n], ts->error);
    if (status == q8_status_success)
      status = q8_graph_add_node(ts->graph, kind, name, site->line, args, n + 1, &results[which], ts->error);
    if (status != q8_status_success) return status;
    ts->graph->values[results[which]].dtype = q8_tensor_float32;
    ts->graph->values[results[which]].known_rank = 3;
  }
  q8_status status = q8_graph_add_value(ts->graph, q8_value_tensor_list, out, ts->error);
  if (status != q8_status_success) return status;
  uint32_t* items = malloc(3 * sizeof(uint32_t));
  if (items == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "out of memory");
  memcpy(items, results, count * sizeof(uint32_t));
  ts->graph->values[*out].u.tensors.items = items;
  ts->graph->values[*out].u.tensors.count = count;
  return q8_status_success;
}

static q8_status add_node(ts_context* ts, const ts_call_site* site, const schema* s,
                          const uint32_t* inputs, size_t n, uint32_t* out) {
  char name[Q8_NODE_NAME_SIZE];
  snprintf(name, sizeof(name), "%s%s%s", s->op, s->overload[0] ? "." : "", s->overload);
  bool relu;
  const q8_op_kind kind = q8_op_kind_from_name(s->op, s->overload, &relu);
  if (kind == q8_op_unknown)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "unsupported operator %s", name);
  const q8_value_kind first = ts->graph->values[inputs[0]].kind;
  if (first != q8_value_tensor && first != q8_value_tensor_list && !q8_op_is_scalar(kind) &&
      !(kind == q8_op_zeros && first == q8_value_int_list))
    return ts_fail(ts, site->file, site->line, q8_status_invalid_parameter,
                   "%s: first argument is not a tensor", s->call);
  if (kind == q8_op_chunk)
    return q8_graph_add_chunks(ts->graph, name, site->line, inputs, n, out, ts->error);
  if (kind == q8_op_stack)
    return q8_graph_add_stack(ts->graph, name, site->line, inputs, n, out, ts->error);
  if (kind == q8_op_conv1d)
    return q8_graph_add_conv1d(ts->graph, name, site->line, relu, inputs, n, out, ts->error);
  if (kind == q8_op_pool1d)
    return q8_graph_add_pool1d(ts->graph, name, site->line, inputs, n, out, ts->error);
  if (kind == q8_op_lstm || kind == q8_op_gru) return lstm_nodes(ts, site, kind, name, inputs, n, out);
  if (kind == q8_op_split)
    return q8_graph_add_split(ts->graph, name, site->line, inputs, n, out, ts->error);
  q8_status status = q8_graph_add_node(ts->graph, kind, name, site->line, inputs, n, out, ts->error);
  if (status != q8_status_success) return status;
  q8_node* node = &ts->graph->nodes[ts->graph->num_nodes - 1];
  ts->graph->values[*out].dtype = q8_op_output_dtype(ts->graph, kind, node->inputs);
  if (relu) node->has_clamp = true, node->clamp_min = 0.0f, node->clamp_max = INFINITY;
  if (q8_op_is_scalar(kind)) q8_graph_fold_scalar(ts->graph, node);
  else q8_graph_infer_rank(ts->graph, node);
  return q8_status_success;
}

/* int(x) and prim::NumToTensor(x) of an int: the graph does not tell
 * scalars from 0-dim tensors. */
static bool scalar_identity(const ts_context* ts, const tv* path, const tv* args, size_t num_args,
                            size_t num_kwargs, tv* out) {
  if (num_args != 1 || num_kwargs != 0 || (!path_is(path, "int") && !path_is(path, "ops.prim.NumToTensor")))
    return false;
  if (args[0].kind != tv_int && !is_graph_int(ts, &args[0])) return false;
  *out = args[0];
  return true;
}

/* A chunk call's result: a tuple of its chunk tensors. */
static q8_status chunk_tuple(ts_context* ts, uint32_t list, tv* out) {
  const q8_value* v = &ts->graph->values[list];
  tv* items = ts_alloc(ts, (v->u.tensors.count + 1) * sizeof(tv));
  if (items == NULL) return q8_status_out_of_memory;
  for (size_t i = 0; i < v->u.tensors.count; i++) items[i].kind = tv_graph, items[i].u.id = v->u.tensors.items[i];
  out->kind = tv_tuple;
  out->u.seq.items = items, out->u.seq.count = v->u.tensors.count;
  return q8_status_success;
}

q8_status ts_call_operator(ts_context* ts, const ts_call_site* site, const tv* path,
                           const tv* args, size_t num_args, const ts_kwarg* kwargs,
                           size_t num_kwargs, tv* out) {
  if (scalar_identity(ts, path, args, num_args, num_kwargs, out)) return q8_status_success;
  const schema* s = choose_schema(ts, path, args, num_args);
  if (s == NULL) {
    static const char* const float_layers[] = {"torch.linear", "torch.conv1d", "torch.conv2d",
                                               "torch._convolution", "torch.conv_transpose2d",
                                               "torch.matmul", "torch.addmm"};
    const char* hint = "";
    for (size_t i = 0; i < sizeof(float_layers) / sizeof(float_layers[0]); i++)
      if (path->u.str.length == strlen(float_layers[i]) &&
          memcmp(path->u.str.text, float_layers[i], path->u.str.length) == 0)
        hint = " (a float layer left unquantized; q8 runs quantized layers only)";
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "unsupported call %.*s%s", (int)path->u.str.length, path->u.str.text, hint);
  }
  tv bound[MAX_PARAMS];
  bool given[MAX_PARAMS];
  q8_status status = bind_arguments(ts, site, s, args, num_args, kwargs, num_kwargs, bound, given);
  if (status != q8_status_success) return status;
  if (strcmp(s->op, "aten::to") == 0 && bound[1].kind != tv_int)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "unsupported call torch.to: only to(dtype) is supported");
  const size_t n = serialized_count(s, bound, given);
  uint32_t inputs[MAX_PARAMS];
  for (size_t i = 0; i < n; i++) {
    const tv fallback = {.kind = tv_none};
    /* A left-out argument before a given one: the bytecode would pass its
     * default; only None defaults can be written without a schema value. */
    tv fallback_value = fallback;
    if (!given[i] && s->params[i].kind == kept_bool_default) {
      fallback_value.kind = tv_bool;
      fallback_value.u.integer = s->params[i].value != 0;
    } else if (!given[i] && s->params[i].kind != none_default) {
      return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                     "%s: pass '%s' explicitly when a later argument is given", s->call,
                     s->params[i].name);
    }
    status = ts_to_graph(ts, site, given[i] ? &bound[i] : &fallback_value, &inputs[i]);
    if (status != q8_status_success) return status;
  }
  uint32_t id;
  status = add_node(ts, site, s, inputs, n, &id);
  if (status != q8_status_success) return status;
  if (strcmp(s->op, "aten::chunk") == 0 || strcmp(s->op, "aten::quantized_lstm") == 0 ||
      strcmp(s->op, "aten::quantized_gru") == 0)
    return chunk_tuple(ts, id, out);
  if (ts->graph->num_nodes > 0 && ts->graph->nodes[ts->graph->num_nodes - 1].output == id &&
      (status = record_call(ts, s, ts->graph->num_nodes - 1)) != q8_status_success)
    return status;
  const q8_value* result = &ts->graph->values[id];
  if (result->is_constant && (result->kind == q8_value_int || result->kind == q8_value_bool)) {
    /* Folded shape arithmetic: a Python-level constant again. */
    memset(out, 0, sizeof(*out));
    out->kind = result->kind == q8_value_int ? tv_int : tv_bool;
    out->u.integer = result->u.integer;
    return q8_status_success;
  }
  if (strcmp(s->op, "aten::split") == 0 || strcmp(s->op, "aten::split_with_sizes") == 0) {
    out->kind = tv_graph;
    out->u.id = id;
    return q8_status_success;
  }
  q8_node* node = &ts->graph->nodes[ts->graph->num_nodes - 1];
  if (node->kind == q8_op_relu || node->kind == q8_op_hardtanh) {
    status = clamp_of(ts, site, s, bound, given, node);
    if (status != q8_status_success) return status;
  }
  out->kind = tv_graph;
  out->u.id = id;
  return q8_status_success;
}

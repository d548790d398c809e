#include "graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

q8_status q8_graph_fail(q8_error* error, q8_status status, const char* format, ...) {
  if (error != NULL) {
    error->status = status;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof(error->message), format, args);
    va_end(args);
  }
  return status;
}

q8_status q8_graph_create(q8_graph** graph_out, q8_error* error) {
  *graph_out = calloc(1, sizeof(q8_graph));
  if (*graph_out == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  return q8_status_success;
}

void q8_packed_weights_free(q8_packed_weights* packed) {
  if (packed == NULL) return;
  free(packed->weight);
  free(packed->scales);
  free(packed->zero_points);
  free(packed->bias);
  free(packed);
}

static void free_value(q8_value* v) {
  switch (v->kind) {
    case q8_value_int_list: free(v->u.ints.items); break;
    case q8_value_float_list: free(v->u.floats.items); break;
    case q8_value_tensor_list: free(v->u.tensors.items); break;
    case q8_value_packed: q8_packed_weights_free(v->u.packed); break;
    case q8_value_string: free(v->u.str.text); break;
    case q8_value_rnn_cell_list: free(v->u.tensors.items); break;
    case q8_value_qtensor: free(v->u.qtensor.data); break;
    case q8_value_rnn_cell:
      if (v->u.cell != NULL) {
        q8_packed_weights_free(v->u.cell->input);
        q8_packed_weights_free(v->u.cell->hidden);
        free(v->u.cell);
      }
      break;
    default: break;
  }
}

void q8_graph_delete(q8_graph* graph) {
  if (graph == NULL) return;
  for (size_t i = 0; i < graph->num_values; i++) free_value(&graph->values[i]);
  for (size_t i = 0; i < graph->num_nodes; i++) free(graph->nodes[i].inputs);
  free(graph->values);
  free(graph->nodes);
  free(graph->inputs);
  free(graph->outputs);
  free(graph->splits);
  free(graph);
}

/* Grows an array to hold one more element (doubling). */
static bool grow(void** items, size_t* capacity, size_t count, size_t size) {
  if (count < *capacity) return true;
  const size_t next = *capacity == 0 ? 16 : *capacity * 2;
  if (next > SIZE_MAX / size) return false;
  void* grown = realloc(*items, next * size);
  if (grown == NULL) return false;
  *items = grown;
  *capacity = next;
  return true;
}

q8_status q8_graph_add_value(q8_graph* graph, q8_value_kind kind, uint32_t* id_out,
                             q8_error* error) {
  if (graph->num_values >= Q8_GRAPH_NO_VALUE - 1 ||
      !grow((void**)&graph->values, &graph->values_capacity, graph->num_values, sizeof(q8_value)))
    return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory for values");
  q8_value* v = &graph->values[graph->num_values];
  memset(v, 0, sizeof(*v));
  v->kind = kind;
  *id_out = (uint32_t)graph->num_values++;
  return q8_status_success;
}

q8_status q8_graph_add_node(q8_graph* graph, q8_op_kind kind, const char* name,
                            size_t instruction, const uint32_t* inputs, size_t num_inputs,
                            uint32_t* output_out, q8_error* error) {
  if (graph->max_nodes != 0 && graph->num_nodes >= graph->max_nodes) {
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "graph: more than max_graph_nodes (%llu) operators (at %s)",
                         (unsigned long long)graph->max_nodes, name);
  }
  if (!grow((void**)&graph->nodes, &graph->nodes_capacity, graph->num_nodes, sizeof(q8_node)))
    return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory for nodes");
  uint32_t* copy = malloc((num_inputs + 1) * sizeof(uint32_t));
  if (copy == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  if (num_inputs != 0) memcpy(copy, inputs, num_inputs * sizeof(uint32_t));
  uint32_t output;
  q8_status status = q8_graph_add_value(graph, q8_value_tensor, &output, error);
  if (status != q8_status_success) {
    free(copy);
    return status;
  }
  graph->values[output].kind = q8_op_output_kind(kind);
  q8_node* node = &graph->nodes[graph->num_nodes++];
  memset(node, 0, sizeof(*node));
  node->kind = kind;
  snprintf(node->name, sizeof(node->name), "%s", name);
  node->instruction = instruction;
  node->inputs = copy;
  node->num_inputs = num_inputs;
  node->output = output;
  *output_out = output;
  return q8_status_success;
}

q8_status q8_graph_add_string(q8_graph* graph, const char* text, size_t length, uint32_t* id_out,
                              q8_error* error) {
  q8_status status = q8_graph_add_value(graph, q8_value_string, id_out, error);
  if (status != q8_status_success) return status;
  q8_value* v = &graph->values[*id_out];
  v->is_constant = true;
  if (text == NULL) return q8_status_success;
  if (length > 4096) length = 4096;
  v->u.str.text = malloc(length + 1);
  if (v->u.str.text == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  memcpy(v->u.str.text, text, length);
  v->u.str.text[length] = '\0';
  v->u.str.length = length;
  return q8_status_success;
}

bool q8_graph_is_string(const q8_graph* graph, uint32_t id, const char* text) {
  if (id >= graph->num_values || graph->values[id].kind != q8_value_string) return false;
  const q8_value* v = &graph->values[id];
  return v->u.str.text != NULL && v->u.str.length == strlen(text) &&
         memcmp(v->u.str.text, text, v->u.str.length) == 0;
}

q8_status q8_graph_add_int(q8_graph* graph, int64_t x, uint32_t* id_out, q8_error* error) {
  q8_status status = q8_graph_add_value(graph, q8_value_int, id_out, error);
  if (status != q8_status_success) return status;
  graph->values[*id_out].is_constant = true;
  graph->values[*id_out].u.integer = x;
  return q8_status_success;
}

#define MAX_CHUNKS 1024

q8_status q8_graph_add_chunks(q8_graph* graph, const char* name, size_t instruction,
                              const uint32_t* args, size_t num_args, uint32_t* list_out,
                              q8_error* error) {
  int64_t chunks;
  if (num_args < 2 || num_args > 3 || !q8_graph_const_int(graph, args[1], &chunks) ||
      chunks < 1 || chunks > MAX_CHUNKS || graph->values[args[0]].kind != q8_value_tensor)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s at instruction %zu: only a tensor split into a constant 1 to %d "
                         "chunks is supported", name, instruction, MAX_CHUNKS);
  uint32_t inputs[4] = {args[0], args[1], 0, 0}, list;
  q8_status status = num_args == 3 ? q8_status_success
                                   : q8_graph_add_int(graph, 0, &inputs[2], error);
  if (num_args == 3) inputs[2] = args[2];
  if (status == q8_status_success) status = q8_graph_add_value(graph, q8_value_tensor_list, &list, error);
  if (status != q8_status_success) return status;
  uint32_t* items = malloc((size_t)chunks * sizeof(uint32_t));
  if (items == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  graph->values[list].u.tensors.items = items;
  for (int64_t i = 0; i < chunks && status == q8_status_success; i++) {
    status = q8_graph_add_int(graph, i, &inputs[3], error);
    if (status == q8_status_success)
      status = q8_graph_add_node(graph, q8_op_chunk, name, instruction, inputs, 4, &items[i], error);
    if (status != q8_status_success) break;
    graph->values[items[i]].dtype = graph->values[args[0]].dtype;
    graph->values[items[i]].known_rank = graph->values[args[0]].known_rank;
    graph->values[list].u.tensors.count++;
  }
  *list_out = list;
  return status;
}

#define MAX_SPLITS 1024
#define MAX_SPLIT_LISTS 4096

struct q8_split_source {
  uint32_t list;
  uint32_t args[3]; /* self, split size(s), dim */
  char name[Q8_NODE_NAME_SIZE];
  size_t instruction;
  uint32_t pieces[MAX_SPLITS]; /* Q8_GRAPH_NO_VALUE until made */
};

q8_status q8_graph_add_split(q8_graph* graph, const char* name, size_t instruction,
                             const uint32_t* args, size_t num_args, uint32_t* list_out,
                             q8_error* error) {
  const q8_value_kind sizes = num_args >= 2 ? graph->values[args[1]].kind : q8_value_none;
  if (num_args < 2 || num_args > 3 || graph->values[args[0]].kind != q8_value_tensor ||
      (sizes != q8_value_int && sizes != q8_value_int_list))
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s at instruction %zu: only a tensor split by an int or an int list "
                         "is supported", name, instruction);
  if (graph->num_splits >= MAX_SPLIT_LISTS)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s at instruction %zu: more than %d splits", name, instruction,
                         MAX_SPLIT_LISTS);
  struct q8_split_source* grown =
      realloc(graph->splits, (graph->num_splits + 1) * sizeof(struct q8_split_source));
  if (grown == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  graph->splits = grown;
  struct q8_split_source* src = &graph->splits[graph->num_splits];
  src->args[0] = args[0];
  src->args[1] = args[1];
  q8_status status = num_args == 3 ? q8_status_success
                                   : q8_graph_add_int(graph, 0, &src->args[2], error);
  if (num_args == 3) src->args[2] = args[2];
  if (status == q8_status_success) status = q8_graph_add_value(graph, q8_value_tensor_list, &src->list, error);
  if (status != q8_status_success) return status;
  snprintf(src->name, sizeof(src->name), "%s", name);
  src->instruction = instruction;
  for (size_t i = 0; i < MAX_SPLITS; i++) src->pieces[i] = Q8_GRAPH_NO_VALUE;
  graph->num_splits++;
  *list_out = src->list;
  return q8_status_success;
}

static struct q8_split_source* split_source(const q8_graph* graph, uint32_t list) {
  for (size_t i = 0; i < graph->num_splits; i++)
    if (graph->splits[i].list == list) return &graph->splits[i];
  return NULL;
}

bool q8_graph_is_split(const q8_graph* graph, uint32_t list) { return split_source(graph, list) != NULL; }

q8_status q8_graph_split_piece(q8_graph* graph, uint32_t list, int64_t index, uint32_t* piece,
                               q8_error* error) {
  struct q8_split_source* src = split_source(graph, list);
  if (src == NULL || index < 0 || index >= MAX_SPLITS)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "graph: piece %lld of a split: only pieces 0 to %d of a split are "
                         "supported", (long long)index, MAX_SPLITS - 1);
  if (src->pieces[index] != Q8_GRAPH_NO_VALUE) {
    *piece = src->pieces[index];
    return q8_status_success;
  }
  uint32_t inputs[4] = {src->args[0], src->args[1], src->args[2], 0};
  q8_status status = q8_graph_add_int(graph, index, &inputs[3], error);
  if (status == q8_status_success)
    status = q8_graph_add_node(graph, q8_op_split, src->name, src->instruction, inputs, 4, piece, error);
  if (status != q8_status_success) return status;
  src = split_source(graph, list); /* graph->splits did not move, but stay safe */
  graph->values[*piece].dtype = graph->values[src->args[0]].dtype;
  graph->values[*piece].known_rank = graph->values[src->args[0]].known_rank;
  src->pieces[index] = *piece;
  return q8_status_success;
}

q8_status q8_graph_unpack_split(q8_graph* graph, uint32_t list, size_t count, q8_error* error) {
  if (count < 1 || count > MAX_SPLITS || split_source(graph, list) == NULL)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "graph: a split unpacked into %zu values (1 to %d supported)", count,
                         MAX_SPLITS);
  q8_value* v = &graph->values[list];
  if (v->u.tensors.count != 0)
    return v->u.tensors.count == count
               ? q8_status_success
               : q8_graph_fail(error, q8_status_invalid_parameter,
                               "graph: a split unpacked into %zu and %zu values", v->u.tensors.count,
                               count);
  uint32_t* items = malloc(count * sizeof(uint32_t));
  if (items == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  for (size_t i = 0; i < count; i++) {
    q8_status status = q8_graph_split_piece(graph, list, (int64_t)i, &items[i], error);
    if (status != q8_status_success) {
      free(items);
      return status;
    }
  }
  v = &graph->values[list];
  v->u.tensors.items = items;
  v->u.tensors.count = count;
  return q8_status_success;
}

q8_status q8_graph_add_conv1d(q8_graph* graph, const char* name, size_t instruction, bool relu,
                              const uint32_t* args, size_t num_args, uint32_t* output_out,
                              q8_error* error) {
  if (num_args != 4 || graph->values[args[0]].kind != q8_value_tensor ||
      graph->values[args[1]].kind != q8_value_packed || !graph->values[args[1]].u.packed->is_conv ||
      graph->values[args[1]].u.packed->weight_shape[2] != 1)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s at instruction %zu: takes a tensor, 1-D conv packed weights (a kernel "
                         "of height 1), scale and zero point", name, instruction);
  uint32_t two, x, y, conv_args[4] = {0, args[1], args[2], args[3]};
  q8_status status = q8_graph_add_int(graph, 2, &two, error);
  uint32_t pair[2] = {args[0], two};
  if (status == q8_status_success)
    status = q8_graph_add_node(graph, q8_op_unsqueeze, "aten::unsqueeze", instruction, pair, 2, &x, error);
  if (status != q8_status_success) return status;
  graph->values[x].dtype = graph->values[args[0]].dtype;
  graph->values[x].known_rank = 4;
  conv_args[0] = x;
  status = q8_graph_add_node(graph, q8_op_conv2d, name, instruction, conv_args, 4, &y, error);
  if (status != q8_status_success) return status;
  q8_node* conv = &graph->nodes[graph->num_nodes - 1];
  if (relu) conv->has_clamp = true, conv->clamp_min = 0.0f, conv->clamp_max = INFINITY;
  graph->values[y].dtype = q8_tensor_quint8;
  graph->values[y].known_rank = 4;
  pair[0] = y;
  status = q8_graph_add_node(graph, q8_op_squeeze, "aten::squeeze.dim", instruction, pair, 2, output_out, error);
  if (status != q8_status_success) return status;
  graph->values[*output_out].dtype = q8_tensor_quint8;
  graph->values[*output_out].known_rank = 3;
  return q8_status_success;
}

#define MAX_STACK 1024

q8_status q8_graph_add_stack(q8_graph* graph, const char* name, size_t instruction,
                             const uint32_t* args, size_t num_args, uint32_t* output_out,
                             q8_error* error) {
  int64_t dim = 0;
  if (num_args < 1 || num_args > 2 || graph->values[args[0]].kind != q8_value_tensor_list ||
      graph->values[args[0]].u.tensors.count < 1 ||
      graph->values[args[0]].u.tensors.count > MAX_STACK ||
      (num_args == 2 && !q8_graph_const_int(graph, args[1], &dim)) ||
      dim < -(int64_t)Q8_GRAPH_MAX_DIMS || dim >= (int64_t)Q8_GRAPH_MAX_DIMS)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s at instruction %zu: only a list of 1 to %d tensors and a constant "
                         "dimension are supported", name, instruction, MAX_STACK);
  const size_t count = graph->values[args[0]].u.tensors.count;
  uint32_t dim_value, list, cat_args[2];
  q8_status status = q8_graph_add_int(graph, dim, &dim_value, error);
  if (status == q8_status_success) status = q8_graph_add_value(graph, q8_value_tensor_list, &list, error);
  if (status != q8_status_success) return status;
  uint32_t* items = malloc(count * sizeof(uint32_t));
  if (items == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  graph->values[list].u.tensors.items = items;
  for (size_t i = 0; i < count; i++) {
    const uint32_t x = graph->values[args[0]].u.tensors.items[i];
    if (x >= graph->num_values || graph->values[x].kind != q8_value_tensor)
      return q8_graph_fail(error, q8_status_invalid_parameter,
                           "%s at instruction %zu: item %zu is not a tensor", name, instruction, i);
    const uint32_t pair[2] = {x, dim_value};
    status = q8_graph_add_node(graph, q8_op_unsqueeze, "aten::unsqueeze", instruction, pair, 2,
                               &items[i], error);
    if (status != q8_status_success) return status;
    graph->values[items[i]].dtype = graph->values[x].dtype;
    const uint32_t rank = graph->values[x].known_rank;
    graph->values[items[i]].known_rank = rank ? rank + 1 : 0;
    graph->values[list].u.tensors.count++;
  }
  cat_args[0] = list, cat_args[1] = dim_value;
  status = q8_graph_add_node(graph, q8_op_cat, name, instruction, cat_args, 2, output_out, error);
  if (status != q8_status_success) return status;
  graph->values[*output_out].dtype = graph->values[items[0]].dtype;
  graph->values[*output_out].known_rank = graph->values[items[0]].known_rank;
  return q8_status_success;
}

/* A constant int list (a, b). */
static q8_status add_pair(q8_graph* graph, int64_t a, int64_t b, uint32_t* id, q8_error* error) {
  q8_status status = q8_graph_add_value(graph, q8_value_int_list, id, error);
  if (status != q8_status_success) return status;
  q8_value* v = &graph->values[*id];
  v->is_constant = true;
  v->u.ints.items = malloc(2 * sizeof(int64_t));
  if (v->u.ints.items == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  v->u.ints.items[0] = a, v->u.ints.items[1] = b;
  v->u.ints.count = 2;
  return q8_status_success;
}

q8_status q8_graph_add_pool1d(q8_graph* graph, const char* name, size_t instruction,
                              const uint32_t* args, size_t num_args, uint32_t* output_out,
                              q8_error* error) {
  const bool is_max = strncmp(name, "aten::max_pool1d", 16) == 0;
  const bool adaptive = strncmp(name, "aten::adaptive_avg_pool1d", 25) == 0;
  const size_t max_args = is_max ? 6 : adaptive ? 2 : 6;
  if (num_args < 2 || num_args > max_args || graph->values[args[0]].kind != q8_value_tensor)
    return q8_graph_fail(error, q8_status_unsupported_parameter,
                         "%s at instruction %zu: unexpected arguments", name, instruction);
  /* The list arguments (kernel, stride, padding, dilation; output size)
   * become (1, k) / (0, p) pairs; the flags pass through. */
  uint32_t pool_args[7], two;
  const size_t lists = adaptive ? 1 : is_max ? 4 : 3;
  pool_args[0] = 0;
  for (size_t i = 1; i < num_args; i++) {
    pool_args[i] = args[i];
    if (i > lists) continue;
    const q8_value* v = &graph->values[args[i]];
    if (v->kind == q8_value_none) continue;
    if (v->kind != q8_value_int_list || !v->is_constant || v->u.ints.count > 1)
      return q8_graph_fail(error, q8_status_unsupported_parameter,
                           "%s at instruction %zu: argument %zu is not a constant list of one int",
                           name, instruction, i);
    if (v->u.ints.count == 0) continue; /* stride=[]: the kernel's */
    const int64_t x = v->u.ints.items[0];
    q8_status status = add_pair(graph, i == 3 ? 0 : 1, x, &pool_args[i], error);
    if (status != q8_status_success) return status;
  }
  q8_status status = q8_graph_add_int(graph, 2, &two, error);
  uint32_t pair[2] = {args[0], two}, x, y;
  if (status == q8_status_success)
    status = q8_graph_add_node(graph, q8_op_unsqueeze, "aten::unsqueeze", instruction, pair, 2, &x, error);
  if (status != q8_status_success) return status;
  graph->values[x].dtype = graph->values[args[0]].dtype;
  graph->values[x].known_rank = 4;
  pool_args[0] = x;
  const q8_op_kind kind = is_max ? q8_op_max_pool2d : adaptive ? q8_op_adaptive_avg_pool2d : q8_op_avg_pool2d;
  status = q8_graph_add_node(graph, kind, name, instruction, pool_args, num_args, &y, error);
  if (status != q8_status_success) return status;
  graph->values[y].dtype = graph->values[args[0]].dtype;
  graph->values[y].known_rank = 4;
  pair[0] = y;
  status = q8_graph_add_node(graph, q8_op_squeeze, "aten::squeeze.dim", instruction, pair, 2, output_out, error);
  if (status != q8_status_success) return status;
  graph->values[*output_out].dtype = graph->values[args[0]].dtype;
  graph->values[*output_out].known_rank = 3;
  return q8_status_success;
}

typedef struct op_name {
  const char* name;
  q8_op_kind kind;
  bool relu;
} op_name;

/* Overloads are not distinguished: every overload of these names takes the
 * same leading arguments. */
static const op_name op_names[] = {
    {"aten::quantize_per_tensor", q8_op_quantize, false},
    {"aten::dequantize", q8_op_dequantize, false},
    {"quantized::conv2d", q8_op_conv2d, false},
    {"quantized::conv2d_relu", q8_op_conv2d, true},
    {"quantized::conv_transpose2d", q8_op_conv_transpose2d, false},
    {"quantized::linear", q8_op_linear, false},
    {"quantized::linear_relu", q8_op_linear, true},
    {"quantized::linear_dynamic", q8_op_linear_dynamic, false},
    {"quantized::linear_relu_dynamic", q8_op_linear_dynamic, true},
    {"quantized::add", q8_op_add, false},
    {"quantized::add_relu", q8_op_add, true},
    {"quantized::mul", q8_op_mul, false},
    {"quantized::mul_relu", q8_op_mul, true},
    {"quantized::cat", q8_op_cat, false},
    {"aten::cat", q8_op_cat, false},
    {"aten::stack", q8_op_stack, false},
    {"quantized::hardswish", q8_op_hardswish, false},
    {"aten::hardswish", q8_op_hardswish, false},
    {"aten::hardswish_", q8_op_hardswish, false},
    {"aten::silu", q8_op_silu, false},
    {"aten::silu_", q8_op_silu, false},
    {"aten::gelu", q8_op_gelu, false},
    {"aten::hardsigmoid", q8_op_hardsigmoid, false},
    {"aten::hardsigmoid_", q8_op_hardsigmoid, false},
    {"aten::sigmoid", q8_op_sigmoid, false},
    {"aten::sigmoid_", q8_op_sigmoid, false},
    {"aten::tanh", q8_op_tanh, false},
    {"aten::tanh_", q8_op_tanh, false},
    {"aten::relu", q8_op_relu, false},
    {"aten::relu_", q8_op_relu, false},
    {"quantized::relu6", q8_op_hardtanh, false},
    {"aten::hardtanh", q8_op_hardtanh, false},
    {"aten::hardtanh_", q8_op_hardtanh, false},
    {"aten::clamp", q8_op_hardtanh, false},
    {"aten::leaky_relu", q8_op_leaky_relu, false},
    {"aten::leaky_relu_", q8_op_leaky_relu, false},
    {"aten::max_pool2d", q8_op_max_pool2d, false},
    {"aten::avg_pool2d", q8_op_avg_pool2d, false},
    {"aten::adaptive_avg_pool2d", q8_op_adaptive_avg_pool2d, false},
    {"aten::mean", q8_op_mean, false},
    {"aten::flatten", q8_op_flatten, false},
    {"aten::upsample_nearest2d", q8_op_upsample_nearest2d, false},
    {"aten::dropout", q8_op_identity, false},
    {"aten::dropout_", q8_op_identity, false},
    {"aten::feature_dropout", q8_op_identity, false},
    {"aten::contiguous", q8_op_contiguous, false},
    {"aten::detach", q8_op_identity, false},
    {"aten::to", q8_op_identity, false},
    {"aten::upsample_bilinear2d", q8_op_upsample_bilinear2d, false},
    {"quantized::softmax", q8_op_softmax, false},
    {"aten::channel_shuffle", q8_op_channel_shuffle, false},
    {"aten::native_channel_shuffle", q8_op_channel_shuffle, false},
    {"aten::view", q8_op_view, false},
    {"aten::transpose", q8_op_transpose, false},
    {"aten::chunk", q8_op_chunk, false},
    {"aten::size", q8_op_size, false},
    {"aten::floor_divide", q8_op_floor_divide, false},
    {"aten::floordiv", q8_op_floor_divide, false},
    {"aten::mul", q8_op_int_mul, false},
    {"prim::ListConstruct", q8_op_list_construct, false},
    {"aten::reshape", q8_op_view, false},
    {"aten::dim", q8_op_dim, false},
    {"aten::len", q8_op_len, false},
    {"aten::__getitem__", q8_op_list_item, false},
    {"aten::eq", q8_op_compare, false},
    {"aten::ne", q8_op_compare, false},
    {"aten::lt", q8_op_compare, false},
    {"aten::gt", q8_op_compare, false},
    {"aten::le", q8_op_compare, false},
    {"aten::ge", q8_op_compare, false},
    {"aten::add", q8_op_int_add, false},
    {"aten::sub", q8_op_int_sub, false},
    {"aten::permute", q8_op_permute, false},
    {"aten::slice", q8_op_slice, false},
    {"aten::select", q8_op_select, false},
    {"aten::split", q8_op_split, false},
    {"aten::split_with_sizes", q8_op_split, false},
    {"aten::squeeze", q8_op_squeeze, false},
    {"aten::unsqueeze", q8_op_unsqueeze, false},
    {"aten::constant_pad_nd", q8_op_pad, false},
    {"aten::pad", q8_op_pad, false},
    {"quantized::add_scalar", q8_op_add_scalar, false},
    {"quantized::add_scalar_relu", q8_op_add_scalar, true},
    {"quantized::mul_scalar", q8_op_mul_scalar, false},
    {"quantized::mul_scalar_relu", q8_op_mul_scalar, true},
    {"aten::relu6", q8_op_hardtanh, false},
    {"quantized::batch_norm2d", q8_op_batch_norm, false},
    {"quantized::batch_norm2d_relu", q8_op_batch_norm, true},
    {"quantized::batch_norm1d", q8_op_batch_norm, false},
    {"quantized::batch_norm1d_relu", q8_op_batch_norm, true},
    {"quantized::batch_norm", q8_op_batch_norm, false},
    {"aten::softmax", q8_op_softmax_float, false},
    {"aten::zeros", q8_op_zeros, false},
    {"quantized::layer_norm", q8_op_layer_norm, false},
    {"quantized::prelu", q8_op_prelu, false},
    {"quantized::elu", q8_op_elu, false},
    {"quantized::group_norm", q8_op_group_norm, false},
    {"quantized::instance_norm", q8_op_group_norm, false},
    {"aten::quantized_lstm", q8_op_lstm, false},
    {"aten::quantized_gru", q8_op_gru, false},
    {"aten::log_softmax", q8_op_softmax_float, false},
    {"aten::max_pool1d", q8_op_pool1d, false},
    {"aten::avg_pool1d", q8_op_pool1d, false},
    {"aten::adaptive_avg_pool1d", q8_op_pool1d, false},
    {"quantized::conv1d", q8_op_conv1d, false},
    {"quantized::conv1d_relu", q8_op_conv1d, true},
    {"quantized::leaky_relu", q8_op_leaky_relu, false},
};

q8_value_kind q8_op_output_kind(q8_op_kind kind) {
  switch (kind) {
    case q8_op_size:
    case q8_op_int_mul:
    case q8_op_int_add:
    case q8_op_int_sub:
    case q8_op_dim:
    case q8_op_len:
    case q8_op_list_item:
    case q8_op_floor_divide: return q8_value_int;
    case q8_op_compare:
    case q8_op_guard: return q8_value_bool;
    case q8_op_sizes:
    case q8_op_list_slice:
    case q8_op_list_construct: return q8_value_int_list;
    default: return q8_value_tensor;
  }
}

bool q8_op_is_scalar(q8_op_kind kind) { return q8_op_output_kind(kind) != q8_value_tensor; }

q8_tensor_dtype q8_op_output_dtype(const q8_graph* graph, q8_op_kind kind, const uint32_t* inputs) {
  switch (kind) {
    case q8_op_dequantize:
    case q8_op_softmax_float:
    case q8_op_zeros:
    case q8_op_gru:
    case q8_op_lstm:
    case q8_op_linear_dynamic: return q8_tensor_float32;
    case q8_op_identity:
    case q8_op_contiguous:
    case q8_op_view:
    case q8_op_flatten:
    case q8_op_transpose:
    case q8_op_permute:
    case q8_op_slice:
    case q8_op_select:
    case q8_op_split:
    case q8_op_squeeze:
    case q8_op_unsqueeze:
    case q8_op_upsample_nearest2d:  /* fp32: nn.Upsample left unquantized by FX */
    case q8_op_upsample_bilinear2d:
    case q8_op_pad: return graph->values[inputs[0]].dtype;
    case q8_op_relu:
    case q8_op_hardtanh:
    case q8_op_sigmoid:
    case q8_op_tanh:
    case q8_op_hardsigmoid:
    case q8_op_hardswish:
    case q8_op_leaky_relu:
    case q8_op_silu:
    case q8_op_gelu:
      /* On fp32 (a dynamic linear's output, FX's float ops) they stay fp32. */
      return graph->values[inputs[0]].dtype == q8_tensor_float32 ? q8_tensor_float32 : q8_tensor_quint8;
    case q8_op_cat: {
      const q8_value* list = &graph->values[inputs[0]];
      return list->kind == q8_value_tensor_list && list->u.tensors.count > 0
                 ? graph->values[list->u.tensors.items[0]].dtype : q8_tensor_quint8;
    }
    default: return q8_op_is_scalar(kind) ? q8_tensor_unknown : q8_tensor_quint8;
  }
}

bool q8_scalar_eval(q8_op_kind kind, const char* name, int64_t a, int64_t b, int64_t* out) {
  /* Shapes and indices: operands far below 2^62 keep every result exact. */
  const int64_t limit = INT64_C(1) << 62;
  if (a <= -limit || a >= limit || b <= -limit || b >= limit) return false;
  switch (kind) {
    case q8_op_int_add: *out = a + b; return true;
    case q8_op_int_sub: *out = a - b; return true;
    case q8_op_int_mul:
      if (a < -INT32_MAX || a > INT32_MAX || b < -INT32_MAX || b > INT32_MAX) return false;
      *out = a * b;
      return true;
    case q8_op_floor_divide: {
      if (b == 0) return false;
      int64_t q = a / b;
      if (a % b != 0 && (a < 0) != (b < 0)) q--; /* rounds towards minus infinity */
      *out = q;
      return true;
    }
    case q8_op_compare: {
      const char* op = strstr(name, "::");
      op = op == NULL ? name : op + 2;
      if (strncmp(op, "eq", 2) == 0) *out = a == b;
      else if (strncmp(op, "ne", 2) == 0) *out = a != b;
      else if (strncmp(op, "lt", 2) == 0) *out = a < b;
      else if (strncmp(op, "gt", 2) == 0) *out = a > b;
      else if (strncmp(op, "le", 2) == 0) *out = a <= b;
      else if (strncmp(op, "ge", 2) == 0) *out = a >= b;
      else return false;
      return true;
    }
    default: return false;
  }
}

static uint32_t rank_of(const q8_graph* graph, uint32_t id) {
  if (id >= graph->num_values) return 0;
  const q8_value* v = &graph->values[id];
  if (v->kind == q8_value_tensor_list) return v->u.tensors.count ? rank_of(graph, v->u.tensors.items[0]) : 0;
  return v->kind == q8_value_tensor ? v->known_rank : 0;
}

static uint32_t node_rank(const q8_graph* graph, const q8_node* node) {
  const uint32_t in = node->num_inputs ? rank_of(graph, node->inputs[0]) : 0;
  int64_t a, b;
  switch (node->kind) {
    case q8_op_conv2d:
    case q8_op_conv_transpose2d:
    case q8_op_max_pool2d:
    case q8_op_avg_pool2d:
    case q8_op_adaptive_avg_pool2d:
    case q8_op_upsample_nearest2d:
    case q8_op_upsample_bilinear2d:
    case q8_op_channel_shuffle: return 4;
    case q8_op_add:
    case q8_op_mul: {
      const uint32_t other = node->num_inputs > 1 ? rank_of(graph, node->inputs[1]) : 0;
      return in && other ? (in > other ? in : other) : 0;
    }
    case q8_op_view: {
      const q8_value* sizes = node->num_inputs > 1 ? &graph->values[node->inputs[1]] : NULL;
      if (sizes != NULL && sizes->kind == q8_value_int_list && sizes->is_constant)
        return (uint32_t)sizes->u.ints.count;
      for (size_t n = 0; sizes != NULL && n < graph->num_nodes; n++)
        if (graph->nodes[n].output == node->inputs[1] && graph->nodes[n].kind == q8_op_list_construct)
          return (uint32_t)graph->nodes[n].num_inputs;
      return 0;
    }
    case q8_op_flatten:
      if (in == 0) return 0;
      a = 0, b = -1;
      if (node->num_inputs > 1 && !q8_graph_const_int(graph, node->inputs[1], &a)) return 0;
      if (node->num_inputs > 2 && !q8_graph_const_int(graph, node->inputs[2], &b)) return 0;
      if (a < 0) a += in;
      if (b < 0) b += in;
      return a >= 0 && b < (int64_t)in && a <= b ? in - (uint32_t)(b - a) : 0;
    case q8_op_select: return in > 1 ? in - 1 : 0;
    case q8_op_unsqueeze: return in ? in + 1 : 0;
    case q8_op_mean: {
      const q8_value* dims = node->num_inputs > 1 ? &graph->values[node->inputs[1]] : NULL;
      a = 0;
      if (in == 0 || dims == NULL || dims->kind != q8_value_int_list || !dims->is_constant ||
          (node->num_inputs > 2 && !q8_graph_const_int(graph, node->inputs[2], &a)) ||
          dims->u.ints.count >= in)
        return 0;
      return a ? in : in - (uint32_t)dims->u.ints.count;
    }
    case q8_op_quantize:
    case q8_op_dequantize:
    case q8_op_linear:
    case q8_op_linear_dynamic:
    case q8_op_cat:
    case q8_op_hardswish:
    case q8_op_hardsigmoid:
    case q8_op_sigmoid:
    case q8_op_tanh:
    case q8_op_relu:
    case q8_op_hardtanh:
    case q8_op_leaky_relu:
    case q8_op_silu:
    case q8_op_gelu:
    case q8_op_identity:
    case q8_op_contiguous:
    case q8_op_softmax:
    case q8_op_transpose:
    case q8_op_chunk:
    case q8_op_permute:
    case q8_op_slice:
    case q8_op_split:
    case q8_op_pad:
    case q8_op_add_scalar:
    case q8_op_mul_scalar:
    case q8_op_softmax_float:
    case q8_op_layer_norm:
    case q8_op_group_norm:
    case q8_op_elu:
    case q8_op_prelu:
    case q8_op_batch_norm: return in;
    default: return 0;
  }
}

static q8_node* producer_of(q8_graph* graph, uint32_t id);

q8_status q8_graph_add_guard(q8_graph* graph, uint32_t cond, bool expected, size_t instruction,
                             q8_error* error) {
  /* The same condition checked again (TorchScript shares the value). */
  for (size_t n = 0; n < graph->num_nodes; n++) {
    const q8_node* g = &graph->nodes[n];
    int64_t e;
    if (!g->removed && g->kind == q8_op_guard && g->num_inputs == 2 && g->inputs[0] == cond &&
        q8_graph_const_int(graph, g->inputs[1], &e) && (e != 0) == expected)
      return q8_status_success;
  }
  uint32_t inputs[2] = {cond, 0}, out;
  q8_status status = q8_graph_add_int(graph, expected ? 1 : 0, &inputs[1], error);
  if (status == q8_status_success)
    status = q8_graph_add_node(graph, q8_op_guard, "prim::RaiseException (check)", instruction,
                               inputs, 2, &out, error);
  if (status != q8_status_success) return status;
  graph->values[inputs[1]].kind = q8_value_bool;
  /* ne(len(size(x)), K) false or eq(len(size(x)), K) true: x has rank K. */
  const q8_node* compare = producer_of(graph, cond);
  int64_t k;
  if (compare == NULL || compare->kind != q8_op_compare || compare->num_inputs != 2 ||
      !q8_graph_const_int(graph, compare->inputs[1], &k) || k < 1 || k > Q8_GRAPH_MAX_DIMS)
    return q8_status_success;
  const bool ne = strstr(compare->name, "::ne") != NULL, eq = strstr(compare->name, "::eq") != NULL;
  if (!((ne && !expected) || (eq && expected))) return q8_status_success;
  const q8_node* len = producer_of(graph, compare->inputs[0]);
  if (len == NULL || len->num_inputs != 1) return q8_status_success;
  uint32_t tensor_id;
  if (len->kind == q8_op_dim) {
    tensor_id = len->inputs[0]; /* x.dim() != K */
  } else {
    const q8_node* sizes = len->kind == q8_op_len ? producer_of(graph, len->inputs[0]) : NULL;
    if (sizes == NULL || sizes->kind != q8_op_sizes || sizes->num_inputs != 1) return q8_status_success;
    tensor_id = sizes->inputs[0]; /* len(x.size()) != K */
  }
  q8_value* x = &graph->values[tensor_id];
  if (x->kind == q8_value_tensor && x->known_rank == 0) x->known_rank = (uint32_t)k;
  return q8_status_success;
}

/* Adds `delta` uses to value id and, for a tensor list, to its items. */
static void count_use(const q8_graph* graph, size_t* uses, uint32_t id, int delta) {
  uses[id] += (size_t)delta;
  const q8_value* v = &graph->values[id];
  if (v->kind != q8_value_tensor_list) return;
  for (size_t j = 0; j < v->u.tensors.count; j++) uses[v->u.tensors.items[j]] += (size_t)delta;
}

q8_status q8_graph_drop_unused_scalars(q8_graph* graph, q8_error* error) {
  /* Use counts in one pass, then one backwards sweep: linear in the graph. */
  size_t* uses = calloc(graph->num_values + 1, sizeof(size_t));
  if (uses == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
  for (size_t i = 0; i < graph->num_outputs; i++) uses[graph->outputs[i]]++;
  for (size_t n = 0; n < graph->num_nodes; n++) {
    const q8_node* node = &graph->nodes[n];
    for (size_t i = 0; !node->removed && i < node->num_inputs; i++) count_use(graph, uses, node->inputs[i], 1);
  }
  for (size_t n = graph->num_nodes; n-- > 0;) {
    q8_node* node = &graph->nodes[n];
    if (node->removed || node->kind == q8_op_guard || uses[node->output] != 0) continue;
    node->removed = true;
    for (size_t i = 0; i < node->num_inputs; i++) count_use(graph, uses, node->inputs[i], -1);
  }
  free(uses);
  return q8_status_success;
}

void q8_graph_infer_rank(q8_graph* graph, const q8_node* node) {
  q8_value* out = &graph->values[node->output];
  if (out->kind == q8_value_tensor) out->known_rank = node_rank(graph, node);
}

bool q8_graph_fold_scalar(q8_graph* graph, q8_node* node) {
  int64_t a, b = 0, x;
  switch (node->kind) {
    case q8_op_int_add:
    case q8_op_int_sub:
    case q8_op_int_mul:
    case q8_op_floor_divide:
    case q8_op_compare:
      if (node->num_inputs != 2 || !q8_graph_const_int(graph, node->inputs[0], &a) ||
          !q8_graph_const_int(graph, node->inputs[1], &b) ||
          !q8_scalar_eval(node->kind, node->name, a, b, &x))
        return false;
      break;
    case q8_op_dim:
      if (node->num_inputs != 1 || (x = rank_of(graph, node->inputs[0])) == 0) return false;
      break;
    case q8_op_len: {
      const q8_value* list = node->num_inputs == 1 ? &graph->values[node->inputs[0]] : NULL;
      /* len(x.size()) is x's rank. */
      for (size_t n = 0; list != NULL && !list->is_constant && n < graph->num_nodes; n++) {
        const q8_node* p = &graph->nodes[n];
        if (p->output == node->inputs[0] && p->kind == q8_op_sizes && p->num_inputs == 1 &&
            (x = rank_of(graph, p->inputs[0])) != 0)
          goto fold;
      }
      if (list == NULL || !list->is_constant ||
          (list->kind != q8_value_int_list && list->kind != q8_value_float_list))
        return false;
      x = (int64_t)(list->kind == q8_value_int_list ? list->u.ints.count : list->u.floats.count);
      break;
    }
    case q8_op_list_item: {
      const q8_value* list = node->num_inputs == 2 ? &graph->values[node->inputs[0]] : NULL;
      if (list == NULL || !list->is_constant || list->kind != q8_value_int_list ||
          !q8_graph_const_int(graph, node->inputs[1], &a))
        return false;
      const int64_t n = (int64_t)list->u.ints.count;
      if (a < 0) a += n;
      if (a < 0 || a >= n) return false;
      x = list->u.ints.items[a];
      break;
    }
    default: return false;
  }
fold:;
  q8_value* out = &graph->values[node->output];
  out->is_constant = true;
  out->u.integer = x;
  node->removed = true;
  return true;
}

q8_op_kind q8_op_kind_from_name(const char* name, const char* overload, bool* relu) {
  *relu = false;
  /* quantized::add.Scalar(qa, Scalar b) and friends (FX's x + 1.0). */
  if (strcmp(overload, "Scalar") == 0 || strcmp(overload, "Scalar_out") == 0) {
    if (strcmp(overload, "Scalar") != 0) return q8_op_unknown;
    if (strcmp(name, "quantized::add") == 0 || strcmp(name, "quantized::add_relu") == 0) {
      *relu = strcmp(name, "quantized::add_relu") == 0;
      return q8_op_add_scalar;
    }
    if (strcmp(name, "quantized::mul") == 0 || strcmp(name, "quantized::mul_relu") == 0) {
      *relu = strcmp(name, "quantized::mul_relu") == 0;
      return q8_op_mul_scalar;
    }
  }
  for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
    if (strcmp(op_names[i].name, name) != 0) continue;
    /* Only the overloads whose arguments the lowering understands. */
    if (op_names[i].kind == q8_op_mean && strcmp(overload, "dim") != 0) return q8_op_unknown;
    if (op_names[i].kind == q8_op_flatten && strcmp(overload, "using_ints") != 0)
      return q8_op_unknown;
    if (strcmp(name, "aten::to") == 0 && strcmp(overload, "dtype") != 0) return q8_op_unknown;
    if (op_names[i].kind == q8_op_size && overload[0] == '\0') return q8_op_sizes;
    if (op_names[i].kind == q8_op_compare && strcmp(overload, "int_list") == 0 &&
        (strcmp(name, "aten::eq") == 0 || strcmp(name, "aten::ne") == 0))
      return q8_op_compare; /* two int lists, equal or not */
    if ((op_names[i].kind == q8_op_size || op_names[i].kind == q8_op_transpose ||
         op_names[i].kind == q8_op_compare || op_names[i].kind == q8_op_int_add ||
         op_names[i].kind == q8_op_int_sub || op_names[i].kind == q8_op_select) &&
        strcmp(overload, "int") != 0)
      return q8_op_unknown;
    if ((op_names[i].kind == q8_op_len || op_names[i].kind == q8_op_list_item) &&
        strcmp(overload, "t") != 0)
      return q8_op_unknown;
    if (op_names[i].kind == q8_op_slice && strcmp(overload, "t") == 0) return q8_op_list_slice;
    if (op_names[i].kind == q8_op_slice && strcmp(overload, "Tensor") != 0) return q8_op_unknown;
    if (op_names[i].kind == q8_op_softmax_float && strcmp(overload, "int") != 0) return q8_op_unknown;
    if ((op_names[i].kind == q8_op_lstm || op_names[i].kind == q8_op_gru) &&
        strcmp(overload, "input") != 0)
      return q8_op_unknown;
    if (op_names[i].kind == q8_op_zeros && overload[0] != '\0') return q8_op_unknown;
    if (strcmp(name, "aten::split") == 0 && strcmp(overload, "Tensor") != 0 &&
        strcmp(overload, "sizes") != 0)
      return q8_op_unknown;
    if (op_names[i].kind == q8_op_squeeze && overload[0] != '\0' && strcmp(overload, "dim") != 0)
      return q8_op_unknown;
    if (op_names[i].kind == q8_op_floor_divide && overload[0] != '\0' &&
        strcmp(overload, "int") != 0)
      return q8_op_unknown;
    *relu = op_names[i].relu;
    return op_names[i].kind;
  }
  return q8_op_unknown;
}

static bool reads(const q8_graph* graph, const q8_node* node, uint32_t id) {
  for (size_t i = 0; i < node->num_inputs; i++) {
    const uint32_t in = node->inputs[i];
    if (in == id) return true;
    const q8_value* v = &graph->values[in];
    if (v->kind != q8_value_tensor_list) continue;
    for (size_t j = 0; j < v->u.tensors.count; j++)
      if (v->u.tensors.items[j] == id) return true;
  }
  return false;
}

static bool is_output(const q8_graph* graph, uint32_t id) {
  for (size_t i = 0; i < graph->num_outputs; i++)
    if (graph->outputs[i] == id) return true;
  return false;
}

size_t q8_graph_use_count(const q8_graph* graph, uint32_t id) {
  size_t uses = is_output(graph, id) ? 1 : 0;
  for (size_t n = 0; n < graph->num_nodes; n++)
    if (!graph->nodes[n].removed && reads(graph, &graph->nodes[n], id)) uses++;
  return uses;
}

/* Replaces every read of `from` (by nodes, tensor lists and the graph
 * outputs) with `to`. */
static void rewire(q8_graph* graph, uint32_t from, uint32_t to) {
  for (size_t n = 0; n < graph->num_nodes; n++) {
    q8_node* node = &graph->nodes[n];
    for (size_t i = 0; i < node->num_inputs; i++)
      if (node->inputs[i] == from) node->inputs[i] = to;
  }
  for (size_t v = 0; v < graph->num_values; v++) {
    q8_value* value = &graph->values[v];
    if (value->kind != q8_value_tensor_list) continue;
    for (size_t j = 0; j < value->u.tensors.count; j++)
      if (value->u.tensors.items[j] == from) value->u.tensors.items[j] = to;
  }
  for (size_t i = 0; i < graph->num_outputs; i++)
    if (graph->outputs[i] == from) graph->outputs[i] = to;
}

/* contiguous() changes only PyTorch's memory format, which q8 tracks for
 * 4-D tensors (it decides some kernels' rounding and the quantized clamp
 * relayout). It is dropped where it cannot change it: a non-4-D input, or
 * contiguous(contiguous_format) of a transpose / permute (already read back
 * contiguous, as in a channel shuffle's view / transpose / contiguous / view). */
static bool contiguous_is_identity(q8_graph* graph, const q8_node* node) {
  const uint32_t input = node->inputs[0];
  const uint32_t rank = rank_of(graph, input);
  if (rank != 0 && rank != 4) return true;
  int64_t format = 0;
  if (node->num_inputs > 1 && !q8_graph_is_none(graph, node->inputs[1]) &&
      !q8_graph_const_int(graph, node->inputs[1], &format))
    return false;
  const q8_node* producer = producer_of(graph, input);
  return format == 0 && producer != NULL &&
         (producer->kind == q8_op_transpose || producer->kind == q8_op_permute);
}

q8_status q8_graph_drop_identities(q8_graph* graph, q8_error* error) {
  for (size_t n = 0; n < graph->num_nodes; n++) {
    q8_node* node = &graph->nodes[n];
    if (node->removed || (node->kind != q8_op_identity && node->kind != q8_op_contiguous)) continue;
    if (node->num_inputs == 0 || graph->values[node->inputs[0]].kind != q8_value_tensor)
      return q8_graph_fail(error, q8_status_invalid_parameter,
                           "%s at instruction %zu: its first argument is not a tensor", node->name,
                           node->instruction);
    const uint32_t input = node->inputs[0];
    /* to(dtype) is an identity only when it converts to the dtype the
     * tensor already has (float32 after a dynamic linear). */
    if (strncmp(node->name, "aten::to", 8) == 0) {
      int64_t dtype;
      if (node->num_inputs < 2 || !q8_graph_const_int(graph, node->inputs[1], &dtype) ||
          dtype != 6 || graph->values[input].dtype != q8_tensor_float32)
        return q8_graph_fail(error, q8_status_unsupported_parameter,
                             "unsupported operator %s at instruction %zu: only a float32 "
                             "tensor to float32 is supported",
                             node->name, node->instruction);
    }
    if (node->kind == q8_op_contiguous && !contiguous_is_identity(graph, node)) continue;
    node->removed = true;
    rewire(graph, node->output, input);
  }
  return q8_status_success;
}

/* The producer a clamp can fold into: conv, linear (clamp in quantized
 * units), add (likewise), or dynamic linear (only plain relu, a flag). */
static bool can_take_clamp(const q8_node* producer, const q8_node* clamp) {
  switch (producer->kind) {
    case q8_op_conv2d:
    case q8_op_conv_transpose2d:
    case q8_op_linear:
    case q8_op_add:
      return true;
    case q8_op_linear_dynamic:
      return clamp->kind == q8_op_relu && !producer->has_clamp;
    default:
      return false;
  }
}

static q8_node* producer_of(q8_graph* graph, uint32_t id) {
  for (size_t n = 0; n < graph->num_nodes; n++)
    if (!graph->nodes[n].removed && graph->nodes[n].output == id) return &graph->nodes[n];
  return NULL;
}

q8_status q8_graph_fuse_clamps(q8_graph* graph, q8_error* error) {
  (void)error;
  for (size_t n = 0; n < graph->num_nodes; n++) {
    q8_node* node = &graph->nodes[n];
    if (node->removed || (node->kind != q8_op_relu && node->kind != q8_op_hardtanh)) continue;
    if (node->num_inputs == 0 || !node->has_clamp) continue;
    const uint32_t input = node->inputs[0];
    q8_node* producer = producer_of(graph, input);
    if (producer == NULL || !can_take_clamp(producer, node)) continue;
    if (q8_graph_use_count(graph, input) != 1) continue;
    /* Clamps compose by intersecting their ranges: max/min are monotone. */
    if (!producer->has_clamp) {
      producer->has_clamp = true;
      producer->clamp_min = -INFINITY;
      producer->clamp_max = INFINITY;
    }
    producer->clamp_min = fmaxf(producer->clamp_min, node->clamp_min);
    producer->clamp_max = fminf(producer->clamp_max, node->clamp_max);
    if (node->relayout) {
      node->has_clamp = false;
      continue;
    }
    node->removed = true;
    rewire(graph, node->output, input);
  }
  return q8_status_success;
}

bool q8_graph_const_int(const q8_graph* graph, uint32_t id, int64_t* out) {
  if (id >= graph->num_values) return false;
  const q8_value* v = &graph->values[id];
  if (!v->is_constant) return false;
  if (v->kind != q8_value_int && v->kind != q8_value_bool) return false;
  *out = v->u.integer;
  return true;
}

bool q8_graph_const_float(const q8_graph* graph, uint32_t id, double* out) {
  if (id >= graph->num_values) return false;
  const q8_value* v = &graph->values[id];
  if (!v->is_constant) return false;
  if (v->kind == q8_value_float) {
    *out = v->u.number;
    return true;
  }
  if (v->kind == q8_value_int) {
    *out = (double)v->u.integer;
    return true;
  }
  return false;
}

bool q8_graph_is_none(const q8_graph* graph, uint32_t id) {
  return id < graph->num_values && graph->values[id].kind == q8_value_none;
}

/* The live node of `kind` producing `id` whose output only one node reads. */
static q8_node* single_use_producer(q8_graph* graph, uint32_t id, q8_op_kind kind) {
  q8_node* producer = producer_of(graph, id);
  if (producer == NULL || producer->kind != kind || q8_graph_use_count(graph, id) != 1)
    return NULL;
  return producer;
}

static bool transposes_1_2(const q8_graph* graph, const q8_node* t) {
  int64_t a, b;
  return t->num_inputs == 3 && q8_graph_const_int(graph, t->inputs[1], &a) &&
         q8_graph_const_int(graph, t->inputs[2], &b) &&
         ((a == 1 && b == 2) || (a == 2 && b == 1));
}

q8_status q8_graph_fuse_channel_shuffles(q8_graph* graph, q8_error* error) {
  for (size_t n = 0; n < graph->num_nodes; n++) {
    q8_node* second = &graph->nodes[n];
    if (second->removed || second->kind != q8_op_view || second->num_inputs != 2) continue;
    q8_node* t = single_use_producer(graph, second->inputs[0], q8_op_transpose);
    if (t == NULL || !transposes_1_2(graph, t)) continue;
    q8_node* first = single_use_producer(graph, t->inputs[0], q8_op_view);
    if (first == NULL || first->num_inputs != 2) continue;
    const uint32_t inputs[3] = {first->inputs[0], first->inputs[1], second->inputs[1]};
    uint32_t* copy = malloc(sizeof(inputs));
    if (copy == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "graph: out of memory");
    memcpy(copy, inputs, sizeof(inputs));
    free(second->inputs);
    second->inputs = copy;
    second->num_inputs = 3;
    second->kind = q8_op_channel_shuffle;
    snprintf(second->name, sizeof(second->name), "aten::view+transpose+view (channel shuffle)");
    first->removed = true;
    t->removed = true;
  }
  return q8_status_success;
}

/* --- quantize / dequantize pairs --------------------------------------------------- */

/* Where a node's output qparams are among its constant arguments: the
 * index of its scale (zero point next), or 0 when they are derived. */
static size_t qparams_position(const q8_graph* graph, const q8_node* node) {
  switch (node->kind) {
    case q8_op_quantize:
      return 1;
    case q8_op_conv2d:
    case q8_op_conv_transpose2d:
    case q8_op_linear:
    case q8_op_add:
    case q8_op_mul:
      return 2;
    case q8_op_cat: /* quantized::cat; aten::cat keeps its inputs' qparams */
      return node->num_inputs > 3 && !q8_graph_is_none(graph, node->inputs[2]) ? 2 : 0;
    default:
      return 0;
  }
}

/* The constant (scale as the planner's fp32, zero point) at `position`. */
static bool const_qparams(const q8_graph* graph, const q8_node* node, size_t position,
                          float* scale, int64_t* zero_point) {
  double s;
  if (position == 0 || node->num_inputs <= position + 1 ||
      !q8_graph_const_float(graph, node->inputs[position], &s) ||
      !q8_graph_const_int(graph, node->inputs[position + 1], zero_point))
    return false;
  *scale = (float)s;
  return true;
}

/* quantize_per_tensor(dequantize(x), scale, zero_point, quint8) where x was
 * made with exactly these qparams: every code dequantizes to a real that
 * quantizes back to itself, so the pair is x. With k = q - zp (|k| <= 255)
 * the fp32 steps give k * (1 + d), |d| <= 3 * 2^-24, which rounds to k, as
 * long as k * scale and 1 / scale are normal floats: the scale range below. */
static bool scale_round_trips(float scale) { return scale >= 1e-30f && scale <= 1e30f; }

/* Whether quantize node `quantize` is such a round trip. */
static bool is_round_trip(q8_graph* graph, const q8_node* quantize) {
  int64_t dtype = 13, zero_point, source_zero_point;
  float scale, source_scale;
  if (quantize->num_inputs > 3 && !q8_graph_const_int(graph, quantize->inputs[3], &dtype))
    return false;
  const q8_node* dequantize = producer_of(graph, quantize->inputs[0]);
  if (dtype != 13 || dequantize == NULL || dequantize->kind != q8_op_dequantize ||
      dequantize->num_inputs < 1 || !const_qparams(graph, quantize, 1, &scale, &zero_point))
    return false;
  const q8_node* source = producer_of(graph, dequantize->inputs[0]);
  return source != NULL && source->kind != q8_op_dequantize &&
         graph->values[dequantize->inputs[0]].dtype == q8_tensor_quint8 &&
         const_qparams(graph, source, qparams_position(graph, source), &source_scale,
                       &source_zero_point) &&
         source_scale == scale && source_zero_point == zero_point && scale_round_trips(scale);
}

q8_status q8_graph_fold_quant_pairs(q8_graph* graph, q8_error* error) {
  (void)error;
  for (size_t n = 0; n < graph->num_nodes; n++) {
    q8_node* node = &graph->nodes[n];
    if (node->removed || node->kind != q8_op_quantize || node->num_inputs < 3) continue;
    if (!is_round_trip(graph, node)) continue;
    const q8_node* dequantize = producer_of(graph, node->inputs[0]);
    node->removed = true;
    rewire(graph, node->output, dequantize->inputs[0]);
  }
  return q8_status_success;
}

/*
 * The dataflow graph a model file is turned into: values (tensors, scalars,
 * lists, packed weights) and nodes (one per TorchScript operator call), in
 * execution order. The loader builds it, the load-time passes below simplify
 * it, and the planner lowers each remaining node to q8 operators.
 *
 * Tensor values carry PyTorch's logical shape (NCHW for images); how they are
 * laid out in memory is the planner's business. Shapes are unknown (rank 0,
 * shape_known false) until planning.
 */
#ifndef Q8_RUNTIME_GRAPH_GRAPH_H
#define Q8_RUNTIME_GRAPH_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

#define Q8_GRAPH_MAX_DIMS 6
#define Q8_GRAPH_NO_VALUE UINT32_MAX

typedef enum q8_value_kind {
  q8_value_none = 0,
  q8_value_int,
  q8_value_float,
  q8_value_bool,
  q8_value_string,
  q8_value_int_list,
  q8_value_float_list,
  q8_value_tensor,
  q8_value_tensor_list, /* also tuples of tensors (RET of several outputs) */
  q8_value_packed,
  q8_value_object, /* the module itself (`self`); never used by an operator */
} q8_value_kind;

typedef enum q8_tensor_dtype {
  q8_tensor_unknown = 0,
  q8_tensor_quint8,
  q8_tensor_float32,
  q8_tensor_int32,
} q8_tensor_dtype;

/* Weights of a quantized conv / transposed conv / linear, as the file stores
 * them but dense: weight[] holds the logical tensor in row-major order of
 * weight_shape (conv: OIHW, i.e. [out][in/groups][kh][kw]; transposed conv:
 * IOHW, [in][out/groups][kh][kw]; linear: [out][in]). */
typedef struct q8_packed_weights {
  bool is_conv;
  bool transposed;
  uint32_t stride[2], padding[2], dilation[2], output_padding[2], groups;
  size_t weight_dims;
  size_t weight_shape[4];
  int8_t* weight;
  size_t quant_count; /* 1 (per tensor) or the output channel count */
  float* scales;
  int32_t* zero_points;
  float* bias; /* output channel count entries, or NULL */
  size_t bias_count;
} q8_packed_weights;

typedef struct q8_value {
  q8_value_kind kind;
  /* Load-time constant. Ints and int lists that are not constant are
   * computed by shape arithmetic nodes when the program is planned; their
   * payload here is unset. */
  bool is_constant;
  union {
    int64_t integer; /* int and bool */
    double number;
    struct {
      int64_t* items;
      size_t count;
    } ints;
    struct {
      double* items;
      size_t count;
    } floats;
    struct {
      uint32_t* items; /* value ids */
      size_t count;
    } tensors;
    q8_packed_weights* packed;
  } u;
  /* Tensors. */
  q8_tensor_dtype dtype;
  bool shape_known;
  size_t rank;
  size_t shape[Q8_GRAPH_MAX_DIMS];
  float scale; /* quint8 */
  int32_t zero_point;
  /* PyTorch's memory format of the tensor: QNNPACK ops produce
   * channels_last, and a few ops round differently on it. */
  bool channels_last;
} q8_value;

typedef enum q8_op_kind {
  q8_op_unknown = 0,
  q8_op_quantize,          /* aten::quantize_per_tensor */
  q8_op_dequantize,        /* aten::dequantize */
  q8_op_conv2d,            /* quantized::conv2d(.new), conv2d_relu */
  q8_op_conv_transpose2d,  /* quantized::conv_transpose2d */
  q8_op_linear,            /* quantized::linear, linear_relu */
  q8_op_linear_dynamic,    /* quantized::linear_dynamic, linear_relu_dynamic */
  q8_op_add,               /* quantized::add, add_relu */
  q8_op_mul,               /* quantized::mul, mul_relu */
  q8_op_cat,               /* quantized::cat */
  q8_op_hardswish,         /* quantized::hardswish */
  q8_op_hardsigmoid,       /* aten::hardsigmoid */
  q8_op_sigmoid,           /* aten::sigmoid */
  q8_op_tanh,              /* aten::tanh */
  q8_op_relu,              /* aten::relu(_), quantized::relu6 */
  q8_op_hardtanh,          /* aten::hardtanh(_), aten::clamp */
  q8_op_leaky_relu,        /* aten::leaky_relu */
  q8_op_max_pool2d,
  q8_op_avg_pool2d,
  q8_op_adaptive_avg_pool2d,
  q8_op_mean,              /* aten::mean.dim */
  q8_op_flatten,           /* aten::flatten.using_ints */
  q8_op_upsample_nearest2d,
  q8_op_identity,          /* dropout, contiguous, detach, to(float) on float... */
  q8_op_upsample_bilinear2d,
  q8_op_softmax,           /* quantized::softmax */
  q8_op_channel_shuffle,   /* aten::channel_shuffle, native_channel_shuffle, or the
                            * fused view/transpose/view (see q8_graph_fuse_channel_shuffles) */
  q8_op_view,              /* aten::view(self, int[] size) */
  q8_op_transpose,         /* aten::transpose.int: only inside a channel shuffle */
  q8_op_chunk,             /* aten::chunk(self, chunks, dim) + a 4th input: which chunk */
  /* Scalar shape arithmetic, evaluated when a program is planned. Their
   * outputs are ints (or int lists) that are not constant. */
  q8_op_size,              /* aten::size.int(self, dim) -> int */
  q8_op_floor_divide,      /* aten::floor_divide / floordiv on ints */
  q8_op_int_mul,           /* aten::mul on ints (quantized::mul is q8_op_mul) */
  q8_op_list_construct,    /* prim::ListConstruct of ints, some computed -> int[] */
  q8_op_kind_count
} q8_op_kind;

#define Q8_NODE_NAME_SIZE 96

typedef struct q8_node {
  q8_op_kind kind;
  char name[Q8_NODE_NAME_SIZE]; /* "quantized::conv2d.new" */
  size_t instruction;           /* index of the OP instruction, for messages */
  uint32_t* inputs;             /* value ids, schema order, defaults filled in */
  size_t num_inputs;
  uint32_t output; /* every supported operator has one result (aten::chunk
                    * becomes one node per chunk) */
  bool removed;    /* dropped by a pass */
  /* Output clamp in real units, from a fused relu/relu6/hardtanh/clamp or
   * the _relu variant of an op: [clamp_min, clamp_max]. */
  bool has_clamp;
  float clamp_min, clamp_max;
  /* PyTorch 1.13's out-of-place quantized hardtanh / clamp / relu6 return a
   * contiguous tensor holding the input's memory in order: on a
   * channels_last input, NHWC bytes read back as NCHW. Bit-exactness with
   * PyTorch means doing the same (the planner knows the memory formats). */
  bool relayout;
} q8_node;

typedef struct q8_graph {
  q8_value* values;
  size_t num_values, values_capacity;
  q8_node* nodes;
  size_t num_nodes, nodes_capacity;
  uint64_t max_nodes; /* q8_graph_add_node refuses more (0: no limit) */
  uint32_t* inputs; /* graph inputs (fp32 tensors), in schema order */
  size_t num_inputs;
  uint32_t* outputs; /* graph outputs */
  size_t num_outputs;
} q8_graph;

/* Fills *error (if not NULL) and returns status; messages are printf-style. */
q8_status q8_graph_fail(q8_error* error, q8_status status, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

q8_status q8_graph_create(q8_graph** graph_out, q8_error* error);
void q8_graph_delete(q8_graph* graph);
void q8_packed_weights_free(q8_packed_weights* packed);

/* Appends a value of `kind` (zeroed otherwise); *id_out receives its id.
 * The values array may move: do not keep q8_value pointers across calls. */
q8_status q8_graph_add_value(q8_graph* graph, q8_value_kind kind, uint32_t* id_out,
                             q8_error* error);

/* Appends a node (inputs copied) with a fresh tensor output value. */
q8_status q8_graph_add_node(q8_graph* graph, q8_op_kind kind, const char* name,
                            size_t instruction, const uint32_t* inputs, size_t num_inputs,
                            uint32_t* output_out, q8_error* error);

/* aten::chunk(self, chunks, dim=0) with `args` in schema order (dim may be
 * left out): one q8_op_chunk node per chunk, inputs (self, chunks, dim,
 * index), and a tensor list of their outputs in *list_out. chunks must be
 * a constant in [1, 1024]. */
q8_status q8_graph_add_chunks(q8_graph* graph, const char* name, size_t instruction,
                              const uint32_t* args, size_t num_args, uint32_t* list_out,
                              q8_error* error);

/* A new constant int value. */
q8_status q8_graph_add_int(q8_graph* graph, int64_t x, uint32_t* id_out, q8_error* error);

/* The operator kind for a TorchScript operator name and overload, or
 * q8_op_unknown. Sets *relu for the fused _relu variants. */
q8_op_kind q8_op_kind_from_name(const char* name, const char* overload, bool* relu);

/* Number of nodes (not removed) reading value `id`, directly or through a
 * tensor list, plus one if it is a graph output. */
size_t q8_graph_use_count(const q8_graph* graph, uint32_t id);

/* Passes. Each leaves the graph valid; removed nodes stay in the array with
 * removed set and their output rewired. */

/* Drops identity-like nodes (dropout in eval, contiguous, detach, to() a
 * float tensor to float) by rewiring their consumers to their input. */
q8_status q8_graph_drop_identities(q8_graph* graph, q8_error* error);

/* Folds relu / relu6 / hardtanh / clamp into the conv, linear or add that
 * produces their input when they are its only consumer. A relayout node
 * stays, without its clamp, to do the relayout. */
q8_status q8_graph_fuse_clamps(q8_graph* graph, q8_error* error);

/* Turns each view -> transpose(1, 2) -> view chain (contiguous already
 * dropped), every link the only use of the previous, into one
 * q8_op_channel_shuffle node with inputs (x, first size list, second size
 * list); the planner checks that the sizes really describe a shuffle. */
q8_status q8_graph_fuse_channel_shuffles(q8_graph* graph, q8_error* error);

/* The output kind of a node of `kind` (tensor unless scalar arithmetic). */
q8_value_kind q8_op_output_kind(q8_op_kind kind);

/* Accessors for constant operator arguments; false if absent, computed at
 * plan time or of another kind. */
bool q8_graph_const_int(const q8_graph* graph, uint32_t id, int64_t* out);
bool q8_graph_const_float(const q8_graph* graph, uint32_t id, double* out); /* int or float */
bool q8_graph_is_none(const q8_graph* graph, uint32_t id);

#endif

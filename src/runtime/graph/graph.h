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
  q8_value_rnn_cell,      /* a dynamic RNN cell's packed weights (CellParamsBase) */
  q8_value_rnn_cell_list, /* a list of them (u.tensors holds their value ids) */
  q8_value_qtensor,       /* a constant quint8 tensor, per-tensor quantized (prelu's weight) */
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

/* A quantized dynamic RNN cell (torch.classes.rnn.CellParamsBase of kind
 * "quantized_dynamic"): input and hidden linears, each with its bias. */
typedef struct q8_rnn_cell {
  q8_packed_weights* input;  /* [gates * H][in] */
  q8_packed_weights* hidden; /* [gates * H][H] */
} q8_rnn_cell;

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
    q8_rnn_cell* cell;
    struct {
      uint8_t* data; /* codes in row-major order */
      size_t count;
      float scale;
      int32_t zero_point;
    } qtensor;
    struct {
      char* text; /* NUL-terminated, or NULL (a formatted message) */
      size_t length;
    } str;
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
  /* The tensor's rank when the loader can tell it (conv2d outputs are 4-D
   * whatever the input size); 0 if unknown. Scripted models branch on it. */
  uint32_t known_rank;
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
  q8_op_identity,          /* dropout, detach, to(float) on float... */
  q8_op_upsample_bilinear2d,
  q8_op_softmax,           /* quantized::softmax */
  q8_op_channel_shuffle,   /* aten::channel_shuffle, native_channel_shuffle, or the
                            * fused view/transpose/view (see q8_graph_fuse_channel_shuffles) */
  q8_op_view,              /* aten::view / aten::reshape(self, int[] size) */
  q8_op_transpose,         /* aten::transpose.int */
  q8_op_chunk,             /* aten::chunk(self, chunks, dim) + a 4th input: which chunk */
  /* Scalar shape arithmetic, evaluated when a program is planned. Their
   * outputs are ints (or int lists) that are not constant. */
  q8_op_size,              /* aten::size.int(self, dim) -> int */
  q8_op_floor_divide,      /* aten::floor_divide / floordiv on ints */
  q8_op_int_mul,           /* aten::mul on ints (quantized::mul is q8_op_mul) */
  q8_op_list_construct,    /* prim::ListConstruct of ints, some computed -> int[] */
  q8_op_sizes,             /* aten::size(self) -> int[] */
  q8_op_dim,               /* aten::dim(self) -> int */
  q8_op_len,               /* aten::len.t(int[]) -> int */
  q8_op_list_item,         /* aten::__getitem__.t(int[], int) -> int */
  q8_op_compare,           /* aten::eq / ne / lt / gt / le / ge on ints -> bool */
  q8_op_int_add,           /* aten::add.int */
  q8_op_int_sub,           /* aten::sub.int */
  q8_op_guard,             /* (bool cond, bool expected): a scripted model's
                            * `if cond: raise` check, evaluated at plan time */
  /* Tensor layout (no arithmetic; quint8 or float32). */
  q8_op_permute,           /* aten::permute(self, dims) */
  q8_op_slice,             /* aten::slice.Tensor(self, dim, start?, end?, step) */
  q8_op_select,            /* aten::select.int(self, dim, index) */
  q8_op_split,             /* aten::split.Tensor / split_with_sizes + a 4th input: which piece */
  q8_op_squeeze,           /* aten::squeeze(self) / squeeze.dim(self, dim) */
  q8_op_unsqueeze,         /* aten::unsqueeze(self, dim) */
  q8_op_pad,               /* aten::constant_pad_nd(self, pad, value), aten::pad (constant) */
  /* Quantized elementwise with a scalar (output qparams derived). */
  q8_op_add_scalar,        /* quantized::add_scalar(_relu), quantized::add.Scalar(_relu) */
  q8_op_mul_scalar,        /* quantized::mul_scalar(_relu), quantized::mul.Scalar(_relu) */
  q8_op_batch_norm,        /* quantized::batch_norm2d(_relu), batch_norm1d(_relu), batch_norm */
  q8_op_softmax_float,     /* aten::softmax.int / log_softmax.int on fp32 (dequantized) tensors */
  q8_op_zeros,             /* aten::zeros(size, dtype?, ...) of fp32 (RNN initial states) */
  q8_op_layer_norm,        /* quantized::layer_norm */
  q8_op_group_norm,        /* quantized::group_norm, quantized::instance_norm */
  q8_op_prelu,             /* quantized::prelu(qx, weight, output_scale, output_zero_point) */
  q8_op_elu,               /* quantized::elu(self, output_scale, output_zero_point, alpha, scale,
                            * input_scale) */
  q8_op_lstm,              /* aten::quantized_lstm.input (dynamic) + a 12th input: which
                            * result (0 output, 1 h_n, 2 c_n) */
  q8_op_gru,               /* aten::quantized_gru.input + a last input: which result (0
                            * output, 1 h_n) */
  q8_op_contiguous,        /* aten::contiguous(self, memory_format) of a 4-D tensor: a copy that
                            * sets PyTorch's memory format (see q8_graph_drop_identities) */
  q8_op_stack,             /* aten::stack: only while loading, see q8_graph_add_stack */
  q8_op_list_slice,        /* aten::slice.t(int[] l, start?, end?, step=1) -> int[] (x.shape[-2:]) */
  q8_op_silu,              /* aten::silu(_) of fp32 (FX leaves nn.SiLU unquantized) */
  q8_op_gelu,              /* aten::gelu(self, approximate) of fp32 */
  q8_op_conv1d,            /* quantized::conv1d(_relu): only while loading, see q8_graph_add_conv1d */
  q8_op_pool1d,            /* aten::max_pool1d / avg_pool1d / adaptive_avg_pool1d: only while
                            * loading, see q8_graph_add_pool1d */
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
  struct q8_split_source* splits; /* lists of q8_graph_add_split */
  size_t num_splits;
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

/* A new constant string value (text copied; at most 4096 bytes kept). */
q8_status q8_graph_add_string(q8_graph* graph, const char* text, size_t length, uint32_t* id_out,
                              q8_error* error);

/* Whether value `id` is the constant string `text`. */
bool q8_graph_is_string(const q8_graph* graph, uint32_t id, const char* text);

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

/* Folds quantize_per_tensor(dequantize(x), scale, zero_point, quint8) to x
 * when x's producer made it with the same constant scale and zero point
 * (quantize, conv, linear, add, mul, quantized::cat): the round trip is
 * exact. Other qparams would be a requantization and stay. A dequantize
 * left unread is removed by q8_graph_drop_unused_scalars. */
q8_status q8_graph_fold_quant_pairs(q8_graph* graph, q8_error* error);

/* aten::split.Tensor(self, split_size, dim=0) / split_with_sizes(self,
 * split_sizes, dim=0), args in schema order (dim may be left out): an empty
 * tensor list *list_out whose pieces are made on demand by
 * q8_graph_split_piece / q8_graph_unpack_split (how many pieces split_size
 * gives depends on the input's shape, which only the plan knows). Each piece
 * is a q8_op_split node with inputs (self, split_size(s), dim, index). */
q8_status q8_graph_add_split(q8_graph* graph, const char* name, size_t instruction,
                             const uint32_t* args, size_t num_args, uint32_t* list_out,
                             q8_error* error);

/* quantized::conv1d(_relu)(qx, packed, scale, zero_point) as PyTorch runs
 * it: unsqueeze(qx, 2), the 2-D convolution of its (O, I, 1, K) packed
 * weights, squeeze(., 2). *output_out gets the squeezed tensor. */
q8_status q8_graph_add_conv1d(q8_graph* graph, const char* name, size_t instruction, bool relu,
                              const uint32_t* args, size_t num_args, uint32_t* output_out,
                              q8_error* error);

/* aten::max_pool1d(self, kernel_size, stride=[], padding=0, dilation=1,
 * ceil_mode=False), avg_pool1d(self, kernel_size, stride=[], padding=0,
 * ceil_mode=False, count_include_pad=True) and adaptive_avg_pool1d(self,
 * output_size) of a 3-D (N, C, L) tensor, as ATen runs them on quantized
 * tensors: the 2-D pool with (1, k) windows of unsqueeze(self, 2), squeezed. */
q8_status q8_graph_add_pool1d(q8_graph* graph, const char* name, size_t instruction,
                              const uint32_t* args, size_t num_args, uint32_t* output_out,
                              q8_error* error);

/* aten::stack(tensors, dim=0) as ATen runs it: cat of the tensors each
 * unsqueezed at dim (on quantized tensors ATen's cat, whose inputs share
 * qparams). *output_out gets the cat's output. */
q8_status q8_graph_add_stack(q8_graph* graph, const char* name, size_t instruction,
                             const uint32_t* args, size_t num_args, uint32_t* output_out,
                             q8_error* error);

/* True if `list` was made by q8_graph_add_split. */
bool q8_graph_is_split(const q8_graph* graph, uint32_t list);

/* Piece `index` (0 to 1023) of split list `list`. */
q8_status q8_graph_split_piece(q8_graph* graph, uint32_t list, int64_t index, uint32_t* piece,
                               q8_error* error);

/* Unpacking `list` into `count` values: pieces 0 .. count - 1 become the
 * list's items. */
q8_status q8_graph_unpack_split(q8_graph* graph, uint32_t list, size_t count, q8_error* error);

/* The output kind of a node of `kind` (tensor unless scalar arithmetic). */
q8_value_kind q8_op_output_kind(q8_op_kind kind);

/* Scalar arithmetic and checks: their arguments are ints, lists or bools
 * (aten::size's first one a tensor), their outputs not tensors. */
bool q8_op_is_scalar(q8_op_kind kind);

/* The dtype of a node's tensor output: float32 for dequantize and dynamic
 * linear, the first input's for layout ops, unknown for scalar ops, quint8
 * otherwise. */
q8_tensor_dtype q8_op_output_dtype(const q8_graph* graph, q8_op_kind kind, const uint32_t* inputs);

/* A q8_op_guard node: the model raises unless `cond` equals `expected`.
 * A check of the form len(x.size()) != K (or == K expected true) also makes
 * K x's known rank. */
q8_status q8_graph_add_guard(q8_graph* graph, uint32_t cond, bool expected, size_t instruction,
                             q8_error* error);

/* Removes nodes nothing reads (shape arithmetic folded away, results a
 * model computes and drops); every operator is free of side effects. */
q8_status q8_graph_drop_unused_scalars(q8_graph* graph, q8_error* error);

/* Sets the known_rank of a new node's output where the operator and its
 * inputs' known ranks determine it. */
void q8_graph_infer_rank(q8_graph* graph, const q8_node* node);

/* Folds a scalar node whose inputs are all load-time constants into a
 * constant output (the node is removed); false if it cannot. Front ends
 * call it so that conditions on constants stay constant. */
bool q8_graph_fold_scalar(q8_graph* graph, q8_node* node);

/* Evaluates scalar op `kind` (of q8_op_is_scalar, not aten::size/dim) on
 * int operands: a, b (b unused by len). Returns false on a domain error
 * (division by zero, overflow). For compare, `name` picks the predicate. */
bool q8_scalar_eval(q8_op_kind kind, const char* name, int64_t a, int64_t b, int64_t* out);

/* Accessors for constant operator arguments; false if absent, computed at
 * plan time or of another kind. */
bool q8_graph_const_int(const q8_graph* graph, uint32_t id, int64_t* out);
bool q8_graph_const_float(const q8_graph* graph, uint32_t id, double* out); /* int or float */
bool q8_graph_is_none(const q8_graph* graph, uint32_t id);

#endif

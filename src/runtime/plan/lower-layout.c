/*
 * Lowering of the shape-arithmetic and layout nodes: aten::size,
 * floor_divide and int lists (evaluated while a plan infers shapes, from
 * the concrete input shapes), view, chunk along channels, and channel
 * shuffle (aten::channel_shuffle or the fused view/transpose/view).
 *
 * Computed ints live in the plan's ints[] of their value; they take no
 * arena space and their steps do nothing at run time.
 */
#include <stdio.h>
#include <string.h>

#include "lower.h"

static uint32_t arg(const q8_step* s, size_t i) {
  return i < s->node->num_inputs ? s->node->inputs[i] : Q8_GRAPH_NO_VALUE;
}

static q8_tensor_plan* out_of(q8_program* p, const q8_step* s) { return &p->tensors[s->node->output]; }

static q8_tensor_plan* tensor_at(q8_program* p, const q8_step* s, size_t i) {
  const uint32_t id = arg(s, i);
  return id != Q8_GRAPH_NO_VALUE && p->tensors[id].is_tensor ? &p->tensors[id] : NULL;
}

/* An int argument: a load-time constant or computed earlier in this plan. */
static bool scalar_of(const q8_program* p, uint32_t id, int64_t* out) {
  if (id == Q8_GRAPH_NO_VALUE) return false;
  if (q8_graph_const_int(p->graph, id, out)) return true;
  const q8_value* v = &p->graph->values[id];
  if ((v->kind != q8_value_int && v->kind != q8_value_bool) || v->is_constant ||
      p->tensors[id].num_ints != 1)
    return false;
  *out = p->tensors[id].ints[0];
  return true;
}

/* An int[] argument of at most Q8_GRAPH_MAX_DIMS entries, constant or computed. */
static bool list_of(const q8_program* p, uint32_t id, int64_t out[Q8_GRAPH_MAX_DIMS], size_t* count) {
  if (id == Q8_GRAPH_NO_VALUE || p->graph->values[id].kind != q8_value_int_list) return false;
  const q8_value* v = &p->graph->values[id];
  const int64_t* items = v->is_constant ? v->u.ints.items : p->tensors[id].ints;
  *count = v->is_constant ? v->u.ints.count : p->tensors[id].num_ints;
  if (*count > Q8_GRAPH_MAX_DIMS) return false;
  if (*count != 0) memcpy(out, items, *count * sizeof(int64_t));
  return true;
}

static size_t numel(const q8_tensor_plan* t) {
  size_t n = 1;
  for (size_t d = 0; d < t->rank; d++) n *= t->shape[d];
  return n;
}

static q8_status nothing(q8_program* p, q8_step* s, q8_error* error) {
  (void)p, (void)s, (void)error;
  return q8_status_success;
}

static q8_status nothing_to_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)p, (void)s, (void)pool, (void)error;
  return q8_status_success;
}

/* --- scalar arithmetic ------------------------------------------------------------ */

static q8_status scalar_create(q8_program* p, q8_step* s, q8_error* error) {
  const q8_op_kind kind = s->node->kind;
  const bool on_tensor = kind == q8_op_size || kind == q8_op_sizes || kind == q8_op_dim;
  const bool on_list = kind == q8_op_len || kind == q8_op_list_item;
  for (size_t i = on_tensor || on_list ? 1 : 0; i < s->node->num_inputs; i++) {
    const q8_value_kind k = p->graph->values[arg(s, i)].kind;
    if (k != q8_value_int && k != q8_value_bool)
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "argument %zu is not an int", i);
  }
  size_t arity = 2;
  if (kind == q8_op_sizes || kind == q8_op_dim || kind == q8_op_len) arity = 1;
  if (kind == q8_op_list_construct) arity = s->node->num_inputs;
  if (on_tensor && tensor_at(p, s, 0) == NULL)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not a tensor");
  if (on_list && p->graph->values[arg(s, 0)].kind != q8_value_int_list)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not an int list");
  if (s->node->num_inputs != arity)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "takes %zu arguments", arity);
  if (s->node->num_inputs > Q8_GRAPH_MAX_DIMS)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "lists of more than %d computed ints are not supported", Q8_GRAPH_MAX_DIMS);
  return q8_status_success;
}

static void set_int(q8_program* p, const q8_step* s, int64_t x) {
  q8_tensor_plan* out = out_of(p, s);
  out->ints[0] = x;
  out->num_ints = 1;
}

static q8_status size_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  int64_t dim;
  if (!scalar_of(p, arg(s, 1), &dim))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "dimension is not an int");
  if (dim < 0) dim += (int64_t)in->rank;
  if (dim < 0 || dim >= (int64_t)in->rank)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "dimension out of range for a %zu-D tensor", in->rank);
  set_int(p, s, (int64_t)in->shape[dim]);
  return q8_status_success;
}

/* aten::size(self) -> int[] and aten::dim(self) -> int */
static q8_status sizes_shape(q8_program* p, q8_step* s, q8_error* error) {
  (void)error;
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (s->node->kind == q8_op_dim) {
    set_int(p, s, (int64_t)in->rank);
    return q8_status_success;
  }
  q8_tensor_plan* out = out_of(p, s);
  for (size_t d = 0; d < in->rank; d++) out->ints[d] = (int64_t)in->shape[d];
  out->num_ints = in->rank;
  return q8_status_success;
}

/* Binary int arithmetic and comparisons. */
static q8_status binary_int_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t a, b, x;
  if (!scalar_of(p, arg(s, 0), &a) || !scalar_of(p, arg(s, 1), &b))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: operands are not ints");
  if (!q8_scalar_eval(s->node->kind, s->node->name, a, b, &x))
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "%lld and %lld: division by zero or overflow", (long long)a, (long long)b);
  set_int(p, s, x);
  return q8_status_success;
}

/* len(int[]) and int[][i] */
static q8_status list_op_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t items[Q8_GRAPH_MAX_DIMS], i = 0;
  size_t count;
  if (!list_of(p, arg(s, 0), items, &count) ||
      (s->node->kind == q8_op_list_item && !scalar_of(p, arg(s, 1), &i)))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "takes a list of at most %d ints", Q8_GRAPH_MAX_DIMS);
  if (s->node->kind == q8_op_len) {
    set_int(p, s, (int64_t)count);
    return q8_status_success;
  }
  if (i < 0) i += (int64_t)count;
  if (i < 0 || i >= (int64_t)count)
    return q8_step_fail(s, error, q8_status_invalid_parameter, "list index out of range");
  set_int(p, s, items[i]);
  return q8_status_success;
}

/* A scripted module's input check (`if cond: raise`), taken as not raising
 * at load time: the plan verifies it. */
static q8_status guard_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t condition, expected;
  if (!scalar_of(p, arg(s, 0), &condition) || !scalar_of(p, arg(s, 1), &expected))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "the condition is not a bool");
  if ((condition != 0) != (expected != 0))
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "the model's own check of its input fails here (it raises an exception "
                        "for these input shapes)");
  set_int(p, s, condition);
  return q8_status_success;
}

static q8_status list_shape(q8_program* p, q8_step* s, q8_error* error) {
  q8_tensor_plan* out = out_of(p, s);
  for (size_t i = 0; i < s->node->num_inputs; i++)
    if (!scalar_of(p, arg(s, i), &out->ints[i]))
      return q8_step_fail(s, error, q8_status_unsupported_parameter, "item %zu is not an int", i);
  out->num_ints = s->node->num_inputs;
  return q8_status_success;
}

/* --- view ------------------------------------------------------------------------- */

/* view sizes for `count` elements: at most one -1, the rest >= 0, product
 * equal to count. */
static bool resolve_sizes(const int64_t* sizes, size_t rank, size_t count, size_t* shape) {
  size_t known = 1, infer = rank;
  for (size_t d = 0; d < rank; d++) {
    if (sizes[d] == -1 && infer == rank) {
      infer = d;
      continue;
    }
    if (sizes[d] < 0 || sizes[d] > INT32_MAX) return false;
    shape[d] = (size_t)sizes[d];
    if (shape[d] != 0 && known > SIZE_MAX / shape[d]) return false;
    known *= shape[d];
  }
  if (infer < rank) {
    if (known == 0 || count % known != 0) return false;
    shape[infer] = count / known;
    known = count;
  }
  return known == count;
}

static q8_status view_create(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (in == NULL)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not a tensor");
  q8_tensor_plan* out = out_of(p, s);
  out->scale = in->scale;
  out->zero_point = in->zero_point;
  out->channels_last = false;
  return q8_status_success;
}

static q8_status view_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  int64_t sizes[Q8_GRAPH_MAX_DIMS];
  size_t rank;
  q8_tensor_plan* out = out_of(p, s);
  if (!list_of(p, arg(s, 1), sizes, &rank) || !resolve_sizes(sizes, rank, numel(in), out->shape))
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "the sizes do not fit the %zu elements of the input", numel(in));
  out->rank = rank;
  return q8_status_success;
}

/* Storage position of logical (row-major) element i of t. */
static size_t storage_index(const q8_tensor_plan* t, size_t i) {
  if (!t->nhwc) return i;
  const size_t c = t->shape[1], hw = t->shape[2] * t->shape[3];
  const size_t n = i / (c * hw), ch = i / hw % c, y = i % hw;
  return (n * hw + y) * c + ch;
}

/* A view reads the input's elements in logical order, whatever the storage. */
static q8_status view_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)pool, (void)error;
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  const q8_tensor_plan* out = out_of(p, s);
  const size_t esize = in->dtype == q8_tensor_quint8 ? 1 : 4, n = numel(in);
  const bool same_order = !in->nhwc && !out->nhwc;
  const bool same_image = in->nhwc && out->nhwc && in->shape[1] == out->shape[1] &&
                          in->shape[2] == out->shape[2] && in->shape[3] == out->shape[3];
  if (same_order || same_image) {
    memcpy(out->data, in->data, n * esize);
    return q8_status_success;
  }
  for (size_t i = 0; i < n; i++)
    memcpy(out->data + storage_index(out, i) * esize, in->data + storage_index(in, i) * esize, esize);
  return q8_status_success;
}

static q8_status transpose_create(q8_program* p, q8_step* s, q8_error* error) {
  (void)p;
  return q8_step_fail(s, error, q8_status_unsupported_parameter,
                      "unsupported operator: transpose is only supported inside a channel "
                      "shuffle (view(N, g, C/g, H, W), transpose(1, 2), contiguous, view(N, C, H, W))");
}

/* --- chunk (channel slices) -------------------------------------------------------- */

static q8_status chunk_create(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (in == NULL || in->dtype != q8_tensor_quint8)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: only quint8 tensors are chunked");
  q8_tensor_plan* out = out_of(p, s);
  out->scale = in->scale;
  out->zero_point = in->zero_point;
  out->channels_last = in->channels_last;
  return q8_status_success;
}

/* Chunks are slices of the storage's innermost (channel) axis: a strided
 * copy. aux[0]: first channel, aux[1]: input channels. */
static q8_status chunk_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  int64_t chunks, dim, index;
  if (!scalar_of(p, arg(s, 1), &chunks) || !scalar_of(p, arg(s, 2), &dim) ||
      !scalar_of(p, arg(s, 3), &index) || chunks < 1 || index < 0 || index >= chunks)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "chunks and dim must be ints");
  if (dim < 0) dim += (int64_t)in->rank;
  const int64_t axis = in->nhwc ? 1 : (int64_t)in->rank - 1;
  if (in->rank == 0 || dim != axis)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: chunk along dimension %lld of a %zu-D tensor (only "
                        "channels: dimension 1 of NCHW, or the last)", (long long)dim, in->rank);
  const size_t extent = in->shape[axis], size = (extent + (size_t)chunks - 1) / (size_t)chunks;
  const size_t start = size * (size_t)index;
  if (start >= extent)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: %zu channels split into %lld chunks leaves chunk %lld empty",
                        extent, (long long)chunks, (long long)index);
  q8_tensor_plan* out = out_of(p, s);
  out->rank = in->rank;
  memcpy(out->shape, in->shape, in->rank * sizeof(size_t));
  out->shape[axis] = extent - start < size ? extent - start : size;
  s->aux[0] = start;
  s->aux[1] = extent;
  return q8_status_success;
}

static q8_status strided_copy(q8_program* p, q8_step* s, const q8_channel_shuffle_params* params,
                              size_t pixels, const uint8_t* x, uint8_t* y, q8_error* error) {
  q8_status status = q8_channel_shuffle_create_nhwc(params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_channel_shuffle_setup_nhwc(s->shaped_op, pixels, 1, 1, x, y, error);
  if (status != q8_status_success && error != NULL) {
    char reason[Q8_ERROR_MESSAGE_SIZE];
    memcpy(reason, error->message, sizeof(reason));
    return q8_step_fail(s, error, status, "%s", reason);
  }
  return status;
}

static q8_status chunk_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  q8_tensor_plan* out = out_of(p, s);
  const size_t channels = out->nhwc ? out->shape[1] : out->shape[out->rank - 1];
  const q8_channel_shuffle_params params = {.groups = 1, .group_channels = channels,
                                            .input_pixel_stride = s->aux[1]};
  return strided_copy(p, s, &params, numel(out) / channels, in->data + s->aux[0], out->data, error);
}

/* --- channel shuffle ----------------------------------------------------------------- */

static q8_status shuffle_create(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (in == NULL || in->dtype != q8_tensor_quint8)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument 0 is not a quint8 tensor");
  q8_tensor_plan* out = out_of(p, s);
  out->scale = in->scale;
  out->zero_point = in->zero_point;
  /* The fused form ends in contiguous(): NCHW memory in PyTorch. */
  out->channels_last = s->node->num_inputs == 3 ? false : in->channels_last;
  return q8_status_success;
}

/* The fused view/transpose/view is a shuffle only when the first view is
 * (N, g, C/g, H, W) of the NCHW input and the second gives (N, C, H, W). */
static bool fused_groups(const q8_program* p, const q8_step* s, const q8_tensor_plan* in,
                         int64_t* groups) {
  int64_t a[Q8_GRAPH_MAX_DIMS], b[Q8_GRAPH_MAX_DIMS];
  size_t ra, rb, sa[Q8_GRAPH_MAX_DIMS], sb[Q8_GRAPH_MAX_DIMS];
  const size_t n = numel(in);
  if (!list_of(p, arg(s, 1), a, &ra) || !list_of(p, arg(s, 2), b, &rb) || ra != 5 || rb != 4 ||
      !resolve_sizes(a, ra, n, sa) || !resolve_sizes(b, rb, n, sb))
    return false;
  *groups = (int64_t)sa[1];
  return sa[0] == in->shape[0] && sa[1] * sa[2] == in->shape[1] && sa[3] == in->shape[2] &&
         sa[4] == in->shape[3] && memcmp(sb, in->shape, 4 * sizeof(size_t)) == 0 && sa[1] != 0;
}

static q8_status shuffle_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (in->rank != 4)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "input has %zu dimensions; 4 (NCHW) expected", in->rank);
  int64_t groups = 0;
  if (s->node->num_inputs == 3) {
    if (!fused_groups(p, s, in, &groups))
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "unsupported view/transpose(1, 2)/view: the sizes do not describe a "
                          "channel shuffle of the %zux%zux%zux%zu input", in->shape[0],
                          in->shape[1], in->shape[2], in->shape[3]);
  } else if (!scalar_of(p, arg(s, 1), &groups) || groups < 1 || in->shape[1] % (size_t)groups != 0) {
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "groups must be an int dividing the %zu channels", in->shape[1]);
  }
  s->aux[0] = (size_t)groups;
  q8_tensor_plan* out = out_of(p, s);
  out->rank = 4;
  memcpy(out->shape, in->shape, 4 * sizeof(size_t));
  return q8_status_success;
}

static q8_status shuffle_setup(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (s->aux[0] > UINT32_MAX)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "too many groups");
  const q8_channel_shuffle_params params = {.groups = (uint32_t)s->aux[0],
                                            .group_channels = in->shape[1] / s->aux[0]};
  q8_status status = q8_channel_shuffle_create_nhwc(&params, p->isa, &s->shaped_op, error);
  if (status == q8_status_success)
    status = q8_channel_shuffle_setup_nhwc(s->shaped_op, in->shape[0], in->shape[2], in->shape[3],
                                           in->data, out_of(p, s)->data, error);
  if (status != q8_status_success && error != NULL) {
    char reason[Q8_ERROR_MESSAGE_SIZE];
    memcpy(reason, error->message, sizeof(reason));
    return q8_step_fail(s, error, status, "%s", reason);
  }
  return status;
}

/* --- the table ------------------------------------------------------------------------ */

static const q8_lowering size_lowering = {scalar_create, size_shape, nothing, nothing_to_run};
static const q8_lowering sizes_lowering = {scalar_create, sizes_shape, nothing, nothing_to_run};
static const q8_lowering binary_int_lowering = {scalar_create, binary_int_shape, nothing,
                                                nothing_to_run};
static const q8_lowering list_op_lowering = {scalar_create, list_op_shape, nothing, nothing_to_run};
static const q8_lowering guard_lowering = {scalar_create, guard_shape, nothing, nothing_to_run};
static const q8_lowering list_lowering = {scalar_create, list_shape, nothing, nothing_to_run};
static const q8_lowering view_lowering = {view_create, view_shape, nothing, view_run};
static const q8_lowering transpose_lowering = {transpose_create, NULL, NULL, NULL};
static const q8_lowering chunk_lowering = {chunk_create, chunk_shape, chunk_setup, NULL};
static const q8_lowering shuffle_lowering = {shuffle_create, shuffle_shape, shuffle_setup, NULL};

const q8_lowering* q8_layout_lowering_for(q8_op_kind kind) {
  switch (kind) {
    case q8_op_size: return &size_lowering;
    case q8_op_sizes:
    case q8_op_dim: return &sizes_lowering;
    case q8_op_floor_divide:
    case q8_op_int_mul:
    case q8_op_int_add:
    case q8_op_int_sub:
    case q8_op_compare: return &binary_int_lowering;
    case q8_op_len:
    case q8_op_list_item: return &list_op_lowering;
    case q8_op_guard: return &guard_lowering;
    case q8_op_list_construct: return &list_lowering;
    case q8_op_view: return &view_lowering;
    case q8_op_transpose: return &transpose_lowering;
    case q8_op_chunk: return &chunk_lowering;
    case q8_op_channel_shuffle: return &shuffle_lowering;
    default: return NULL;
  }
}

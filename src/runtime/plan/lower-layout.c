/*
 * Lowering of the shape-arithmetic and layout nodes: aten::size,
 * floor_divide and int lists (evaluated while a plan infers shapes, from
 * the concrete input shapes), view, chunk along channels, and channel
 * shuffle (aten::channel_shuffle or the fused view/transpose/view).
 *
 * Computed ints live in the plan's ints[] of their value; they take no
 * arena space and their steps do nothing at run time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lower.h"
#include "../../quant/quantize.h"

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
  const bool on_list = kind == q8_op_len || kind == q8_op_list_item ||
                       (kind == q8_op_compare && p->graph->values[arg(s, 0)].kind == q8_value_int_list);
  const bool list_compare = kind == q8_op_compare && p->graph->values[arg(s, 0)].kind == q8_value_int_list;
  for (size_t i = on_tensor || on_list ? 1 : 0; !list_compare && i < s->node->num_inputs; i++) {
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

/* Binary int arithmetic and comparisons (eq / ne also of two int lists). */
static q8_status binary_int_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t a, b, x;
  if (s->node->kind == q8_op_compare && p->graph->values[arg(s, 0)].kind == q8_value_int_list) {
    int64_t la[Q8_GRAPH_MAX_DIMS], lb[Q8_GRAPH_MAX_DIMS];
    size_t na, nb;
    if (!list_of(p, arg(s, 0), la, &na) || !list_of(p, arg(s, 1), lb, &nb))
      return q8_step_fail(s, error, q8_status_unsupported_parameter, "operands are not int lists");
    const bool equal = na == nb && (na == 0 || memcmp(la, lb, na * sizeof(int64_t)) == 0);
    set_int(p, s, strstr(s->node->name, "::eq") != NULL ? equal : !equal);
    return q8_status_success;
  }
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

/* aten::slice.t(int[] l, int? start=None, int? end=None, int step=1) -> int[]
 * (x.shape[-2:]), Python's slice rules. */
static bool none_or_int(const q8_program* p, const q8_step* s, size_t i) {
  const uint32_t id = arg(s, i);
  if (id == Q8_GRAPH_NO_VALUE) return true;
  const q8_value_kind k = p->graph->values[id].kind;
  return k == q8_value_none || k == q8_value_int || k == q8_value_bool;
}

static q8_status list_slice_create(q8_program* p, q8_step* s, q8_error* error) {
  if (s->node->num_inputs < 1 || s->node->num_inputs > 4 ||
      p->graph->values[arg(s, 0)].kind != q8_value_int_list || !none_or_int(p, s, 1) ||
      !none_or_int(p, s, 2) || !none_or_int(p, s, 3))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "takes an int list and optional int start, end and step");
  return q8_status_success;
}

static q8_status list_slice_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t items[Q8_GRAPH_MAX_DIMS], bound[2] = {0, 0}, step = 1;
  size_t count;
  if (!list_of(p, arg(s, 0), items, &count))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "takes a list of at most %d ints", Q8_GRAPH_MAX_DIMS);
  bound[1] = (int64_t)count;
  for (size_t k = 0; k < 3; k++) {
    const uint32_t id = arg(s, k + 1);
    if (id == Q8_GRAPH_NO_VALUE || p->graph->values[id].kind == q8_value_none) continue;
    int64_t x;
    if (!scalar_of(p, id, &x))
      return q8_step_fail(s, error, q8_status_unsupported_parameter, "argument %zu is not an int", k + 1);
    if (k < 2) bound[k] = x;
    else step = x;
  }
  if (step < 1)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "step %lld: only positive steps",
                        (long long)step);
  for (size_t k = 0; k < 2; k++) {
    if (bound[k] < 0) bound[k] += (int64_t)count;
    if (bound[k] < 0) bound[k] = 0;
    if (bound[k] > (int64_t)count) bound[k] = (int64_t)count;
  }
  q8_tensor_plan* out = out_of(p, s);
  out->num_ints = 0;
  for (int64_t i = bound[0]; i < bound[1]; i += step) out->ints[out->num_ints++] = items[i];
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

/* squeeze(self) / squeeze.dim(self, dim) and unsqueeze(self, dim): views
 * with a computed shape. */
static q8_status squeeze_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  q8_tensor_plan* out = out_of(p, s);
  const bool unsqueeze = s->node->kind == q8_op_unsqueeze;
  int64_t dim = 0;
  const bool all = !unsqueeze && s->node->num_inputs < 2;
  if (!all && !scalar_of(p, arg(s, 1), &dim))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "dim is not an int");
  const int64_t rank = (int64_t)in->rank + (unsqueeze ? 1 : 0);
  if (dim < 0) dim += rank;
  if (!all && (dim < 0 || dim >= (rank ? rank : 1)))
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "dimension %lld out of range for a %zu-D tensor", (long long)dim, in->rank);
  if (unsqueeze && in->rank >= Q8_GRAPH_MAX_DIMS)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: more than %d dimensions", Q8_GRAPH_MAX_DIMS);
  out->rank = 0;
  for (int64_t d = 0; d <= (int64_t)in->rank; d++) {
    if (unsqueeze && d == dim) out->shape[out->rank++] = 1;
    if (d == (int64_t)in->rank) break;
    const bool drop = !unsqueeze && in->shape[d] == 1 && (all || d == dim);
    if (!drop) out->shape[out->rank++] = in->shape[d];
  }
  return q8_status_success;
}

/* --- layout ops as index maps (see q8_layout_map) ------------------------------------ */

/* Storage strides (elements) of t's logical dimensions. */
static void storage_strides(const q8_tensor_plan* t, int64_t strides[Q8_GRAPH_MAX_DIMS]) {
  if (t->nhwc) {
    const int64_t c = (int64_t)t->shape[1], w = (int64_t)t->shape[3], h = (int64_t)t->shape[2];
    strides[0] = h * w * c, strides[1] = 1, strides[2] = w * c, strides[3] = c;
    return;
  }
  int64_t stride = 1;
  for (size_t d = t->rank; d-- > 0;) {
    strides[d] = stride;
    stride *= (int64_t)t->shape[d];
  }
}

/* Index i of an input dimension of extent n, padded: -1 for the fill value. */
static int64_t pad_index(int64_t i, int64_t n, q8_pad_mode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case q8_pad_reflect:
      if (n == 1) return 0;
      while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
      return i;
    case q8_pad_replicate: return i < 0 ? 0 : n - 1;
    default: return -1;
  }
}

static q8_status layout_create(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  if (in == NULL || (in->dtype != q8_tensor_quint8 && in->dtype != q8_tensor_float32))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "argument 0 is not a quint8 or float32 tensor");
  q8_tensor_plan* out = out_of(p, s);
  out->scale = in->scale;
  out->zero_point = in->zero_point;
  /* Slices keep PyTorch's memory format; permutes are read back contiguous. */
  const q8_op_kind k = s->node->kind;
  out->channels_last = (k == q8_op_slice || k == q8_op_split || k == q8_op_chunk || k == q8_op_pad)
                           ? in->channels_last : false;
  return q8_status_success;
}

/* The map of an output that equals the input (start 0, step 1 everywhere). */
static void identity_map(q8_layout_map* m, size_t rank) {
  memset(m, 0, sizeof(*m));
  m->rank = rank;
  for (size_t d = 0; d < rank; d++) m->dims[d] = (q8_layout_dim){(int32_t)d, 0, 1, q8_pad_none};
}

static bool dim_arg(const q8_program* p, const q8_step* s, size_t i, size_t rank, int64_t* dim) {
  if (!scalar_of(p, arg(s, i), dim)) return false;
  if (*dim < 0) *dim += (int64_t)rank;
  return *dim >= 0 && *dim < (int64_t)rank;
}

static q8_status bad_dim(const q8_step* s, size_t rank, q8_error* error) {
  return q8_step_fail(s, error, q8_status_invalid_parameter,
                      "the dimension argument is not a valid dimension of a %zu-D tensor", rank);
}

/* permute(self, dims) and transpose.int(self, dim0, dim1). */
static q8_status permute_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  q8_tensor_plan* out = out_of(p, s);
  q8_layout_map* m = &s->layout;
  identity_map(m, in->rank);
  if (s->node->kind == q8_op_transpose) {
    int64_t a, b;
    if (!dim_arg(p, s, 1, in->rank, &a) || !dim_arg(p, s, 2, in->rank, &b)) return bad_dim(s, in->rank, error);
    m->dims[a].src_dim = (int32_t)b;
    m->dims[b].src_dim = (int32_t)a;
  } else {
    int64_t dims[Q8_GRAPH_MAX_DIMS];
    size_t count;
    bool seen[Q8_GRAPH_MAX_DIMS] = {false};
    if (!list_of(p, arg(s, 1), dims, &count) || count != in->rank)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "dims must list the %zu dimensions of the input", in->rank);
    for (size_t d = 0; d < count; d++) {
      int64_t x = dims[d] < 0 ? dims[d] + (int64_t)in->rank : dims[d];
      if (x < 0 || x >= (int64_t)in->rank || seen[x])
        return q8_step_fail(s, error, q8_status_invalid_parameter,
                            "dims is not a permutation of the input's %zu dimensions", in->rank);
      seen[x] = true;
      m->dims[d].src_dim = (int32_t)x;
    }
  }
  out->rank = in->rank;
  for (size_t d = 0; d < in->rank; d++) out->shape[d] = in->shape[m->dims[d].src_dim];
  return q8_status_success;
}

/* Clamps a slice bound as PyTorch does (negative: from the end). */
static int64_t slice_bound(int64_t x, int64_t n) {
  if (x < 0) x += n;
  return x < 0 ? 0 : x > n ? n : x;
}

/* slice.Tensor(self, dim=0, start=None, end=None, step=1) and
 * select.int(self, dim, index). */
static q8_status slice_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  q8_tensor_plan* out = out_of(p, s);
  q8_layout_map* m = &s->layout;
  int64_t dim = 0;
  if (s->node->num_inputs > 1 && !q8_graph_is_none(p->graph, arg(s, 1)) &&
      !dim_arg(p, s, 1, in->rank, &dim))
    return bad_dim(s, in->rank, error);
  if (in->rank == 0) return bad_dim(s, in->rank, error);
  const int64_t n = (int64_t)in->shape[dim];
  identity_map(m, in->rank);
  if (s->node->kind == q8_op_select) {
    int64_t index;
    if (!scalar_of(p, arg(s, 2), &index) || index < -n || index >= n)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "index out of range for dimension %lld of extent %lld", (long long)dim,
                          (long long)n);
    m->fixed[dim] = (size_t)(index < 0 ? index + n : index);
    out->rank = 0;
    m->rank = 0;
    for (size_t d = 0; d < in->rank; d++) {
      if ((int64_t)d == dim) continue;
      m->dims[m->rank++] = (q8_layout_dim){(int32_t)d, 0, 1, q8_pad_none};
      out->shape[out->rank++] = in->shape[d];
    }
    return q8_status_success;
  }
  int64_t start = 0, end = n, step = 1;
  if (s->node->num_inputs > 2 && !q8_graph_is_none(p->graph, arg(s, 2)) && !scalar_of(p, arg(s, 2), &start))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "start is not an int");
  if (s->node->num_inputs > 3 && !q8_graph_is_none(p->graph, arg(s, 3)) && !scalar_of(p, arg(s, 3), &end))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "end is not an int");
  if (s->node->num_inputs > 4 && !scalar_of(p, arg(s, 4), &step))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "step is not an int");
  if (step < 1 || step > INT32_MAX)
    return q8_step_fail(s, error, q8_status_invalid_parameter, "slice step %lld must be positive",
                        (long long)step);
  start = slice_bound(start, n);
  end = slice_bound(end, n);
  if (end <= start)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: the slice [%lld:%lld] of dimension %lld is empty",
                        (long long)start, (long long)end, (long long)dim);
  out->rank = in->rank;
  memcpy(out->shape, in->shape, in->rank * sizeof(size_t));
  out->shape[dim] = (size_t)((end - start + step - 1) / step);
  m->dims[dim].start = start;
  m->dims[dim].step = step;
  return q8_status_success;
}

/* A piece of chunk(self, chunks, dim) or split(self, split_size(s), dim):
 * inputs (self, chunks or split size(s), dim, index). */
static q8_status piece_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  q8_tensor_plan* out = out_of(p, s);
  int64_t dim, index, sizes[Q8_GRAPH_MAX_DIMS] = {0};
  size_t count = 0;
  if (!dim_arg(p, s, 2, in->rank, &dim)) return bad_dim(s, in->rank, error);
  if (!scalar_of(p, arg(s, 3), &index) || index < 0)
    return q8_step_fail(s, error, q8_status_invalid_parameter, "bad piece index");
  const int64_t n = (int64_t)in->shape[dim];
  int64_t start, length;
  const q8_value* v = &p->graph->values[arg(s, 1)];
  if (v->kind == q8_value_int_list) {
    /* split_with_sizes: the sizes must add up to the extent. */
    const int64_t* items = v->is_constant ? v->u.ints.items : sizes;
    if (v->is_constant) count = v->u.ints.count;
    else if (!list_of(p, arg(s, 1), sizes, &count)) count = 0;
    int64_t total = 0;
    start = 0;
    for (size_t i = 0; i < count; i++) {
      if (items[i] < 0 || items[i] > n) { total = -1; break; }
      if ((int64_t)i < index) start += items[i];
      total += items[i];
    }
    if (count == 0 || total != n || index >= (int64_t)count)
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "split sizes do not add up to the extent %lld of dimension %lld",
                          (long long)n, (long long)dim);
    length = items[index];
  } else {
    int64_t size;
    if (!scalar_of(p, arg(s, 1), &size) || size < 1)
      return q8_step_fail(s, error, q8_status_invalid_parameter, "the split size or chunk count must be a positive int");
    if (s->node->kind == q8_op_chunk) size = (n + size - 1) / size; /* chunks -> chunk size */
    start = size * index;
    length = n - start < size ? n - start : size;
  }
  if (start >= n || length < 1)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: piece %lld of dimension %lld (extent %lld) is empty",
                        (long long)index, (long long)dim, (long long)n);
  out->rank = in->rank;
  memcpy(out->shape, in->shape, in->rank * sizeof(size_t));
  out->shape[dim] = (size_t)length;
  identity_map(&s->layout, in->rank);
  s->layout.dims[dim].start = start;
  /* Channel slices of NHWC storage run as the strided copy below. */
  s->aux[0] = (size_t)start;
  s->aux[1] = (size_t)n;
  s->aux[2] = (dim == (in->nhwc ? 1 : (int64_t)in->rank - 1)) && in->dtype == q8_tensor_quint8;
  return q8_status_success;
}

/* constant_pad_nd(self, pad, value=0) and pad(self, pad, mode="constant",
 * value=None): pad lists (before, after) pairs from the last dimension. */
static q8_status pad_shape(q8_program* p, q8_step* s, q8_error* error) {
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  q8_tensor_plan* out = out_of(p, s);
  q8_layout_map* m = &s->layout;
  int64_t pad[2 * Q8_GRAPH_MAX_DIMS];
  size_t count;
  if (!list_of(p, arg(s, 1), pad, &count) || count % 2 != 0 || count / 2 > in->rank)
    return q8_step_fail(s, error, q8_status_invalid_parameter,
                        "pad must hold (before, after) pairs for at most the %zu dimensions", in->rank);
  q8_pad_mode mode = q8_pad_constant;
  double value = 0.0;
  const bool is_pad = strncmp(s->node->name, "aten::pad", 9) == 0;
  if (is_pad && s->node->num_inputs > 2 && !q8_graph_is_none(p->graph, arg(s, 2))) {
    if (q8_graph_is_string(p->graph, arg(s, 2), "reflect")) mode = q8_pad_reflect;
    else if (q8_graph_is_string(p->graph, arg(s, 2), "replicate")) mode = q8_pad_replicate;
    else if (!q8_graph_is_string(p->graph, arg(s, 2), "constant"))
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "unsupported padding mode (constant, reflect and replicate are)");
  }
  const size_t value_arg = is_pad ? 3 : 2;
  if (s->node->num_inputs > value_arg && !q8_graph_is_none(p->graph, arg(s, value_arg)) &&
      (!q8_graph_const_float(p->graph, arg(s, value_arg), &value) || !isfinite(value)))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "the pad value is not a constant number");
  identity_map(m, in->rank);
  out->rank = in->rank;
  for (size_t d = 0; d < in->rank; d++) {
    const size_t k = in->rank - 1 - d; /* pairs start at the last dimension */
    const int64_t before = 2 * k < count ? pad[2 * k] : 0, after = 2 * k < count ? pad[2 * k + 1] : 0;
    const int64_t n = (int64_t)in->shape[d], extent = n + before + after;
    if (before < -n || after < -n || before > INT32_MAX || after > INT32_MAX || extent < 1 ||
        extent > INT32_MAX || (mode == q8_pad_reflect && (before >= n || after >= n)))
      return q8_step_fail(s, error, q8_status_invalid_parameter,
                          "padding (%lld, %lld) does not fit dimension %zu of extent %lld",
                          (long long)before, (long long)after, d, (long long)n);
    out->shape[d] = (size_t)extent;
    m->dims[d].start = -before;
    m->dims[d].pad = before != 0 || after != 0 ? mode : q8_pad_none;
  }
  if (in->dtype == q8_tensor_quint8) {
    m->fill = q8_quantize_value((float)value, 1.0f / in->scale, in->zero_point);
  } else {
    const float f = (float)value;
    memcpy(&m->fill, &f, sizeof(f));
  }
  return q8_status_success;
}

/* Copies through s->layout, in the output's storage order. */
static q8_status layout_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)pool, (void)error;
  const q8_tensor_plan* in = tensor_at(p, s, 0);
  const q8_tensor_plan* out = out_of(p, s);
  const q8_layout_map* m = &s->layout;
  const size_t esize = in->dtype == q8_tensor_quint8 ? 1 : 4, rank = out->rank;
  int64_t in_strides[Q8_GRAPH_MAX_DIMS] = {0}, base = 0;
  storage_strides(in, in_strides);
  bool used[Q8_GRAPH_MAX_DIMS] = {false};
  for (size_t d = 0; d < rank; d++)
    if (m->dims[d].src_dim >= 0) used[m->dims[d].src_dim] = true;
  for (size_t d = 0; d < in->rank; d++)
    if (!used[d]) base += (int64_t)m->fixed[d] * in_strides[d];
  /* The output's storage order of its logical dimensions. */
  size_t order[Q8_GRAPH_MAX_DIMS];
  for (size_t d = 0; d < rank; d++) order[d] = d;
  if (out->nhwc) order[1] = 2, order[2] = 3, order[3] = 1;
  size_t index[Q8_GRAPH_MAX_DIMS] = {0};
  const size_t inner = rank ? order[rank - 1] : 0, inner_n = rank ? out->shape[inner] : 1;
  const q8_layout_dim* id = rank ? &m->dims[inner] : NULL;
  const int64_t inner_stride = id && id->src_dim >= 0 ? in_strides[id->src_dim] * id->step : 0;
  const int64_t inner_extent = id && id->src_dim >= 0 ? (int64_t)in->shape[id->src_dim] : 1;
  uint8_t* y = out->data;
  for (size_t done = 0, total = numel(out); done < total; done += inner_n) {
    /* Offset of the row's outer indices; -1 if one of them is padding. */
    int64_t offset = base;
    for (size_t k = 0; k + 1 < rank && offset >= 0; k++) {
      const size_t d = order[k];
      const q8_layout_dim* ld = &m->dims[d];
      if (ld->src_dim < 0) continue;
      const int64_t i = pad_index(ld->start + (int64_t)index[d] * ld->step,
                                  (int64_t)in->shape[ld->src_dim], ld->pad);
      offset = i < 0 ? -1 : offset + i * in_strides[ld->src_dim];
    }
    if (offset >= 0 && (id == NULL || (id->pad == q8_pad_none && id->step >= 1))) {
      const uint8_t* x = in->data + (offset + (id && id->src_dim >= 0 ? id->start * in_strides[id->src_dim] : 0)) * (int64_t)esize;
      if (inner_stride == 1) {
        memcpy(y, x, inner_n * esize);
      } else {
        for (size_t i = 0; i < inner_n; i++)
          memcpy(y + i * esize, x + (int64_t)i * inner_stride * (int64_t)esize, esize);
      }
    } else {
      for (size_t i = 0; i < inner_n; i++) {
        int64_t j = id && id->src_dim >= 0 ? pad_index(id->start + (int64_t)i * id->step, inner_extent, id->pad) : 0;
        if (offset < 0 || j < 0) memcpy(y + i * esize, &m->fill, esize);
        else memcpy(y + i * esize, in->data + (offset + j * (id->src_dim >= 0 ? in_strides[id->src_dim] : 0)) * (int64_t)esize, esize);
      }
    }
    y += inner_n * esize;
    /* Next row: the odometer over the outer dimensions in storage order. */
    for (size_t k = rank > 1 ? rank - 1 : 0; k-- > 0;) {
      const size_t d = order[k];
      if (++index[d] < out->shape[d]) break;
      index[d] = 0;
    }
  }
  return q8_status_success;
}

/* --- chunk and split pieces along channels: a strided copy -------------------------- */

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

static q8_status piece_setup(q8_program* p, q8_step* s, q8_error* error) {
  return s->aux[2] ? chunk_setup(p, s, error) : q8_status_success;
}

static q8_status piece_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  if (s->shaped_op != NULL) {
    q8_status status = q8_operator_run(s->shaped_op, pool, error);
    if (status != q8_status_success && error != NULL) {
      char reason[Q8_ERROR_MESSAGE_SIZE];
      memcpy(reason, error->message, sizeof(reason));
      return q8_step_fail(s, error, status, "%s", reason);
    }
    return status;
  }
  return layout_run(p, s, pool, error);
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

/* --- zeros (an RNN's initial state) ------------------------------------------------------
 * aten::zeros(size, dtype=None, layout=None, device=None, pin_memory=None) */
static q8_status zeros_create(q8_program* p, q8_step* s, q8_error* error) {
  int64_t dtype = 6;
  if (s->node->num_inputs > 1 && !q8_graph_is_none(p->graph, arg(s, 1)) &&
      !q8_graph_const_int(p->graph, arg(s, 1), &dtype))
    dtype = -1;
  if (dtype != 6 || p->graph->values[arg(s, 0)].kind != q8_value_int_list)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: zeros other than float32 of a list of sizes");
  return q8_status_success;
}

static q8_status zeros_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t sizes[Q8_GRAPH_MAX_DIMS];
  size_t rank;
  q8_tensor_plan* out = out_of(p, s);
  if (!list_of(p, arg(s, 0), sizes, &rank) || rank == 0)
    return q8_step_fail(s, error, q8_status_invalid_parameter, "sizes must be 1 to %d ints",
                        Q8_GRAPH_MAX_DIMS);
  for (size_t d = 0; d < rank; d++) {
    if (sizes[d] < 1 || sizes[d] > INT32_MAX)
      return q8_step_fail(s, error, q8_status_invalid_parameter, "size %lld", (long long)sizes[d]);
    out->shape[d] = (size_t)sizes[d];
  }
  out->rank = rank;
  return q8_status_success;
}

static q8_status zeros_run(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  (void)pool, (void)error;
  const q8_tensor_plan* out = out_of(p, s);
  memset(out->data, 0, out->bytes);
  return q8_status_success;
}

/* --- the table ------------------------------------------------------------------------ */

static const q8_lowering size_lowering = {scalar_create, size_shape, nothing, nothing_to_run};
static const q8_lowering sizes_lowering = {scalar_create, sizes_shape, nothing, nothing_to_run};
static const q8_lowering binary_int_lowering = {scalar_create, binary_int_shape, nothing,
                                                nothing_to_run};
static const q8_lowering list_op_lowering = {scalar_create, list_op_shape, nothing, nothing_to_run};
static const q8_lowering guard_lowering = {scalar_create, guard_shape, nothing, nothing_to_run};
static const q8_lowering list_lowering = {scalar_create, list_shape, nothing, nothing_to_run};
static const q8_lowering list_slice_lowering = {list_slice_create, list_slice_shape, nothing,
                                                nothing_to_run};
static const q8_lowering view_lowering = {view_create, view_shape, nothing, view_run};
static const q8_lowering squeeze_lowering = {view_create, squeeze_shape, nothing, view_run};
static const q8_lowering permute_lowering = {layout_create, permute_shape, nothing, layout_run};
static const q8_lowering slice_lowering = {layout_create, slice_shape, nothing, layout_run};
static const q8_lowering piece_lowering = {layout_create, piece_shape, piece_setup, piece_run};
static const q8_lowering pad_lowering = {layout_create, pad_shape, nothing, layout_run};
static const q8_lowering zeros_lowering = {zeros_create, zeros_shape, nothing, zeros_run};
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
    case q8_op_list_slice: return &list_slice_lowering;
    case q8_op_view: return &view_lowering;
    case q8_op_squeeze:
    case q8_op_unsqueeze: return &squeeze_lowering;
    case q8_op_transpose:
    case q8_op_permute: return &permute_lowering;
    case q8_op_slice:
    case q8_op_select: return &slice_lowering;
    case q8_op_chunk:
    case q8_op_split: return &piece_lowering;
    case q8_op_pad: return &pad_lowering;
    case q8_op_zeros: return &zeros_lowering;
    case q8_op_channel_shuffle: return &shuffle_lowering;
    default: return NULL;
  }
}

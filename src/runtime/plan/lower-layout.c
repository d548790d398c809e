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
  if (v->kind != q8_value_int || v->is_constant || p->tensors[id].num_ints != 1) return false;
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
  for (size_t i = s->node->kind == q8_op_size ? 1 : 0; i < s->node->num_inputs; i++) {
    const q8_value_kind kind = p->graph->values[arg(s, i)].kind;
    if (kind != q8_value_int && kind != q8_value_bool)
      return q8_step_fail(s, error, q8_status_unsupported_parameter,
                          "argument %zu is not an int", i);
  }
  if (s->node->kind == q8_op_size && (tensor_at(p, s, 0) == NULL || s->node->num_inputs != 2))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "takes a tensor and a dimension");
  if ((s->node->kind == q8_op_floor_divide || s->node->kind == q8_op_int_mul) &&
      s->node->num_inputs != 2)
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "takes two ints");
  if (s->node->num_inputs > Q8_GRAPH_MAX_DIMS)
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "lists of more than %d computed ints are not supported", Q8_GRAPH_MAX_DIMS);
  return q8_status_success;
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
  q8_tensor_plan* out = out_of(p, s);
  out->ints[0] = (int64_t)in->shape[dim];
  out->num_ints = 1;
  return q8_status_success;
}

static q8_status floor_divide_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t a, b;
  if (!scalar_of(p, arg(s, 0), &a) || !scalar_of(p, arg(s, 1), &b))
    return q8_step_fail(s, error, q8_status_unsupported_parameter, "operands are not ints");
  if (b == 0 || (a == INT64_MIN && b == -1))
    return q8_step_fail(s, error, q8_status_invalid_parameter, "division by zero or overflow");
  int64_t q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) q--; /* rounds towards minus infinity */
  q8_tensor_plan* out = out_of(p, s);
  out->ints[0] = q;
  out->num_ints = 1;
  return q8_status_success;
}

static q8_status int_mul_shape(q8_program* p, q8_step* s, q8_error* error) {
  int64_t a, b;
  if (!scalar_of(p, arg(s, 0), &a) || !scalar_of(p, arg(s, 1), &b))
    return q8_step_fail(s, error, q8_status_unsupported_parameter,
                        "unsupported: only ints are multiplied by aten::mul");
  if (a < -INT32_MAX || a > INT32_MAX || b < -INT32_MAX || b > INT32_MAX)
    return q8_step_fail(s, error, q8_status_invalid_parameter, "operands too large");
  q8_tensor_plan* out = out_of(p, s);
  out->ints[0] = a * b;
  out->num_ints = 1;
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
static const q8_lowering floor_divide_lowering = {scalar_create, floor_divide_shape, nothing,
                                                  nothing_to_run};
static const q8_lowering int_mul_lowering = {scalar_create, int_mul_shape, nothing, nothing_to_run};
static const q8_lowering list_lowering = {scalar_create, list_shape, nothing, nothing_to_run};
static const q8_lowering view_lowering = {view_create, view_shape, nothing, view_run};
static const q8_lowering transpose_lowering = {transpose_create, NULL, NULL, NULL};
static const q8_lowering chunk_lowering = {chunk_create, chunk_shape, chunk_setup, NULL};
static const q8_lowering shuffle_lowering = {shuffle_create, shuffle_shape, shuffle_setup, NULL};

const q8_lowering* q8_layout_lowering_for(q8_op_kind kind) {
  switch (kind) {
    case q8_op_size: return &size_lowering;
    case q8_op_floor_divide: return &floor_divide_lowering;
    case q8_op_int_mul: return &int_mul_lowering;
    case q8_op_list_construct: return &list_lowering;
    case q8_op_view: return &view_lowering;
    case q8_op_transpose: return &transpose_lowering;
    case q8_op_chunk: return &chunk_lowering;
    case q8_op_channel_shuffle: return &shuffle_lowering;
    default: return NULL;
  }
}

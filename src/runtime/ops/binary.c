/*
 * Binary elementwise operators (add, multiply) with numpy broadcasting.
 * Setup reduces both shapes to at most Q8_BINARY_MAX_DIMS coalesced
 * dimensions whose innermost one is contiguous (stride 1) or broadcast
 * (stride 0) in each input; run tiles (outer index, inner run) over the
 * threadpool and calls one micro-kernel per tile.
 */
#include <stdlib.h>
#include <string.h>

#include "../../quant/elementwise-params.h"
#include "epilogue.h"
#include "operator.h"

#define BINARY_TILE 2048 /* elements of an inner run per task */

typedef enum binary_path { path_add_fixed, path_add_dq, path_mul } binary_path;

typedef struct binary_op {
  q8_operator base;
  q8_elementwise_config k; /* the table's kernels, scalar where it has none */
  bool multiply;
  bool fixed_ok; /* add: the fixed-point parameters exist for these scales */
  q8_add_params add;
  /* "swapped" params serve the c-kernels when a (not b) is broadcast along
   * the inner run; add and multiply are exactly commutative in both rules. */
  q8_add_dq_params dq, dq_swapped;
  q8_mul_params mul, mul_swapped;
  /* setup state: coalesced shape, element strides (0 = broadcast) */
  binary_path path;
  size_t dims;
  size_t shape[Q8_BINARY_MAX_DIMS];
  size_t a_stride[Q8_BINARY_MAX_DIMS], b_stride[Q8_BINARY_MAX_DIMS];
  size_t outer;
  const uint8_t* a;
  const uint8_t* b;
  uint8_t* y;
} binary_op;

static q8_status run_binary(q8_operator* base, pthreadpool_t threadpool);

static q8_status create_binary(const char* fn, const char* kind, bool multiply,
                               q8_quantization a, q8_quantization b, q8_quantization output,
                               uint8_t output_min, uint8_t output_max, q8_isa isa,
                               q8_operator** op_out, q8_error* error) {
  if (op_out == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  }
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_quantization(fn, "a", a, error)) ||
      (s = q8_check_quantization(fn, "b", b, error)) ||
      (s = q8_check_quantization(fn, "output", output, error)) ||
      (s = q8_check_output_range(fn, output_min, output_max, error))) {
    return s;
  }
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(binary_op), kind, isa, &base, error))) return s;
  binary_op* op = (binary_op*)base;
  base->run = run_binary;
  op->k = *base->kernels->elementwise;
  op->multiply = multiply;
  if (multiply) {
    q8_mul_params_init(a, b, output, output_min, output_max, &op->mul);
    q8_mul_params_init(b, a, output, output_min, output_max, &op->mul_swapped);
  } else {
    op->fixed_ok = q8_add_fixed_params(a, b, output, output_min, output_max, &op->add);
    q8_add_dq_params_init(a, b, output, output_min, output_max, &op->dq);
    q8_add_dq_params_init(b, a, output, output_min, output_max, &op->dq_swapped);
  }
  *op_out = base;
  return q8_status_success;
}

q8_status q8_add_nd_create(q8_quantization a, q8_quantization b, q8_quantization output,
                           uint8_t output_min, uint8_t output_max, q8_isa isa,
                           q8_operator** op_out, q8_error* error) {
  return create_binary("q8_add_nd_create", "add_nd", false, a, b, output, output_min,
                       output_max, isa, op_out, error);
}

q8_status q8_multiply_nd_create(q8_quantization a, q8_quantization b, q8_quantization output,
                                uint8_t output_min, uint8_t output_max, q8_isa isa,
                                q8_operator** op_out, q8_error* error) {
  return create_binary("q8_multiply_nd_create", "multiply_nd", true, a, b, output, output_min,
                       output_max, isa, op_out, error);
}

static q8_status check_shape(const char* fn, const char* name, size_t dims, const size_t* shape,
                             q8_error* error) {
  if (dims > Q8_BINARY_MAX_DIMS) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: %s_dims is %zu; at most %d", fn, name,
                   dims, Q8_BINARY_MAX_DIMS);
  }
  if (dims > 0 && shape == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: %s_shape is NULL", fn, name);
  }
  for (size_t i = 0; i < dims; i++) {
    if (shape[i] == 0) {
      return q8_fail(error, q8_status_invalid_parameter,
                     "%s: %s_shape[%zu] is 0; it must be at least 1", fn, name, i);
    }
  }
  return q8_status_success;
}

/* A shape right-aligned in Q8_BINARY_MAX_DIMS dimensions with its dense
 * strides (stride 0 for extent 1, which broadcasting may need). */
static void align_shape(size_t dims, const size_t* shape, size_t out[Q8_BINARY_MAX_DIMS],
                        size_t stride[Q8_BINARY_MAX_DIMS]) {
  const size_t pad = Q8_BINARY_MAX_DIMS - dims;
  size_t step = 1;
  for (size_t i = Q8_BINARY_MAX_DIMS; i-- > 0;) {
    out[i] = i < pad ? 1 : shape[i - pad];
    stride[i] = out[i] == 1 ? 0 : step;
    step *= out[i];
  }
}

/* Drops extent-1 dimensions and merges neighbours that are contiguous in
 * both inputs, so the inner run is as long as possible. */
static void coalesce(binary_op* op, const size_t shape[Q8_BINARY_MAX_DIMS],
                     const size_t as[Q8_BINARY_MAX_DIMS], const size_t bs[Q8_BINARY_MAX_DIMS]) {
  size_t n = 0;
  for (size_t i = 0; i < Q8_BINARY_MAX_DIMS; i++) {
    if (shape[i] == 1) continue;
    if (n > 0 && op->a_stride[n - 1] == as[i] * shape[i] &&
        op->b_stride[n - 1] == bs[i] * shape[i]) {
      op->shape[n - 1] *= shape[i];
      op->a_stride[n - 1] = as[i];
      op->b_stride[n - 1] = bs[i];
      continue;
    }
    op->shape[n] = shape[i];
    op->a_stride[n] = as[i];
    op->b_stride[n] = bs[i];
    n++;
  }
  if (n == 0) { /* every extent 1: one element */
    op->shape[0] = 1;
    op->a_stride[0] = op->b_stride[0] = 1;
    n = 1;
  }
  op->dims = n;
  op->outer = 1;
  for (size_t i = 0; i + 1 < n; i++) op->outer *= op->shape[i];
}

static bool same_shape(size_t a_dims, const size_t* a_shape, size_t b_dims,
                       const size_t* b_shape) {
  if (a_dims != b_dims) return false;
  for (size_t i = 0; i < a_dims; i++) {
    if (a_shape[i] != b_shape[i]) return false;
  }
  return true;
}

/* Broadcast shape in out[]; fails if an extent pair is neither equal nor 1. */
static q8_status broadcast(const char* fn, const size_t as[Q8_BINARY_MAX_DIMS],
                           const size_t bs[Q8_BINARY_MAX_DIMS], size_t out[Q8_BINARY_MAX_DIMS],
                           q8_error* error) {
  for (size_t i = 0; i < Q8_BINARY_MAX_DIMS; i++) {
    if (as[i] != bs[i] && as[i] != 1 && bs[i] != 1) {
      return q8_fail(error, q8_status_invalid_parameter,
                     "%s: a_shape and b_shape do not broadcast: extents %zu and %zu in "
                     "dimension %d from the end",
                     fn, as[i], bs[i], (int)(Q8_BINARY_MAX_DIMS - i));
    }
    out[i] = as[i] > bs[i] ? as[i] : bs[i];
  }
  return q8_status_success;
}

static q8_status setup_binary(const char* fn, q8_operator* base, bool multiply, size_t a_dims,
                              const size_t* a_shape, size_t b_dims, const size_t* b_shape,
                              const uint8_t* a, const uint8_t* b, uint8_t* y, q8_error* error) {
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_binary, error))) return s;
  binary_op* op = (binary_op*)base;
  if (op->multiply != multiply) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op is a %s operator", fn, base->kind);
  }
  if ((s = check_shape(fn, "a", a_dims, a_shape, error)) ||
      (s = check_shape(fn, "b", b_dims, b_shape, error)) ||
      (s = q8_check_pointer(fn, "a", a, error)) || (s = q8_check_pointer(fn, "b", b, error)) ||
      (s = q8_check_pointer(fn, "y", y, error))) {
    return s;
  }
  size_t as[Q8_BINARY_MAX_DIMS], bs[Q8_BINARY_MAX_DIMS], out[Q8_BINARY_MAX_DIMS];
  size_t a_stride[Q8_BINARY_MAX_DIMS], b_stride[Q8_BINARY_MAX_DIMS];
  align_shape(a_dims, a_shape, as, a_stride);
  align_shape(b_dims, b_shape, bs, b_stride);
  if ((s = broadcast(fn, as, bs, out, error))) return s;
  coalesce(op, out, a_stride, b_stride);
  /* PyTorch takes QNNPACK's fixed-point add only for identical sizes. */
  if (multiply) {
    op->path = path_mul;
  } else {
    const bool same = same_shape(a_dims, a_shape, b_dims, b_shape);
    op->path = same && op->fixed_ok ? path_add_fixed : path_add_dq;
  }
  op->a = a;
  op->b = b;
  op->y = y;
  base->is_setup = true;
  return q8_status_success;
}

q8_status q8_add_nd_setup(q8_operator* op, size_t a_dims, const size_t* a_shape, size_t b_dims,
                          const size_t* b_shape, const uint8_t* a, const uint8_t* b, uint8_t* y,
                          q8_error* error) {
  return setup_binary("q8_add_nd_setup", op, false, a_dims, a_shape, b_dims, b_shape, a, b, y,
                      error);
}

q8_status q8_multiply_nd_setup(q8_operator* op, size_t a_dims, const size_t* a_shape,
                               size_t b_dims, const size_t* b_shape, const uint8_t* a,
                               const uint8_t* b, uint8_t* y, q8_error* error) {
  return setup_binary("q8_multiply_nd_setup", op, true, a_dims, a_shape, b_dims, b_shape, a, b,
                      y, error);
}

/* One kernel call on n elements; a_step / b_step are the inner strides. */
static void binary_run(const binary_op* op, size_t n, const uint8_t* a, size_t a_step,
                       const uint8_t* b, size_t b_step, uint8_t* y) {
  const q8_elementwise_config* k = &op->k;
  const bool swap = a_step == 0 && b_step != 0; /* a broadcast: kernels want it second */
  const bool broadcast_one = a_step != b_step;
  if (swap) {
    const uint8_t* t = a;
    a = b;
    b = t;
  }
  switch (op->path) {
    case path_add_fixed: k->vadd(n, a, b, y, &op->add); break;
    case path_add_dq:
      if (!broadcast_one) k->vadd_dq(n, a, b, y, &op->dq);
      else k->vadd_dq_c(n, a, b, y, swap ? &op->dq_swapped : &op->dq);
      break;
    case path_mul:
      if (!broadcast_one) k->vmul(n, a, b, y, &op->mul);
      else k->vmul_c(n, a, b, y, swap ? &op->mul_swapped : &op->mul);
      break;
  }
}

static void binary_tile(void* context, size_t outer, size_t start, size_t count) {
  const binary_op* op = context;
  const size_t inner = op->dims - 1;
  size_t a_offset = 0, b_offset = 0, rest = outer;
  for (size_t i = inner; i-- > 0;) {
    const size_t index = rest % op->shape[i];
    rest /= op->shape[i];
    a_offset += index * op->a_stride[i];
    b_offset += index * op->b_stride[i];
  }
  const size_t as = op->a_stride[inner], bs = op->b_stride[inner];
  binary_run(op, count, op->a + a_offset + start * as, as, op->b + b_offset + start * bs, bs,
             op->y + outer * op->shape[inner] + start);
}

static q8_status run_binary(q8_operator* base, pthreadpool_t threadpool) {
  binary_op* op = (binary_op*)base;
  pthreadpool_parallelize_2d_tile_1d(threadpool, binary_tile, op, op->outer,
                                     op->shape[op->dims - 1], BINARY_TILE, 0);
  return q8_status_success;
}

/* --- as a convolution's epilogue (epilogue.h) ------------------------------------ */

bool q8_binary_is_elementwise(const q8_operator* base, const uint8_t** output, size_t* count) {
  if (base == NULL || base->run != run_binary || !base->is_setup) return false;
  const binary_op* op = (const binary_op*)base;
  /* Same shapes coalesce into one contiguous dimension. */
  if (op->dims != 1 || op->a_stride[0] != 1 || op->b_stride[0] != 1) return false;
  *output = op->y;
  *count = op->shape[0];
  return true;
}

void q8_binary_run_range(const q8_operator* base, size_t offset, size_t count) {
  const binary_op* op = (const binary_op*)base;
  binary_run(op, count, op->a + offset, 1, op->b + offset, 1, op->y + offset);
}

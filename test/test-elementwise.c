/*
 * Elementwise family against the naive references (test/reference-elementwise.c)
 * and PyTorch's own tables: add / multiply over same, broadcast, scalar and
 * mixed-rank shapes with odd sizes, zero points 0/128/255, scales above and
 * below 1, scale ratios on both sides of QNNPACK's limits and power-of-two
 * ratios (exact ties); every unary kind; quantize and dequantize with
 * strides, ties and non-finite inputs; invalid parameters. Every case runs
 * on 1, 2, 3 and 7 threads and must give identical bytes.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, for the kernel cases' guard pages */
#include <float.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "quant/elementwise-params.h"
#include "reference-elementwise.h"
#include "test-util.h"

static pthreadpool_t pools[TEST_THREAD_COUNTS];

static q8_quantization rng_quant(test_rng* rng, float lo, float hi) {
  return (q8_quantization){rng_scale(rng, lo, hi), rng_zero_point(rng)};
}

/* ------------------------------------------------------------- binary --- */
static void random_shape(test_rng* rng, size_t dims, size_t* shape, size_t max_extent) {
  for (size_t i = 0; i < dims; i++) shape[i] = (size_t)rng_int(rng, 1, (int64_t)max_extent);
}

/* Shapes by case kind: same, [N,1,1,C] vs [N,H,W,C] (either side), scalar
 * (0-d or all ones), random per-dimension broadcast with different ranks. */
static void make_shapes(size_t index, test_rng* rng, ref_binary* r) {
  const size_t kind = index % 5;
  size_t full[Q8_BINARY_MAX_DIMS];
  const size_t dims = (size_t)rng_int(rng, 1, kind == 4 ? Q8_BINARY_MAX_DIMS : 4);
  random_shape(rng, dims, full, dims > 4 ? 5 : 19);
  r->a_dims = r->b_dims = dims;
  memcpy(r->a_shape, full, sizeof(full));
  memcpy(r->b_shape, full, sizeof(full));
  if (kind == 1) { /* squeeze-excite */
    r->a_dims = r->b_dims = 4;
    r->a_shape[0] = r->b_shape[0] = (size_t)rng_int(rng, 1, 2);
    r->a_shape[1] = (size_t)rng_int(rng, 1, 15);
    r->a_shape[2] = (size_t)rng_int(rng, 1, 15);
    r->a_shape[3] = r->b_shape[3] = (size_t)rng_pick(rng, 5, (const int64_t[]){1, 3, 8, 17, 72});
    r->b_shape[1] = r->b_shape[2] = 1;
  } else if (kind == 2) { /* scalar b */
    r->b_dims = rng_next(rng) % 2 ? 0 : (size_t)rng_int(rng, 1, 4);
    for (size_t i = 0; i < r->b_dims; i++) r->b_shape[i] = 1;
  } else if (kind >= 3) { /* random broadcast, maybe a lower rank for b */
    for (size_t i = 0; i < dims; i++) {
      if (rng_next(rng) % 3 == 0) r->a_shape[i] = 1;
      else if (rng_next(rng) % 3 == 0) r->b_shape[i] = 1;
    }
    const size_t drop = (size_t)rng_int(rng, 0, (int64_t)dims);
    r->b_dims = dims - drop;
    memmove(r->b_shape, r->b_shape + drop, r->b_dims * sizeof(size_t));
  }
  if (rng_next(rng) % 2) { /* swap sides */
    ref_binary t = *r;
    r->a_dims = t.b_dims;
    r->b_dims = t.a_dims;
    memcpy(r->a_shape, t.b_shape, sizeof(t.b_shape));
    memcpy(r->b_shape, t.a_shape, sizeof(t.a_shape));
  }
}

static void make_quantization(size_t index, test_rng* rng, ref_binary* r) {
  r->a = rng_quant(rng, 0.002f, 4.0f);
  r->b = rng_quant(rng, 0.002f, 4.0f);
  r->output = rng_quant(rng, 0.002f, 4.0f);
  switch (index % 4) {
    case 1: /* power-of-two ratios: exact ties in both add rules */
      r->b.scale = ldexpf(r->a.scale, (int)rng_int(rng, -2, 2));
      r->output.scale = ldexpf(r->a.scale, (int)rng_int(rng, -3, 3));
      break;
    case 2: /* ratios outside QNNPACK's [2^-10, 2^8): the float rule */
      r->output.scale = rng_next(rng) % 2 ? r->a.scale * rng_scale(rng, 300.0f, 5000.0f)
                                          : r->a.scale / rng_scale(rng, 256.0f, 1000.0f);
      break;
    default: break;
  }
  r->output_min = 0;
  r->output_max = 255;
  if (rng_next(rng) % 3 == 0) r->output_min = (uint8_t)r->output.zero_point; /* _relu */
  if (rng_next(rng) % 5 == 0) {
    r->output_min = (uint8_t)rng_int(rng, 0, 100);
    r->output_max = (uint8_t)rng_int(rng, 150, 255);
  }
}

static size_t shape_count(size_t dims, const size_t* shape) {
  size_t n = 1;
  for (size_t i = 0; i < dims; i++) n *= shape[i];
  return n;
}

static void binary_case(size_t index) {
  test_rng rng = {index * 6151 + 3};
  ref_binary r;
  memset(&r, 0, sizeof(r));
  r.multiply = rng_next(&rng) % 2;
  make_shapes(index, &rng, &r);
  make_quantization(index, &rng, &r);
  const size_t na = shape_count(r.a_dims, r.a_shape), nb = shape_count(r.b_dims, r.b_shape);
  size_t out_dims, out_shape[Q8_BINARY_MAX_DIMS];
  const size_t ny = ref_binary_output(&r, &out_dims, out_shape);
  uint8_t* a = malloc(na);
  uint8_t* b = malloc(nb);
  uint8_t* expected = malloc(ny);
  uint8_t* actual = malloc(ny);
  rng_fill_u8(&rng, a, na);
  rng_fill_u8(&rng, b, nb);
  ref_binary_run(&r, a, b, expected);
  q8_error err = {0};
  q8_operator* op = NULL;
  if (r.multiply) {
    assert_q8_ok(q8_multiply_nd_create(r.a, r.b, r.output, r.output_min, r.output_max,
                                       q8_isa_auto, &op, &err));
    assert_q8_ok(q8_multiply_nd_setup(op, r.a_dims, r.a_shape, r.b_dims, r.b_shape, a, b,
                                      actual, &err));
  } else {
    assert_q8_ok(q8_add_nd_create(r.a, r.b, r.output, r.output_min, r.output_max, q8_isa_auto,
                                  &op, &err));
    assert_q8_ok(q8_add_nd_setup(op, r.a_dims, r.a_shape, r.b_dims, r.b_shape, a, b, actual,
                                 &err));
  }
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(actual, 0xA5, ny);
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(expected, actual, ny, r.multiply ? "multiply" : "add", index);
  }
  q8_operator_delete(op);
  free(a);
  free(b);
  free(expected);
  free(actual);
}

/* -------------------------------------------------------------- unary --- */
static q8_unary_params random_unary_params(test_rng* rng) {
  q8_unary_params p;
  p.clamp.min = rng_float(rng, -4.0f, 1.0f);
  p.clamp.max = p.clamp.min + rng_float(rng, 0.0f, 5.0f);
  p.leaky_relu.negative_slope = rng_float(rng, -0.5f, 2.0f);
  p.elu.alpha = rng_float(rng, 0.1f, 2.0f);
  p.elu.scale = rng_next(rng) % 2 ? 1.0f : rng_float(rng, 0.5f, 2.0f);
  p.elu.input_scale = rng_next(rng) % 2 ? 1.0f : rng_float(rng, 0.5f, 2.0f);
  return p;
}

static void unary_case(size_t index) {
  test_rng rng = {index * 977 + 5};
  const q8_unary_kind kind = (q8_unary_kind)(index % q8_unary_kind_count);
  const q8_unary_params p = random_unary_params(&rng);
  const q8_quantization in = rng_quant(&rng, 0.003f, 3.0f);
  q8_quantization out = rng_quant(&rng, 0.003f, 3.0f);
  const size_t mode = (index / q8_unary_kind_count) % 3;
  if (mode == 0) out = in; /* PyTorch's relu / clamp / leaky_relu case */
  if (mode == 1) out.scale = ldexpf(in.scale, (int)rng_int(&rng, -2, 2)); /* ties */
  const size_t batch = (size_t)rng_int(&rng, 1, 9), channels = (size_t)rng_int(&rng, 1, 700);
  const size_t in_stride = channels + (rng_next(&rng) % 3 == 0 ? (size_t)rng_int(&rng, 1, 9) : 0);
  const size_t out_stride = channels + (rng_next(&rng) % 3 == 0 ? (size_t)rng_int(&rng, 1, 9) : 0);
  uint8_t* x = malloc(batch * in_stride);
  uint8_t* expected = malloc(batch * out_stride);
  uint8_t* actual = malloc(batch * out_stride);
  rng_fill_u8(&rng, x, batch * in_stride);
  memset(expected, 0xA5, batch * out_stride); /* padding stays untouched */
  for (size_t i = 0; i < batch; i++) {
    for (size_t c = 0; c < channels; c++) {
      expected[i * out_stride + c] = ref_unary(kind, &p, in, out, x[i * in_stride + c]);
    }
  }
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_unary_create(kind, &p, in, out, q8_isa_auto, &op, &err));
  const uint8_t* table = q8_unary_table(op);
  for (int v = 0; v < 256; v++) {
    const uint8_t want = ref_unary(kind, &p, in, out, (uint8_t)v);
    if (table[v] != want) {
      fail_msg("case %zu (%s): table[%d] = %d, reference %d", index, q8_unary_kind_name(kind), v,
               table[v], want);
    }
  }
  assert_q8_ok(q8_unary_setup(op, batch, channels, in_stride, out_stride, x, actual, &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(actual, 0xA5, batch * out_stride);
    assert_q8_ok(q8_operator_run(op, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(expected, actual, batch * out_stride, q8_unary_kind_name(kind), index);
  }
  q8_operator_delete(op);
  free(x);
  free(expected);
  free(actual);
}

/* PyTorch's own tables (generated with torch; see reference-elementwise.h). */
static void golden_case(size_t index) {
  const ref_golden_unary* g = &ref_golden_unaries[index];
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_unary_create(g->kind, &g->params, g->input, g->output, q8_isa_auto, &op, &err));
  const uint8_t* table = q8_unary_table(op);
  for (int v = 0; v < 256; v++) {
    unsigned want;
    sscanf(g->table_hex + 2 * v, "%2x", &want);
    if (table[v] != want) {
      fail_msg("%s: table[%d] = %d, PyTorch %u", q8_unary_kind_name(g->kind), v, table[v], want);
    }
  }
  q8_operator_delete(op);
}

/* ------------------------------------------------------------ convert --- */
static void fill_floats(test_rng* rng, float* x, size_t n, q8_quantization q) {
  for (size_t i = 0; i < n; i++) {
    const float k = (float)rng_int(rng, -300, 300);
    switch (rng_next(rng) % 8) {
      case 0: x[i] = (k + 0.5f) * q.scale; break; /* near ties */
      case 1: x[i] = (rng_next(rng) % 2 ? 1.0f : -1.0f) * rng_scale(rng, 1e-3f, 1e30f); break;
      case 2: {
        static const float specials[] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1e30f};
        x[i] = specials[rng_next(rng) % 6];
        break;
      }
      default: x[i] = rng_float(rng, -300.0f, 300.0f) * q.scale; break;
    }
  }
}

static void convert_case(size_t index) {
  test_rng rng = {index * 4391 + 17};
  const q8_quantization q = rng_quant(&rng, 1e-4f, 8.0f);
  const size_t batch = (size_t)rng_int(&rng, 1, 7), channels = (size_t)rng_int(&rng, 1, 1500);
  const size_t in_stride = channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 5) : 0);
  const size_t out_stride = channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 5) : 0);
  float* x = malloc(batch * in_stride * sizeof(float));
  uint8_t* qx = malloc(batch * out_stride);
  uint8_t* qexpected = malloc(batch * out_stride);
  float* dx = malloc(batch * in_stride * sizeof(float));
  float* dexpected = malloc(batch * in_stride * sizeof(float));
  fill_floats(&rng, x, batch * in_stride, q);
  memset(qexpected, 0xA5, batch * out_stride);
  for (size_t i = 0; i < batch; i++) {
    for (size_t c = 0; c < channels; c++) {
      qexpected[i * out_stride + c] = ref_quantize(x[i * in_stride + c], q);
    }
  }
  q8_error err = {0};
  q8_operator* quantize = NULL;
  q8_operator* dequantize = NULL;
  assert_q8_ok(q8_quantize_create(q, q8_isa_auto, &quantize, &err));
  assert_q8_ok(q8_quantize_setup(quantize, batch, channels, in_stride, out_stride, x, qx, &err));
  /* dequantize reads the quantized rows back (out_stride apart) into rows
   * in_stride apart */
  memset(dexpected, 0, batch * in_stride * sizeof(float));
  for (size_t i = 0; i < batch; i++) {
    for (size_t c = 0; c < channels; c++) {
      dexpected[i * in_stride + c] = ref_dequantize(qexpected[i * out_stride + c], q);
    }
  }
  assert_q8_ok(q8_dequantize_create(q, q8_isa_auto, &dequantize, &err));
  assert_q8_ok(q8_dequantize_setup(dequantize, batch, channels, out_stride, in_stride, qx, dx,
                                   &err));
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(qx, 0xA5, batch * out_stride);
    memset(dx, 0, batch * in_stride * sizeof(float));
    assert_q8_ok(q8_operator_run(quantize, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal(qexpected, qx, batch * out_stride, "quantize", index);
    assert_q8_ok(q8_operator_run(dequantize, pools[t], &err));
    q8_threadpool_release_workers(pools[t]);
    test_assert_bytes_equal((const uint8_t*)dexpected, (const uint8_t*)dx,
                            batch * in_stride * sizeof(float), "dequantize", index);
  }
  q8_operator_delete(quantize);
  q8_operator_delete(dequantize);
  free(x);
  free(qx);
  free(qexpected);
  free(dx);
  free(dexpected);
}

/* ------------------------------------------------------------- errors --- */
typedef struct expectation {
  q8_status status;
  const char* message;
} expectation;

static const expectation expectations[] = {
    {q8_status_invalid_parameter, "q8_add_nd_create: a scale is 0; it must be positive"},
    {q8_status_invalid_parameter, "q8_add_nd_create: b zero point is 256; it must be in [0, 255]"},
    {q8_status_invalid_parameter, "q8_multiply_nd_create: output scale is inf"},
    {q8_status_invalid_parameter, "q8_add_nd_create: output_min 9 is greater than output_max 8"},
    {q8_status_invalid_parameter, "q8_add_nd_create: op_out is NULL"},
    {q8_status_invalid_parameter, "q8_add_nd_setup: a_dims is 7; at most 6"},
    {q8_status_invalid_parameter, "q8_add_nd_setup: b_shape[1] is 0; it must be at least 1"},
    {q8_status_invalid_parameter, "q8_add_nd_setup: a_shape and b_shape do not broadcast"},
    {q8_status_invalid_parameter, "q8_add_nd_setup: y is NULL"},
    {q8_status_invalid_parameter, "q8_add_nd_setup: b_shape is NULL"},
    {q8_status_invalid_parameter, "q8_multiply_nd_setup: op is a add_nd operator"},
    {q8_status_invalid_parameter, "q8_add_nd_setup: op is NULL"},
    {q8_status_invalid_parameter, "q8_unary_create: kind 9 is not a q8_unary_kind"},
    {q8_status_invalid_parameter, "q8_unary_create: params is NULL; clamp needs them"},
    {q8_status_invalid_parameter, "q8_unary_create: clamp.min 2 is greater than clamp.max 1"},
    {q8_status_invalid_parameter, "q8_unary_create: leaky_relu.negative_slope is nan"},
    {q8_status_invalid_parameter, "q8_unary_create: elu.input_scale is inf; it must be finite"},
    {q8_status_invalid_parameter, "q8_unary_create: input scale is -1"},
    {q8_status_invalid_parameter, "q8_unary_setup: channels is 0; it must be at least 1"},
    {q8_status_invalid_parameter, "q8_unary_setup: input_stride 3 is smaller than channels 4"},
    {q8_status_invalid_parameter, "q8_unary_setup: output is NULL"},
    {q8_status_invalid_parameter, "q8_quantize_create: output zero point is -1"},
    {q8_status_invalid_parameter, "q8_dequantize_setup: output_stride 2 is smaller than channels 4"},
    {q8_status_invalid_parameter, "q8_quantize_setup: batch is 0; it must be at least 1"},
    {q8_status_invalid_parameter, "q8_dequantize_setup: op is a quantize operator"},
    {q8_status_invalid_state, "q8_operator_run: add_nd operator is not set up"},
};
#define ERROR_CASES (sizeof(expectations) / sizeof(expectations[0]))

static const q8_quantization good_q = {0.5f, 3};

static q8_status binary_error(size_t index, q8_error* err) {
  q8_operator* op = NULL;
  q8_quantization a = good_q, b = good_q, o = good_q;
  uint8_t lo = 0, hi = 255;
  switch (index) {
    case 0: a.scale = 0.0f; break;
    case 1: b.zero_point = 256; break;
    case 2: o.scale = INFINITY; break;
    case 3: lo = 9, hi = 8; break;
    case 4: return q8_add_nd_create(a, b, o, lo, hi, q8_isa_auto, NULL, err);
    default: break;
  }
  q8_status s = index == 2 ? q8_multiply_nd_create(a, b, o, lo, hi, q8_isa_auto, &op, err)
                           : q8_add_nd_create(a, b, o, lo, hi, q8_isa_auto, &op, err);
  q8_operator_delete(op);
  return s;
}

static q8_status binary_setup_error(size_t index, q8_error* err) {
  q8_operator* op = NULL;
  q8_add_nd_create(good_q, good_q, good_q, 0, 255, q8_isa_auto, &op, err);
  const size_t s34[] = {3, 4, 1, 1, 1, 1, 1}, s30[] = {3, 0}, s35[] = {3, 5};
  uint8_t buf[64] = {0};
  q8_status s;
  switch (index) {
    case 5: s = q8_add_nd_setup(op, 7, s34, 2, s34, buf, buf, buf, err); break;
    case 6: s = q8_add_nd_setup(op, 2, s34, 2, s30, buf, buf, buf, err); break;
    case 7: s = q8_add_nd_setup(op, 2, s34, 2, s35, buf, buf, buf, err); break;
    case 8: s = q8_add_nd_setup(op, 2, s34, 2, s34, buf, buf, NULL, err); break;
    case 9: s = q8_add_nd_setup(op, 2, s34, 1, NULL, buf, buf, buf, err); break;
    case 10: s = q8_multiply_nd_setup(op, 2, s34, 2, s34, buf, buf, buf, err); break;
    case 11: s = q8_add_nd_setup(NULL, 2, s34, 2, s34, buf, buf, buf, err); break;
    default: s = q8_operator_run(op, NULL, err); break;
  }
  q8_operator_delete(op);
  return s;
}

static q8_status unary_error(size_t index, q8_error* err) {
  q8_operator* op = NULL;
  q8_unary_params p = {{-1.0f, 1.0f}, {0.1f}, {1.0f, 1.0f, 1.0f}};
  q8_quantization in = good_q;
  q8_unary_kind kind = q8_unary_clamp;
  const q8_unary_params* pp = &p;
  switch (index) {
    case 12: kind = q8_unary_kind_count; break;
    case 13: pp = NULL; break;
    case 14: p.clamp.min = 2.0f; break;
    case 15: kind = q8_unary_leaky_relu, p.leaky_relu.negative_slope = NAN; break;
    case 16: kind = q8_unary_elu, p.elu.input_scale = INFINITY; break;
    default: kind = q8_unary_tanh, in.scale = -1.0f; break;
  }
  const q8_status s = q8_unary_create(kind, pp, in, good_q, q8_isa_auto, &op, err);
  q8_operator_delete(op);
  return s;
}

static q8_status rows_error(size_t index, q8_error* err) {
  q8_operator* op = NULL;
  uint8_t buf[64] = {0};
  float fbuf[64] = {0};
  q8_status s = q8_status_success;
  if (index <= 20) {
    q8_unary_create(q8_unary_relu, NULL, good_q, good_q, q8_isa_auto, &op, err);
    s = index == 18   ? q8_unary_setup(op, 1, 0, 0, 0, buf, buf, err)
        : index == 19 ? q8_unary_setup(op, 2, 4, 3, 4, buf, buf, err)
                      : q8_unary_setup(op, 2, 4, 0, 0, buf, NULL, err);
  } else if (index == 21) {
    s = q8_quantize_create((q8_quantization){1.0f, -1}, q8_isa_auto, &op, err);
  } else if (index == 22) {
    q8_dequantize_create(good_q, q8_isa_auto, &op, err);
    s = q8_dequantize_setup(op, 2, 4, 4, 2, buf, fbuf, err);
  } else if (index == 23) {
    q8_quantize_create(good_q, q8_isa_auto, &op, err);
    s = q8_quantize_setup(op, 0, 4, 0, 0, fbuf, buf, err);
  } else {
    q8_quantize_create(good_q, q8_isa_auto, &op, err);
    s = q8_dequantize_setup(op, 1, 4, 0, 0, buf, fbuf, err);
  }
  q8_operator_delete(op);
  return s;
}

static q8_status error_call(size_t index, q8_error* err) {
  if (index < 5) return binary_error(index, err);
  if (index < 12 || index == ERROR_CASES - 1) return binary_setup_error(index, err);
  if (index < 18) return unary_error(index, err);
  return rows_error(index, err);
}

static void error_case(size_t index) {
  q8_error err = {q8_status_success, ""};
  const q8_status s = error_call(index, &err);
  test_expect_error(index, s, &err, expectations[index].status, expectations[index].message);
}

/* ------------------------------------------------- kernels vs scalar --- */
/* The table's elementwise kernels (Q8_ISA) against the scalar table's, bit
 * for bit, called directly: every n from 0 to 100 (each tail length of any
 * vector width) and long runs; NaN, infinities, huge values, denormals and
 * ties as inputs and as parameters; all 256 codes through the LUT. Every
 * input and output ends right at a PROT_NONE page, so a kernel touching a
 * byte past n faults. */

static const q8_elementwise_config* table_kernels;
static const q8_elementwise_config* const scalar_kernels = &q8_scalar_elementwise_kernels;

static float bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

/* A float that stresses the fp32 stages: specials, any bit pattern, ties
 * and ordinary values. */
static float stress_float(test_rng* rng) {
  static const float specials[] = {
      NAN,          -NAN,   INFINITY, -INFINITY,  0.0f,          -0.0f,          FLT_MAX,
      -FLT_MAX,     1e30f,  -1e30f,   0x1p-149f,  -0x1p-149f,    0x1p-127f,      FLT_MIN,
      0.5f,         -0.5f,  1.5f,     -2.5f,      254.5f,        255.5f,         0.49999997f,
      -0.49999997f, 127.5f, -128.5f,  8388609.0f, 2147483648.0f, -2147483904.0f, 4294967296.0f};
  switch (rng_next(rng) % 5) {
    case 0: return specials[rng_next(rng) % (sizeof(specials) / sizeof(specials[0]))];
    case 1: return bits_to_float((uint32_t)rng_next(rng));
    case 2: return (float)rng_int(rng, -400, 400) + 0.5f;
    default: return rng_float(rng, -300.0f, 300.0f);
  }
}

/* A positive scale-like parameter: ordinary, tiny, denormal or huge. */
static float stress_scale(test_rng* rng, bool allow_inf) {
  switch (rng_next(rng) % 8) {
    case 0: return 0x1p-140f;
    case 1: return ldexpf(1.0f, (int)rng_int(rng, -20, 20)); /* exact ties */
    case 2: return rng_scale(rng, 1e30f, 3e38f);
    case 3: return rng_scale(rng, 1e-38f, 1e-30f);
    case 4: return allow_inf ? INFINITY : FLT_MAX;
    default: return rng_scale(rng, 1e-4f, 1e4f);
  }
}

static void random_range(test_rng* rng, uint8_t* lo, uint8_t* hi) {
  *lo = 0;
  *hi = 255;
  if (rng_next(rng) % 2) {
    *lo = (uint8_t)rng_int(rng, 0, 255);
    *hi = (uint8_t)rng_int(rng, *lo, 255);
  }
}

static q8_add_params random_add_params(test_rng* rng) {
  q8_add_params p;
  uint8_t lo, hi;
  random_range(rng, &lo, &hi);
  if (rng_next(rng) % 2) { /* from scales, as the add operator makes them */
    const q8_quantization a = rng_quant(rng, 0.01f, 1.0f), b = rng_quant(rng, 0.01f, 1.0f);
    q8_quantization out = rng_quant(rng, 0.01f, 1.0f);
    if (rng_next(rng) % 2) out.scale = ldexpf(a.scale, (int)rng_int(rng, -3, 3)); /* ties */
    if (q8_add_fixed_params(a, b, out, lo, hi, &p)) return p;
  }
  /* any parameters of the documented ranges: multipliers below 2^22 */
  const int32_t am = (int32_t)rng_int(rng, 1, (1 << 22) - 1);
  const int32_t bm = (int32_t)rng_int(rng, 1, (1 << 22) - 1);
  const int32_t azp = rng_zero_point(rng), bzp = rng_zero_point(rng);
  p.zero_point_product = -(am * azp + bm * bzp);
  p.a_multiplier = am;
  p.b_multiplier = bm;
  p.shift = (uint32_t)rng_int(rng, 14, 31);
  p.output_zero_point = rng_zero_point(rng);
  p.output_min = lo;
  p.output_max = hi;
  return p;
}

static void random_add_dq_params(test_rng* rng, q8_add_dq_params* p) {
  if (rng_next(rng) % 2) {
    q8_add_dq_params_init(rng_quant(rng, 1e-3f, 10.0f), rng_quant(rng, 1e-3f, 10.0f),
                          rng_quant(rng, 1e-3f, 10.0f), 0, 255, p);
  } else {
    for (int i = 0; i < 256; i++) p->a_table[i] = stress_float(rng);
    for (int i = 0; i < 256; i++) p->b_table[i] = stress_float(rng);
    p->output_inverse_scale = stress_scale(rng, true);
    p->output_zero_point = rng_zero_point(rng);
  }
  random_range(rng, &p->output_min, &p->output_max);
}

static q8_mul_params random_mul_params(test_rng* rng) {
  q8_mul_params p = {.a_zero_point = rng_zero_point(rng),
                     .b_zero_point = rng_zero_point(rng),
                     .multiplier = stress_scale(rng, false),
                     .output_zero_point = rng_zero_point(rng)};
  if (rng_next(rng) % 8 == 0) p.multiplier = -p.multiplier;
  random_range(rng, &p.output_min, &p.output_max);
  return p;
}

/* Runs `call` with the scalar kernel into expected and the table's into
 * actual (both guarded, ny bytes), then compares. */
#define COMPARE_KERNELS(what, ny, call)                                 \
  do {                                                                  \
    guarded expected_ = guarded_alloc(ny), actual_ = guarded_alloc(ny); \
    const q8_elementwise_config* k = scalar_kernels;                    \
    uint8_t* out = expected_.p;                                         \
    call;                                                               \
    k = table_kernels;                                                  \
    out = actual_.p;                                                    \
    call;                                                               \
    test_assert_bytes_equal(expected_.p, actual_.p, ny, what, index);   \
    guarded_free(&expected_);                                           \
    guarded_free(&actual_);                                             \
  } while (0)

/* Codes: random, or every value in turn (from a random start). */
static void fill_codes(test_rng* rng, uint8_t* p, size_t n) {
  if (rng_next(rng) % 2) {
    rng_fill_u8(rng, p, n);
  } else {
    const size_t start = (size_t)rng_int(rng, 0, 255);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(start + i * 37);
  }
}

static void kernel_case(size_t index) {
  test_rng rng = {index * 7919 + 11};
  /* n <= 100, then from 256 (where a kernel may switch to its vector loop)
   * in steps of 37: every remainder modulo 32 */
  const size_t n = index <= 100 ? index : 256 + (index - 101) * 37;
  guarded a = guarded_alloc(n), b = guarded_alloc(n), b1 = guarded_alloc(1);
  guarded x = guarded_alloc(n * sizeof(float));
  fill_codes(&rng, a.p, n);
  fill_codes(&rng, b.p, n);
  b1.p[0] = (uint8_t)rng_next(&rng);
  float* xf = (float*)x.p;
  for (size_t i = 0; i < n; i++) xf[i] = stress_float(&rng);

  uint8_t table[256];
  rng_fill_u8(&rng, table, sizeof(table));
  COMPARE_KERNELS("lut", n, k->lut(n, a.p, out, table));

  const q8_add_params add = random_add_params(&rng);
  COMPARE_KERNELS("vadd", n, k->vadd(n, a.p, b.p, out, &add));

  q8_add_dq_params* add_dq = malloc(sizeof(*add_dq));
  random_add_dq_params(&rng, add_dq);
  COMPARE_KERNELS("vadd_dq", n, k->vadd_dq(n, a.p, b.p, out, add_dq));
  COMPARE_KERNELS("vadd_dq_c", n, k->vadd_dq_c(n, a.p, b1.p, out, add_dq));
  free(add_dq);

  const q8_mul_params mul = random_mul_params(&rng);
  COMPARE_KERNELS("vmul", n, k->vmul(n, a.p, b.p, out, &mul));
  COMPARE_KERNELS("vmul_c", n, k->vmul_c(n, a.p, b1.p, out, &mul));

  const q8_quantize_params quantize = {stress_scale(&rng, true), rng_zero_point(&rng)};
  COMPARE_KERNELS("quantize", n, k->quantize(n, xf, out, &quantize));

  const q8_dequantize_params dequantize = {stress_scale(&rng, false), rng_zero_point(&rng)};
  COMPARE_KERNELS("dequantize", n * sizeof(float), k->dequantize(n, a.p, (float*)out, &dequantize));

  guarded_free(&a);
  guarded_free(&b);
  guarded_free(&b1);
  guarded_free(&x);
}
int main(void) {
  if (test_skip_unsupported_isa("elementwise")) return 0;
  test_pools_create(pools);
  int failed = test_run_cases("binary", TEST_SWEEP(160), binary_case);
  failed += test_run_cases("unary", TEST_SWEEP(108), unary_case);
  failed += test_run_cases("unary_pytorch_tables", ref_golden_unary_count, golden_case);
  failed += test_run_cases("quantize_dequantize", TEST_SWEEP(40), convert_case);
  failed += test_run_cases("elementwise_errors", ERROR_CASES, error_case);
  table_kernels = q8_kernel_table_get(q8_isa_auto)->elementwise;
  failed += test_run_cases("kernels_vs_scalar", 140, kernel_case);
  test_pools_destroy(pools);
  return failed != 0;
}

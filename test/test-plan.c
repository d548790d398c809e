/*
 * Load-time passes and plan features on hand-built graphs: folding of
 * quantize(dequantize(x)) round trips, the vectorized input quantize
 * (ATen's rule on NaN, infinities and huge values), and concats whose
 * producers write straight into the concat's output (views), checked
 * against the same graph planned without views, residual adds and muls run
 * as epilogues of the convolution producing an operand (against the same
 * graph unfused), and program inputs that only quantize reads, read from
 * the caller's buffer. Runs once per kernel table
 * (Q8_ISA).
 */
#include "runtime/plan/lower.h"
#include "runtime/plan/quantize-input.h"
#include "quant/quantize.h"
#include "test-util.h"

/* --- graph building -------------------------------------------------------------- */

static uint32_t add_float(q8_graph* g, double x) {
  uint32_t id;
  q8_error err = {0};
  assert_q8_ok(q8_graph_add_value(g, q8_value_float, &id, &err));
  g->values[id].is_constant = true;
  g->values[id].u.number = x;
  return id;
}

static uint32_t add_int(q8_graph* g, int64_t x) {
  uint32_t id;
  q8_error err = {0};
  assert_q8_ok(q8_graph_add_int(g, x, &id, &err));
  return id;
}

static uint32_t add_ints(q8_graph* g, int64_t a, int64_t b) {
  uint32_t id;
  q8_error err = {0};
  assert_q8_ok(q8_graph_add_value(g, q8_value_int_list, &id, &err));
  int64_t* items = malloc(2 * sizeof(int64_t));
  assert_non_null(items);
  items[0] = a, items[1] = b;
  g->values[id].is_constant = true;
  g->values[id].u.ints.items = items;
  g->values[id].u.ints.count = 2;
  return id;
}

static uint32_t add_op(q8_graph* g, q8_op_kind kind, const char* name, const uint32_t* inputs,
                       size_t count, q8_tensor_dtype dtype) {
  uint32_t out;
  q8_error err = {0};
  assert_q8_ok(q8_graph_add_node(g, kind, name, g->num_nodes, inputs, count, &out, &err));
  g->values[out].dtype = dtype;
  return out;
}

static uint32_t add_input(q8_graph* g) {
  uint32_t x;
  q8_error err = {0};
  assert_q8_ok(q8_graph_add_value(g, q8_value_tensor, &x, &err));
  g->values[x].dtype = q8_tensor_float32;
  g->inputs = malloc(sizeof(uint32_t));
  assert_non_null(g->inputs);
  g->inputs[0] = x, g->num_inputs = 1;
  return x;
}

static void set_outputs(q8_graph* g, const uint32_t* outputs, size_t count) {
  g->outputs = malloc(count * sizeof(uint32_t));
  assert_non_null(g->outputs);
  memcpy(g->outputs, outputs, count * sizeof(uint32_t));
  g->num_outputs = count;
}

static uint32_t quantize(q8_graph* g, uint32_t x, double scale, int64_t zero_point) {
  const uint32_t in[4] = {x, add_float(g, scale), add_int(g, zero_point), add_int(g, 13)};
  return add_op(g, q8_op_quantize, "aten::quantize_per_tensor", in, 4, q8_tensor_quint8);
}

static uint32_t dequantize(q8_graph* g, uint32_t x) {
  return add_op(g, q8_op_dequantize, "aten::dequantize", &x, 1, q8_tensor_float32);
}

/* --- q8_graph_fold_quant_pairs ------------------------------------------------------ */

/* q = quantize(x, 0.5, 3); quantize(dequantize(q)) with q's qparams is q
 * (folded, the dequantize left unread goes); with other qparams it is a
 * requantization and stays. */
static void fold_quant_pairs(void** state) {
  (void)state;
  q8_graph* g = NULL;
  q8_error err = {0};
  assert_q8_ok(q8_graph_create(&g, &err));
  const uint32_t x = add_input(g);
  const uint32_t q = quantize(g, x, 0.5, 3);
  const uint32_t d = dequantize(g, q);
  const uint32_t same = quantize(g, d, 0.5, 3);
  const uint32_t d2 = dequantize(g, q);
  const uint32_t other = quantize(g, d2, 0.25, 3);
  const uint32_t outputs[2] = {dequantize(g, same), dequantize(g, other)};
  set_outputs(g, outputs, 2);

  assert_q8_ok(q8_graph_fold_quant_pairs(g, &err));
  assert_true(g->nodes[2].removed);                 /* quantize(d, 0.5, 3) */
  assert_false(g->nodes[4].removed);                /* quantize(d2, 0.25, 3) */
  assert_int_equal(g->nodes[5].inputs[0], q);       /* dequantize(same) reads q */
  assert_int_equal(q8_graph_use_count(g, d), 0);
  assert_q8_ok(q8_graph_drop_unused_scalars(g, &err));
  assert_true(g->nodes[1].removed);                 /* the dequantize nobody reads */
  assert_false(g->nodes[3].removed);
  (void)other;
  q8_graph_delete(g);
}

/* --- vectorized input quantize ------------------------------------------------------ */

/* ATen's quantize_val, written out: a product that is not finite or reaches
 * 2^63 in magnitude gives 0. */
static uint8_t reference_quantize(float x, float inverse, int32_t zero_point) {
  if (!(fabsf(x * inverse) < 0x1p63f)) return 0;
  return q8_quantize_value(x, inverse, zero_point);
}

static float special_value(test_rng* rng) {
  static const float specials[] = {NAN, -NAN, INFINITY, -INFINITY, 0x1p63f, -0x1p63f,
                                   0x1.fffffep62f, -0x1.fffffep62f, 1e30f, -1e30f,
                                   3.4e38f, -0.0f, 0.5f, -0.5f, 1.5f, 254.5f};
  return specials[rng_next(rng) % (sizeof(specials) / sizeof(specials[0]))];
}

static void quantize_case(size_t index) {
  static const size_t channels[] = {1, 3, 4, 17, 40};
  static const size_t pixels[] = {1, 7, 33, 100, 5000};
  test_rng rng = {index * 7919 + 1};
  const size_t C = channels[index % 5], P = pixels[index / 5 % 5], N = 1 + index % 2;
  const float scale = index % 3 == 0 ? 1.0f : rng_scale(&rng, 1e-3f, 10.0f);
  const int32_t zp = rng_zero_point(&rng);
  const float inverse = 1.0f / scale;
  const size_t count = N * C * P;
  float* x = malloc(count * sizeof(float));
  uint8_t* expected = malloc(count);
  uint8_t* actual = malloc(count);
  assert_true(x != NULL && expected != NULL && actual != NULL);
  for (size_t i = 0; i < count; i++)
    x[i] = rng_next(&rng) % 8 == 0 ? special_value(&rng) : rng_float(&rng, -300.0f, 300.0f) * scale;
  for (size_t n = 0; n < N; n++)
    for (size_t c = 0; c < C; c++)
      for (size_t p = 0; p < P; p++)
        expected[(n * P + p) * C + c] = reference_quantize(x[(n * C + c) * P + p], inverse, zp);
  const q8_kernel_table* kernels = q8_kernel_table_get(q8_isa_auto);
  assert_non_null(kernels);
  pthreadpool_t pools[TEST_THREAD_COUNTS];
  test_pools_create(pools);
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    memset(actual, 0xAA, count);
    q8_quantize_nchw_to_nhwc(kernels, x, actual, N, C, P, inverse, zp, pools[t]);
    test_assert_bytes_equal(expected, actual, count, "quantized input", index);
  }
  test_pools_destroy(pools);
  free(x);
  free(expected);
  free(actual);
}

/* --- concat views ---------------------------------------------------------------- */

#define CAT_SCALE 0.125
#define CAT_ZERO_POINT 100

/* A k x k convolution (padding k / 2) with `groups` groups and the concat
 * test's output qparams. */
static uint32_t add_grouped_conv(q8_graph* g, uint32_t x, size_t in_channels, size_t out_channels,
                                 size_t k, size_t groups, test_rng* rng) {
  q8_error err = {0};
  uint32_t packed;
  assert_q8_ok(q8_graph_add_value(g, q8_value_packed, &packed, &err));
  q8_packed_weights* w = calloc(1, sizeof(q8_packed_weights));
  assert_non_null(w);
  g->values[packed].is_constant = true;
  g->values[packed].u.packed = w;
  w->is_conv = true;
  w->stride[0] = w->stride[1] = w->dilation[0] = w->dilation[1] = 1;
  w->groups = (uint32_t)groups;
  w->padding[0] = w->padding[1] = (uint32_t)(k / 2);
  w->weight_dims = 4;
  w->weight_shape[0] = out_channels, w->weight_shape[1] = in_channels / groups;
  w->weight_shape[2] = w->weight_shape[3] = k;
  const size_t weights = out_channels * in_channels / groups * k * k;
  w->weight = malloc(weights);
  w->scales = malloc(sizeof(float));
  w->zero_points = calloc(1, sizeof(int32_t));
  assert_true(w->weight != NULL && w->scales != NULL && w->zero_points != NULL);
  rng_fill_s8(rng, w->weight, weights);
  w->quant_count = 1;
  w->scales[0] = 0.02f;
  const uint32_t in[4] = {x, packed, add_float(g, CAT_SCALE), add_int(g, CAT_ZERO_POINT)};
  return add_op(g, q8_op_conv2d, "quantized::conv2d.new", in, 4, q8_tensor_quint8);
}

static uint32_t add_conv(q8_graph* g, uint32_t x, size_t in_channels, size_t out_channels,
                         test_rng* rng) {
  return add_grouped_conv(g, x, in_channels, out_channels, 3, 1, rng);
}

static uint32_t add_max_pool(q8_graph* g, uint32_t x) {
  const uint32_t in[6] = {x, add_ints(g, 3, 3), add_ints(g, 1, 1), add_ints(g, 1, 1),
                          add_ints(g, 1, 1), add_int(g, 0)};
  return add_op(g, q8_op_max_pool2d, "aten::max_pool2d", in, 6, q8_tensor_quint8);
}

static uint32_t add_cat(q8_graph* g, const uint32_t* items, size_t count) {
  q8_error err = {0};
  uint32_t list;
  assert_q8_ok(q8_graph_add_value(g, q8_value_tensor_list, &list, &err));
  g->values[list].u.tensors.items = malloc(count * sizeof(uint32_t));
  assert_non_null(g->values[list].u.tensors.items);
  memcpy(g->values[list].u.tensors.items, items, count * sizeof(uint32_t));
  g->values[list].u.tensors.count = count;
  const uint32_t in[2] = {list, add_int(g, 1)};
  return add_op(g, q8_op_cat, "aten::cat", in, 2, q8_tensor_quint8);
}

#define IMAGES 2
#define HEIGHT 3
#define WIDTH 4
#define CAT_CHANNELS 11 /* 4 + 5 + 2 */
#define PLANE (HEIGHT * WIDTH)

/* x -> quantize -> conv a (4 ch), conv b (5 ch), conv c (2 ch) -> max pool p;
 * cat([a, b, p], 1) -> dequantize, plus dequantize(a) and dequantize(b) as
 * further outputs when `extra_outputs` (which makes a and b ineligible).
 * Plans, checks which inputs became views, runs, returns the outputs. */
static void run_cat_graph(bool extra_outputs, const float* input, float* outputs[3]) {
  q8_graph* g = NULL;
  q8_error err = {0};
  test_rng rng = {42};
  assert_q8_ok(q8_graph_create(&g, &err));
  const uint32_t x = quantize(g, add_input(g), 0.05, 128);
  const uint32_t a = add_conv(g, x, 3, 4, &rng);
  const uint32_t b = add_conv(g, x, 3, 5, &rng);
  const uint32_t p = add_max_pool(g, add_conv(g, x, 3, 2, &rng));
  const uint32_t items[3] = {a, b, p};
  const uint32_t cat = add_cat(g, items, 3);
  const uint32_t out[3] = {dequantize(g, cat), extra_outputs ? dequantize(g, a) : 0,
                           extra_outputs ? dequantize(g, b) : 0};
  set_outputs(g, out, extra_outputs ? 3 : 1);

  q8_program* program = NULL;
  assert_q8_ok(q8_program_create(g, q8_isa_auto, &program, &err));
  const q8_tensor_shape shape = {4, {IMAGES, 3, HEIGHT, WIDTH}};
  assert_q8_ok(q8_program_plan(program, &shape, &err));
  assert_true(program->tensors[a].is_view == !extra_outputs);
  assert_true(program->tensors[b].is_view == !extra_outputs);
  assert_true(program->tensors[p].is_view);
  assert_true(program->tensors[p].data ==
              program->tensors[cat].data + 9); /* channel offset 4 + 5 */
  assert_q8_ok(q8_program_run(program, NULL, &input, outputs, false, &err));
  q8_program_delete(program);
  q8_graph_delete(g);
}

static void concat_views(void** state) {
  (void)state;
  test_rng rng = {7};
  float input[IMAGES * 3 * PLANE];
  for (size_t i = 0; i < IMAGES * 3 * PLANE; i++) input[i] = rng_float(&rng, -6.0f, 6.0f);
  float with_views[IMAGES * CAT_CHANNELS * PLANE];
  float copied[IMAGES * CAT_CHANNELS * PLANE], a[IMAGES * 4 * PLANE], b[IMAGES * 5 * PLANE];
  float* view_outputs[3] = {with_views, NULL, NULL};
  float* copy_outputs[3] = {copied, a, b};
  run_cat_graph(false, input, view_outputs);
  run_cat_graph(true, input, copy_outputs);
  assert_memory_equal(with_views, copied, sizeof(copied));
  /* The copying concat itself: its first channels are a's and b's. */
  for (size_t n = 0; n < IMAGES; n++) {
    assert_memory_equal(copied + n * CAT_CHANNELS * PLANE, a + n * 4 * PLANE,
                        4 * PLANE * sizeof(float));
    assert_memory_equal(copied + (n * CAT_CHANNELS + 4) * PLANE, b + n * 5 * PLANE,
                        5 * PLANE * sizeof(float));
  }
  /* Not a constant image: the convolutions produced varied codes. */
  size_t distinct = 0;
  for (size_t i = 1; i < IMAGES * CAT_CHANNELS * PLANE; i++) distinct += copied[i] != copied[0];
  assert_true(distinct > IMAGES * CAT_CHANNELS * PLANE / 2);
}

/* --- residual connections as convolution epilogues ---------------------------------- */

#define RES_IMAGES 2
#define RES_HEIGHT 9
#define RES_WIDTH 10
#define RES_PIXELS (RES_HEIGHT * RES_WIDTH)

typedef struct residual_case {
  size_t mid, out, k, groups; /* the residual branch: mid -> out channels */
  q8_op_kind kind;            /* q8_op_add or q8_op_mul */
  bool conv_first;            /* op(branch, skip) rather than op(skip, branch) */
  bool relu;
} residual_case;

/* x -> q = quantize(x); base = conv3x3(q, 3 -> mid); skip = conv3x3(q, 3 ->
 * out); branch = conv(base, mid -> out, k x k, groups); y = op(skip, branch)
 * (or swapped) -> dequantize. With `fused` false, dequantize(branch) is a
 * second output, so branch has two readers and stays a tensor of its own.
 * Checks whether the branch became a view of y and the op step ran as its
 * epilogue; runs on `pool`; writes y's dequantized values to out. */
static void run_residual_graph(const residual_case* rc, bool fused, pthreadpool_t pool,
                               const float* input, float* out) {
  q8_graph* g = NULL;
  q8_error err = {0};
  test_rng rng = {5};
  assert_q8_ok(q8_graph_create(&g, &err));
  const uint32_t q = quantize(g, add_input(g), 0.05, 128);
  const uint32_t base = add_conv(g, q, 3, rc->mid, &rng);
  const uint32_t skip = add_conv(g, q, 3, rc->out, &rng);
  const uint32_t branch = add_grouped_conv(g, base, rc->mid, rc->out, rc->k, rc->groups, &rng);
  const uint32_t in[4] = {rc->conv_first ? branch : skip, rc->conv_first ? skip : branch,
                          add_float(g, rc->kind == q8_op_add ? 0.2 : 2.0), add_int(g, 90)};
  const uint32_t y = add_op(g, rc->kind, rc->kind == q8_op_add ? "quantized::add" : "quantized::mul",
                            in, 4, q8_tensor_quint8);
  q8_node* node = &g->nodes[g->num_nodes - 1];
  node->has_clamp = rc->relu;
  node->clamp_min = 0.0f, node->clamp_max = INFINITY;
  const uint32_t outputs[2] = {dequantize(g, y), fused ? 0 : dequantize(g, branch)};
  set_outputs(g, outputs, fused ? 1 : 2);

  q8_program* program = NULL;
  assert_q8_ok(q8_program_create(g, q8_isa_auto, &program, &err));
  const q8_tensor_shape shape = {4, {RES_IMAGES, 3, RES_HEIGHT, RES_WIDTH}};
  assert_q8_ok(q8_program_plan(program, &shape, &err));
  assert_true(program->tensors[branch].is_view == fused);
  const q8_step* op_step = q8_program_producer(program, y);
  assert_non_null(op_step);
  assert_true((op_step->epilogue_of != NULL) == fused);
  float* second = malloc(RES_IMAGES * rc->out * RES_PIXELS * sizeof(float));
  assert_non_null(second);
  float* outs[2] = {out, second};
  assert_q8_ok(q8_program_run(program, pool, &input, outs, false, &err));
  free(second);
  q8_program_delete(program);
  q8_graph_delete(g);
}

static void residual_case_run(const residual_case* rc, pthreadpool_t pools[TEST_THREAD_COUNTS]) {
  test_rng rng = {3};
  float input[RES_IMAGES * 3 * RES_PIXELS];
  for (size_t i = 0; i < RES_IMAGES * 3 * RES_PIXELS; i++) input[i] = rng_float(&rng, -6.0f, 6.0f);
  const size_t count = RES_IMAGES * rc->out * RES_PIXELS;
  float* expected = malloc(count * sizeof(float));
  float* actual = malloc(count * sizeof(float));
  assert_true(expected != NULL && actual != NULL);
  run_residual_graph(rc, false, NULL, input, expected);
  for (size_t t = 0; t < TEST_THREAD_COUNTS; t++) {
    run_residual_graph(rc, true, pools[t], input, actual);
    assert_memory_equal(actual, expected, count * sizeof(float));
  }
  size_t distinct = 0;
  for (size_t i = 1; i < count; i++) distinct += expected[i] != expected[0];
  assert_true(distinct > count / 4);
  free(expected);
  free(actual);
}

/* Fused epilogues give what the separate step gives: on a direct GEMM
 * (1x1), an indirect one (3x3), weights too big to stay in cache (tasks
 * down one weight block: the epilogue goes row by row), a depthwise
 * convolution, a grouped one; add and mul, either operand order, relu. */
static void residual_epilogues(void** state) {
  (void)state;
  static const residual_case cases[] = {
      {24, 24, 1, 1, q8_op_add, false, false},  {16, 16, 3, 1, q8_op_add, true, false},
      {64, 128, 3, 1, q8_op_add, false, true},  {32, 32, 3, 32, q8_op_add, true, false},
      {24, 24, 3, 2, q8_op_add, false, false},  {20, 20, 1, 1, q8_op_mul, true, true},
      {40, 40, 3, 40, q8_op_mul, false, false},
  };
  pthreadpool_t pools[TEST_THREAD_COUNTS];
  test_pools_create(pools);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) residual_case_run(&cases[i], pools);
  test_pools_destroy(pools);
}

/* op(a, b) where b is computed after a: a cannot be fused (b does not
 * exist when a's convolution runs), b is read twice. Nothing is fused and
 * the result is the same as with b read once (b fused). */
static void residual_operand_order(void** state) {
  (void)state;
  float results[2][RES_IMAGES * 8 * RES_PIXELS], second[RES_IMAGES * 8 * RES_PIXELS];
  test_rng in_rng = {9};
  float input[RES_IMAGES * 3 * RES_PIXELS];
  for (size_t i = 0; i < RES_IMAGES * 3 * RES_PIXELS; i++) input[i] = rng_float(&in_rng, -6.0f, 6.0f);
  for (int b_read_twice = 0; b_read_twice < 2; b_read_twice++) {
    q8_graph* g = NULL;
    q8_error err = {0};
    test_rng rng = {5};
    assert_q8_ok(q8_graph_create(&g, &err));
    const uint32_t q = quantize(g, add_input(g), 0.05, 128);
    const uint32_t a = add_conv(g, q, 3, 8, &rng);
    const uint32_t b = add_conv(g, q, 3, 8, &rng);
    const uint32_t in[4] = {a, b, add_float(g, 0.2), add_int(g, 90)};
    const uint32_t y = add_op(g, q8_op_add, "quantized::add", in, 4, q8_tensor_quint8);
    const uint32_t outputs[2] = {dequantize(g, y), b_read_twice ? dequantize(g, b) : 0};
    set_outputs(g, outputs, b_read_twice ? 2 : 1);
    q8_program* program = NULL;
    assert_q8_ok(q8_program_create(g, q8_isa_auto, &program, &err));
    const q8_tensor_shape shape = {4, {RES_IMAGES, 3, RES_HEIGHT, RES_WIDTH}};
    assert_q8_ok(q8_program_plan(program, &shape, &err));
    assert_false(program->tensors[a].is_view);
    assert_true(program->tensors[b].is_view == !b_read_twice);
    float* outs[2] = {results[b_read_twice], second};
    const float* x = input;
    assert_q8_ok(q8_program_run(program, NULL, &x, outs, false, &err));
    q8_program_delete(program);
    q8_graph_delete(g);
  }
  assert_memory_equal(results[0], results[1], sizeof(results[0]));
}

/* --- inputs read from the caller's buffer ----------------------------------------- */

enum { BORROW_ELEMENTS = 2 * 3 * 5 * 7 };

/* Plans y = dequantize(quantize(x, 0.05, 128)) with, per `extra`, nothing
 * else (0), dequantize(x) of the fp32 input as a second output (1: a copy
 * that keeps the input in the arena) or x itself as a second output (2);
 * runs it on two different input buffers and checks y against the
 * reference, the second output, and that the inputs were left untouched. */
static void run_borrow_graph(int extra) {
  q8_graph* g = NULL;
  q8_error err = {0};
  assert_q8_ok(q8_graph_create(&g, &err));
  const uint32_t x = add_input(g);
  const uint32_t outputs[2] = {dequantize(g, quantize(g, x, 0.05, 128)),
                               extra == 1 ? dequantize(g, x) : x};
  set_outputs(g, outputs, extra ? 2 : 1);
  q8_program* program = NULL;
  assert_q8_ok(q8_program_create(g, q8_isa_auto, &program, &err));
  const q8_tensor_shape shape = {4, {2, 3, 5, 7}};
  assert_q8_ok(q8_program_plan(program, &shape, &err));
  assert_true(program->tensors[x].borrowed == (extra == 0));
  assert_true((program->tensors[x].data == NULL) == (extra == 0));

  test_rng rng = {11};
  float inputs[2][BORROW_ELEMENTS], kept[2][BORROW_ELEMENTS];
  for (size_t k = 0; k < 2; k++) {
    for (size_t i = 0; i < BORROW_ELEMENTS; i++) inputs[k][i] = rng_float(&rng, -7.0f, 7.0f);
    memcpy(kept[k], inputs[k], sizeof(kept[k]));
  }
  for (size_t k = 0; k < 2; k++) {
    float y[BORROW_ELEMENTS], second[BORROW_ELEMENTS];
    float* outs[2] = {y, second};
    const float* in = inputs[k];
    assert_q8_ok(q8_program_run(program, NULL, &in, outs, false, &err));
    for (size_t i = 0; i < BORROW_ELEMENTS; i++) {
      const int32_t q = reference_quantize(kept[k][i], 1.0f / 0.05f, 128);
      assert_float_equal(y[i], (float)(q - 128) * 0.05f, 0.0f);
    }
    if (extra) assert_memory_equal(second, kept[k], sizeof(second));
    assert_memory_equal(inputs[k], kept[k], sizeof(kept[k]));
    if (extra == 0) assert_null(program->tensors[x].data); /* not kept after the run */
  }
  q8_program_delete(program);
  q8_graph_delete(g);
}

static void borrowed_inputs(void** state) {
  (void)state;
  for (int extra = 0; extra < 3; extra++) run_borrow_graph(extra);
}

int main(void) {
  if (test_skip_unsupported_isa("test-plan")) return 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fold_quant_pairs),
      cmocka_unit_test(concat_views),
      cmocka_unit_test(borrowed_inputs),
      cmocka_unit_test(residual_epilogues),
      cmocka_unit_test(residual_operand_order),
  };
  int failed = cmocka_run_group_tests_name("plan", tests, NULL, NULL);
  failed += test_run_cases("quantize_input", 50, quantize_case);
  return failed;
}

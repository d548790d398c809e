/*
 * End to end: every committed test/models/NAME.ptl and NAME.pt against PyTorch's output
 * for NAME.input.npy, and hostile variants of real models (truncated,
 * corrupted pickle, unknown instruction, unsupported operator, wrong input
 * shape, random byte flips) that must fail with a clear message and leak
 * nothing (the asan preset checks the latter).
 *
 * usage: test-models MODELS_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <time.h>

#include "model-files.h"
#include "q8/runtime.h"
#include "runtime/graph/graph.h"
#include "test-util.h"

#define PATH_SIZE 1024

typedef struct outputs {
  size_t count;
  q8_tensor_shape shapes[4];
  float* data[4];
} outputs;

static void free_outputs(outputs* o) {
  for (size_t i = 0; i < o->count; i++) free(o->data[i]);
}

static size_t element_count(const q8_tensor_shape* s) {
  size_t n = 1;
  for (size_t d = 0; d < s->rank; d++) n *= s->dims[d];
  return n;
}

/* Plans for the input, allocates the outputs and runs; returns the status. */
static q8_status run_model(const q8_model* model, pthreadpool_t pool, const float* input,
                           const q8_tensor_shape* shape, outputs* out, q8_error* err) {
  q8_context* ctx = NULL;
  memset(out, 0, sizeof(*out));
  q8_status status = q8_context_create(model, &ctx, err);
  if (status == q8_status_success) status = q8_context_plan(ctx, shape, err);
  out->count = q8_model_output_count(model);
  assert_true(out->count <= 4);
  for (size_t i = 0; status == q8_status_success && i < out->count; i++) {
    status = q8_context_output_shape(ctx, i, &out->shapes[i], err);
    out->data[i] = malloc(element_count(&out->shapes[i]) * sizeof(float) + 1);
    assert_non_null(out->data[i]);
  }
  if (status == q8_status_success)
    status = q8_context_run(ctx, pool, &input, shape, out->data, err);
  q8_context_delete(ctx);
  return status;
}

static void expect_message(const q8_error* err, const char* needle) {
  if (strstr(err->message, needle) == NULL)
    fail_msg("message '%s' lacks '%s'", err->message, needle);
}

/* The output scale of a dequantized output: the smallest gap between its
 * distinct golden values (codes differ by whole steps). */
static double estimate_step(const float* y, size_t n) {
  double step = INFINITY;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n && j < i + 4096; j++) {
      const double d = fabs((double)y[i] - (double)y[j]);
      if (d > 0 && d < step) step = d;
    }
  return step;
}

/* Compares against the golden output and prints the figures. */
static void check_against_golden(const char* name, const float* y, const float* golden, size_t n) {
  size_t exact = 0;
  double max_diff = 0.0, max_golden = 0.0;
  for (size_t i = 0; i < n; i++) {
    exact += y[i] == golden[i];
    max_diff = fmax(max_diff, fabs((double)y[i] - (double)golden[i]));
    max_golden = fmax(max_golden, fabs((double)golden[i]));
  }
  const double exact_pct = 100.0 * (double)exact / (double)n;
  if (strstr(name, "dynamic") != NULL) {
    /* fp32 outputs: a relative bound instead of quantization steps */
    const double relative = max_golden > 0 ? max_diff / max_golden : max_diff;
    printf("  %-28s %6zu elements  exact %6.2f%%  max relative error %.3g\n", name, n, exact_pct,
           relative);
    assert_true(relative <= 1e-4);
    return;
  }
  const double step = estimate_step(golden, n);
  const double lsb = isfinite(step) ? max_diff / step : (max_diff > 0 ? INFINITY : 0.0);
  printf("  %-28s %6zu elements  exact %6.2f%%  max error %.2f LSB (scale ~%.4g)\n", name, n,
         exact_pct, lsb, step);
  assert_true(lsb <= 1.0 + 1e-3);
  assert_true(exact_pct >= 99.0);
}

/* Runs dir/name.ext (ext "ptl" or "pt") against name's golden output. */
static void check_model(const char* dir, const char* name, const char* ext, pthreadpool_t pool) {
  char path[PATH_SIZE];
  q8_tensor_shape in_shape, golden_shape;
  float *input = NULL, *golden = NULL;
  snprintf(path, sizeof(path), "%s/%s.input.npy", dir, name);
  assert_int_equal(read_npy_f32(path, &in_shape, &input), 0);
  snprintf(path, sizeof(path), "%s/%s.output.npy", dir, name);
  assert_int_equal(read_npy_f32(path, &golden_shape, &golden), 0);
  snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
  char label[PATH_SIZE];
  snprintf(label, sizeof(label), "%s.%s", name, ext);
  name = label;

  q8_error err = {0};
  q8_model* model = NULL;
  if (q8_model_load_file(path, NULL, &model, &err) != q8_status_success)
    fail_msg("%s: %s", name, err.message);
  outputs one, many;
  if (run_model(model, NULL, input, &in_shape, &one, &err) != q8_status_success)
    fail_msg("%s: %s", name, err.message);
  assert_int_equal(one.count, 1);
  assert_memory_equal(&one.shapes[0], &golden_shape, sizeof(golden_shape));
  const size_t n = element_count(&golden_shape);
  check_against_golden(name, one.data[0], golden, n);
  /* Threads change nothing, and a second context serves the same model. */
  assert_q8_ok(run_model(model, pool, input, &in_shape, &many, &err));
  assert_memory_equal(one.data[0], many.data[0], n * sizeof(float));
  free_outputs(&one);
  free_outputs(&many);
  q8_model_delete(model);
  free(input);
  free(golden);
}

static void models_match_pytorch(void** state) {
  const char* dir = *state;
  DIR* d = opendir(dir);
  assert_non_null(d);
  pthreadpool_t pool = pthreadpool_create(3);
  size_t checked = 0;
  printf("  model                        elements   exact       max error\n");
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    const size_t len = strlen(e->d_name);
    if (len <= 4 || strcmp(e->d_name + len - 4, ".ptl") != 0) continue;
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)(len - 4), e->d_name);
    check_model(dir, name, "ptl", pool);
    check_model(dir, name, "pt", pool); /* the torch.jit.save file of the same model */
    checked++;
  }
  closedir(d);
  pthreadpool_destroy(pool);
  assert_true(checked >= 8);
}

/* One context re-plans when the input shape changes, and back. */
static void replans_on_new_shape(void** state) {
  char path[PATH_SIZE];
  snprintf(path, sizeof(path), "%s/squeeze_excite.ptl", (const char*)*state);
  q8_error err = {0};
  q8_model* model = NULL;
  q8_context* ctx = NULL;
  assert_q8_ok(q8_model_load_file(path, NULL, &model, &err));
  assert_q8_ok(q8_context_create(model, &ctx, &err));
  const size_t sizes[3] = {10, 17, 10};
  float* input = calloc(2 * 4 * 17 * 18, sizeof(float));
  float* output = calloc(2 * 24 * 17 * 18, sizeof(float));
  assert_non_null(input);
  assert_non_null(output);
  for (size_t i = 0; i < 2 * 4 * 17 * 18; i++) input[i] = (float)((int)(i % 13) - 6) * 0.25f;
  for (size_t k = 0; k < 3; k++) {
    const q8_tensor_shape shape = {4, {2, 4, sizes[k], sizes[k] + 1}};
    q8_tensor_shape out;
    assert_q8_ok(q8_context_plan(ctx, &shape, &err));
    assert_q8_ok(q8_context_output_shape(ctx, 0, &out, &err));
    assert_int_equal(out.rank, 4);
    assert_int_equal(out.dims[1], 24);
    assert_int_equal(out.dims[3], sizes[k] + 1);
    const float* in = input;
    assert_q8_ok(q8_context_run(ctx, NULL, &in, &shape, &output, &err));
  }
  free(input);
  free(output);
  q8_context_delete(ctx);
  q8_model_delete(model);
}

/* --- load-time passes on hand-built graphs --------------------------------------- */

static uint32_t add_node(q8_graph* g, q8_op_kind kind, const char* name, uint32_t input) {
  uint32_t out;
  q8_error err = {0};
  assert_q8_ok(q8_graph_add_node(g, kind, name, g->num_nodes, &input, 1, &out, &err));
  g->values[out].dtype = q8_tensor_quint8;
  return out;
}

static void set_clamp(q8_graph* g, float lo, float hi, bool relayout) {
  q8_node* n = &g->nodes[g->num_nodes - 1];
  n->has_clamp = true, n->clamp_min = lo, n->clamp_max = hi, n->relayout = relayout;
}

/* x -> conv -> dropout -> relu -> hardtanh(relayout) -> conv -> relu, and a
 * second reader of the last conv's input: identities go, clamps fold into
 * the single-consumer producer, the relayout node stays without its clamp. */
static void graph_passes(void** state) {
  (void)state;
  q8_graph* g = NULL;
  q8_error err = {0};
  assert_q8_ok(q8_graph_create(&g, &err));
  uint32_t x;
  assert_q8_ok(q8_graph_add_value(g, q8_value_tensor, &x, &err));
  const uint32_t c1 = add_node(g, q8_op_conv2d, "quantized::conv2d.new", x);
  const uint32_t d = add_node(g, q8_op_identity, "aten::dropout", c1);
  const uint32_t r = add_node(g, q8_op_relu, "aten::relu", d);
  set_clamp(g, 0.0f, INFINITY, false);
  const uint32_t h = add_node(g, q8_op_hardtanh, "aten::hardtanh", r);
  set_clamp(g, -1.0f, 6.0f, true);
  const uint32_t c2 = add_node(g, q8_op_conv2d, "quantized::conv2d.new", h);
  const uint32_t r2 = add_node(g, q8_op_relu, "aten::relu", h); /* h has two readers */
  set_clamp(g, 0.0f, INFINITY, false);
  g->outputs = malloc(2 * sizeof(uint32_t));
  assert_non_null(g->outputs);
  g->outputs[0] = c2, g->outputs[1] = r2, g->num_outputs = 2;

  assert_q8_ok(q8_graph_drop_identities(g, &err));
  assert_true(g->nodes[1].removed);
  assert_int_equal(g->nodes[2].inputs[0], c1);
  assert_q8_ok(q8_graph_fuse_clamps(g, &err));
  assert_true(g->nodes[2].removed);                  /* relu folded into conv 1 */
  assert_false(g->nodes[3].removed);                 /* relayout stays ... */
  assert_false(g->nodes[3].has_clamp);               /* ... without its clamp */
  assert_int_equal(g->nodes[3].inputs[0], c1);
  assert_true(g->nodes[0].has_clamp);
  assert_true(g->nodes[0].clamp_min == 0.0f && g->nodes[0].clamp_max == 6.0f);
  assert_false(g->nodes[5].removed);                 /* producer has two readers */
  assert_int_equal(q8_graph_use_count(g, h), 2);
  (void)r;
  q8_graph_delete(g);
}

/* --- hostile files ------------------------------------------------------------- */

static uint8_t* load_model_bytes(void** state, const char* name, size_t* size) {
  char path[PATH_SIZE];
  snprintf(path, sizeof(path), "%s/%s", (const char*)*state, name);
  uint8_t* data = read_whole_file(path, size);
  assert_non_null(data);
  return data;
}

static q8_status load_bytes(const uint8_t* data, size_t size, q8_error* err) {
  q8_model* model = (q8_model*)(uintptr_t)1; /* must be reset to NULL on failure */
  const q8_status status = q8_model_load_memory(data, size, NULL, &model, err);
  if (status == q8_status_success) q8_model_delete(model);
  else assert_null(model);
  return status;
}

static void truncated_file(void** state) {
  size_t size;
  uint8_t* data = load_model_bytes(state, "conv_blocks.ptl", &size);
  const size_t cuts[4] = {0, 22, size / 2, size - 1};
  for (size_t i = 0; i < 4; i++) {
    q8_error err = {0};
    assert_int_not_equal(load_bytes(data, cuts[i], &err), q8_status_success);
    expect_message(&err, "archive");
  }
  free(data);
}

/* Each limit of q8_model_limits, set far below what a committed model needs,
 * makes the load fail with a message naming it, for both file formats; the
 * defaults, spelled out, load the model. */
typedef struct limit_case {
  const char* field;
  size_t offset; /* of the field in q8_model_limits */
  uint64_t tiny;
  bool compressed_only; /* .ptl files store every entry uncompressed */
} limit_case;

#define LIMIT_CASE(field, tiny) {#field, offsetof(q8_model_limits, field), tiny, false}

static void load_limits(void** state) {
  static const limit_case cases[] = {
      LIMIT_CASE(max_entry_bytes, 64),     LIMIT_CASE(max_file_bytes, 2000),
      {"max_compression_ratio", offsetof(q8_model_limits, max_compression_ratio), 1, true},
      LIMIT_CASE(max_entries, 3),
      LIMIT_CASE(max_tensor_bytes, 16),    LIMIT_CASE(max_weight_bytes, 300),
      LIMIT_CASE(max_graph_nodes, 2),      LIMIT_CASE(max_pickle_depth, 2),
      LIMIT_CASE(max_pickle_memo, 2),      LIMIT_CASE(max_pickle_nodes, 10),
      LIMIT_CASE(max_string_bytes, 4),
  };
  static const char* const files[] = {"conv_blocks.ptl", "conv_blocks.pt"};
  for (size_t f = 0; f < 2; f++) {
    size_t size;
    uint8_t* data = load_model_bytes(state, files[f], &size);
    q8_model_options options = {.isa = q8_isa_auto, .limits = q8_model_default_limits()};
    q8_error err = {0};
    q8_model* model = NULL;
    assert_q8_ok(q8_model_load_memory(data, size, &options, &model, &err));
    q8_model_delete(model);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      if (cases[i].compressed_only && f == 0) continue;
      q8_model_options tight = {.isa = q8_isa_auto};
      memcpy((char*)&tight.limits + cases[i].offset, &cases[i].tiny, sizeof(uint64_t));
      model = (q8_model*)&err;
      const q8_status status = q8_model_load_memory(data, size, &tight, &model, &err);
      if (status != q8_status_unsupported_parameter) {
        fail_msg("%s with %s = %llu: status %d ('%s')", files[f], cases[i].field,
                 (unsigned long long)cases[i].tiny, status, err.message);
      }
      assert_null(model);
      expect_message(&err, cases[i].field);
    }
    free(data);
  }
}

/* CPU time this process uses while the caller sleeps 100 ms right after a
 * run on a 2-thread pool. */
static double cpu_ms_idle_after_run(q8_context* ctx, pthreadpool_t pool, const float* input,
                                    const q8_tensor_shape* shape, float* output) {
  q8_error err = {0};
  assert_q8_ok(q8_context_run(ctx, pool, &input, shape, &output, &err));
  struct timespec t0, t1, pause = {0, 100 * 1000 * 1000};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  nanosleep(&pause, NULL);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
}

/* With worker spin off, the pool's threads sleep as soon as a run ends; the
 * outputs are the same either way. */
static void workers_sleep_after_run(void** state) {
  char path[1024], npy[1024];
  snprintf(path, sizeof(path), "%s/residual.ptl", (const char*)*state);
  snprintf(npy, sizeof(npy), "%s/residual.input.npy", (const char*)*state);
  q8_tensor_shape shape, out_shape;
  float* input = NULL;
  assert_int_equal(read_npy_f32(npy, &shape, &input), 0);
  q8_error err = {0};
  q8_model* model = NULL;
  q8_context* ctx = NULL;
  assert_q8_ok(q8_model_load_file(path, NULL, &model, &err));
  assert_q8_ok(q8_context_create(model, &ctx, &err));
  assert_q8_ok(q8_context_plan(ctx, &shape, &err));
  assert_q8_ok(q8_context_output_shape(ctx, 0, &out_shape, &err));
  size_t n = 1;
  for (size_t d = 0; d < out_shape.rank; d++) n *= out_shape.dims[d];
  float* spun = malloc(n * sizeof(float));
  float* slept = malloc(n * sizeof(float));
  pthreadpool_t pool = pthreadpool_create(2);
  assert_non_null(pool);
  const double spinning = cpu_ms_idle_after_run(ctx, pool, input, &shape, spun);
  q8_context_set_worker_spin(ctx, false);
  double sleeping = 1e9;
  for (int i = 0; i < 3; i++) { /* the best of three: other processes may preempt us */
    const double ms = cpu_ms_idle_after_run(ctx, pool, input, &shape, slept);
    if (ms < sleeping) sleeping = ms;
  }
  printf("  CPU time in the 100 ms after a run: %.2f ms with worker spin, %.2f ms without\n",
         spinning, sleeping);
  assert_memory_equal(spun, slept, n * sizeof(float));
  if (sleeping > 5.0) fail_msg("workers used %.2f ms of CPU after a run without spin", sleeping);
  pthreadpool_destroy(pool);
  free(spun);
  free(slept);
  free(input);
  q8_context_delete(ctx);
  q8_model_delete(model);
}

/* Loads conv_blocks.ptl with its bytecode.pkl edited by `edit`. */
static q8_status load_edited(void** state, void (*edit)(uint8_t*, size_t), q8_error* err) {
  size_t size, pkl_size, edited_size;
  uint8_t* data = load_model_bytes(state, "conv_blocks.ptl", &size);
  uint8_t* pkl = zip_read_entry(data, size, "/bytecode.pkl", &pkl_size);
  assert_non_null(pkl);
  edit(pkl, pkl_size);
  uint8_t* edited = zip_replace_entry(data, size, "/bytecode.pkl", pkl, pkl_size, &edited_size);
  assert_non_null(edited);
  const q8_status status = load_bytes(edited, edited_size, err);
  free(edited);
  free(pkl);
  free(data);
  return status;
}

static void replace_text(uint8_t* data, size_t size, const char* from, const char* to) {
  const size_t n = strlen(from);
  assert_int_equal(n, strlen(to));
  for (size_t i = 0; i + n <= size; i++)
    if (memcmp(data + i, from, n) == 0) {
      memcpy(data + i, to, n);
      return;
    }
  fail_msg("'%s' not found", from);
}

static void bad_pickle_opcode(uint8_t* pkl, size_t size) {
  assert_true(size > 4 && pkl[0] == 0x80); /* PROTO 2, then the first opcode */
  pkl[2] = 0xf3;
}
static void corrupted_pickle_byte(void** state) {
  q8_error err = {0};
  assert_int_not_equal(load_edited(state, bad_pickle_opcode, &err), q8_status_success);
  expect_message(&err, "pickle: unknown opcode 0xf3 at offset 2 in bytecode.pkl");
}

static void bad_instruction(uint8_t* pkl, size_t size) { replace_text(pkl, size, "STOREN", "STOREX"); }
static void unknown_opcode(void** state) {
  q8_error err = {0};
  assert_int_equal(load_edited(state, bad_instruction, &err), q8_status_unsupported_parameter);
  expect_message(&err, "instruction 0: unsupported opcode 'STOREX'");
}

static void bad_operator(uint8_t* pkl, size_t size) {
  replace_text(pkl, size, "aten::max_pool2d", "aten::lstm_pool2");
}
static void unsupported_operator(void** state) {
  q8_error err = {0};
  assert_int_equal(load_edited(state, bad_operator, &err), q8_status_unsupported_parameter);
  expect_message(&err, "unsupported operator aten::lstm_pool2 at instruction 23");
}

static void wrong_input_shape(void** state) {
  char path[PATH_SIZE];
  snprintf(path, sizeof(path), "%s/conv_blocks.ptl", (const char*)*state);
  q8_error err = {0};
  q8_model* model = NULL;
  q8_context* ctx = NULL;
  assert_q8_ok(q8_model_load_file(path, NULL, &model, &err));
  assert_q8_ok(q8_context_create(model, &ctx, &err));
  const q8_tensor_shape channels = {4, {1, 4, 32, 32}}, flat = {2, {1, 3072}},
                        empty = {4, {1, 3, 0, 8}};
  assert_int_equal(q8_context_plan(ctx, &channels, &err), q8_status_invalid_parameter);
  expect_message(&err, "quantized::conv2d_relu.new at instruction 10: input has 4 channels; the weights take 3");
  assert_int_equal(q8_context_plan(ctx, &flat, &err), q8_status_unsupported_parameter);
  expect_message(&err, "4 (NCHW) expected");
  assert_int_equal(q8_context_plan(ctx, &empty, &err), q8_status_invalid_parameter);
  expect_message(&err, "input 0 has an empty dimension 2");
  q8_tensor_shape out;
  assert_int_equal(q8_context_output_shape(ctx, 0, &out, &err), q8_status_invalid_state);
  q8_context_delete(ctx);
  q8_model_delete(model);
}

/* Random byte flips in bytecode.pkl: loading either fails cleanly or gives
 * a model that plans and runs (or fails) cleanly; never a crash or leak. */
static void random_flips(void** state) {
  size_t size, pkl_size;
  uint8_t* data = load_model_bytes(state, "residual.ptl", &size);
  uint8_t* pkl = zip_read_entry(data, size, "/bytecode.pkl", &pkl_size);
  assert_non_null(pkl);
  uint8_t* copy = malloc(pkl_size);
  assert_non_null(copy);
  test_rng rng = {42};
  float* input = calloc(2 * 8 * 12 * 12, sizeof(float));
  float* output = calloc(1 << 16, sizeof(float));
  const q8_tensor_shape shape = {4, {2, 8, 12, 12}};
  size_t loaded = 0;
  for (int trial = 0; trial < 150; trial++) {
    memcpy(copy, pkl, pkl_size);
    for (int k = 0; k < 1 + trial % 3; k++)
      copy[rng_int(&rng, 0, (int64_t)pkl_size - 1)] = (uint8_t)rng_int(&rng, 0, 255);
    size_t edited_size;
    uint8_t* edited = zip_replace_entry(data, size, "/bytecode.pkl", copy, pkl_size, &edited_size);
    assert_non_null(edited);
    q8_error err = {0};
    q8_model* model = NULL;
    q8_context* ctx = NULL;
    if (q8_model_load_memory(edited, edited_size, NULL, &model, &err) == q8_status_success) {
      loaded++;
      q8_tensor_shape out;
      if (q8_context_create(model, &ctx, &err) == q8_status_success &&
          q8_context_plan(ctx, &shape, &err) == q8_status_success &&
          q8_model_output_count(model) == 1 &&
          q8_context_output_shape(ctx, 0, &out, &err) == q8_status_success &&
          element_count(&out) <= (1 << 16)) {
        const float* in = input;
        (void)q8_context_run(ctx, NULL, &in, &shape, &output, &err);
      }
    } else {
      assert_true(strlen(err.message) > 0);
    }
    q8_context_delete(ctx);
    q8_model_delete(model);
    free(edited);
  }
  printf("  random flips: %zu of 150 variants still loaded\n", loaded);
  free(input);
  free(output);
  free(copy);
  free(pkl);
  free(data);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
    return 2;
  }
  void* dir = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_prestate(models_match_pytorch, dir),
      cmocka_unit_test_prestate(replans_on_new_shape, dir),
      cmocka_unit_test(graph_passes),
      cmocka_unit_test_prestate(truncated_file, dir),
      cmocka_unit_test_prestate(load_limits, dir),
      cmocka_unit_test_prestate(workers_sleep_after_run, dir),
      cmocka_unit_test_prestate(corrupted_pickle_byte, dir),
      cmocka_unit_test_prestate(unknown_opcode, dir),
      cmocka_unit_test_prestate(unsupported_operator, dir),
      cmocka_unit_test_prestate(wrong_input_shape, dir),
      cmocka_unit_test_prestate(random_flips, dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

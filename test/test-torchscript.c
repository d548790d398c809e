/*
 * The .pt front end (loader/torchscript.h): every committed test/models
 * NAME.pt must load into the same graph the bytecode front end builds from
 * NAME.ptl (same nodes, constant arguments and packed weights), and run to
 * PyTorch's output for NAME.input.npy, bit for bit like the .ptl. Hostile
 * variants of real files (truncated or corrupted code, unterminated
 * strings, deep nesting, recursion, unknown operators, random byte flips)
 * must fail with a message naming the code file and line, and leak nothing
 * (the asan preset checks the latter).
 *
 * usage: test-torchscript MODELS_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "runtime/graph/graph.h"
#include "runtime/loader/archive.h"
#include "runtime/loader/bytecode.h"
#include "runtime/loader/torchscript.h"
#include "runtime/plan/program.h"
#include "test-util.h"

#define PATH_SIZE 1024

/* --- files ------------------------------------------------------------------------ */

static uint8_t* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  uint8_t* data = NULL;
  long length = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (length = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
    data = malloc((size_t)length + 1);
  if (data != NULL && fread(data, 1, (size_t)length, f) != (size_t)length) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = data != NULL ? (size_t)length : 0;
  return data;
}

/* A little-endian float32 C-order .npy array. */
static float* read_npy(const char* path, q8_tensor_shape* shape) {
  size_t size;
  uint8_t* file = read_file(path, &size);
  assert_non_null(file);
  assert_true(size >= 10 && memcmp(file, "\x93NUMPY\x01", 7) == 0);
  const size_t header = file[8] | (size_t)file[9] << 8;
  assert_true(10 + header <= size);
  char text[512] = {0};
  memcpy(text, file + 10, header < sizeof(text) - 1 ? header : sizeof(text) - 1);
  assert_non_null(strstr(text, "'<f4'"));
  const char* p = strstr(text, "'shape': (");
  assert_non_null(p);
  memset(shape, 0, sizeof(*shape));
  size_t n = 1;
  for (p += 10; *p != ')';) {
    char* end;
    const unsigned long d = strtoul(p, &end, 10);
    if (end == p) {
      p++;
      continue;
    }
    assert_true(shape->rank < Q8_MAX_TENSOR_DIMS);
    shape->dims[shape->rank++] = d;
    n *= d;
    p = end;
  }
  assert_int_equal(10 + header + n * 4, size);
  float* data = malloc(n * 4 + 4);
  assert_non_null(data);
  memcpy(data, file + 10 + header, n * 4);
  free(file);
  return data;
}

static q8_status load_graph(const char* path, bool pt, q8_graph** graph, q8_error* err) {
  q8_archive* archive = NULL;
  q8_status status = q8_archive_open_file(path, NULL, &archive, err);
  if (status != q8_status_success) return status;
  status = pt ? q8_torchscript_load_graph(archive, graph, err) : q8_bytecode_load(archive, graph, err);
  q8_archive_close(archive);
  if (status != q8_status_success) assert_null(*graph);
  return status;
}

/* --- graph equivalence --------------------------------------------------------- */

/* Where a tensor comes from: position among live nodes, or -(graph input + 1). */
static long origin(const q8_graph* g, uint32_t id) {
  long position = 0;
  for (size_t n = 0; n < g->num_nodes; n++) {
    if (g->nodes[n].removed) continue;
    if (g->nodes[n].output == id) return position;
    position++;
  }
  for (size_t i = 0; i < g->num_inputs; i++)
    if (g->inputs[i] == id) return -(long)i - 1;
  fail_msg("value %u is produced by no live node and is no input", id);
  return 0;
}

static void compare_packed(const q8_packed_weights* a, const q8_packed_weights* b) {
  assert_int_equal(a->is_conv, b->is_conv);
  assert_int_equal(a->transposed, b->transposed);
  assert_memory_equal(a->stride, b->stride, sizeof(a->stride));
  assert_memory_equal(a->padding, b->padding, sizeof(a->padding));
  assert_memory_equal(a->dilation, b->dilation, sizeof(a->dilation));
  assert_memory_equal(a->output_padding, b->output_padding, sizeof(a->output_padding));
  assert_int_equal(a->groups, b->groups);
  assert_int_equal(a->weight_dims, b->weight_dims);
  size_t n = 1;
  for (size_t d = 0; d < a->weight_dims; d++) {
    assert_int_equal(a->weight_shape[d], b->weight_shape[d]);
    n *= a->weight_shape[d];
  }
  assert_memory_equal(a->weight, b->weight, n);
  assert_int_equal(a->quant_count, b->quant_count);
  assert_memory_equal(a->scales, b->scales, a->quant_count * sizeof(float));
  assert_memory_equal(a->zero_points, b->zero_points, a->quant_count * sizeof(int32_t));
  assert_int_equal(a->bias_count, b->bias_count);
  if (a->bias_count != 0) assert_memory_equal(a->bias, b->bias, a->bias_count * sizeof(float));
}

static void compare_values(const q8_graph* ga, uint32_t ia, const q8_graph* gb, uint32_t ib) {
  const q8_value* a = &ga->values[ia];
  const q8_value* b = &gb->values[ib];
  assert_int_equal(a->kind, b->kind);
  assert_int_equal(a->is_constant, b->is_constant);
  switch (a->kind) {
    case q8_value_int:
    case q8_value_bool: assert_int_equal(a->u.integer, b->u.integer); break;
    case q8_value_float: assert_memory_equal(&a->u.number, &b->u.number, sizeof(double)); break;
    case q8_value_int_list:
      assert_int_equal(a->u.ints.count, b->u.ints.count);
      if (a->u.ints.count) assert_memory_equal(a->u.ints.items, b->u.ints.items, a->u.ints.count * 8);
      break;
    case q8_value_float_list:
      assert_int_equal(a->u.floats.count, b->u.floats.count);
      if (a->u.floats.count) assert_memory_equal(a->u.floats.items, b->u.floats.items, a->u.floats.count * 8);
      break;
    case q8_value_tensor:
      assert_int_equal(a->dtype, b->dtype);
      assert_int_equal(origin(ga, ia), origin(gb, ib));
      break;
    case q8_value_tensor_list:
      assert_int_equal(a->u.tensors.count, b->u.tensors.count);
      for (size_t i = 0; i < a->u.tensors.count; i++)
        assert_int_equal(origin(ga, a->u.tensors.items[i]), origin(gb, b->u.tensors.items[i]));
      break;
    case q8_value_packed: compare_packed(a->u.packed, b->u.packed); break;
    default: break;
  }
}

static const q8_node* next_live(const q8_graph* g, size_t* n) {
  while (*n < g->num_nodes && g->nodes[*n].removed) ++*n;
  return *n < g->num_nodes ? &g->nodes[(*n)++] : NULL;
}

/* Same live nodes in order (kind, name, clamp, arguments), inputs, outputs. */
static size_t compare_graphs(const q8_graph* pt, const q8_graph* ptl) {
  size_t i = 0, j = 0, count = 0;
  for (;;) {
    const q8_node* a = next_live(pt, &i);
    const q8_node* b = next_live(ptl, &j);
    if (a == NULL || b == NULL) {
      assert_true(a == NULL && b == NULL);
      break;
    }
    if (strcmp(a->name, b->name) != 0 || a->num_inputs != b->num_inputs)
      fail_msg("node %zu: %s with %zu arguments, the .ptl has %s with %zu", count, a->name,
               a->num_inputs, b->name, b->num_inputs);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->has_clamp, b->has_clamp);
    assert_int_equal(a->relayout, b->relayout);
    if (a->has_clamp) {
      assert_true(a->clamp_min == b->clamp_min);
      assert_true(a->clamp_max == b->clamp_max);
    }
    for (size_t k = 0; k < a->num_inputs; k++) compare_values(pt, a->inputs[k], ptl, b->inputs[k]);
    compare_values(pt, a->output, ptl, b->output);
    count++;
  }
  assert_int_equal(pt->num_inputs, ptl->num_inputs);
  assert_int_equal(pt->num_outputs, ptl->num_outputs);
  for (size_t k = 0; k < pt->num_outputs; k++) compare_values(pt, pt->outputs[k], ptl, ptl->outputs[k]);
  return count;
}

/* --- running ------------------------------------------------------------------- */

static size_t element_count(const q8_tensor_shape* s) {
  size_t n = 1;
  for (size_t d = 0; d < s->rank; d++) n *= s->dims[d];
  return n;
}

static float* run_graph(const q8_graph* graph, const float* input, const q8_tensor_shape* shape,
                        q8_tensor_shape* out_shape) {
  q8_error err = {0};
  q8_program* program = NULL;
  assert_q8_ok(q8_program_create(graph, q8_isa_auto, &program, &err));
  assert_q8_ok(q8_program_plan(program, shape, &err));
  q8_program_output_shape(program, 0, out_shape);
  float* output = malloc(element_count(out_shape) * sizeof(float) + 4);
  assert_non_null(output);
  assert_q8_ok(q8_program_run(program, NULL, &input, &output, false, &err));
  q8_program_delete(program);
  return output;
}

/* Within one output step of PyTorch and >= 99% exact (fp32 outputs of
 * dynamic models: relative error 1e-4), as test-models checks the .ptl. */
static void check_golden(const char* name, const float* y, const float* golden, size_t n) {
  size_t exact = 0;
  double max_diff = 0.0, max_golden = 0.0, step = INFINITY;
  for (size_t i = 0; i < n; i++) {
    exact += y[i] == golden[i];
    max_diff = fmax(max_diff, fabs((double)y[i] - (double)golden[i]));
    max_golden = fmax(max_golden, fabs((double)golden[i]));
    for (size_t k = i + 1; k < n && k < i + 4096; k++) {
      const double d = fabs((double)golden[i] - (double)golden[k]);
      if (d > 0 && d < step) step = d;
    }
  }
  const double exact_pct = 100.0 * (double)exact / (double)n;
  printf("  %-26s %6zu elements  exact %6.2f%%  max diff %.3g\n", name, n, exact_pct, max_diff);
  if (strstr(name, "dynamic") != NULL) {
    assert_true(max_diff <= 1e-4 * fmax(max_golden, 1e-30));
    return;
  }
  assert_true(max_diff <= (isfinite(step) ? step : 0.0) * (1.0 + 1e-3));
  assert_true(exact_pct >= 99.0);
}

static void check_model(const char* dir, const char* name) {
  char pt_path[PATH_SIZE], ptl_path[PATH_SIZE], path[PATH_SIZE];
  snprintf(pt_path, sizeof(pt_path), "%s/%s.pt", dir, name);
  snprintf(ptl_path, sizeof(ptl_path), "%s/%s.ptl", dir, name);
  q8_error err = {0};
  q8_graph *pt = NULL, *ptl = NULL;
  if (load_graph(pt_path, true, &pt, &err) != q8_status_success) fail_msg("%s.pt: %s", name, err.message);
  assert_q8_ok(load_graph(ptl_path, false, &ptl, &err));
  const size_t nodes = compare_graphs(pt, ptl);

  q8_tensor_shape in_shape, golden_shape, pt_shape, ptl_shape;
  snprintf(path, sizeof(path), "%s/%s.input.npy", dir, name);
  float* input = read_npy(path, &in_shape);
  snprintf(path, sizeof(path), "%s/%s.output.npy", dir, name);
  float* golden = read_npy(path, &golden_shape);
  float* y = run_graph(pt, input, &in_shape, &pt_shape);
  float* y_ptl = run_graph(ptl, input, &in_shape, &ptl_shape);
  assert_memory_equal(&pt_shape, &golden_shape, sizeof(pt_shape));
  assert_memory_equal(&ptl_shape, &golden_shape, sizeof(pt_shape));
  const size_t n = element_count(&golden_shape);
  assert_memory_equal(y, y_ptl, n * sizeof(float));
  char label[64];
  snprintf(label, sizeof(label), "%s (%zu nodes)", name, nodes);
  check_golden(label, y, golden, n);
  free(y);
  free(y_ptl);
  free(input);
  free(golden);
  q8_graph_delete(pt);
  q8_graph_delete(ptl);
}

static void models_match_bytecode(void** state) {
  const char* dir = *state;
  DIR* d = opendir(dir);
  assert_non_null(d);
  size_t checked = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    const size_t len = strlen(e->d_name);
    if (len <= 3 || strcmp(e->d_name + len - 3, ".pt") != 0) continue;
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)(len - 3), e->d_name);
    check_model(dir, name);
    checked++;
  }
  closedir(d);
  assert_true(checked >= 8);
}

/* --- hostile files ------------------------------------------------------------- */

/* A copy of model `file` with entry `relative` (under the root folder)
 * replaced by `content`, written to a temporary file; its path in `out`. */
static void write_variant(void** state, const char* file, const char* relative,
                          const void* content, size_t size, char out[PATH_SIZE]) {
  char path[PATH_SIZE], entry[PATH_SIZE];
  snprintf(path, sizeof(path), "%s/%s", (const char*)*state, file);
  size_t model_size;
  uint8_t* model = read_file(path, &model_size);
  assert_non_null(model);
  snprintf(out, PATH_SIZE, "/tmp/q8-test-torchscript-XXXXXX");
  const int fd = mkstemp(out);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, model, model_size), (ssize_t)model_size);
  close(fd);
  free(model);
  int zerr = 0;
  zip_t* zip = zip_open(out, 0, &zerr);
  assert_non_null(zip);
  const char* root = zip_get_name(zip, 0, 0);
  assert_non_null(root);
  snprintf(entry, sizeof(entry), "%.*s/%s", (int)(strchr(root, '/') - root), root, relative);
  /* libzip does not take ownership of an empty buffer. */
  void* copy = size > 0 ? malloc(size) : NULL;
  assert_true(size == 0 || copy != NULL);
  if (size > 0) memcpy(copy, content, size);
  zip_source_t* source = zip_source_buffer(zip, copy, size, size > 0);
  assert_non_null(source);
  assert_true(zip_file_add(zip, entry, source, ZIP_FL_OVERWRITE) >= 0);
  assert_int_equal(zip_close(zip), 0);
}

/* Loads the variant; returns the status and fills err. */
static q8_status load_variant(void** state, const char* file, const char* relative,
                              const void* content, size_t size, q8_error* err) {
  char path[PATH_SIZE];
  write_variant(state, file, relative, content, size, path);
  q8_graph* graph = (q8_graph*)(uintptr_t)1; /* must come back NULL on failure */
  const q8_status status = load_graph(path, true, &graph, err);
  if (status == q8_status_success) q8_graph_delete(graph);
  unlink(path);
  return status;
}

static void expect_failure(void** state, const char* file, const char* relative, const char* code,
                           const char* needle) {
  q8_error err = {0};
  assert_int_not_equal(load_variant(state, file, relative, code, strlen(code), &err), q8_status_success);
  if (strstr(err.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", err.message, needle);
}

/* The entry's text from the committed model. */
static char* model_entry(void** state, const char* file, const char* relative) {
  char path[PATH_SIZE];
  snprintf(path, sizeof(path), "%s/%s", (const char*)*state, file);
  int zerr = 0;
  zip_t* zip = zip_open(path, ZIP_RDONLY, &zerr);
  assert_non_null(zip);
  const char* root = zip_get_name(zip, 0, 0);
  char entry[PATH_SIZE];
  snprintf(entry, sizeof(entry), "%.*s/%s", (int)(strchr(root, '/') - root), root, relative);
  zip_stat_t st;
  assert_int_equal(zip_stat(zip, entry, 0, &st), 0);
  char* text = calloc(st.size + 1, 1);
  zip_file_t* zf = zip_fopen(zip, entry, 0);
  assert_non_null(zf);
  assert_int_equal(zip_fread(zf, text, st.size), (zip_int64_t)st.size);
  zip_fclose(zf);
  zip_close(zip);
  return text;
}

static char* replaced(const char* text, const char* from, const char* to) {
  const char* at = strstr(text, from);
  assert_non_null(at);
  char* out = malloc(strlen(text) + strlen(to) + 1);
  assert_non_null(out);
  sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return out;
}

static void truncated_code(void** state) {
  char* text = model_entry(state, "conv_blocks.pt", "code/__torch__.py");
  const char* cut = strstr(text, "_1 = (dw).forward((conv)");
  assert_non_null(cut);
  q8_error err = {0};
  /* Cut inside a call: the bracket never closes. */
  assert_int_equal(load_variant(state, "conv_blocks.pt", "code/__torch__.py", text,
                                (size_t)(cut - text) + 20, &err), q8_status_invalid_parameter);
  if (strstr(err.message, "code/__torch__.py:") == NULL || strstr(err.message, "unclosed bracket") == NULL)
    fail_msg("%s", err.message);
  /* Cut after a statement: ConvBlocks.forward returns None to DeQuantize. */
  const char* line_end = strchr(cut, '\n');
  assert_int_not_equal(load_variant(state, "conv_blocks.pt", "code/__torch__.py", text,
                                    (size_t)(line_end - text) + 1, &err), q8_status_success);
  if (strstr(err.message, "modules.py:19: torch.dequantize: first argument is not a tensor") == NULL)
    fail_msg("%s", err.message);
  expect_failure(state, "conv_blocks.pt", "code/__torch__.py", "", "class Quantized has no");
  free(text);
}

static void unterminated_string(void** state) {
  char* text = model_entry(state, "conv_blocks.pt", "code/__torch__/torch/nn/modules/container.py");
  char* bad = replaced(text, "getattr(self, \"2\")", "getattr(self, \"2)");
  expect_failure(state, "conv_blocks.pt", "code/__torch__/torch/nn/modules/container.py", bad,
                 "code/__torch__/torch/nn/modules/container.py:11: unterminated string");
  free(bad);
  free(text);
}

static void deep_nesting(void** state) {
  const char* file = "code/__torch__/torch/nn/modules/pooling.py";
  char* text = model_entry(state, "conv_blocks.pt", file);
  /* 100 nested brackets in an argument. */
  char brackets[256] = {0};
  for (int i = 0; i < 100; i++) brackets[i] = '(', brackets[100 + i] = ')';
  char arg[512];
  snprintf(arg, sizeof(arg), "torch.max_pool2d(%.100sargument_1%.100s,", brackets, brackets + 100);
  char* bad = replaced(text, "torch.max_pool2d(argument_1,", arg);
  expect_failure(state, "conv_blocks.pt", file, bad, "pooling.py:8: brackets nested too deeply");
  free(bad);
  /* 200 nested unary minuses. */
  char minus[256] = {0};
  memset(minus, '-', 200);
  snprintf(arg, sizeof(arg), "torch.max_pool2d(argument_1, [%s3, 3],", minus);
  bad = replaced(text, "torch.max_pool2d(argument_1, [3, 3],", arg);
  expect_failure(state, "conv_blocks.pt", file, bad, "pooling.py:8: expression nested too deeply");
  free(bad);
  /* 80 nested if blocks. */
  char* deep = malloc(80 * 90 + 200);
  assert_non_null(deep);
  size_t n = (size_t)sprintf(deep, "class MaxPool2d(Module):\n  def forward(self, argument_1: Tensor) -> Tensor:\n");
  for (int i = 0; i < 80; i++) n += (size_t)sprintf(deep + n, "%*sif True:\n", 4 + i, "");
  sprintf(deep + n, "%*sreturn argument_1\n", 84, "");
  expect_failure(state, "conv_blocks.pt", file, deep, "indentation nested too deeply");
  /* Recursion: forward calls itself. */
  bad = replaced(text, "Xq = torch.max_pool2d(", "Xq = (self).forward(argument_1)\n    _ = (");
  expect_failure(state, "conv_blocks.pt", file, bad, "pooling.py:8: module calls nested more than 32 deep");
  free(bad);
  free(deep);
  free(text);
}

static void unknown_operator(void** state) {
  const char* file = "code/__torch__/torch/nn/modules/pooling.py";
  char* text = model_entry(state, "conv_blocks.pt", file);
  char* bad = replaced(text, "torch.max_pool2d(", "torch.lstm(");
  expect_failure(state, "conv_blocks.pt", file, bad, "pooling.py:8: unsupported call torch.lstm");
  free(bad);
  bad = replaced(text, "Xq = torch.max_pool2d(", "for x in y:\n      pass\n    Xq = torch.max_pool2d(");
  expect_failure(state, "conv_blocks.pt", file, bad, "pooling.py:8: unsupported statement 'for'");
  free(bad);
  bad = replaced(text, "return Xq", "return Xq + Xq");
  expect_failure(state, "conv_blocks.pt", file, bad, "pooling.py:9: unsupported operator '+'");
  free(bad);
  free(text);
}

/* Random byte flips in a code file and in data.pkl: the load fails with a
 * message or gives a graph; never a crash or a leak. */
static void random_flips(void** state) {
  const char* entries[2] = {"code/__torch__.py", "data.pkl"};
  test_rng rng = {7};
  size_t loaded = 0;
  for (int e = 0; e < 2; e++) {
    char* text = model_entry(state, "residual.pt", entries[e]);
    char path[PATH_SIZE];
    snprintf(path, sizeof(path), "%s/residual.pt", (const char*)*state);
    size_t size = 0;
    {
      /* The entry's size: data.pkl holds NULs, so not strlen. */
      int zerr = 0;
      zip_t* zip = zip_open(path, ZIP_RDONLY, &zerr);
      zip_stat_t st;
      char entry[PATH_SIZE];
      snprintf(entry, sizeof(entry), "residual/%s", entries[e]);
      assert_int_equal(zip_stat(zip, entry, 0, &st), 0);
      size = st.size;
      zip_close(zip);
    }
    char* copy = malloc(size + 1);
    assert_non_null(copy);
    for (int trial = 0; trial < 60; trial++) {
      memcpy(copy, text, size);
      for (int k = 0; k < 1 + trial % 3; k++)
        copy[rng_int(&rng, 0, (int64_t)size - 1)] = (char)rng_int(&rng, 0, 255);
      q8_error err = {0};
      if (load_variant(state, "residual.pt", entries[e], copy, size, &err) == q8_status_success) loaded++;
      else assert_true(strlen(err.message) > 0);
    }
    free(copy);
    free(text);
  }
  printf("  random flips: %zu of 120 variants still loaded\n", loaded);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
    return 2;
  }
  q8_error err;
  if (q8_initialize(&err) != q8_status_success) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  void* dir = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_prestate(models_match_bytecode, dir),
      cmocka_unit_test_prestate(truncated_code, dir),
      cmocka_unit_test_prestate(unterminated_string, dir),
      cmocka_unit_test_prestate(deep_nesting, dir),
      cmocka_unit_test_prestate(unknown_operator, dir),
      cmocka_unit_test_prestate(random_flips, dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

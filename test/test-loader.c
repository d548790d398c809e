/*
 * The bottom layers of the model loader: the zip archive and the pickle
 * decoder, on the tiny real files tools/make_loader_fixtures.py writes (the
 * values asserted here are the ones that script prints), and on hostile
 * input: truncations, flipped bytes, lying lengths, limits. Every hostile
 * case must fail with a clear message and leak nothing (the asan preset
 * checks the latter).
 */
#include "runtime/loader/archive.h"
#include "runtime/loader/pickle.h"
#include "runtime/loader/tensor-data.h"
#include "test-util.h"

#define FIXTURE(name) Q8_LOADER_FIXTURES "/" name

/* --- helpers ----------------------------------------------------------------- */

static uint8_t* load_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  const long length = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t* data = malloc((size_t)length);
  assert_non_null(data);
  assert_int_equal(fread(data, 1, (size_t)length, f), (size_t)length);
  fclose(f);
  *size = (size_t)length;
  return data;
}

static void expect_message(const q8_error* err, const char* needle) {
  if (strstr(err->message, needle) == NULL)
    fail_msg("message '%s' lacks '%s'", err->message, needle);
}

static q8_archive* open_fixture(const char* path, const q8_archive_limits* limits) {
  q8_error err = {0};
  q8_archive* ar = NULL;
  assert_q8_ok(q8_archive_open_file(path, limits, &ar, &err));
  return ar;
}

/* Reads and decodes one pickle entry of the archive. */
static q8_pickle* decode_entry(q8_archive* ar, const char* entry) {
  q8_error err = {0};
  void* data;
  size_t size;
  assert_q8_ok(q8_archive_read(ar, entry, &data, &size, &err));
  q8_pickle* p = NULL;
  assert_q8_ok(q8_pickle_decode(data, size, entry, NULL, &p, &err));
  free(data);
  return p;
}

static const q8_pickle_value* at(const q8_pickle_value* v, size_t i) {
  const q8_pickle_value* item = q8_pickle_item(v, i);
  if (item == NULL) fail_msg("no item %zu in a %s", i, v ? q8_pickle_kind_name(v->kind) : "NULL");
  return item;
}

static void assert_kind(const q8_pickle_value* v, q8_pickle_kind kind) {
  assert_non_null(v);
  if (v->kind != kind)
    fail_msg("a %s, expected a %s", q8_pickle_kind_name(v->kind), q8_pickle_kind_name(kind));
}

static void assert_class(const q8_pickle_value* v, const char* module, const char* name) {
  assert_kind(v, q8_pickle_object);
  if (!q8_pickle_is_global(v->u.object.cls, module, name)) {
    fail_msg("object of %s.%s, expected %s.%s", v->u.object.cls->u.global.module,
             v->u.object.cls->u.global.name, module, name);
  }
}

static void assert_shape(const q8_pickle_value* t, size_t dim, const int64_t* sizes,
                         const int64_t* strides) {
  assert_kind(t, q8_pickle_tensor);
  assert_int_equal(t->u.tensor.dim, dim);
  for (size_t i = 0; i < dim; i++) {
    assert_int_equal(t->u.tensor.sizes[i], sizes[i]);
    assert_int_equal(t->u.tensor.strides[i], strides[i]);
  }
}

static void assert_storage(const q8_pickle_value* t, const char* key, q8_dtype dtype,
                           int64_t numel) {
  const q8_pickle_value* s = t->u.tensor.storage;
  assert_kind(s, q8_pickle_storage);
  assert_string_equal(s->u.storage.key, key);
  assert_string_equal(s->u.storage.location, "cpu");
  assert_int_equal(s->u.storage.dtype, dtype);
  assert_int_equal(s->u.storage.numel, numel);
  assert_int_equal(s->u.storage.bytes, (uint64_t)numel * q8_dtype_size(dtype));
}

/* Conv weight of the fixture: per channel over axis 0, 4x3x3x3 qint8. */
static const double conv_scales[4] = {0x1.7a03fcp-10, 0x1.895cacp-10, 0x1.7beed2p-10,
                                      0x1.8ab48cp-10};
static const int64_t conv_sizes[4] = {4, 3, 3, 3}, conv_strides[4] = {27, 1, 9, 3};

static void assert_conv_weight(const q8_pickle_value* w, const char* weight_key,
                               const char* scales_key, const char* zero_points_key) {
  assert_shape(w, 4, conv_sizes, conv_strides);
  assert_storage(w, weight_key, q8_dtype_qint8, 108);
  assert_int_equal(w->u.tensor.storage_offset, 0);
  assert_int_equal(w->u.tensor.qscheme, q8_qscheme_per_channel_affine);
  assert_int_equal(w->u.tensor.axis, 0);
  const int64_t one[1] = {1}, four[1] = {4};
  assert_shape(w->u.tensor.scales, 1, four, one);
  assert_storage(w->u.tensor.scales, scales_key, q8_dtype_float64, 4);
  assert_shape(w->u.tensor.zero_points, 1, four, one);
  assert_storage(w->u.tensor.zero_points, zero_points_key, q8_dtype_int64, 4);
}

static void assert_fc_weight(const q8_pickle_value* w, const char* key) {
  const int64_t sizes[2] = {5, 64}, strides[2] = {64, 1};
  assert_shape(w, 2, sizes, strides);
  assert_storage(w, key, q8_dtype_qint8, 320);
  assert_int_equal(w->u.tensor.qscheme, q8_qscheme_per_tensor_affine);
  assert_true(w->u.tensor.scale == 0x1.00ebb6p-10);
  assert_int_equal(w->u.tensor.zero_point, 0);
}

/* --- real files: the archive ---------------------------------------------------- */

static void archive_lists_entries(void** state) {
  (void)state;
  q8_archive* ar = open_fixture(FIXTURE("tiny.pt"), NULL);
  assert_string_equal(q8_archive_root(ar), "tiny");
  assert_int_equal(q8_archive_entry_count(ar), 23);
  q8_error err = {0};
  size_t stored = 0, data_entries = 0;
  for (size_t i = 0; i < q8_archive_entry_count(ar); i++) {
    q8_archive_entry e;
    assert_q8_ok(q8_archive_entry_at(ar, i, &e, &err));
    assert_true(strncmp(e.name, "tiny/", 5) == 0);
    assert_ptr_equal(e.relative, e.name + 5);
    stored += e.stored;
    data_entries += strncmp(e.relative, "data/", 5) == 0;
    if (strcmp(e.relative, "data.pkl") == 0) {
      assert_true(e.stored);
      assert_int_equal(e.size, 1362);
    }
  }
  assert_int_equal(data_entries, 8);
  assert_true(stored >= 11); /* storages, pickles, version; code is deflated */
  size_t index;
  assert_true(q8_archive_find(ar, "constants.pkl", &index));
  assert_false(q8_archive_find(ar, "bytecode.pkl", &index));
  assert_int_equal(q8_archive_entry_at(ar, 23, &(q8_archive_entry){0}, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "out of range");

  void* text;
  size_t size;
  assert_q8_ok(q8_archive_read(ar, "version", &text, &size, &err));
  assert_int_equal(size, 2);
  assert_string_equal((const char*)text, "3\n");
  free(text);
  assert_q8_ok(q8_archive_read(ar, "code/__torch__.py", &text, &size, &err)); /* deflated */
  assert_int_equal(size, 808);
  assert_non_null(strstr(text, "class Tiny"));
  free(text);
  assert_int_equal(q8_archive_bytes_read(ar), 2 + 808);
  q8_archive_close(ar);
}

static void archive_reads_storages(void** state) {
  (void)state;
  q8_archive* ar = open_fixture(FIXTURE("tiny.pt"), NULL);
  q8_error err = {0};
  void* data;
  /* data/3: the conv's per-channel scales (DoubleStorage, 4). */
  assert_q8_ok(q8_archive_read_storage(ar, "data/3", 32, &data, &err));
  assert_int_equal((uintptr_t)data % Q8_ARCHIVE_STORAGE_ALIGNMENT, 0);
  for (int i = 0; i < 4; i++) {
    double s;
    memcpy(&s, (const uint8_t*)data + 8 * i, 8);
    assert_true(s == conv_scales[i]);
  }
  free(data);
  /* data/2: the conv weight (QInt8Storage, 108). */
  assert_q8_ok(q8_archive_read_storage(ar, "data/2", 108, &data, &err));
  /* int_repr().flatten()[:4] is w[0,0,0,0..2] and w[0,0,1,0]: strides 3 and 9. */
  const int8_t* w = data;
  assert_int_equal(w[0], -1);
  assert_int_equal(w[3], 72);
  assert_int_equal(w[6], -110);
  assert_int_equal(w[9], -98);
  free(data);

  assert_int_equal(q8_archive_read_storage(ar, "data/3", 33, &data, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "holds 32 bytes; its tensor needs 33");
  assert_null(data);
  assert_int_equal(q8_archive_read_storage(ar, "code/__torch__.py", 808, &data, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "is compressed");
  assert_int_equal(q8_archive_read_storage(ar, "data/9", 4, &data, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "entry 'tiny/data/9' is missing");
  q8_archive_close(ar);
}

/* --- real files: the pickles ---------------------------------------------------- */

/* data.pkl of tiny.pt: Tiny(quant, conv, relu, fc, dequant) with their states. */
static void pt_data_pkl(void** state) {
  (void)state;
  q8_archive* ar = open_fixture(FIXTURE("tiny.pt"), NULL);
  q8_pickle* p = decode_entry(ar, "data.pkl");
  const q8_pickle_value* root = q8_pickle_root(p);
  assert_class(root, "__torch__", "Tiny");
  const q8_pickle_value* attrs = root->u.object.state;
  assert_kind(attrs, q8_pickle_dict);
  assert_int_equal(q8_pickle_length(attrs), 7); /* training, hook flag, 5 submodules */
  assert_kind(q8_pickle_dict_get(attrs, "training"), q8_pickle_bool);

  /* Quantized Conv2d keeps a __getstate__ tuple: (..., weight, bias, scale, zero_point, training).
   */
  const q8_pickle_value* conv = q8_pickle_dict_get(attrs, "conv");
  assert_class(conv, "__torch__.torch.ao.nn.quantized.modules.conv", "Conv2d");
  const q8_pickle_value* cs = conv->u.object.state;
  assert_kind(cs, q8_pickle_tuple);
  assert_int_equal(q8_pickle_length(cs), 15);
  assert_int_equal(at(cs, 0)->u.integer, 3);
  assert_int_equal(at(cs, 1)->u.integer, 4);
  assert_conv_weight(at(cs, 10), "2", "3", "4");
  assert_storage(at(cs, 11), "5", q8_dtype_float32, 4);
  assert_kind(at(cs, 12), q8_pickle_float);
  assert_true(at(cs, 12)->u.number == 0x1.a30b28p-7);
  assert_int_equal(at(cs, 13)->u.integer, 122);

  /* Linear -> LinearPackedParams -> LinearPackedParamsBase (weight, bias). */
  const q8_pickle_value* fc = q8_pickle_dict_get(attrs, "fc");
  assert_class(fc, "__torch__.torch.ao.nn.quantized.modules.linear", "Linear");
  const q8_pickle_value* packed = q8_pickle_dict_get(fc->u.object.state, "_packed_params");
  assert_class(packed, "__torch__.torch.ao.nn.quantized.modules.linear", "LinearPackedParams");
  assert_int_equal(q8_pickle_dict_get(packed->u.object.state, "dtype")->u.integer,
                   12); /* torch.qint8 */
  const q8_pickle_value* base = q8_pickle_dict_get(packed->u.object.state, "_packed_params");
  assert_class(base, "__torch__.torch.classes.quantized", "LinearPackedParamsBase");
  assert_fc_weight(at(base->u.object.state, 0), "6");
  assert_storage(at(base->u.object.state, 1), "7", q8_dtype_float32, 5);
  assert_true(at(base->u.object.state, 1)->u.tensor.requires_grad);

  /* Shared nodes: every tensor names the same memoized 'cpu' string. */
  assert_ptr_equal(at(cs, 10)->u.tensor.storage->u.storage.location,
                   at(base->u.object.state, 0)->u.tensor.storage->u.storage.location);
  q8_pickle_free(p);

  p = decode_entry(ar, "constants.pkl");
  assert_kind(q8_pickle_root(p), q8_pickle_tuple);
  assert_int_equal(q8_pickle_length(q8_pickle_root(p)), 0);
  q8_pickle_free(p);
  q8_archive_close(ar);
}

/* Conv2dPackedParamsBase state: ('2', [config int16 tensor, weight], [bias]). */
static void assert_conv_packed(const q8_pickle_value* obj, const char* config_key) {
  assert_class(obj, "__torch__.torch.classes.quantized", "Conv2dPackedParamsBase");
  const q8_pickle_value* st = obj->u.object.state;
  assert_int_equal(q8_pickle_length(st), 3);
  assert_true(q8_pickle_is_string(at(st, 0), "2"));
  const q8_pickle_value* tensors = at(st, 1);
  assert_kind(tensors, q8_pickle_list);
  assert_string_equal(tensors->type_tag, "List[Tensor]");
  assert_int_equal(q8_pickle_length(tensors), 2);
  const int64_t eleven[1] = {11}, one[1] = {1};
  assert_shape(at(tensors, 0), 1, eleven, one);
  assert_storage(at(tensors, 0), config_key, q8_dtype_int16, 11);
  assert_conv_weight(at(tensors, 1), "1.storage", "2.storage", "3.storage");
  const q8_pickle_value* optional = at(st, 2);
  assert_kind(optional, q8_pickle_list);
  assert_string_equal(optional->type_tag, "List[Optional[Tensor]]");
  assert_storage(at(optional, 0), "4.storage", q8_dtype_float32, 4);
}

/* bytecode.pkl of tiny.ptl: (8, (name, code table, schema)). */
static void ptl_bytecode_pkl(void** state) {
  (void)state;
  q8_archive* ar = open_fixture(FIXTURE("tiny.ptl"), NULL);
  q8_pickle* p = decode_entry(ar, "bytecode.pkl");
  const q8_pickle_value* root = q8_pickle_root(p);
  assert_int_equal(q8_pickle_length(root), 2);
  assert_kind(at(root, 0), q8_pickle_int);
  assert_int_equal(at(root, 0)->u.integer, 8);
  const q8_pickle_value* method = at(root, 1);
  assert_true(q8_pickle_is_string(at(method, 0), "__torch__.___torch_mangle_30.Tiny.forward"));
  const q8_pickle_value* table = at(method, 1);
  assert_int_equal(q8_pickle_length(table), 5);
  const char* names[5] = {"instructions", "operators", "constants", "types", "register_size"};
  for (size_t i = 0; i < 5; i++) assert_true(q8_pickle_is_string(at(at(table, i), 0), names[i]));

  const q8_pickle_value* code = at(at(table, 0), 1);
  assert_int_equal(q8_pickle_length(code), 26);
  assert_true(q8_pickle_is_string(at(at(code, 0), 0), "STOREN"));
  assert_int_equal(at(at(code, 0), 2)->u.integer, 2);
  assert_true(q8_pickle_is_string(at(at(code, 25), 0), "RET"));
  assert_ptr_equal(at(at(code, 3), 0), at(at(code, 4), 0)); /* memoized "LOADC" */

  const q8_pickle_value* ops = at(at(table, 1), 1);
  assert_int_equal(q8_pickle_length(ops), 7);
  assert_true(q8_pickle_is_string(at(at(ops, 1), 0), "quantized::conv2d"));
  assert_true(q8_pickle_is_string(at(at(ops, 1), 1), "new"));
  assert_int_equal(at(at(ops, 1), 2)->u.integer, 4);

  const q8_pickle_value* constants = at(at(table, 2), 1);
  assert_int_equal(q8_pickle_length(constants), 11);
  assert_int_equal(at(constants, 1)->u.integer, 141);
  assert_int_equal(at(constants, 2)->u.integer, -1); /* BININT is signed */
  const q8_pickle_value* linear = at(constants, 9);
  assert_class(linear, "__torch__.torch.classes.quantized", "LinearPackedParamsBase");
  assert_fc_weight(at(linear->u.object.state, 0), "5.storage");
  assert_conv_packed(at(constants, 10), "7.storage");
  assert_true(q8_pickle_is_string(at(at(at(table, 3), 1), 0), "List[int]"));
  assert_int_equal(at(at(table, 4), 1)->u.integer, 3);
  q8_pickle_free(p);

  /* constants.pkl: the same packed params, the config tensor under another key. */
  p = decode_entry(ar, "constants.pkl");
  assert_int_equal(q8_pickle_length(q8_pickle_root(p)), 2);
  assert_conv_packed(at(q8_pickle_root(p), 0), "0.storage");
  q8_pickle_free(p);

  q8_error err = {0};
  void* data;
  assert_q8_ok(q8_archive_read_storage(ar, "constants/0.storage", 22, &data, &err));
  int16_t config[11];
  memcpy(config, data, sizeof(config));
  assert_int_equal(config[0], 2); /* two spatial dimensions */
  free(data);
  q8_archive_close(ar);
}

/* The code files' debug pickles decode too (they use the same opcodes). */
static void every_pickle_decodes(void** state) {
  (void)state;
  const char* files[2] = {FIXTURE("tiny.pt"), FIXTURE("tiny.ptl")};
  for (int f = 0; f < 2; f++) {
    q8_archive* ar = open_fixture(files[f], NULL);
    q8_error err = {0};
    size_t decoded = 0;
    for (size_t i = 0; i < q8_archive_entry_count(ar); i++) {
      q8_archive_entry e;
      assert_q8_ok(q8_archive_entry_at(ar, i, &e, &err));
      const size_t n = strlen(e.relative);
      if ((n > 4 && strcmp(e.relative + n - 4, ".pkl") == 0) ||
          (n > 9 && strcmp(e.relative + n - 9, "debug_pkl") == 0)) {
        q8_pickle_free(decode_entry(ar, e.relative));
        decoded++;
      }
    }
    assert_true(decoded >= 4);
    q8_archive_close(ar);
  }
}

/* --- hostile archives ------------------------------------------------------------ */

/* Opens, reads every entry and decodes every pickle; whatever fails must fail
 * cleanly. Returns whether everything succeeded. */
static bool load_everything(const uint8_t* data, size_t size) {
  q8_error err = {0};
  q8_archive* ar;
  if (q8_archive_open_memory(data, size, NULL, &ar, &err) != q8_status_success) {
    assert_null(ar);
    assert_true(strncmp(err.message, "archive: ", 9) == 0);
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < q8_archive_entry_count(ar); i++) {
    q8_archive_entry e;
    if (q8_archive_entry_at(ar, i, &e, &err) != q8_status_success) {
      ok = false;
      continue;
    }
    void* bytes;
    size_t n;
    if (q8_archive_read(ar, e.relative, &bytes, &n, &err) != q8_status_success) {
      assert_null(bytes);
      ok = false;
      continue;
    }
    const size_t len = strlen(e.relative);
    if (len > 4 && strcmp(e.relative + len - 4, ".pkl") == 0) {
      q8_pickle* p;
      if (q8_pickle_decode(bytes, n, e.relative, NULL, &p, &err) == q8_status_success) {
        q8_pickle_free(p);
      } else {
        assert_null(p);
        ok = false;
      }
    }
    free(bytes);
  }
  q8_archive_close(ar);
  return ok;
}

static void archive_truncated_everywhere(void** state) {
  (void)state;
  size_t size;
  uint8_t* data = load_file(FIXTURE("tiny.ptl"), &size);
  assert_true(load_everything(data, size));
  for (size_t cut = 0; cut < size; cut++) {
    if (load_everything(data, cut))
      fail_msg("the archive cut at %zu of %zu bytes loaded", cut, size);
  }
  q8_error err = {0};
  q8_archive* ar;
  assert_int_equal(q8_archive_open_memory(data, size / 2, NULL, &ar, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "Not a zip archive");
  free(data);
}

/* Every byte flipped, one at a time: no crash, no leak, no silent success
 * where the CRC or a header would catch it. */
static void archive_flipped_bytes(void** state) {
  (void)state;
  size_t size;
  uint8_t* data = load_file(FIXTURE("tiny.ptl"), &size);
  size_t failures = 0;
  for (size_t i = 0; i < size; i++) {
    data[i] ^= 0x5a;
    failures += !load_everything(data, size);
    data[i] ^= 0x5a;
  }
  /* Flips in headers, CRC-checked data and pickles fail; some (file times,
   * attributes, the alignment padding PyTorch puts in extra fields) are
   * harmless. */
  assert_true(failures > size * 8 / 10); /* 86% with libzip 1.7.3 */
  free(data);
}

/* Finds `needle` in the buffer (to corrupt one entry's data). */
static size_t find_bytes(const uint8_t* data, size_t size, const void* needle, size_t n) {
  for (size_t i = 0; i + n <= size; i++) {
    if (memcmp(data + i, needle, n) == 0) return i;
  }
  fail_msg("pattern not found");
  return 0;
}

static void archive_crc_error(void** state) {
  (void)state;
  size_t size;
  uint8_t* data = load_file(FIXTURE("tiny.pt"), &size);
  const size_t at_pickle = find_bytes(data, size,
                                      "\x80\x02"
                                      "c__torch__\nTiny\n",
                                      17);
  data[at_pickle + 40] ^= 1; /* inside data.pkl, stored: only the CRC can tell */
  q8_error err = {0};
  q8_archive* ar = NULL;
  assert_q8_ok(q8_archive_open_memory(data, size, NULL, &ar, &err));
  void* bytes = &err;
  size_t n;
  assert_int_equal(q8_archive_read(ar, "data.pkl", &bytes, &n, &err), q8_status_invalid_parameter);
  assert_null(bytes);
  expect_message(&err, "entry 'tiny/data.pkl': CRC error");
  assert_int_equal(q8_archive_bytes_read(ar), 0);
  assert_q8_ok(q8_archive_read(ar, "version", &bytes, &n, &err)); /* the rest still reads */
  free(bytes);
  q8_archive_close(ar);
  free(data);
}

static void archive_limits(void** state) {
  (void)state;
  q8_error err = {0};
  void* bytes;
  size_t n;
  q8_archive_limits limits = q8_archive_default_limits();
  limits.max_entry_bytes = 1000;
  q8_archive* ar = open_fixture(FIXTURE("tiny.pt"), &limits);
  assert_int_equal(q8_archive_read(ar, "data.pkl", &bytes, &n, &err),
                   q8_status_unsupported_parameter);
  expect_message(&err, "entry 'tiny/data.pkl' is too large: 1362 bytes, above max_entry_bytes (1000)");
  assert_q8_ok(q8_archive_read(ar, "version", &bytes, &n, &err));
  free(bytes);
  q8_archive_close(ar);

  limits = q8_archive_default_limits();
  limits.max_total_bytes = 2000;
  ar = open_fixture(FIXTURE("tiny.pt"), &limits);
  assert_q8_ok(q8_archive_read(ar, "data.pkl", &bytes, &n, &err));
  free(bytes);
  assert_int_equal(q8_archive_read(ar, "data.pkl", &bytes, &n, &err),
                   q8_status_unsupported_parameter);
  expect_message(&err, "above max_file_bytes (2000)");
  q8_archive_close(ar);

  limits = q8_archive_default_limits();
  limits.max_compression_ratio = 2; /* code files deflate about 3x */
  ar = open_fixture(FIXTURE("tiny.pt"), &limits);
  assert_int_equal(
      q8_archive_read(ar, "code/__torch__/torch/ao/nn/quantized/modules/conv.py", &bytes, &n, &err),
      q8_status_unsupported_parameter);
  expect_message(&err, "compression ratio at or above max_compression_ratio (2;");
  assert_q8_ok(q8_archive_read(ar, "data.pkl", &bytes, &n, &err)); /* stored: ratio 1 */
  free(bytes);
  assert_int_equal(q8_archive_read(ar, "nothing.pkl", &bytes, &n, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "entry 'tiny/nothing.pkl' is missing");
  q8_archive_close(ar);

  limits = q8_archive_default_limits();
  limits.max_entries = 5;
  ar = (q8_archive*)&err;
  assert_int_equal(q8_archive_open_file(FIXTURE("tiny.pt"), &limits, &ar, &err),
                   q8_status_unsupported_parameter);
  assert_null(ar);
  expect_message(&err, "23 entries, above max_entries (5)");
  assert_int_equal(q8_archive_open_file(FIXTURE("missing.pt"), NULL, &ar, &err),
                   q8_status_invalid_parameter);
  expect_message(&err, "cannot open");
}

/* --- hostile pickles -------------------------------------------------------------- */

static void expect_pickle_error(const void* data, size_t size, const q8_pickle_limits* limits,
                                q8_status status, const char* needle) {
  q8_error err = {0};
  q8_pickle* p = (q8_pickle*)&err;
  const q8_status got = q8_pickle_decode(data, size, "t.pkl", limits, &p, &err);
  if (got != status) fail_msg("status %d, expected %d; message '%s'", got, status, err.message);
  assert_null(p);
  expect_message(&err, needle);
}

#define EXPECT_PICKLE_ERROR(literal, status, needle) \
  expect_pickle_error(literal, sizeof(literal) - 1, NULL, status, needle)

static void pickle_small_errors(void** state) {
  (void)state;
  EXPECT_PICKLE_ERROR("\x80\x02\xf3.", q8_status_unsupported_parameter,
                      "pickle: unknown opcode 0xf3 at offset 2 in t.pkl");
  EXPECT_PICKLE_ERROR("\x80\x02h\x05.", q8_status_invalid_parameter,
                      "BINGET at offset 2 in t.pkl: memo index 5 is not set");
  EXPECT_PICKLE_ERROR("\x80\x02N.N", q8_status_invalid_parameter, "1 bytes follow STOP");
  EXPECT_PICKLE_ERROR("\x80\x02NN.", q8_status_invalid_parameter, "STOP with 2 items");
  EXPECT_PICKLE_ERROR("\x80\x02N", q8_status_invalid_parameter,
                      "unexpected end of data at offset 3");
  EXPECT_PICKLE_ERROR("\x80\x02.", q8_status_invalid_parameter, "STOP with 0 items");
  EXPECT_PICKLE_ERROR("\x80\x01N.", q8_status_unsupported_parameter, "protocol 1");
  EXPECT_PICKLE_ERROR("\x80\x02t.", q8_status_invalid_parameter,
                      "TUPLE at offset 2 in t.pkl: no MARK");
  EXPECT_PICKLE_ERROR("\x80\x02Na.", q8_status_invalid_parameter,
                      "APPEND at offset 3 in t.pkl: stack underflow");
  EXPECT_PICKLE_ERROR("\x80\x02(N\x85.", q8_status_invalid_parameter,
                      "STOP with 1 items and 1 open MARKs");
  EXPECT_PICKLE_ERROR("\x80\x02(\x85.", q8_status_invalid_parameter,
                      "TUPLE1 at offset 3 in t.pkl: stack underflow");
  EXPECT_PICKLE_ERROR("\x80\x02}NNNu.", q8_status_invalid_parameter, "no MARK");
  EXPECT_PICKLE_ERROR("\x80\x02}(NNNu.", q8_status_invalid_parameter, "odd number of items (3)");
  EXPECT_PICKLE_ERROR("\x80\x02](NNu.", q8_status_invalid_parameter,
                      "the target is a list, not a dict");
  EXPECT_PICKLE_ERROR("\x80\x02NNR.", q8_status_unsupported_parameter, "the callable is a none");
  EXPECT_PICKLE_ERROR("\x80\x02Nb.", q8_status_invalid_parameter,
                      "BUILD at offset 3 in t.pkl: stack underflow");
  EXPECT_PICKLE_ERROR("\x80\x02NNb.", q8_status_invalid_parameter,
                      "the target is a none, not a object");
  EXPECT_PICKLE_ERROR("\x80\x02J\x01\x02.", q8_status_invalid_parameter,
                      "its 4-byte operand runs past the end");
  EXPECT_PICKLE_ERROR("\x80\x02\x8a\x09.", q8_status_unsupported_parameter, "9-byte integer");
  EXPECT_PICKLE_ERROR(
      "\x80\x02"
      "cmod\n",
      q8_status_invalid_parameter, "GLOBAL at offset 2");
  EXPECT_PICKLE_ERROR(
      "\x80\x02"
      "c\nname\n.",
      q8_status_invalid_parameter, "empty name");
  EXPECT_PICKLE_ERROR("\x80\x02N\x85Q.", q8_status_unsupported_parameter,
                      "BINPERSID at offset 4 in t.pkl: persistent id is not ('storage'");
  /* A list that contains itself. */
  EXPECT_PICKLE_ERROR(
      "\x80\x02]q\x00h\x00"
      "a.",
      q8_status_invalid_parameter, "a value contains itself");
  /* Building an object twice. */
  EXPECT_PICKLE_ERROR(
      "\x80\x02"
      "c__torch__\nM\n)\x81NbNb.",
      q8_status_invalid_parameter, "already has a state");
}

static void pickle_lengths(void** state) {
  (void)state;
  /* A declared length far beyond the data: refused before any allocation. */
  EXPECT_PICKLE_ERROR(
      "\x80\x02X\xff\xff\xff\x00"
      "abc.",
      q8_status_invalid_parameter,
      "BINUNICODE at offset 2 in t.pkl: a string of 16777215 bytes runs past the end (4 bytes "
      "left)");
  EXPECT_PICKLE_ERROR(
      "\x80\x02X\xff\xff\xff\x7f"
      "abc.",
      q8_status_unsupported_parameter,
      "a string of 2147483647 bytes, above max_string_bytes (16777216)");
  EXPECT_PICKLE_ERROR("\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\xff.",
                      q8_status_unsupported_parameter,
                      "a string of 18446744073709551615 bytes, above max_string_bytes");
  EXPECT_PICKLE_ERROR("\x80\x02T\xff\xff\xff\xff.", q8_status_invalid_parameter, "negative length");
  q8_pickle_limits limits = q8_pickle_default_limits();
  limits.max_string = 2;
  expect_pickle_error(
      "\x80\x02X\x03\x00\x00\x00"
      "abc.",
      12, &limits, q8_status_unsupported_parameter, "a string of 3 bytes, above max_string_bytes (2)");
  expect_pickle_error(
      "\x80\x02"
      "cabc\nd\n.",
      10, &limits, q8_status_unsupported_parameter,
      "a name line longer than max_string_bytes (2)");
  expect_pickle_error("\x80\x02" "cab", 5, NULL, q8_status_invalid_parameter,
                      "no end of line within 2 bytes");
  limits = q8_pickle_default_limits();
  limits.max_memo = 100;
  expect_pickle_error(
      "\x80\x02Nr\x00\x00\x01\x00.", 9, &limits, q8_status_unsupported_parameter,
      "LONG_BINPUT at offset 3 in t.pkl: memo index 65536 is not below max_pickle_memo (100)");
  limits = q8_pickle_default_limits();
  limits.max_nodes = 3;
  expect_pickle_error("\x80\x02NNNN\x85\x85\x85.", 10, &limits, q8_status_unsupported_parameter,
                      "more than max_pickle_nodes (3) values");
  /* Integers: BININT2 unsigned, LONG1 sign-extended. */
  q8_error err = {0};
  q8_pickle* p;
  assert_q8_ok(q8_pickle_decode("\x80\x02M\xff\xff\x8a\x02\x00\x80\x8a\x00\x87.", 13, "t.pkl", NULL,
                                &p, &err));
  assert_int_equal(at(q8_pickle_root(p), 0)->u.integer, 65535);
  assert_int_equal(at(q8_pickle_root(p), 1)->u.integer, -32768);
  assert_int_equal(at(q8_pickle_root(p), 2)->u.integer, 0);
  q8_pickle_free(p);
}

static void pickle_depth(void** state) {
  (void)state;
  enum { N = 3000 };
  uint8_t* data = malloc(N + 8);
  assert_non_null(data);
  /* Open MARKs beyond the limit. */
  data[0] = 0x80, data[1] = 2;
  memset(data + 2, '(', N);
  data[N + 2] = '.';
  expect_pickle_error(data, N + 3, NULL, q8_status_unsupported_parameter,
                      "more than max_pickle_depth (1000) open MARKs");
  /* Nesting built without marks: TUPLE1 applied again and again. */
  data[2] = 'N';
  memset(data + 3, 0x85, N);
  data[N + 3] = '.';
  expect_pickle_error(data, N + 4, NULL, q8_status_unsupported_parameter,
                      "nesting deeper than max_pickle_depth (1000)");
  /* Exactly at the limit: None under 999 tuples is 1000 levels. */
  data[3 + 999] = '.';
  q8_error err = {0};
  q8_pickle* p;
  assert_q8_ok(q8_pickle_decode(data, 3 + 1000, "t.pkl", NULL, &p, &err));
  assert_int_equal(q8_pickle_node_count(p), 1000);
  q8_pickle_free(p);
  data[3 + 999] = 0x85;
  data[3 + 1000] = '.';
  expect_pickle_error(data, 3 + 1001, NULL, q8_status_unsupported_parameter,
                      "nesting deeper than max_pickle_depth (1000)");
  free(data);
  /* A DAG with 2^40 paths (each tuple holds its child twice) is walked in
   * linear time. */
  uint8_t dag[3 + 40 * 5 + 1];
  size_t n = 0;
  dag[n++] = 0x80, dag[n++] = 2, dag[n++] = 'N';
  for (int i = 0; i < 40; i++) { /* x -> (x, x): BINPUT 0, BINGET 0, TUPLE2 */
    dag[n++] = 'q', dag[n++] = 0, dag[n++] = 'h', dag[n++] = 0, dag[n++] = 0x86;
  }
  dag[n++] = '.';
  assert_q8_ok(q8_pickle_decode(dag, n, "t.pkl", NULL, &p, &err));
  assert_int_equal(q8_pickle_node_count(p), 41);
  assert_ptr_equal(at(q8_pickle_root(p), 0), at(q8_pickle_root(p), 1));
  q8_pickle_free(p);
}

/* A small pickle writer for hand-made tensors. */
typedef struct writer {
  uint8_t data[512];
  size_t n;
} writer;

static void w_bytes(writer* w, const void* p, size_t n) {
  assert_true(w->n + n <= sizeof(w->data));
  memcpy(w->data + w->n, p, n);
  w->n += n;
}
static void w_op(writer* w, uint8_t op) { w_bytes(w, &op, 1); }
static void w_str(writer* w, const char* s) {
  w_op(w, 0x8c);
  w_op(w, (uint8_t)strlen(s));
  w_bytes(w, s, strlen(s));
}
static void w_global(writer* w, const char* module, const char* name) {
  w_op(w, 'c');
  w_bytes(w, module, strlen(module));
  w_op(w, '\n');
  w_bytes(w, name, strlen(name));
  w_op(w, '\n');
}
/* LONG1 with 8 bytes: any int64. */
static void w_int(writer* w, int64_t v) {
  w_op(w, 0x8a);
  w_op(w, 8);
  for (int i = 0; i < 8; i++) w_op(w, (uint8_t)((uint64_t)v >> (8 * i)));
}
static void w_ints(writer* w, size_t n, const int64_t* v) {
  w_op(w, '(');
  for (size_t i = 0; i < n; i++) w_int(w, v[i]);
  w_op(w, 't');
}

/* _rebuild_tensor_v2(storage(FloatStorage, numel), offset, sizes, strides, False, OrderedDict()) */
static writer tensor_pickle(int64_t numel, int64_t offset, size_t dim, const int64_t* sizes,
                            const int64_t* strides, const char* storage_class) {
  writer w = {.n = 0};
  w_op(&w, 0x80), w_op(&w, 2);
  w_global(&w, "torch._utils", "_rebuild_tensor_v2");
  w_op(&w, '('), w_op(&w, '(');
  w_str(&w, "storage"), w_global(&w, "torch", storage_class), w_str(&w, "0"), w_str(&w, "cpu");
  w_int(&w, numel);
  w_op(&w, 't'), w_op(&w, 'Q');
  w_int(&w, offset);
  w_ints(&w, dim, sizes), w_ints(&w, dim, strides);
  w_op(&w, 0x89);
  w_global(&w, "collections", "OrderedDict"), w_op(&w, ')'), w_op(&w, 'R');
  w_op(&w, 't'), w_op(&w, 'R'), w_op(&w, '.');
  return w;
}

static void pickle_tensor_bounds(void** state) {
  (void)state;
  const int64_t s23[2] = {2, 3}, st31[2] = {3, 1};
  writer w = tensor_pickle(6, 0, 2, s23, st31, "FloatStorage");
  q8_error err = {0};
  q8_pickle* p;
  assert_q8_ok(q8_pickle_decode(w.data, w.n, "t.pkl", NULL, &p, &err));
  assert_shape(q8_pickle_root(p), 2, s23, st31);
  assert_storage(q8_pickle_root(p), "0", q8_dtype_float32, 6);
  q8_pickle_free(p);

  w = tensor_pickle(5, 0, 2, s23, st31, "FloatStorage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_invalid_parameter,
                      "the view runs past its storage of 5 elements");
  w = tensor_pickle(6, 1, 2, s23, st31, "FloatStorage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_invalid_parameter, "runs past its storage");
  const int64_t huge[2] = {INT64_MAX, 2}, neg[2] = {-1, 3};
  w = tensor_pickle(6, 0, 2, s23, huge, "FloatStorage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_invalid_parameter, "runs past its storage");
  w = tensor_pickle(6, 0, 2, neg, st31, "FloatStorage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_invalid_parameter, "non-negative ints");
  w = tensor_pickle(INT64_MAX, 0, 2, s23, st31, "FloatStorage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_invalid_parameter,
                      "storage numel 9223372036854775807 is out of range");
  w = tensor_pickle(6, 0, 2, s23, st31, "ComplexStorage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_unsupported_parameter,
                      "unsupported storage class torch.ComplexStorage");
  w = tensor_pickle(6, 0, 2, s23, st31, "QInt8Storage");
  expect_pickle_error(w.data, w.n, NULL, q8_status_invalid_parameter,
                      "_rebuild_tensor_v2 of a qint8 storage");
}

/* Zero strides let a view of a small storage declare sizes whose product
 * wraps 64 bits (4 * 2^62 = 0); the tensor reader must refuse it, not read
 * zero elements. */
static void dense_tensor_size_overflow(void** state) {
  (void)state;
  const int64_t sizes[2] = {4, INT64_C(1) << 62}, zero[2] = {0, 0};
  writer w = tensor_pickle(6, 0, 2, sizes, zero, "FloatStorage");
  q8_error err = {0};
  q8_pickle* p;
  assert_q8_ok(q8_pickle_decode(w.data, w.n, "t.pkl", NULL, &p, &err));
  q8_archive* ar = open_fixture(FIXTURE("tiny.pt"), NULL);
  void* data = (void*)&err;
  size_t numel = 7;
  assert_int_equal(
      q8_read_dense_tensor(ar, "t.pkl", "data", q8_pickle_root(p), &data, &numel, &err),
      q8_status_invalid_parameter);
  expect_message(&err, "t.pkl: tensor in '0' is too large");
  assert_null(data);
  q8_archive_close(ar);
  q8_pickle_free(p);
}

/* The real data.pkl, cut at every offset and with every byte changed: decoding
 * fails cleanly or succeeds, never crashes or leaks. */
static void pickle_corrupted_real(void** state) {
  (void)state;
  q8_archive* ar = open_fixture(FIXTURE("tiny.pt"), NULL);
  q8_error err = {0};
  uint8_t* data;
  size_t size;
  assert_q8_ok(q8_archive_read(ar, "data.pkl", (void**)&data, &size, &err));
  q8_archive_close(ar);
  q8_pickle* p;
  for (size_t cut = 0; cut < size; cut++) {
    assert_int_not_equal(q8_pickle_decode(data, cut, "data.pkl", NULL, &p, &err),
                         q8_status_success);
    assert_true(strncmp(err.message, "pickle: ", 8) == 0);
  }
  static const uint8_t flips[] = {0x01, 0x80, 0xff, 0x10};
  size_t failures = 0, trials = 0;
  for (size_t i = 0; i < size; i++) {
    for (size_t f = 0; f < sizeof(flips); f++) {
      data[i] ^= flips[f];
      trials++;
      if (q8_pickle_decode(data, size, "data.pkl", NULL, &p, &err) == q8_status_success) {
        q8_pickle_free(p);
      } else {
        failures++;
      }
      data[i] ^= flips[f];
    }
  }
  assert_true(failures > trials / 2);
  /* One specific corruption: the 'c' of the first GLOBAL becomes 0xf3. */
  data[2] = 0xf3;
  assert_int_equal(q8_pickle_decode(data, size, "data.pkl", NULL, &p, &err),
                   q8_status_unsupported_parameter);
  expect_message(&err, "pickle: unknown opcode 0xf3 at offset 2 in data.pkl");
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(archive_lists_entries), cmocka_unit_test(archive_reads_storages),
      cmocka_unit_test(pt_data_pkl),           cmocka_unit_test(ptl_bytecode_pkl),
      cmocka_unit_test(every_pickle_decodes),  cmocka_unit_test(archive_truncated_everywhere),
      cmocka_unit_test(archive_flipped_bytes), cmocka_unit_test(archive_crc_error),
      cmocka_unit_test(archive_limits),        cmocka_unit_test(pickle_small_errors),
      cmocka_unit_test(pickle_lengths),        cmocka_unit_test(pickle_depth),
      cmocka_unit_test(pickle_tensor_bounds), cmocka_unit_test(dense_tensor_size_overflow),  cmocka_unit_test(pickle_corrupted_real),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

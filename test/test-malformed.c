/*
 * Malformed models: deterministic mutations of the committed models (.ptl
 * and .pt) — bit flips anywhere and in the zip headers, truncations,
 * length-field edits in the zip's local, central and end records, bit
 * flips, truncations and opcode/length-argument edits of the pickles, edits
 * of the TorchScript code, swapped entries, and storages of the wrong
 * size. Each variant must either load, plan and run, or fail with a
 * message; never crash, hang or leak (the asan preset checks leaks). A
 * watchdog aborts the test if one case runs longer than CASE_SECONDS.
 *
 * usage: test-malformed MODELS_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "model-files.h"
#include "q8/runtime.h"
#include "test-util.h"

#define PATH_SIZE 1024
#define CASE_SECONDS 30
#define MAX_OUTPUTS 4
#define MAX_OUTPUT_ELEMENTS (1u << 22)

static const char* const model_names[] = {
    "conv_blocks.ptl", "conv_blocks.pt",    "residual.ptl", "residual.pt",
    "squeeze_excite.ptl", "squeeze_excite.pt", "upsample.ptl", "upsample.pt",
};
#define MODEL_COUNT (sizeof(model_names) / sizeof(model_names[0]))

typedef struct model_file {
  const char* name;
  uint8_t* data;
  size_t size;
  q8_tensor_shape shape;
  float* input;
} model_file;

/* --- the case runner and its watchdog --------------------------------------------- */

static atomic_ulong case_number;  /* cases started */
static atomic_int case_running;   /* a case is between start and end */
static atomic_int watchdog_stop;
static size_t loaded_count, ran_count;

static void* watchdog(void* arg) {
  (void)arg;
  unsigned long seen = (unsigned long)-1;
  int stalled = 0;
  while (!atomic_load(&watchdog_stop)) {
    const struct timespec second = {1, 0};
    nanosleep(&second, NULL);
    const unsigned long now = atomic_load(&case_number);
    if (now != seen || !atomic_load(&case_running)) {
      seen = now, stalled = 0;
      continue;
    }
    if (++stalled >= CASE_SECONDS) {
      fprintf(stderr, "test-malformed: case %lu runs longer than %d s (a hang)\n", now,
              CASE_SECONDS);
      abort();
    }
  }
  return NULL;
}

static size_t element_count(const q8_tensor_shape* s) {
  size_t n = 1;
  for (size_t d = 0; d < s->rank; d++) {
    if (s->dims[d] != 0 && n > MAX_OUTPUT_ELEMENTS / s->dims[d]) return MAX_OUTPUT_ELEMENTS + 1;
    n *= s->dims[d];
  }
  return n;
}

/* Plans and runs a loaded variant on the model's own input. Any status is
 * fine; the point is that nothing crashes or leaks. */
static void plan_and_run(const q8_model* model, const model_file* m) {
  q8_error err = {0};
  q8_context* ctx = NULL;
  const size_t outputs = q8_model_output_count(model);
  if (q8_model_input_count(model) != 1 || outputs == 0 || outputs > MAX_OUTPUTS) return;
  if (q8_context_create(model, &ctx, &err) != q8_status_success) {
    assert_true(strlen(err.message) > 0);
    return;
  }
  float* out[MAX_OUTPUTS] = {0};
  q8_status status = q8_context_plan(ctx, &m->shape, &err);
  for (size_t i = 0; status == q8_status_success && i < outputs; i++) {
    q8_tensor_shape s;
    status = q8_context_output_shape(ctx, i, &s, &err);
    if (status == q8_status_success && element_count(&s) > MAX_OUTPUT_ELEMENTS)
      status = q8_status_unsupported_parameter;
    if (status == q8_status_success) {
      out[i] = malloc(element_count(&s) * sizeof(float) + 1);
      assert_non_null(out[i]);
    }
  }
  if (status == q8_status_success) {
    const float* in = m->input;
    status = q8_context_run(ctx, NULL, &in, &m->shape, out, &err);
    if (status == q8_status_success) ran_count++;
  }
  if (status != q8_status_success) assert_true(strlen(err.message) > 0);
  for (size_t i = 0; i < outputs; i++) free(out[i]);
  q8_context_delete(ctx);
}

/* One variant; `bytes` may be NULL (a rewrite that could not be made). */
static size_t try_variant(const model_file* m, const uint8_t* bytes, size_t size) {
  if (bytes == NULL) return 0;
  atomic_fetch_add(&case_number, 1);
  atomic_store(&case_running, 1);
  const q8_model_options options = {
      .isa = q8_isa_auto, .limits = {.max_entry_bytes = 64u << 20, .max_file_bytes = 64u << 20}};
  q8_model* model = (q8_model*)(uintptr_t)1; /* must be NULL after a failure */
  q8_error err = {0};
  /* A copy of exactly `size` bytes, so ASan sees any read past the end. */
  uint8_t* copy = malloc(size > 0 ? size : 1);
  assert_non_null(copy);
  if (size > 0) memcpy(copy, bytes, size);
  if (q8_model_load_memory(copy, size, &options, &model, &err) == q8_status_success) {
    loaded_count++;
    plan_and_run(model, m);
    q8_model_delete(model);
  } else {
    assert_null(model);
    assert_true(strlen(err.message) > 0);
  }
  free(copy);
  atomic_store(&case_running, 0);
  return 1;
}

/* --- the zip's structure ------------------------------------------------------------ */

static uint32_t get16(const uint8_t* p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t* p) { return get16(p) | get16(p + 2) << 16; }
static void set16(uint8_t* p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void set32(uint8_t* p, uint32_t v) { set16(p, v & 0xffff), set16(p + 2, v >> 16); }

#define MAX_RECORDS 128

typedef struct zip_layout {
  size_t eocd;                       /* offset of the end of central directory record */
  size_t count;                      /* central records parsed */
  size_t central[MAX_RECORDS];       /* offsets of central records */
  size_t local[MAX_RECORDS];         /* offsets of their local headers */
  char names[MAX_RECORDS][PATH_SIZE]; /* entry names */
} zip_layout;

/* The committed models are plain zips (no zip64, no comment). */
static void parse_zip(const uint8_t* z, size_t size, zip_layout* l) {
  memset(l, 0, sizeof(*l));
  assert_true(size >= 22);
  size_t e = size - 22;
  while (e > 0 && get32(z + e) != 0x06054b50u) e--;
  assert_int_equal(get32(z + e), 0x06054b50u);
  l->eocd = e;
  size_t at = get32(z + e + 16);
  const size_t n = get16(z + e + 10);
  for (size_t i = 0; i < n && i < MAX_RECORDS; i++) {
    assert_true(at + 46 <= size && get32(z + at) == 0x02014b50u);
    const size_t name_length = get16(z + at + 28);
    l->central[i] = at;
    l->local[i] = get32(z + at + 42);
    assert_true(name_length < PATH_SIZE);
    memcpy(l->names[i], z + at + 46, name_length);
    l->names[i][name_length] = '\0';
    at += 46 + name_length + get16(z + at + 30) + get16(z + at + 32);
    l->count++;
  }
}

static bool ends_with(const char* s, const char* suffix) {
  const size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* --- mutation families -------------------------------------------------------------- */

/* Single bit flips: anywhere, and inside the zip's headers. */
static size_t zip_bit_flips(const model_file* m, test_rng* rng) {
  zip_layout l;
  parse_zip(m->data, m->size, &l);
  uint8_t* v = malloc(m->size);
  assert_non_null(v);
  size_t cases = 0;
  for (int k = 0; k < 50; k++) {
    memcpy(v, m->data, m->size);
    size_t at;
    if (k < 20) {
      at = (size_t)rng_int(rng, 0, (int64_t)m->size - 1);
    } else if (k < 40) { /* a central record, or the end record */
      const size_t r = (size_t)rng_int(rng, 0, (int64_t)l.count);
      at = r == l.count ? l.eocd + (size_t)rng_int(rng, 0, 21)
                        : l.central[r] + (size_t)rng_int(rng, 0, 45);
    } else { /* a local header */
      at = l.local[rng_int(rng, 0, (int64_t)l.count - 1)] + (size_t)rng_int(rng, 0, 29);
    }
    v[at] ^= (uint8_t)(1u << rng_int(rng, 0, 7));
    cases += try_variant(m, v, m->size);
  }
  free(v);
  return cases;
}

static size_t truncations(const model_file* m, test_rng* rng) {
  const size_t fixed[] = {0, 1, 4, 21, 22, 30, m->size - 1, m->size - 21, m->size - 22,
                          m->size - 23, m->size / 2};
  size_t cases = 0;
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
    cases += try_variant(m, m->data, fixed[i]);
  for (int k = 0; k < 9; k++)
    cases += try_variant(m, m->data, (size_t)rng_int(rng, 0, (int64_t)m->size - 1));
  return cases;
}

/* A field of the end record, a central record or a local header set to
 * values that lie: zero, all ones, one off, the sign bit. */
typedef struct field {
  size_t offset;
  int width; /* 2 or 4 */
} field;

static const field eocd_fields[] = {{4, 2}, {6, 2}, {8, 2}, {10, 2}, {12, 4}, {16, 4}, {20, 2}};
static const field central_fields[] = {{8, 2},  {10, 2}, {16, 4}, {20, 4}, {24, 4},
                                       {28, 2}, {30, 2}, {32, 2}, {42, 4}};
static const field local_fields[] = {{6, 2}, {8, 2}, {14, 4}, {18, 4}, {22, 4}, {26, 2}, {28, 2}};

static size_t edit_fields(const model_file* m, uint8_t* v, size_t base, const field* fields,
                          size_t n, test_rng* rng) {
  size_t cases = 0;
  for (size_t f = 0; f < n; f++) {
    uint8_t* p = v + base + fields[f].offset;
    const uint32_t old = fields[f].width == 2 ? get16(p) : get32(p);
    const uint32_t all = fields[f].width == 2 ? 0xffffu : 0xffffffffu;
    const uint32_t sign = fields[f].width == 2 ? 0x8000u : 0x80000000u;
    const uint32_t values[5] = {0, all, old + 1, old - 1, sign};
    /* Two of the five per field, chosen deterministically. */
    const int a = (int)rng_int(rng, 0, 4), b = (a + 1 + (int)rng_int(rng, 0, 3)) % 5;
    const int pick[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      const uint32_t value = values[pick[k]] & all;
      if (fields[f].width == 2) set16(p, value); else set32(p, value);
      cases += try_variant(m, v, m->size);
    }
    if (fields[f].width == 2) set16(p, old); else set32(p, old);
  }
  return cases;
}

static size_t zip_length_edits(const model_file* m, test_rng* rng) {
  zip_layout l;
  parse_zip(m->data, m->size, &l);
  uint8_t* v = malloc(m->size);
  assert_non_null(v);
  memcpy(v, m->data, m->size);
  size_t cases = edit_fields(m, v, l.eocd, eocd_fields, 7, rng);
  /* The first record, the main pickle's, and the last. */
  size_t records[3] = {0, 0, l.count - 1};
  for (size_t i = 0; i < l.count; i++)
    if (ends_with(l.names[i], "/bytecode.pkl") || ends_with(l.names[i], "/data.pkl"))
      records[1] = i;
  for (size_t r = 0; r < 3; r++) {
    cases += edit_fields(m, v, l.central[records[r]], central_fields, 9, rng);
    cases += edit_fields(m, v, l.local[records[r]], local_fields, 7, rng);
  }
  assert_memory_equal(v, m->data, m->size);
  free(v);
  return cases;
}

/* Loads the model with entry `suffix` replaced by content (a consistent zip). */
static size_t try_entry(const model_file* m, const char* suffix, const uint8_t* content,
                        size_t content_size) {
  size_t size = 0;
  uint8_t* z = zip_replace_entry(m->data, m->size, suffix, content, content_size, &size);
  assert_non_null(z);
  const size_t cases = try_variant(m, z, size);
  free(z);
  return cases;
}

/* Offsets of pickle opcodes and of their length/index arguments. */
typedef struct pickle_site {
  size_t opcode;   /* offset of the opcode byte */
  size_t argument; /* offset of its length or index argument */
  int width;       /* bytes of that argument; 0 if none */
} pickle_site;

#define MAX_SITES 8192

static size_t pickle_sites(const uint8_t* p, size_t size, pickle_site* sites) {
  size_t n = 0, at = 0;
  while (at < size && n < MAX_SITES) {
    const uint8_t op = p[at];
    size_t fixed = 0, width = 0;
    switch (op) {
      case 0x80: fixed = 1; break;                     /* PROTO */
      case 'K': case 'h': case 'q': width = 1; break;  /* BININT1, BINGET, BINPUT */
      case 'M': fixed = 2; break;                      /* BININT2 */
      case 'J': fixed = 4; break;                      /* BININT */
      case 'j': case 'r': width = 4; break;            /* LONG_BINGET, LONG_BINPUT */
      case 'G': fixed = 8; break;                      /* BINFLOAT */
      case 0x95: fixed = 8; break;                     /* FRAME */
      case 0x8a: case 0x8c: case 'U': width = 1; break; /* LONG1, SHORT_BIN* (length) */
      case 'X': case 'T': width = 4; break;            /* BINUNICODE, BINSTRING (length) */
      case 'c': {                                      /* GLOBAL: two lines */
        size_t lines = 0, q = at + 1;
        while (q < size && lines < 2) lines += p[q++] == '\n';
        sites[n++] = (pickle_site){at, 0, 0};
        at = q;
        continue;
      }
      default: break;
    }
    sites[n++] = (pickle_site){at, at + 1, (int)width};
    size_t length = 0;
    if (op == 0x8a || op == 0x8c || op == 'U') length = at + 1 < size ? p[at + 1] : 0;
    if ((op == 'X' || op == 'T') && at + 5 <= size) length = get32(p + at + 1);
    at += 1 + fixed + width + length;
  }
  return n;
}

static const uint8_t some_opcodes[] = {'(', '.', 'G', 'J', 'K', 'M', 'N', 'Q', 'R', 'X', 'a',
                                       'b', 'c', 'e', 'h', 'j', 'q', 'r', 's', 't', 'u', '}',
                                       ']', ')', 0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x8a, 0x8c,
                                       0x95, 0xff};

/* Bit flips, truncations, opcode swaps and argument edits of one pickle. */
static size_t pickle_edits(const model_file* m, const char* suffix, test_rng* rng) {
  size_t size = 0;
  uint8_t* pkl = zip_read_entry(m->data, m->size, suffix, &size);
  if (pkl == NULL) return 0;
  uint8_t* v = malloc(size + 1);
  pickle_site* sites = malloc(MAX_SITES * sizeof(pickle_site));
  assert_non_null(v);
  assert_non_null(sites);
  size_t cases = 0;
  for (int k = 0; k < 10; k++) { /* bit flips */
    memcpy(v, pkl, size);
    v[rng_int(rng, 0, (int64_t)size - 1)] ^= (uint8_t)(1u << rng_int(rng, 0, 7));
    cases += try_entry(m, suffix, v, size);
  }
  const size_t cuts[4] = {0, 2, size / 3, size - 1};
  for (int k = 0; k < 4; k++) cases += try_entry(m, suffix, pkl, cuts[k]);
  const size_t n = pickle_sites(pkl, size, sites);
  for (int k = 0; k < 16 && n > 0; k++) {
    memcpy(v, pkl, size);
    const pickle_site* s = &sites[rng_int(rng, 0, (int64_t)n - 1)];
    if (k % 2 == 0 || s->width == 0 || s->argument + (size_t)s->width > size) {
      v[s->opcode] = some_opcodes[rng_int(rng, 0, sizeof(some_opcodes) - 1)];
    } else if (s->width == 1) {
      const uint8_t old = v[s->argument];
      const uint8_t values[4] = {0, 0xff, (uint8_t)(old + 1), (uint8_t)(old - 1)};
      v[s->argument] = values[rng_int(rng, 0, 3)];
    } else {
      const uint32_t old = get32(v + s->argument);
      const uint32_t values[5] = {0, 0xffffffffu, old + 1, old - 1, 0x7fffffffu};
      set32(v + s->argument, values[rng_int(rng, 0, 4)]);
    }
    cases += try_entry(m, suffix, v, size);
  }
  free(sites);
  free(v);
  free(pkl);
  return cases;
}

/* Bit flips, byte edits and truncations of the TorchScript code files. */
static size_t code_edits(const model_file* m, test_rng* rng) {
  zip_layout l;
  parse_zip(m->data, m->size, &l);
  size_t cases = 0;
  static const char tokens[] = "():,.=[]-\n \"'#\\x9";
  for (size_t i = 0; i < l.count; i++) {
    if (!ends_with(l.names[i], ".py")) continue;
    size_t size = 0;
    uint8_t* code = zip_read_entry(m->data, m->size, l.names[i], &size);
    assert_non_null(code);
    uint8_t* v = malloc(size + 1);
    assert_non_null(v);
    for (int k = 0; k < 6 && size > 0; k++) {
      memcpy(v, code, size);
      const size_t at = (size_t)rng_int(rng, 0, (int64_t)size - 1);
      if (k % 2 == 0) v[at] ^= (uint8_t)(1u << rng_int(rng, 0, 7));
      else v[at] = (uint8_t)tokens[rng_int(rng, 0, (int64_t)sizeof(tokens) - 2)];
      cases += try_entry(m, l.names[i], v, size);
    }
    cases += try_entry(m, l.names[i], code, size / 2);
    free(v);
    free(code);
  }
  return cases;
}

/* Two entries' contents swapped; storages one byte short or long. */
static size_t entry_swaps(const model_file* m, test_rng* rng) {
  zip_layout l;
  parse_zip(m->data, m->size, &l);
  size_t cases = 0;
  for (int k = 0; k < 8; k++) {
    const size_t a = (size_t)rng_int(rng, 0, (int64_t)l.count - 1);
    size_t b = (size_t)rng_int(rng, 0, (int64_t)l.count - 2);
    if (b >= a) b++;
    size_t size_a = 0, size_b = 0, size_1 = 0, size_2 = 0;
    uint8_t* da = zip_read_entry(m->data, m->size, l.names[a], &size_a);
    uint8_t* db = zip_read_entry(m->data, m->size, l.names[b], &size_b);
    assert_non_null(da);
    assert_non_null(db);
    uint8_t* z1 = zip_replace_entry(m->data, m->size, l.names[a], db, size_b, &size_1);
    assert_non_null(z1);
    uint8_t* z2 = zip_replace_entry(z1, size_1, l.names[b], da, size_a, &size_2);
    assert_non_null(z2);
    cases += try_variant(m, z2, size_2);
    free(z2), free(z1), free(da), free(db);
  }
  for (size_t i = 0, done = 0; i < l.count && done < 2; i++) {
    if (!ends_with(l.names[i], ".storage") && strstr(l.names[i], "/data/") == NULL) continue;
    size_t size = 0;
    uint8_t* s = zip_read_entry(m->data, m->size, l.names[i], &size);
    assert_non_null(s);
    uint8_t* longer = calloc(size + 1, 1);
    assert_non_null(longer);
    memcpy(longer, s, size);
    if (size > 0) cases += try_entry(m, l.names[i], s, size - 1);
    cases += try_entry(m, l.names[i], longer, size + 1);
    free(longer);
    free(s);
    done++;
  }
  return cases;
}

/* --- the tests ------------------------------------------------------------------------ */

static model_file models[MODEL_COUNT];
static const char* models_dir;

static int load_models(void** state) {
  (void)state;
  const char* dir = models_dir;
  for (size_t i = 0; i < MODEL_COUNT; i++) {
    model_file* m = &models[i];
    char path[PATH_SIZE];
    m->name = model_names[i];
    snprintf(path, sizeof(path), "%s/%s", dir, m->name);
    m->data = read_whole_file(path, &m->size);
    const size_t stem = strlen(m->name) - (ends_with(m->name, ".ptl") ? 4 : 3);
    snprintf(path, sizeof(path), "%s/%.*s.input.npy", dir, (int)stem, m->name);
    if (m->data == NULL || read_npy_f32(path, &m->shape, &m->input) != 0) {
      fprintf(stderr, "cannot read %s\n", path);
      return -1;
    }
  }
  return 0;
}

static int free_models(void** state) {
  (void)state;
  for (size_t i = 0; i < MODEL_COUNT; i++) free(models[i].data), free(models[i].input);
  return 0;
}

typedef size_t (*family)(const model_file*, test_rng*);

static size_t run_family(const char* what, family f, uint64_t seed) {
  size_t cases = 0;
  const size_t loaded = loaded_count, ran = ran_count;
  for (size_t i = 0; i < MODEL_COUNT; i++) {
    test_rng rng = {seed * 1000 + i};
    cases += f(&models[i], &rng);
  }
  printf("  %-32s %5zu variants, %4zu loaded, %4zu ran\n", what, cases, loaded_count - loaded,
         ran_count - ran);
  return cases;
}

static size_t total_cases;

static void zip_flips(void** state) {
  (void)state;
  total_cases += run_family("zip: bit flips", zip_bit_flips, 1);
}
static void zip_truncations(void** state) {
  (void)state;
  total_cases += run_family("zip: truncations", truncations, 2);
}
static void zip_lengths(void** state) {
  (void)state;
  total_cases += run_family("zip: header field edits", zip_length_edits, 3);
}

static size_t main_pickle(const model_file* m, test_rng* rng) {
  return pickle_edits(m, ends_with(m->name, ".ptl") ? "/bytecode.pkl" : "/data.pkl", rng);
}
static size_t other_pickles(const model_file* m, test_rng* rng) {
  return pickle_edits(m, "/constants.pkl", rng) +
         (ends_with(m->name, ".ptl") ? pickle_edits(m, "/data.pkl", rng) : 0);
}
static void pickles(void** state) {
  (void)state;
  total_cases += run_family("pickle: bytecode.pkl / data.pkl", main_pickle, 4);
  total_cases += run_family("pickle: constants.pkl, data.pkl", other_pickles, 5);
}
static void code(void** state) {
  (void)state;
  total_cases += run_family("TorchScript code edits", code_edits, 6);
}
static void swaps(void** state) {
  (void)state;
  total_cases += run_family("entry swaps, storage sizes", entry_swaps, 7);
}
static void enough_cases(void** state) {
  (void)state;
  printf("  total: %zu variants, %zu loaded, %zu ran\n", total_cases, loaded_count, ran_count);
  assert_true(total_cases >= 1000);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODELS_DIR\n", argv[0]);
    return 2;
  }
  pthread_t dog;
  if (pthread_create(&dog, NULL, watchdog, NULL) != 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(zip_flips),  cmocka_unit_test(zip_truncations),
      cmocka_unit_test(zip_lengths), cmocka_unit_test(pickles),
      cmocka_unit_test(code),       cmocka_unit_test(swaps),
      cmocka_unit_test(enough_cases),
  };
  models_dir = argv[1];
  const int failed = cmocka_run_group_tests(tests, load_models, free_models);
  atomic_store(&watchdog_stop, 1);
  pthread_join(dog, NULL);
  return failed;
}

/*
 * The pickle stack machine. Layout: document and node allocation, the
 * operand readers, the stack/mark/memo primitives, the typed nodes built from
 * known callables (storages, tensors, typed lists), one handler per opcode
 * family, the dispatch loop, and the final acyclicity/depth check.
 *
 * Python's unpickler keeps a "metastack": MARK saves the stack and starts an
 * empty one. Here MARK records the stack height, and pops may not go below
 * the most recent mark; that is the same semantics with one array.
 */
#include "pickle.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/operator.h"

struct q8_pickle {
  q8_pickle_value** nodes; /* every node, owned */
  size_t count;
  size_t capacity;
  const q8_pickle_value* root;
};

typedef struct vm {
  const uint8_t* data;
  size_t size;
  size_t pos;    /* next byte to read */
  size_t op_pos; /* offset of the opcode being executed, for messages */
  uint8_t op;
  bool stopped;
  const char* name;
  q8_error* error;
  q8_pickle_limits limits;
  q8_pickle* doc;
  q8_pickle_value** stack;
  size_t stack_len, stack_cap;
  size_t* marks; /* stack heights saved by MARK */
  size_t mark_len, mark_cap;
  q8_pickle_value** memo; /* NULL where unset */
  size_t memo_cap, memo_used;
} vm;

/* Recursion in the final check is bounded by max_depth; refuse limits that
 * would let a file exhaust the C stack. */
#define MAX_ALLOWED_DEPTH 10000

enum {
  OP_MARK = '(',
  OP_STOP = '.',
  OP_BINFLOAT = 'G',
  OP_BININT = 'J',
  OP_BININT1 = 'K',
  OP_BININT2 = 'M',
  OP_NONE = 'N',
  OP_BINPERSID = 'Q',
  OP_REDUCE = 'R',
  OP_BINSTRING = 'T',
  OP_SHORT_BINSTRING = 'U',
  OP_BINUNICODE = 'X',
  OP_APPEND = 'a',
  OP_BUILD = 'b',
  OP_GLOBAL = 'c',
  OP_APPENDS = 'e',
  OP_BINGET = 'h',
  OP_LONG_BINGET = 'j',
  OP_BINPUT = 'q',
  OP_LONG_BINPUT = 'r',
  OP_SETITEM = 's',
  OP_TUPLE = 't',
  OP_SETITEMS = 'u',
  OP_EMPTY_DICT = '}',
  OP_EMPTY_LIST = ']',
  OP_EMPTY_TUPLE = ')',
  OP_PROTO = 0x80,
  OP_NEWOBJ = 0x81,
  OP_TUPLE1 = 0x85,
  OP_TUPLE2 = 0x86,
  OP_TUPLE3 = 0x87,
  OP_NEWTRUE = 0x88,
  OP_NEWFALSE = 0x89,
  OP_LONG1 = 0x8a,
  OP_SHORT_BINUNICODE = 0x8c,
  OP_BINUNICODE8 = 0x8d,
  OP_MEMOIZE = 0x94,
  OP_FRAME = 0x95,
};

static const char* op_name(uint8_t op) {
  switch (op) {
    case OP_MARK: return "MARK";
    case OP_STOP: return "STOP";
    case OP_BINFLOAT: return "BINFLOAT";
    case OP_BININT: return "BININT";
    case OP_BININT1: return "BININT1";
    case OP_BININT2: return "BININT2";
    case OP_NONE: return "NONE";
    case OP_BINPERSID: return "BINPERSID";
    case OP_REDUCE: return "REDUCE";
    case OP_BINSTRING: return "BINSTRING";
    case OP_SHORT_BINSTRING: return "SHORT_BINSTRING";
    case OP_BINUNICODE: return "BINUNICODE";
    case OP_APPEND: return "APPEND";
    case OP_BUILD: return "BUILD";
    case OP_GLOBAL: return "GLOBAL";
    case OP_APPENDS: return "APPENDS";
    case OP_BINGET: return "BINGET";
    case OP_LONG_BINGET: return "LONG_BINGET";
    case OP_BINPUT: return "BINPUT";
    case OP_LONG_BINPUT: return "LONG_BINPUT";
    case OP_SETITEM: return "SETITEM";
    case OP_TUPLE: return "TUPLE";
    case OP_SETITEMS: return "SETITEMS";
    case OP_EMPTY_DICT: return "EMPTY_DICT";
    case OP_EMPTY_LIST: return "EMPTY_LIST";
    case OP_EMPTY_TUPLE: return "EMPTY_TUPLE";
    case OP_PROTO: return "PROTO";
    case OP_NEWOBJ: return "NEWOBJ";
    case OP_TUPLE1: return "TUPLE1";
    case OP_TUPLE2: return "TUPLE2";
    case OP_TUPLE3: return "TUPLE3";
    case OP_NEWTRUE: return "NEWTRUE";
    case OP_NEWFALSE: return "NEWFALSE";
    case OP_LONG1: return "LONG1";
    case OP_SHORT_BINUNICODE: return "SHORT_BINUNICODE";
    case OP_BINUNICODE8: return "BINUNICODE8";
    case OP_MEMOIZE: return "MEMOIZE";
    case OP_FRAME: return "FRAME";
  }
  return NULL;
}

/* "pickle: <OPCODE> at offset <n> in <name>: <detail>". */
static q8_status fail(vm* m, q8_status status, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static q8_status fail(vm* m, q8_status status, const char* format, ...) {
  char detail[192];
  va_list args;
  va_start(args, format);
  vsnprintf(detail, sizeof(detail), format, args);
  va_end(args);
  const char* op = op_name(m->op);
  return q8_fail(m->error, status, "pickle: %s at offset %zu in %s: %s", op != NULL ? op : "?",
                 m->op_pos, m->name, detail);
}

static q8_status fail_oom(vm* m) { return fail(m, q8_status_out_of_memory, "out of memory"); }

/* --- document and nodes -------------------------------------------------- */

/* Makes room for `need` elements of `elem` bytes, doubling. */
static bool grow(void** array, size_t* capacity, size_t need, size_t elem) {
  if (need <= *capacity) return true;
  size_t cap = *capacity < 8 ? 8 : *capacity;
  while (cap < need) {
    if (!q8_mul_size(cap, 2, &cap)) return false;
  }
  size_t bytes;
  if (!q8_mul_size(cap, elem, &bytes)) return false;
  void* grown = realloc(*array, bytes);
  if (grown == NULL) return false;
  *array = grown;
  *capacity = cap;
  return true;
}

static void free_node(q8_pickle_value* v) {
  switch (v->kind) {
    case q8_pickle_string: free((char*)v->u.string.data); break;
    case q8_pickle_tuple:
    case q8_pickle_list: free(v->u.seq.items); break;
    case q8_pickle_dict:
      free(v->u.dict.keys);
      free(v->u.dict.values);
      break;
    case q8_pickle_global: free((char*)v->u.global.module); break;   /* one buffer for both */
    case q8_pickle_tensor: free((int64_t*)v->u.tensor.sizes); break; /* sizes then strides */
    default: break;
  }
  free(v);
}

void q8_pickle_free(q8_pickle* pickle) {
  if (pickle == NULL) return;
  for (size_t i = 0; i < pickle->count; i++) free_node(pickle->nodes[i]);
  free(pickle->nodes);
  free(pickle);
}

/* Every node goes into the document at once, so any error path frees it. */
static q8_status new_node(vm* m, q8_pickle_kind kind, q8_pickle_value** out) {
  q8_pickle* doc = m->doc;
  if (doc->count >= m->limits.max_nodes) {
    return fail(m, q8_status_unsupported_parameter, "more than max_pickle_nodes (%zu) values",
                m->limits.max_nodes);
  }
  if (!grow((void**)&doc->nodes, &doc->capacity, doc->count + 1, sizeof(*doc->nodes)))
    return fail_oom(m);
  q8_pickle_value* v = calloc(1, sizeof(*v));
  if (v == NULL) return fail_oom(m);
  v->kind = kind;
  v->id = (uint32_t)doc->count; /* max_nodes is checked to fit in 32 bits */
  doc->nodes[doc->count++] = v;
  *out = v;
  return q8_status_success;
}

/* --- operand readers ------------------------------------------------------- */

static q8_status read_bytes(vm* m, size_t n, const uint8_t** out) {
  if (n > m->size - m->pos) {
    return fail(m, q8_status_invalid_parameter,
                "its %zu-byte operand runs past the end of the data", n);
  }
  *out = m->data + m->pos;
  m->pos += n;
  return q8_status_success;
}

/* Little-endian unsigned integer of n <= 8 bytes. */
static q8_status read_le(vm* m, size_t n, uint64_t* out) {
  const uint8_t* p = NULL;
  const q8_status status = read_bytes(m, n, &p);
  if (status != q8_status_success) return status;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x |= (uint64_t)p[i] << (8 * i);
  *out = x;
  return q8_status_success;
}

/* --- stack, marks, memo ---------------------------------------------------- */

static size_t stack_floor(const vm* m) { return m->mark_len > 0 ? m->marks[m->mark_len - 1] : 0; }

static q8_status push(vm* m, q8_pickle_value* v) {
  if (m->stack_len >= m->limits.max_nodes) {
    return fail(m, q8_status_unsupported_parameter, "the stack holds more than max_pickle_nodes (%zu) items",
                m->limits.max_nodes);
  }
  if (!grow((void**)&m->stack, &m->stack_cap, m->stack_len + 1, sizeof(*m->stack)))
    return fail_oom(m);
  m->stack[m->stack_len++] = v;
  return q8_status_success;
}

/* Checks that `n` items sit above the most recent mark. */
static q8_status need(vm* m, size_t n) {
  if (m->stack_len - stack_floor(m) < n) {
    return fail(m, q8_status_invalid_parameter, "stack underflow (needs %zu items, has %zu)", n,
                m->stack_len - stack_floor(m));
  }
  return q8_status_success;
}

static q8_status pop(vm* m, q8_pickle_value** out) {
  const q8_status status = need(m, 1);
  if (status != q8_status_success) return status;
  *out = m->stack[--m->stack_len];
  return q8_status_success;
}

static q8_status top(vm* m, q8_pickle_value** out) {
  const q8_status status = need(m, 1);
  if (status != q8_status_success) return status;
  *out = m->stack[m->stack_len - 1];
  return q8_status_success;
}

/* Removes the most recent mark; the items above it are stack[*start..len). */
static q8_status pop_mark(vm* m, size_t* start) {
  if (m->mark_len == 0) return fail(m, q8_status_invalid_parameter, "no MARK to pop");
  *start = m->marks[--m->mark_len];
  return q8_status_success;
}

static q8_status memo_put(vm* m, uint64_t index) {
  if (index >= m->limits.max_memo) {
    return fail(m, q8_status_unsupported_parameter, "memo index %llu is not below max_pickle_memo (%zu)",
                (unsigned long long)index, m->limits.max_memo);
  }
  q8_pickle_value* v;
  q8_status status = top(m, &v);
  if (status != q8_status_success) return status;
  const size_t old = m->memo_cap;
  if (!grow((void**)&m->memo, &m->memo_cap, (size_t)index + 1, sizeof(*m->memo)))
    return fail_oom(m);
  memset(m->memo + old, 0, (m->memo_cap - old) * sizeof(*m->memo));
  if (m->memo[index] == NULL) m->memo_used++;
  m->memo[index] = v;
  return q8_status_success;
}

static q8_status memo_get(vm* m, uint64_t index) {
  if (index >= m->memo_cap || m->memo[index] == NULL) {
    return fail(m, q8_status_invalid_parameter, "memo index %llu is not set",
                (unsigned long long)index);
  }
  return push(m, m->memo[index]);
}

/* --- sequences and dicts --------------------------------------------------- */

static q8_status seq_append(vm* m, q8_pickle_value* seq, q8_pickle_value* const* items, size_t n) {
  if (n > SIZE_MAX - seq->u.seq.count || !grow((void**)&seq->u.seq.items, &seq->u.seq.capacity,
                                               seq->u.seq.count + n, sizeof(*seq->u.seq.items))) {
    return fail_oom(m);
  }
  if (n > 0) memcpy(seq->u.seq.items + seq->u.seq.count, items, n * sizeof(*items));
  seq->u.seq.count += n;
  return q8_status_success;
}

/* The stack from `start` on; NULL while the stack was never allocated (an
 * empty MARK ... TUPLE), where `m->stack + start` would be undefined. */
static q8_pickle_value* const* stack_from(const vm* m, size_t start) {
  return m->stack != NULL ? m->stack + start : NULL;
}

/* Tuple of the top n items above the mark floor (which the caller checked). */
static q8_status make_tuple(vm* m, size_t start) {
  q8_pickle_value* t;
  q8_status status = new_node(m, q8_pickle_tuple, &t);
  if (status == q8_status_success)
    status = seq_append(m, t, stack_from(m, start), m->stack_len - start);
  if (status != q8_status_success) return status;
  m->stack_len = start;
  return push(m, t);
}

static q8_status dict_add(vm* m, q8_pickle_value* dict, q8_pickle_value* const* pairs, size_t n) {
  size_t keys_cap = dict->u.dict.capacity;
  const size_t want = dict->u.dict.count + n;
  if (n > SIZE_MAX - dict->u.dict.count ||
      !grow((void**)&dict->u.dict.keys, &keys_cap, want, sizeof(*dict->u.dict.keys)) ||
      !grow((void**)&dict->u.dict.values, &dict->u.dict.capacity, want,
            sizeof(*dict->u.dict.values))) {
    return fail_oom(m);
  }
  for (size_t i = 0; i < n; i++) {
    dict->u.dict.keys[dict->u.dict.count] = pairs[2 * i];
    dict->u.dict.values[dict->u.dict.count++] = pairs[2 * i + 1];
  }
  return q8_status_success;
}

/* --- typed nodes: storages ---------------------------------------------------- */

static const struct {
  const char* storage;
  q8_dtype dtype;
  uint8_t size;
  const char* name;
} dtypes[q8_dtype_count] = {
    {"ByteStorage", q8_dtype_uint8, 1, "uint8"},
    {"CharStorage", q8_dtype_int8, 1, "int8"},
    {"ShortStorage", q8_dtype_int16, 2, "int16"},
    {"IntStorage", q8_dtype_int32, 4, "int32"},
    {"LongStorage", q8_dtype_int64, 8, "int64"},
    {"HalfStorage", q8_dtype_float16, 2, "float16"},
    {"BFloat16Storage", q8_dtype_bfloat16, 2, "bfloat16"},
    {"FloatStorage", q8_dtype_float32, 4, "float32"},
    {"DoubleStorage", q8_dtype_float64, 8, "float64"},
    {"BoolStorage", q8_dtype_bool, 1, "bool"},
    {"QUInt8Storage", q8_dtype_quint8, 1, "quint8"},
    {"QInt8Storage", q8_dtype_qint8, 1, "qint8"},
    {"QInt32Storage", q8_dtype_qint32, 4, "qint32"},
};

const char* q8_dtype_name(q8_dtype dtype) {
  return (unsigned)dtype < q8_dtype_count ? dtypes[dtype].name : "?";
}

size_t q8_dtype_size(q8_dtype dtype) {
  return (unsigned)dtype < q8_dtype_count ? dtypes[dtype].size : 0;
}

static bool is_quantized(q8_dtype d) {
  return d == q8_dtype_quint8 || d == q8_dtype_qint8 || d == q8_dtype_qint32;
}

/* Storage keys name zip entries; allow only what PyTorch writes. */
static bool valid_key(const q8_pickle_value* v) {
  if (v->kind != q8_pickle_string || v->u.string.size == 0) return false;
  for (size_t i = 0; i < v->u.string.size; i++) {
    const char c = v->u.string.data[i];
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || (c == '.' && i > 0);
    if (!ok) return false;
  }
  return true;
}

/* ('storage', torch.<T>Storage, key, location, numel) */
static q8_status make_storage(vm* m, const q8_pickle_value* pid) {
  const q8_pickle_value* cls = q8_pickle_item(pid, 1);
  const q8_pickle_value* location = q8_pickle_item(pid, 3);
  const q8_pickle_value* numel = q8_pickle_item(pid, 4);
  if (pid->kind != q8_pickle_tuple || pid->u.seq.count != 5 ||
      !q8_pickle_is_string(q8_pickle_item(pid, 0), "storage") || cls->kind != q8_pickle_global ||
      location->kind != q8_pickle_string || numel->kind != q8_pickle_int) {
    return fail(m, q8_status_unsupported_parameter,
                "persistent id is not ('storage', class, key, location, numel)");
  }
  if (!valid_key(q8_pickle_item(pid, 2))) {
    return fail(m, q8_status_invalid_parameter,
                "storage key is not a non-empty [A-Za-z0-9_.] name");
  }
  int found = -1;
  for (int i = 0; i < q8_dtype_count; i++) {
    if (q8_pickle_is_global(cls, "torch", dtypes[i].storage)) found = i;
  }
  if (found < 0) {
    return fail(m, q8_status_unsupported_parameter, "unsupported storage class %s.%s",
                cls->u.global.module, cls->u.global.name);
  }
  uint64_t bytes;
  if (numel->u.integer < 0 ||
      __builtin_mul_overflow((uint64_t)numel->u.integer, (uint64_t)dtypes[found].size, &bytes)) {
    return fail(m, q8_status_invalid_parameter, "storage numel %lld is out of range",
                (long long)numel->u.integer);
  }
  q8_pickle_value* s;
  const q8_status status = new_node(m, q8_pickle_storage, &s);
  if (status != q8_status_success) return status;
  s->u.storage.key = q8_pickle_item(pid, 2)->u.string.data; /* string nodes are immutable */
  s->u.storage.location = location->u.string.data;
  s->u.storage.dtype = dtypes[found].dtype;
  s->u.storage.numel = numel->u.integer;
  s->u.storage.bytes = bytes;
  return push(m, s);
}

/* --- typed nodes: tensors ---------------------------------------------------- */

/* A tuple of at most Q8_PICKLE_MAX_DIMS non-negative ints. */
static bool int_tuple(const q8_pickle_value* v, size_t* count) {
  if (v == NULL || v->kind != q8_pickle_tuple || v->u.seq.count > Q8_PICKLE_MAX_DIMS) return false;
  for (size_t i = 0; i < v->u.seq.count; i++) {
    const q8_pickle_value* x = v->u.seq.items[i];
    if (x->kind != q8_pickle_int || x->u.integer < 0) return false;
  }
  *count = v->u.seq.count;
  return true;
}

/* The largest element the view touches must lie inside the storage. */
static bool view_fits(const q8_tensor_ref* t, int64_t numel) {
  for (size_t i = 0; i < t->dim; i++) {
    if (t->sizes[i] == 0) return t->storage_offset <= numel;
  }
  int64_t last = t->storage_offset;
  for (size_t i = 0; i < t->dim; i++) {
    int64_t step;
    if (__builtin_mul_overflow(t->sizes[i] - 1, t->strides[i], &step) ||
        __builtin_add_overflow(last, step, &last)) {
      return false;
    }
  }
  return last < numel;
}

/* Storage, offset, sizes and strides: the first four arguments of both rebuilds. */
static q8_status tensor_view(vm* m, const char* fn, const q8_pickle_value* args,
                             q8_pickle_value* t) {
  const q8_pickle_value* storage = q8_pickle_item(args, 0);
  const q8_pickle_value* offset = q8_pickle_item(args, 1);
  size_t dim, stride_dim;
  if (storage->kind != q8_pickle_storage)
    return fail(m, q8_status_invalid_parameter, "%s: argument 0 is not a storage", fn);
  if (offset->kind != q8_pickle_int || offset->u.integer < 0) {
    return fail(m, q8_status_invalid_parameter, "%s: storage offset is not a non-negative int", fn);
  }
  if (!int_tuple(q8_pickle_item(args, 2), &dim) ||
      !int_tuple(q8_pickle_item(args, 3), &stride_dim) || dim != stride_dim) {
    return fail(m, q8_status_invalid_parameter,
                "%s: sizes and strides are not equal-length tuples of at most %d non-negative ints",
                fn, Q8_PICKLE_MAX_DIMS);
  }
  int64_t* shape = malloc(2 * (dim + 1) * sizeof(int64_t)); /* +1: never malloc(0) */
  if (shape == NULL) return fail_oom(m);
  for (size_t i = 0; i < dim; i++) {
    shape[i] = q8_pickle_item(args, 2)->u.seq.items[i]->u.integer;
    shape[dim + 1 + i] = q8_pickle_item(args, 3)->u.seq.items[i]->u.integer;
  }
  q8_tensor_ref* tensor = &t->u.tensor;
  tensor->sizes = shape;
  tensor->strides = shape + dim + 1;
  tensor->dim = dim;
  tensor->storage = storage;
  tensor->storage_offset = offset->u.integer;
  if (!view_fits(tensor, storage->u.storage.numel)) {
    return fail(m, q8_status_invalid_parameter,
                "%s: the view runs past its storage of %lld elements", fn,
                (long long)storage->u.storage.numel);
  }
  return q8_status_success;
}

static bool zero_point_fits(q8_dtype d, int64_t zp) {
  switch (d) {
    case q8_dtype_quint8: return zp >= 0 && zp <= 255;
    case q8_dtype_qint8: return zp >= -128 && zp <= 127;
    default: return zp >= INT32_MIN && zp <= INT32_MAX;
  }
}

/* A 1-D, non-quantized tensor of `length` elements (per-channel qparams). */
static bool channel_vector(const q8_pickle_value* v, int64_t length, bool floating) {
  if (v == NULL || v->kind != q8_pickle_tensor || v->u.tensor.dim != 1 ||
      v->u.tensor.sizes[0] != length) {
    return false;
  }
  const q8_dtype d = v->u.tensor.storage->u.storage.dtype;
  if (floating) return d == q8_dtype_float32 || d == q8_dtype_float64;
  return !is_quantized(d);
}

static q8_status per_tensor(vm* m, const q8_pickle_value* q, q8_tensor_ref* t) {
  const q8_pickle_value* scale = q8_pickle_item(q, 1);
  const q8_pickle_value* zp = q8_pickle_item(q, 2);
  if (q->u.seq.count != 3 || scale->kind != q8_pickle_float || zp->kind != q8_pickle_int) {
    return fail(m, q8_status_invalid_parameter,
                "per_tensor_affine parameters are not (qscheme, scale, zero_point)");
  }
  if (!(isfinite(scale->u.number) && scale->u.number > 0.0)) {
    return fail(m, q8_status_invalid_parameter, "scale %g is not positive and finite",
                scale->u.number);
  }
  if (!zero_point_fits(t->storage->u.storage.dtype, zp->u.integer)) {
    return fail(m, q8_status_invalid_parameter, "zero point %lld is out of range for %s",
                (long long)zp->u.integer, q8_dtype_name(t->storage->u.storage.dtype));
  }
  t->qscheme = q8_qscheme_per_tensor_affine;
  t->scale = scale->u.number;
  t->zero_point = zp->u.integer;
  return q8_status_success;
}

static q8_status per_channel(vm* m, const q8_pickle_value* q, q8_tensor_ref* t, q8_qscheme scheme) {
  const q8_pickle_value* axis = q8_pickle_item(q, 3);
  if (q->u.seq.count != 4 || axis->kind != q8_pickle_int || axis->u.integer < 0 ||
      (uint64_t)axis->u.integer >= t->dim) {
    return fail(m, q8_status_invalid_parameter,
                "per-channel parameters are not (qscheme, scales, zero_points, axis < %zu)",
                t->dim);
  }
  const int64_t channels = t->sizes[axis->u.integer];
  if (!channel_vector(q8_pickle_item(q, 1), channels, true) ||
      !channel_vector(q8_pickle_item(q, 2), channels, false)) {
    return fail(m, q8_status_invalid_parameter,
                "per-channel scales and zero points are not 1-D tensors of %lld elements",
                (long long)channels);
  }
  t->qscheme = scheme;
  t->scales = q8_pickle_item(q, 1);
  t->zero_points = q8_pickle_item(q, 2);
  t->axis = axis->u.integer;
  return q8_status_success;
}

static q8_status quantizer(vm* m, const q8_pickle_value* q, q8_tensor_ref* t) {
  const q8_pickle_value* scheme = q8_pickle_item(q, 0);
  if (q->kind != q8_pickle_tuple || scheme == NULL || scheme->kind != q8_pickle_global) {
    return fail(m, q8_status_invalid_parameter,
                "_rebuild_qtensor: quantizer parameters are not a (qscheme, ...) tuple");
  }
  if (q8_pickle_is_global(scheme, "torch", "per_tensor_affine")) return per_tensor(m, q, t);
  if (q8_pickle_is_global(scheme, "torch", "per_channel_affine")) {
    return per_channel(m, q, t, q8_qscheme_per_channel_affine);
  }
  if (q8_pickle_is_global(scheme, "torch", "per_channel_affine_float_qparams")) {
    return per_channel(m, q, t, q8_qscheme_per_channel_affine_float_qparams);
  }
  return fail(m, q8_status_unsupported_parameter, "unsupported qscheme %s.%s",
              scheme->u.global.module, scheme->u.global.name);
}

/*
 * _rebuild_tensor_v2(storage, offset, sizes, strides, requires_grad, hooks[, metadata])
 * _rebuild_qtensor(storage, offset, sizes, strides, qparams, requires_grad, hooks)
 */
static q8_status make_tensor(vm* m, const q8_pickle_value* args, bool quantized) {
  const char* fn = quantized ? "_rebuild_qtensor" : "_rebuild_tensor_v2";
  const size_t n = args->u.seq.count;
  if (quantized ? n != 7 : (n != 6 && n != 7)) {
    return fail(m, q8_status_invalid_parameter, "%s takes %s arguments, not %zu", fn,
                quantized ? "7" : "6 or 7", n);
  }
  const size_t extra = quantized ? 1 : 0;
  const q8_pickle_value* grad = q8_pickle_item(args, 4 + extra);
  if (grad->kind != q8_pickle_bool || q8_pickle_item(args, 5 + extra)->kind != q8_pickle_dict) {
    return fail(m, q8_status_invalid_parameter,
                "%s: requires_grad is not a bool or hooks not a dict", fn);
  }
  q8_pickle_value* t;
  q8_status status = new_node(m, q8_pickle_tensor, &t);
  if (status == q8_status_success) status = tensor_view(m, fn, args, t);
  if (status != q8_status_success) return status;
  t->u.tensor.requires_grad = grad->u.boolean;
  const bool q = is_quantized(t->u.tensor.storage->u.storage.dtype);
  if (q != quantized) {
    return fail(m, q8_status_invalid_parameter, "%s of a %s storage", fn,
                q8_dtype_name(t->u.tensor.storage->u.storage.dtype));
  }
  if (quantized) status = quantizer(m, q8_pickle_item(args, 4), &t->u.tensor);
  if (status != q8_status_success) return status;
  return push(m, t);
}

/* --- typed nodes: TorchScript's list helpers ----------------------------------- */

static const struct {
  const char* name;
  q8_pickle_kind element;
  const char* tag;
} typed_lists[] = {
    {"build_intlist", q8_pickle_int, "List[int]"},
    {"build_doublelist", q8_pickle_float, "List[float]"},
    {"build_boollist", q8_pickle_bool, "List[bool]"},
    {"build_tensorlist", q8_pickle_tensor, "List[Tensor]"},
};

/* build_*list((list,)) is the list itself, after checking its elements. */
static q8_status typed_list(vm* m, const q8_pickle_value* args, size_t which) {
  q8_pickle_value* list = (q8_pickle_value*)q8_pickle_item(args, 0);
  if (args->u.seq.count != 1 || list->kind != q8_pickle_list) {
    return fail(m, q8_status_invalid_parameter, "%s takes one list", typed_lists[which].name);
  }
  for (size_t i = 0; i < list->u.seq.count; i++) {
    if (list->u.seq.items[i]->kind != typed_lists[which].element) {
      return fail(m, q8_status_invalid_parameter, "%s: element %zu is a %s",
                  typed_lists[which].name, i, q8_pickle_kind_name(list->u.seq.items[i]->kind));
    }
  }
  list->type_tag = typed_lists[which].tag;
  return push(m, list);
}

/* restore_type_tag(value, "List[...]") is the value, tagged. */
static q8_status type_tag(vm* m, const q8_pickle_value* args) {
  q8_pickle_value* value = (q8_pickle_value*)q8_pickle_item(args, 0);
  const q8_pickle_value* tag = q8_pickle_item(args, 1);
  if (args->u.seq.count != 2 || tag->kind != q8_pickle_string) {
    return fail(m, q8_status_invalid_parameter, "restore_type_tag takes (value, type string)");
  }
  value->type_tag = tag->u.string.data;
  return push(m, value);
}

static q8_status generic_call(vm* m, q8_pickle_value* callable, q8_pickle_value* args) {
  q8_pickle_value* c;
  const q8_status status = new_node(m, q8_pickle_call, &c);
  if (status != q8_status_success) return status;
  c->u.call.callable = callable;
  c->u.call.args = args;
  return push(m, c);
}

static q8_status reduce(vm* m, q8_pickle_value* callable, q8_pickle_value* args) {
  if (q8_pickle_is_global(callable, "torch._utils", "_rebuild_tensor_v2"))
    return make_tensor(m, args, false);
  if (q8_pickle_is_global(callable, "torch._utils", "_rebuild_qtensor"))
    return make_tensor(m, args, true);
  if (q8_pickle_is_global(callable, "collections", "OrderedDict")) {
    if (args->u.seq.count != 0)
      return fail(m, q8_status_unsupported_parameter, "OrderedDict with arguments");
    q8_pickle_value* d;
    const q8_status status = new_node(m, q8_pickle_dict, &d);
    return status != q8_status_success ? status : push(m, d);
  }
  if (q8_pickle_is_global(callable, "torch.jit._pickle", "restore_type_tag"))
    return type_tag(m, args);
  for (size_t i = 0; i < sizeof(typed_lists) / sizeof(typed_lists[0]); i++) {
    if (q8_pickle_is_global(callable, "torch.jit._pickle", typed_lists[i].name))
      return typed_list(m, args, i);
  }
  return generic_call(m, callable, args);
}

/* --- opcode handlers ---------------------------------------------------------- */

static q8_status op_int(vm* m) {
  const size_t width = m->op == OP_BININT1 ? 1 : m->op == OP_BININT2 ? 2 : 4;
  uint64_t raw;
  q8_status status = read_le(m, width, &raw);
  if (status != q8_status_success) return status;
  q8_pickle_value* v;
  status = new_node(m, q8_pickle_int, &v);
  if (status != q8_status_success) return status;
  v->u.integer = width == 4 ? (int64_t)(int32_t)(uint32_t)raw : (int64_t)raw; /* BININT is signed */
  return push(m, v);
}

/* LONG1: n-byte little-endian two's complement. */
static q8_status op_long1(vm* m) {
  uint64_t n, raw = 0;
  q8_status status = read_le(m, 1, &n);
  if (status != q8_status_success) return status;
  if (n > 8)
    return fail(m, q8_status_unsupported_parameter, "a %llu-byte integer does not fit in 64 bits",
                (unsigned long long)n);
  status = read_le(m, (size_t)n, &raw);
  if (status != q8_status_success) return status;
  if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~UINT64_C(0) << (8 * n); /* sign-extend */
  q8_pickle_value* v;
  status = new_node(m, q8_pickle_int, &v);
  if (status != q8_status_success) return status;
  memcpy(&v->u.integer, &raw, sizeof(raw)); /* two's complement reinterpretation */
  return push(m, v);
}

/* BINFLOAT is a big-endian IEEE double. */
static q8_status op_float(vm* m) {
  const uint8_t* p = NULL;
  q8_status status = read_bytes(m, 8, &p);
  if (status != q8_status_success) return status;
  uint64_t bits = 0;
  for (int i = 0; i < 8; i++) bits = bits << 8 | p[i];
  q8_pickle_value* v;
  status = new_node(m, q8_pickle_float, &v);
  if (status != q8_status_success) return status;
  memcpy(&v->u.number, &bits, sizeof(bits));
  return push(m, v);
}

static q8_status check_length(vm* m, uint64_t length) {
  if (length > m->limits.max_string) {
    return fail(m, q8_status_unsupported_parameter,
                "a string of %llu bytes, above max_string_bytes (%zu)", (unsigned long long)length,
                m->limits.max_string);
  }
  if (length > m->size - m->pos) {
    return fail(m, q8_status_invalid_parameter,
                "a string of %llu bytes runs past the end (%zu bytes left)",
                (unsigned long long)length, m->size - m->pos);
  }
  return q8_status_success;
}

static q8_status op_string(vm* m) {
  const size_t width = (m->op == OP_SHORT_BINUNICODE || m->op == OP_SHORT_BINSTRING) ? 1
                       : m->op == OP_BINUNICODE8                                     ? 8
                                                                                     : 4;
  uint64_t length;
  q8_status status = read_le(m, width, &length);
  if (status != q8_status_success) return status;
  if (m->op == OP_BINSTRING && (length >> 31) != 0)
    return fail(m, q8_status_invalid_parameter, "negative length");
  status = check_length(m, length);
  if (status != q8_status_success) return status;
  q8_pickle_value* v;
  status = new_node(m, q8_pickle_string, &v);
  if (status != q8_status_success) return status;
  char* text = malloc((size_t)length + 1);
  if (text == NULL) return fail_oom(m);
  memcpy(text, m->data + m->pos, (size_t)length);
  text[length] = '\0';
  m->pos += (size_t)length;
  v->u.string.data = text;
  v->u.string.size = (size_t)length;
  return push(m, v);
}

/* One '\n'-terminated line of a GLOBAL operand, without NULs. */
static q8_status read_line(vm* m, const char** line, size_t* length) {
  const size_t left = m->size - m->pos;
  const size_t window = left < m->limits.max_string ? left : m->limits.max_string + 1;
  const uint8_t* start = m->data + m->pos;
  const uint8_t* end = memchr(start, '\n', window);
  if (end == NULL && window > m->limits.max_string) {
    return fail(m, q8_status_unsupported_parameter,
                "a name line longer than max_string_bytes (%zu)", m->limits.max_string);
  }
  if (end == NULL) {
    return fail(m, q8_status_invalid_parameter, "no end of line within %zu bytes", window);
  }
  *length = (size_t)(end - start);
  if (*length == 0 || memchr(start, '\0', *length) != NULL) {
    return fail(m, q8_status_invalid_parameter, "empty name or name with a NUL byte");
  }
  *line = (const char*)start;
  m->pos += *length + 1;
  return q8_status_success;
}

static q8_status op_global(vm* m) {
  const char *module, *name;
  size_t module_length, name_length;
  q8_status status = read_line(m, &module, &module_length);
  if (status == q8_status_success) status = read_line(m, &name, &name_length);
  if (status != q8_status_success) return status;
  q8_pickle_value* v;
  status = new_node(m, q8_pickle_global, &v);
  if (status != q8_status_success) return status;
  char* buffer = malloc(module_length + name_length + 2);
  if (buffer == NULL) return fail_oom(m);
  memcpy(buffer, module, module_length);
  buffer[module_length] = '\0';
  memcpy(buffer + module_length + 1, name, name_length);
  buffer[module_length + 1 + name_length] = '\0';
  v->u.global.module = buffer;
  v->u.global.name = buffer + module_length + 1;
  return push(m, v);
}

static q8_status op_constant(vm* m) {
  q8_pickle_value* v;
  const q8_status status = new_node(m, m->op == OP_NONE ? q8_pickle_none : q8_pickle_bool, &v);
  if (status != q8_status_success) return status;
  v->u.boolean = m->op == OP_NEWTRUE;
  return push(m, v);
}

static q8_status op_empty(vm* m) {
  const q8_pickle_kind kind = m->op == OP_EMPTY_TUPLE  ? q8_pickle_tuple
                              : m->op == OP_EMPTY_LIST ? q8_pickle_list
                                                       : q8_pickle_dict;
  q8_pickle_value* v;
  const q8_status status = new_node(m, kind, &v);
  return status != q8_status_success ? status : push(m, v);
}

static q8_status op_tuple(vm* m) {
  size_t start = 0;
  q8_status status;
  if (m->op == OP_TUPLE) {
    status = pop_mark(m, &start);
  } else {
    const size_t n = (size_t)(m->op - OP_TUPLE1 + 1);
    status = need(m, n);
    start = m->stack_len - n;
  }
  return status != q8_status_success ? status : make_tuple(m, start);
}

/* The container under the items, which must be of `kind`. */
static q8_status target(vm* m, q8_pickle_kind kind, q8_pickle_value** out) {
  q8_status status = top(m, out);
  if (status == q8_status_success && (*out)->kind != kind) {
    status = fail(m, q8_status_invalid_parameter, "the target is a %s, not a %s",
                  q8_pickle_kind_name((*out)->kind), q8_pickle_kind_name(kind));
  }
  return status;
}

/* The items of APPEND(S)/SETITEM(S): stack[*start..*end), taken off the
 * stack so that the container below them is on top. */
static q8_status take_items(vm* m, bool many, size_t single, size_t* start, size_t* end) {
  *end = m->stack_len;
  if (many) return pop_mark(m, start);
  const q8_status status = need(m, single + 1); /* the items and their container */
  if (status != q8_status_success) return status;
  *start = m->stack_len - single;
  return q8_status_success;
}

static q8_status op_append(vm* m) {
  size_t start = 0, end = 0;
  q8_status status = take_items(m, m->op == OP_APPENDS, 1, &start, &end);
  if (status != q8_status_success) return status;
  m->stack_len = start;
  q8_pickle_value* list;
  status = target(m, q8_pickle_list, &list);
  return status != q8_status_success ? status
                                     : seq_append(m, list, stack_from(m, start), end - start);
}

static q8_status op_setitem(vm* m) {
  size_t start = 0, end = 0;
  q8_status status = take_items(m, m->op == OP_SETITEMS, 2, &start, &end);
  if (status != q8_status_success) return status;
  m->stack_len = start;
  if ((end - start) % 2 != 0) {
    return fail(m, q8_status_invalid_parameter, "odd number of items (%zu) for key/value pairs",
                end - start);
  }
  q8_pickle_value* dict;
  status = target(m, q8_pickle_dict, &dict);
  return status != q8_status_success ? status
                                     : dict_add(m, dict, stack_from(m, start), (end - start) / 2);
}

static q8_status op_mark(vm* m) {
  if (m->mark_len >= m->limits.max_depth) {
    return fail(m, q8_status_unsupported_parameter, "more than max_pickle_depth (%zu) open MARKs",
                m->limits.max_depth);
  }
  if (!grow((void**)&m->marks, &m->mark_cap, m->mark_len + 1, sizeof(*m->marks)))
    return fail_oom(m);
  m->marks[m->mark_len++] = m->stack_len;
  return q8_status_success;
}

static q8_status op_memo(vm* m) {
  uint64_t index = m->memo_used;
  q8_status status = q8_status_success;
  if (m->op == OP_BINPUT || m->op == OP_BINGET) status = read_le(m, 1, &index);
  if (m->op == OP_LONG_BINPUT || m->op == OP_LONG_BINGET) status = read_le(m, 4, &index);
  if (status != q8_status_success) return status;
  return (m->op == OP_BINGET || m->op == OP_LONG_BINGET) ? memo_get(m, index) : memo_put(m, index);
}

/* Pops (first, second) where second was on top; first must be a global. */
static q8_status pop_callable_args(vm* m, q8_pickle_value** callable, q8_pickle_value** args) {
  q8_status status = need(m, 2);
  if (status != q8_status_success) return status;
  *args = m->stack[--m->stack_len];
  *callable = m->stack[--m->stack_len];
  if ((*callable)->kind != q8_pickle_global || (*args)->kind != q8_pickle_tuple) {
    return fail(m, q8_status_unsupported_parameter,
                "the callable is a %s and its arguments a %s; "
                "expected a global and a tuple",
                q8_pickle_kind_name((*callable)->kind), q8_pickle_kind_name((*args)->kind));
  }
  return q8_status_success;
}

static q8_status op_reduce(vm* m) {
  q8_pickle_value *callable, *args;
  const q8_status status = pop_callable_args(m, &callable, &args);
  return status != q8_status_success ? status : reduce(m, callable, args);
}

static q8_status op_newobj(vm* m) {
  q8_pickle_value *cls, *args, *object;
  q8_status status = pop_callable_args(m, &cls, &args);
  if (status == q8_status_success) status = new_node(m, q8_pickle_object, &object);
  if (status != q8_status_success) return status;
  object->u.object.cls = cls;
  object->u.object.args = args;
  return push(m, object);
}

static q8_status op_build(vm* m) {
  q8_pickle_value *state, *object;
  q8_status status = pop(m, &state);
  if (status == q8_status_success) status = target(m, q8_pickle_object, &object);
  if (status != q8_status_success) return status;
  if (object->u.object.state != NULL) {
    return fail(m, q8_status_invalid_parameter, "object %s.%s already has a state",
                object->u.object.cls->u.global.module, object->u.object.cls->u.global.name);
  }
  object->u.object.state = state;
  return q8_status_success;
}

static q8_status op_persid(vm* m) {
  q8_pickle_value* pid;
  const q8_status status = pop(m, &pid);
  return status != q8_status_success ? status : make_storage(m, pid);
}

static q8_status op_proto(vm* m) {
  uint64_t version;
  const q8_status status = read_le(m, 1, &version);
  if (status != q8_status_success) return status;
  if (version < 2 || version > 5) {
    return fail(m, q8_status_unsupported_parameter, "protocol %llu (2 to 5 are supported)",
                (unsigned long long)version);
  }
  return q8_status_success;
}

/* FRAME (protocol 4) only announces a length; the data follows inline. */
static q8_status op_frame(vm* m) {
  uint64_t length;
  return read_le(m, 8, &length);
}

static q8_status op_stop(vm* m) {
  m->stopped = true;
  return q8_status_success;
}

static q8_status step(vm* m) {
  switch (m->op) {
    case OP_PROTO: return op_proto(m);
    case OP_FRAME: return op_frame(m);
    case OP_STOP: return op_stop(m);
    case OP_MARK: return op_mark(m);
    case OP_BININT:
    case OP_BININT1:
    case OP_BININT2: return op_int(m);
    case OP_LONG1: return op_long1(m);
    case OP_BINFLOAT: return op_float(m);
    case OP_BINUNICODE:
    case OP_SHORT_BINUNICODE:
    case OP_BINUNICODE8:
    case OP_BINSTRING:
    case OP_SHORT_BINSTRING: return op_string(m);
    case OP_NONE:
    case OP_NEWTRUE:
    case OP_NEWFALSE: return op_constant(m);
    case OP_EMPTY_TUPLE:
    case OP_EMPTY_LIST:
    case OP_EMPTY_DICT: return op_empty(m);
    case OP_TUPLE:
    case OP_TUPLE1:
    case OP_TUPLE2:
    case OP_TUPLE3: return op_tuple(m);
    case OP_APPEND:
    case OP_APPENDS: return op_append(m);
    case OP_SETITEM:
    case OP_SETITEMS: return op_setitem(m);
    case OP_BINPUT:
    case OP_LONG_BINPUT:
    case OP_MEMOIZE:
    case OP_BINGET:
    case OP_LONG_BINGET: return op_memo(m);
    case OP_GLOBAL: return op_global(m);
    case OP_REDUCE: return op_reduce(m);
    case OP_NEWOBJ: return op_newobj(m);
    case OP_BUILD: return op_build(m);
    case OP_BINPERSID: return op_persid(m);
  }
  return q8_fail(m->error, q8_status_unsupported_parameter,
                 "pickle: unknown opcode 0x%02x at offset %zu in %s", m->op, m->op_pos, m->name);
}

/* --- the finished tree: acyclic and not too deep ---------------------------- */

typedef struct walk {
  vm* m;
  uint8_t* color;   /* 0 unseen, 1 on the current path, 2 done */
  uint32_t* height; /* longest path down from the node, in nodes */
} walk;

static q8_status visit(walk* w, const q8_pickle_value* v, size_t depth);

static q8_status visit_all(walk* w, q8_pickle_value* const* items, size_t n, size_t depth,
                           uint32_t* h) {
  for (size_t i = 0; i < n; i++) {
    if (items[i] == NULL) continue;
    const q8_status status = visit(w, items[i], depth + 1);
    if (status != q8_status_success) return status;
    if (w->height[items[i]->id] > *h) *h = w->height[items[i]->id];
  }
  return q8_status_success;
}

static q8_status visit_children(walk* w, const q8_pickle_value* v, size_t depth, uint32_t* h) {
  switch (v->kind) {
    case q8_pickle_tuple:
    case q8_pickle_list: return visit_all(w, v->u.seq.items, v->u.seq.count, depth, h);
    case q8_pickle_dict: {
      const q8_status status = visit_all(w, v->u.dict.keys, v->u.dict.count, depth, h);
      return status != q8_status_success
                 ? status
                 : visit_all(w, v->u.dict.values, v->u.dict.count, depth, h);
    }
    case q8_pickle_call: {
      q8_pickle_value* const items[] = {v->u.call.callable, v->u.call.args};
      return visit_all(w, items, 2, depth, h);
    }
    case q8_pickle_object: {
      q8_pickle_value* const items[] = {v->u.object.cls, v->u.object.args, v->u.object.state};
      return visit_all(w, items, 3, depth, h);
    }
    case q8_pickle_tensor: {
      q8_pickle_value* const items[] = {(q8_pickle_value*)v->u.tensor.storage,
                                        (q8_pickle_value*)v->u.tensor.scales,
                                        (q8_pickle_value*)v->u.tensor.zero_points};
      return visit_all(w, items, 3, depth, h);
    }
    default: return q8_status_success;
  }
}

/* Each node is expanded once (shared nodes keep their height), so the walk
 * is linear in nodes plus edges even for DAGs of exponential path count. */
static q8_status visit(walk* w, const q8_pickle_value* v, size_t depth) {
  const size_t max = w->m->limits.max_depth;
  if (w->color[v->id] == 1)
    return fail(w->m, q8_status_invalid_parameter, "a value contains itself (cycle)");
  if (w->color[v->id] == 0) {
    if (depth > max)
      return fail(w->m, q8_status_unsupported_parameter, "nesting deeper than max_pickle_depth (%zu)", max);
    w->color[v->id] = 1;
    uint32_t h = 0;
    const q8_status status = visit_children(w, v, depth, &h);
    if (status != q8_status_success) return status;
    w->height[v->id] = h + 1;
    w->color[v->id] = 2;
  }
  if (depth - 1 + w->height[v->id] > max) {
    return fail(w->m, q8_status_unsupported_parameter, "nesting deeper than %zu", max);
  }
  return q8_status_success;
}

static q8_status check_tree(vm* m, const q8_pickle_value* root) {
  walk w = {m, calloc(m->doc->count, 1), calloc(m->doc->count, sizeof(uint32_t))};
  q8_status status = (w.color == NULL || w.height == NULL) ? fail_oom(m) : visit(&w, root, 1);
  free(w.color);
  free(w.height);
  return status;
}

/* --- driver ------------------------------------------------------------------- */

q8_pickle_limits q8_pickle_default_limits(void) {
  const q8_pickle_limits limits = {
      .max_depth = Q8_PICKLE_DEFAULT_MAX_DEPTH,
      .max_memo = Q8_PICKLE_DEFAULT_MAX_MEMO,
      .max_nodes = Q8_PICKLE_DEFAULT_MAX_NODES,
      .max_string = Q8_PICKLE_DEFAULT_MAX_STRING,
  };
  return limits;
}

static q8_status run(vm* m) {
  while (!m->stopped) {
    if (m->pos >= m->size) {
      return q8_fail(m->error, q8_status_invalid_parameter,
                     "pickle: unexpected end of data at offset %zu in %s (no STOP)", m->pos,
                     m->name);
    }
    m->op_pos = m->pos;
    m->op = m->data[m->pos++];
    const q8_status status = step(m);
    if (status != q8_status_success) return status;
  }
  if (m->pos != m->size)
    return fail(m, q8_status_invalid_parameter, "%zu bytes follow STOP", m->size - m->pos);
  if (m->mark_len != 0 || m->stack_len != 1) {
    return fail(m, q8_status_invalid_parameter,
                "STOP with %zu items and %zu open MARKs; expected 1 and 0", m->stack_len,
                m->mark_len);
  }
  return check_tree(m, m->stack[0]);
}

static q8_status check_arguments(const void* data, const char* name, const q8_pickle_limits* l,
                                 q8_pickle** out, q8_error* error) {
  if (out == NULL) return q8_fail(error, q8_status_invalid_parameter, "pickle: pickle_out is NULL");
  *out = NULL;
  if (data == NULL || name == NULL)
    return q8_fail(error, q8_status_invalid_parameter, "pickle: data or name is NULL");
  if (l->max_depth == 0 || l->max_depth > MAX_ALLOWED_DEPTH || l->max_nodes == 0 ||
      l->max_nodes > UINT32_MAX) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "pickle: limits out of range (max_pickle_depth in [1, %d], max_pickle_nodes in [1, 2^32))",
                   MAX_ALLOWED_DEPTH);
  }
  return q8_status_success;
}

q8_status q8_pickle_decode(const void* data, size_t size, const char* name,
                           const q8_pickle_limits* limits, q8_pickle** pickle_out,
                           q8_error* error) {
  const q8_pickle_limits l = limits != NULL ? *limits : q8_pickle_default_limits();
  q8_status status = check_arguments(data, name, &l, pickle_out, error);
  if (status != q8_status_success) return status;
  vm m = {.data = data, .size = size, .name = name, .error = error, .limits = l};
  m.doc = calloc(1, sizeof(*m.doc));
  status =
      m.doc == NULL ? q8_fail(error, q8_status_out_of_memory, "pickle: out of memory") : run(&m);
  if (status == q8_status_success) {
    m.doc->root = m.stack[0];
    *pickle_out = m.doc;
  } else {
    q8_pickle_free(m.doc);
  }
  free(m.stack);
  free(m.marks);
  free(m.memo);
  return status;
}

/* --- accessors -------------------------------------------------------------- */

const q8_pickle_value* q8_pickle_root(const q8_pickle* pickle) { return pickle->root; }
size_t q8_pickle_node_count(const q8_pickle* pickle) { return pickle->count; }

const char* q8_pickle_kind_name(q8_pickle_kind kind) {
  static const char* const names[] = {"none",   "bool",    "int",   "float",  "string",
                                      "tuple",  "list",    "dict",  "global", "call",
                                      "object", "storage", "tensor"};
  return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

const q8_pickle_value* q8_pickle_item(const q8_pickle_value* seq, size_t index) {
  if (seq == NULL || (seq->kind != q8_pickle_tuple && seq->kind != q8_pickle_list)) return NULL;
  return index < seq->u.seq.count ? seq->u.seq.items[index] : NULL;
}

size_t q8_pickle_length(const q8_pickle_value* value) {
  if (value == NULL) return 0;
  if (value->kind == q8_pickle_tuple || value->kind == q8_pickle_list) return value->u.seq.count;
  return value->kind == q8_pickle_dict ? value->u.dict.count : 0;
}

const q8_pickle_value* q8_pickle_dict_get(const q8_pickle_value* dict, const char* key) {
  if (dict == NULL || dict->kind != q8_pickle_dict) return NULL;
  for (size_t i = dict->u.dict.count; i-- > 0;) {
    if (q8_pickle_is_string(dict->u.dict.keys[i], key)) return dict->u.dict.values[i];
  }
  return NULL;
}

bool q8_pickle_is_global(const q8_pickle_value* value, const char* module, const char* name) {
  return value != NULL && value->kind == q8_pickle_global &&
         strcmp(value->u.global.module, module) == 0 && strcmp(value->u.global.name, name) == 0;
}

bool q8_pickle_is_string(const q8_pickle_value* value, const char* text) {
  return value != NULL && value->kind == q8_pickle_string && strlen(text) == value->u.string.size &&
         memcmp(value->u.string.data, text, value->u.string.size) == 0;
}

/*
 * A decoder for the pickles inside TorchScript model files (data.pkl,
 * constants.pkl, bytecode.pkl; protocol 2). It is a small stack machine over
 * the opcodes PyTorch's pickler writes; it never calls anything: globals and
 * calls become nodes, and the few callables TorchScript files rely on are
 * decoded into typed nodes (tensors, storages, typed lists, objects).
 *
 * The input is untrusted: every read is bounds-checked, sizes and counts are
 * bounded by q8_pickle_limits, the finished tree is checked to be acyclic and
 * no deeper than the depth limit (so consumers may recurse over it), and
 * errors name the opcode and byte offset ("pickle: unknown opcode 0xf3 at
 * offset 1234 in bytecode.pkl").
 *
 * All nodes belong to the q8_pickle document; memo references (BINGET) share
 * nodes, so the tree is a DAG. Free the document once with q8_pickle_free.
 */
#ifndef Q8_RUNTIME_LOADER_PICKLE_H
#define Q8_RUNTIME_LOADER_PICKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

typedef struct q8_pickle_limits {
  size_t max_depth;  /* nesting of the finished tree, and open MARKs */
  size_t max_memo;   /* largest memo index + 1 */
  size_t max_nodes;  /* nodes created (also bounds the stack) */
  size_t max_string; /* bytes in one string, global name or storage key */
} q8_pickle_limits;

#define Q8_PICKLE_DEFAULT_MAX_DEPTH 1000
#define Q8_PICKLE_DEFAULT_MAX_MEMO (1u << 20)
#define Q8_PICKLE_DEFAULT_MAX_NODES (1u << 22)
#define Q8_PICKLE_DEFAULT_MAX_STRING (1u << 24)

/* Tensors have at most this many dimensions. */
#define Q8_PICKLE_MAX_DIMS 16

q8_pickle_limits q8_pickle_default_limits(void);

typedef enum q8_pickle_kind {
  q8_pickle_none = 0,
  q8_pickle_bool,
  q8_pickle_int,
  q8_pickle_float,
  q8_pickle_string,
  q8_pickle_tuple,
  q8_pickle_list,
  q8_pickle_dict,
  q8_pickle_global,  /* module + name, e.g. torch per_tensor_affine */
  q8_pickle_call,    /* REDUCE of a callable the decoder does not interpret */
  q8_pickle_object,  /* NEWOBJ of a class, with the state BUILD gave it */
  q8_pickle_storage, /* BINPERSID ('storage', class, key, location, numel) */
  q8_pickle_tensor,  /* _rebuild_tensor_v2 / _rebuild_qtensor */
} q8_pickle_kind;

/* Element types, from the storage class (torch.FloatStorage, ...). */
typedef enum q8_dtype {
  q8_dtype_uint8 = 0, /* ByteStorage */
  q8_dtype_int8,      /* CharStorage */
  q8_dtype_int16,     /* ShortStorage */
  q8_dtype_int32,     /* IntStorage */
  q8_dtype_int64,     /* LongStorage */
  q8_dtype_float16,   /* HalfStorage */
  q8_dtype_bfloat16,  /* BFloat16Storage */
  q8_dtype_float32,   /* FloatStorage */
  q8_dtype_float64,   /* DoubleStorage */
  q8_dtype_bool,      /* BoolStorage */
  q8_dtype_quint8,    /* QUInt8Storage */
  q8_dtype_qint8,     /* QInt8Storage */
  q8_dtype_qint32,    /* QInt32Storage */
  q8_dtype_count
} q8_dtype;

typedef enum q8_qscheme {
  q8_qscheme_none = 0,           /* not quantized */
  q8_qscheme_per_tensor_affine,  /* scale, zero_point */
  q8_qscheme_per_channel_affine, /* scales, zero_points, axis */
  q8_qscheme_per_channel_affine_float_qparams,
} q8_qscheme;

typedef struct q8_pickle_value q8_pickle_value;

typedef struct q8_tensor_ref {
  const q8_pickle_value* storage; /* kind storage */
  int64_t storage_offset;         /* in elements */
  size_t dim;
  const int64_t* sizes;   /* dim entries, >= 0 */
  const int64_t* strides; /* dim entries, >= 0; the view fits in the storage's numel */
  bool requires_grad;
  q8_qscheme qscheme;
  double scale;                       /* per tensor */
  int64_t zero_point;                 /* per tensor */
  const q8_pickle_value* scales;      /* per channel: 1-D float tensor */
  const q8_pickle_value* zero_points; /* per channel: 1-D tensor */
  int64_t axis;                       /* per channel, in [0, dim) */
} q8_tensor_ref;

struct q8_pickle_value {
  q8_pickle_kind kind;
  uint32_t id; /* index in the document, for the decoder's bookkeeping */
  /* Set by torch.jit._pickle.restore_type_tag ("List[Optional[Tensor]]")
   * and the build_*list callables ("List[int]", ...); else NULL. */
  const char* type_tag;
  union {
    bool boolean;
    int64_t integer;
    double number;
    struct {
      const char* data; /* NUL-terminated; may hold NULs, so use size */
      size_t size;
    } string;
    struct {
      q8_pickle_value** items;
      size_t count;
      size_t capacity;
    } seq; /* tuple, list */
    struct {
      q8_pickle_value** keys; /* in insertion order; duplicates are kept */
      q8_pickle_value** values;
      size_t count;
      size_t capacity;
    } dict;
    struct {
      const char* module;
      const char* name;
    } global;
    struct {
      q8_pickle_value* callable; /* kind global */
      q8_pickle_value* args;     /* kind tuple */
    } call;
    struct {
      q8_pickle_value*
          cls; /* kind global, e.g. __torch__.torch.classes.quantized Conv2dPackedParamsBase */
      q8_pickle_value* args;  /* kind tuple (NEWOBJ's arguments, usually empty) */
      q8_pickle_value* state; /* from BUILD, or NULL */
    } object;
    struct {
      const char* key;      /* "0" (.pt: data/0) or "3.storage" (.ptl: constants/3.storage) */
      const char* location; /* "cpu" */
      q8_dtype dtype;
      int64_t numel;
      uint64_t bytes; /* numel * element size, overflow-checked */
    } storage;
    q8_tensor_ref tensor;
  } u;
};

typedef struct q8_pickle q8_pickle;

/*
 * Decodes a whole pickle (it must end with STOP at its last byte). `name`
 * goes into error messages ("bytecode.pkl"); limits may be NULL (defaults).
 * On failure nothing is allocated and *pickle_out is NULL.
 */
q8_status q8_pickle_decode(const void* data, size_t size, const char* name,
                           const q8_pickle_limits* limits, q8_pickle** pickle_out, q8_error* error);

void q8_pickle_free(q8_pickle* pickle);

const q8_pickle_value* q8_pickle_root(const q8_pickle* pickle);
size_t q8_pickle_node_count(const q8_pickle* pickle);

/* Names for messages ("tuple", "float32", ...); "?" if out of range. */
const char* q8_pickle_kind_name(q8_pickle_kind kind);
const char* q8_dtype_name(q8_dtype dtype);
/* Bytes per element; 0 if out of range. */
size_t q8_dtype_size(q8_dtype dtype);

/* Small accessors that return NULL on a kind or range mismatch, so front
 * ends can walk untrusted trees without checking every step. */
const q8_pickle_value* q8_pickle_item(const q8_pickle_value* seq, size_t index); /* tuple/list */
size_t q8_pickle_length(const q8_pickle_value* value); /* tuple/list/dict; else 0 */
/* The value of the last pair whose key is the string `key`. */
const q8_pickle_value* q8_pickle_dict_get(const q8_pickle_value* dict, const char* key);
bool q8_pickle_is_global(const q8_pickle_value* value, const char* module, const char* name);
bool q8_pickle_is_string(const q8_pickle_value* value, const char* text);

#endif

/*
 * Internals shared by the .pt front end's evaluator (torchscript.c) and its
 * operator table (ts-ops.c): the values the evaluator computes with, the
 * load context, and the per-load arena every value lives in.
 *
 * The evaluator runs the TorchScript source symbolically: Python-level
 * values (ints, lists, modules of data.pkl, bound methods) are computed at
 * load time; tensors are graph values, and every operator call on them
 * becomes a graph node.
 */
#ifndef Q8_RUNTIME_LOADER_TS_EVAL_H
#define Q8_RUNTIME_LOADER_TS_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"
#include "../graph/graph.h"
#include "archive.h"
#include "pickle.h"
#include "ts-lexer.h"

typedef enum tv_kind {
  tv_none = 0,
  tv_bool,
  tv_int,
  tv_float,
  tv_string,
  tv_tuple,
  tv_list,
  tv_module, /* a module object of data.pkl (its state a dict or a conv tuple) */
  tv_packed, /* packed weights: a conv module or a LinearPackedParamsBase object */
  tv_pickle, /* any other pickled value (tensor attribute, dict, ...) */
  tv_graph,  /* a graph value: tensor or tensor list */
  tv_path,   /* a dotted builtin name being built: "torch", "ops.quantized.add" */
  tv_method, /* a module's method, bound to the module */
} tv_kind;

typedef struct tv {
  tv_kind kind;
  union {
    int64_t integer; /* int, bool */
    double number;
    struct {
      const char* text; /* string, path, method name: not NUL-terminated */
      size_t length;
    } str;
    struct {
      struct tv* items;
      size_t count;
    } seq;
    uint32_t id;
  } u;
  const q8_pickle_value* object; /* module, packed, pickle; the module of a method */
  const char* storage_dir;       /* pickle: "constants" (constants.pkl) or "data" (data.pkl) */
} tv;

/* Bump allocator for everything one load computes; freed at once. */
typedef struct ts_block ts_block;

typedef struct ts_source ts_source;

typedef struct ts_packed_entry {
  const q8_pickle_value* object;
  uint32_t id;
} ts_packed_entry;

typedef struct ts_context {
  q8_archive* archive;
  q8_graph* graph;
  const q8_pickle_value* constants; /* constants.pkl's tuple, or NULL */
  ts_source** sources;
  size_t num_sources, sources_capacity;
  ts_block* blocks;
  size_t arena_bytes;
  ts_packed_entry* packed; /* packed weights already in the graph, per object */
  size_t num_packed, packed_capacity;
  size_t steps; /* statements and calls evaluated */
  struct ts_call_record* calls; /* operator nodes and their schemas (ts_pad_arguments) */
  size_t num_calls, calls_capacity;
  q8_error* error;
} ts_context;

/* Zeroed memory from the load's arena; NULL (error set) past its limit. */
void* ts_alloc(ts_context* ts, size_t bytes);

/* "file:line: message" into the error; returns status. */
q8_status ts_fail(ts_context* ts, const char* file, uint32_t line, q8_status status,
                  const char* format, ...) __attribute__((format(printf, 5, 6)));

typedef struct ts_call_site {
  const char* file;
  uint32_t line;
} ts_call_site;

/* Keyword argument of a call. */
typedef struct ts_kwarg {
  const char* name;
  size_t length;
  tv value;
} ts_kwarg;

/* True if `path` (e.g. "torch.relu") is an operator call the table knows. */
bool ts_is_operator(const tv* path);

/* Adds the node for operator call `path` with these arguments; *out gets
 * its result (a tv_graph tensor). */
q8_status ts_call_operator(ts_context* ts, const ts_call_site* site, const tv* path,
                           const tv* args, size_t num_args, const ts_kwarg* kwargs,
                           size_t num_kwargs, tv* out);

/* Adds a graph value for a Python-level value (constant scalars and lists,
 * tensor lists, packed weights); *id gets it. */
q8_status ts_to_graph(ts_context* ts, const ts_call_site* site, const tv* value, uint32_t* id);

/* A pickled 0-dim int or float tensor (a tv_pickle) as a tv_int / tv_float. */
q8_status ts_pickle_scalar(ts_context* ts, const tv* v, tv* out);

/* The bytecode passes every call of an operator as many arguments as its
 * most demanding call in the method needs (one operator table entry per
 * name): pads each recorded node with its schema's defaults to that count. */
q8_status ts_pad_arguments(ts_context* ts);

const char* ts_kind_name(tv_kind kind);

#endif

#include "torchscript.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts-eval.h"
#include "ts-lexer.h"

/* Bounds against hostile sources (far above any real model). */
#define MAX_INLINE_DEPTH 32        /* nested method calls */
#define MAX_STEPS 1000000          /* statements and calls, over the whole load */
#define MAX_EXPR_DEPTH 128         /* nested unary operators and calls */
#define MAX_ARGS 32                /* arguments of one call, parameters of one def */
#define MAX_ITEMS 65536            /* items of one list or tuple literal */
#define MAX_PATH 256               /* "ops.quantized.conv2d" */
#define MAX_SOURCES 4096           /* code files */
#define MAX_ARENA (256u << 20)     /* bytes of evaluation values */
#define BLOCK_SIZE (64u << 10)

struct ts_block {
  ts_block* next;
  size_t used, size;
  max_align_t data[];
};

typedef struct ts_method {
  const char* cls; /* NULL for a function outside a class */
  size_t cls_length;
  const char* name;
  size_t name_length;
  size_t def; /* token index of `def` */
} ts_method;

struct ts_source {
  char* path; /* "code/__torch__/torch/nn/modules/linear.py" */
  char* text;
  ts_tokens tokens;
  ts_method* methods;
  size_t num_methods, methods_capacity;
};

typedef struct var {
  const char* name;
  size_t length;
  tv value;
  struct var* next;
} var;

typedef struct frame {
  ts_source* src;
  size_t pos; /* current token */
  var* vars;
  size_t depth; /* inlining depth */
  size_t expr_depth;
  bool returned;
  tv result;
} frame;

/* --- arena and errors ---------------------------------------------------------- */

void* ts_alloc(ts_context* ts, size_t bytes) {
  bytes = (bytes + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  if (bytes == 0) bytes = sizeof(max_align_t);
  if (bytes > MAX_ARENA || ts->arena_bytes + bytes > MAX_ARENA) {
    q8_graph_fail(ts->error, q8_status_out_of_memory,
                  "code: evaluating the model source needs more than %u MiB", MAX_ARENA >> 20);
    return NULL;
  }
  ts_block* b = ts->blocks;
  if (b == NULL || b->size - b->used < bytes) {
    const size_t size = bytes > BLOCK_SIZE ? bytes : BLOCK_SIZE;
    b = calloc(1, sizeof(ts_block) + size);
    if (b == NULL) {
      q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
      return NULL;
    }
    b->size = size;
    b->next = ts->blocks;
    ts->blocks = b;
    ts->arena_bytes += size;
  }
  void* p = (unsigned char*)b->data + b->used;
  b->used += bytes;
  return p;
}

q8_status ts_fail(ts_context* ts, const char* file, uint32_t line, q8_status status,
                  const char* format, ...) {
  char reason[Q8_ERROR_MESSAGE_SIZE];
  va_list args;
  va_start(args, format);
  vsnprintf(reason, sizeof(reason), format, args);
  va_end(args);
  return q8_graph_fail(ts->error, status, "%.100s:%u: %s", file, line, reason);
}

static const ts_token* cur(const frame* f) { return &f->src->tokens.items[f->pos]; }
static const ts_token* peek(const frame* f) {
  return cur(f)->kind == ts_tok_end ? cur(f) : &f->src->tokens.items[f->pos + 1];
}
static void advance(frame* f) {
  if (cur(f)->kind != ts_tok_end) f->pos++;
}

static ts_call_site site_of(const frame* f) { return (ts_call_site){f->src->path, cur(f)->line}; }

static q8_status fail_here(ts_context* ts, const frame* f, q8_status status, const char* what,
                           const ts_token* t) {
  static const char* const kinds[] = {"end of file", "end of line", "indentation", "dedent"};
  char shown[48];
  if (t->kind <= ts_tok_dedent) snprintf(shown, sizeof(shown), "%s", kinds[t->kind]);
  else if (t->kind == ts_tok_string) snprintf(shown, sizeof(shown), "a string");
  else snprintf(shown, sizeof(shown), "'%.*s'", (int)(t->length > 40 ? 40 : t->length), t->text);
  return ts_fail(ts, f->src->path, t->line, status, "%s %s", what, shown);
}

static q8_status expect_op(ts_context* ts, frame* f, const char* op) {
  if (!ts_is_op(cur(f), op)) {
    char what[32];
    snprintf(what, sizeof(what), "expected '%s', found", op);
    return fail_here(ts, f, q8_status_invalid_parameter, what, cur(f));
  }
  advance(f);
  return q8_status_success;
}

static q8_status expect_kind(ts_context* ts, frame* f, ts_token_kind kind, const char* what) {
  if (cur(f)->kind != kind) return fail_here(ts, f, q8_status_invalid_parameter, what, cur(f));
  advance(f);
  return q8_status_success;
}

static q8_status count_step(ts_context* ts, const frame* f) {
  if (++ts->steps <= MAX_STEPS) return q8_status_success;
  return ts_fail(ts, f->src->path, cur(f)->line, q8_status_unsupported_parameter,
                 "evaluation takes more than %u steps", MAX_STEPS);
}

/* --- code files ------------------------------------------------------------------ */

static q8_status add_method(ts_context* ts, ts_source* s, const ts_token* cls, const ts_token* name,
                            size_t def) {
  if (s->num_methods == s->methods_capacity) {
    const size_t next = s->methods_capacity == 0 ? 8 : s->methods_capacity * 2;
    ts_method* grown = realloc(s->methods, next * sizeof(ts_method));
    if (grown == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
    s->methods = grown;
    s->methods_capacity = next;
  }
  s->methods[s->num_methods++] = (ts_method){cls ? cls->text : NULL, cls ? cls->length : 0,
                                             name->text, name->length, def};
  return q8_status_success;
}

/* Records every `def` directly inside a top-level `class` (and top-level
 * functions), so calls find their code without rescanning the file. */
static q8_status index_methods(ts_context* ts, ts_source* s) {
  const ts_token* t = s->tokens.items;
  const ts_token* cls = NULL;
  size_t depth = 0;
  for (size_t i = 0; t[i].kind != ts_tok_end; i++) {
    if (t[i].kind == ts_tok_indent) depth++;
    else if (t[i].kind == ts_tok_dedent) depth--;
    else if (depth == 0 && ts_is_name(&t[i], "class") && t[i + 1].kind == ts_tok_name) cls = &t[i + 1];
    else if (depth <= 1 && ts_is_name(&t[i], "def") && t[i + 1].kind == ts_tok_name) {
      q8_status status = add_method(ts, s, depth == 1 ? cls : NULL, &t[i + 1], i);
      if (status != q8_status_success) return status;
    }
  }
  return q8_status_success;
}

static void source_free(ts_source* s) {
  if (s == NULL) return;
  free(s->path);
  free(s->text);
  ts_tokens_free(&s->tokens);
  free(s->methods);
  free(s);
}

static q8_status load_source(ts_context* ts, char* path, ts_source** out) {
  ts_source* s = calloc(1, sizeof(ts_source));
  if (s == NULL) {
    free(path);
    return q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
  }
  s->path = path;
  size_t size = 0;
  void* text = NULL;
  q8_status status = q8_archive_read(ts->archive, path, &text, &size, ts->error);
  s->text = text;
  if (status == q8_status_success) status = ts_tokenize(s->text, size, path, &s->tokens, ts->error);
  if (status == q8_status_success) status = index_methods(ts, s);
  if (status == q8_status_success && ts->num_sources == ts->sources_capacity) {
    const size_t next = ts->sources_capacity == 0 ? 16 : ts->sources_capacity * 2;
    ts_source** grown = realloc(ts->sources, next * sizeof(ts_source*));
    if (grown == NULL) status = q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
    else ts->sources = grown, ts->sources_capacity = next;
  }
  if (status != q8_status_success) {
    source_free(s);
    return status;
  }
  ts->sources[ts->num_sources++] = s;
  *out = s;
  return q8_status_success;
}

/* The code file of a class's module ("__torch__.a.b" -> "code/__torch__/a/b.py"). */
static q8_status find_source(ts_context* ts, const char* module, ts_source** out) {
  const size_t n = strlen(module);
  bool ok = n > 0 && n <= MAX_PATH && strncmp(module, "__torch__", 9) == 0;
  for (size_t i = 0; ok && i < n; i++)
    ok = module[i] == '_' || module[i] == '.' || (module[i] >= '0' && module[i] <= '9') ||
         (module[i] >= 'a' && module[i] <= 'z') || (module[i] >= 'A' && module[i] <= 'Z');
  if (!ok)
    return q8_graph_fail(ts->error, q8_status_unsupported_parameter,
                         "data.pkl: module class in '%.80s' has no TorchScript code", module);
  char* path = malloc(n + 9);
  if (path == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
  snprintf(path, n + 9, "code/%s.py", module);
  for (size_t i = 5; i < 5 + n; i++)
    if (path[i] == '.') path[i] = '/';
  for (size_t i = 0; i < ts->num_sources; i++)
    if (strcmp(ts->sources[i]->path, path) == 0) {
      free(path);
      *out = ts->sources[i];
      return q8_status_success;
    }
  if (ts->num_sources == MAX_SOURCES) {
    free(path);
    return q8_graph_fail(ts->error, q8_status_unsupported_parameter, "code: too many code files");
  }
  return load_source(ts, path, out);
}

static bool text_is(const char* text, size_t length, const char* name, size_t name_length) {
  return length == name_length && memcmp(text, name, length) == 0;
}

/* --- values from data.pkl --------------------------------------------------------- */

static q8_status pickle_to_tv(ts_context* ts, const q8_pickle_value* v, const char* dir, tv* out) {
  memset(out, 0, sizeof(*out));
  switch (v->kind) {
    case q8_pickle_none: out->kind = tv_none; return q8_status_success;
    case q8_pickle_bool: out->kind = tv_bool, out->u.integer = v->u.boolean; return q8_status_success;
    case q8_pickle_int: out->kind = tv_int, out->u.integer = v->u.integer; return q8_status_success;
    case q8_pickle_float: out->kind = tv_float, out->u.number = v->u.number; return q8_status_success;
    case q8_pickle_string:
      out->kind = tv_string;
      out->u.str.text = v->u.string.data, out->u.str.length = v->u.string.size;
      return q8_status_success;
    case q8_pickle_tuple:
    case q8_pickle_list: {
      /* Depth is bounded: the pickle decoder checked the tree's depth. */
      tv* items = ts_alloc(ts, (v->u.seq.count + 1) * sizeof(tv));
      if (items == NULL) return q8_status_out_of_memory;
      for (size_t i = 0; i < v->u.seq.count; i++) {
        q8_status status = pickle_to_tv(ts, v->u.seq.items[i], dir, &items[i]);
        if (status != q8_status_success) return status;
      }
      out->kind = v->kind == q8_pickle_tuple ? tv_tuple : tv_list;
      out->u.seq.items = items, out->u.seq.count = v->u.seq.count;
      return q8_status_success;
    }
    case q8_pickle_object:
      out->kind = strcmp(v->u.object.cls->u.global.module, "__torch__.torch.classes.quantized") == 0 ||
                          strcmp(v->u.object.cls->u.global.module, "__torch__.torch.classes.rnn") == 0
                      ? tv_packed : tv_module;
      out->object = v;
      return q8_status_success;
    default: out->kind = tv_pickle, out->object = v, out->storage_dir = dir; return q8_status_success;
  }
}

/* Attribute names of a quantized conv module, by position in its state tuple. */
static const char* const conv_fields[] = {"in_channels", "out_channels", "kernel_size", "stride",
                                          "padding", "dilation", "transposed", "output_padding",
                                          "groups", "padding_mode", NULL, NULL, "scale",
                                          "zero_point", "training"};

static bool is_conv_module(const q8_pickle_value* obj) {
  const char* name = obj->u.object.cls->u.global.name;
  const q8_pickle_value* state = obj->u.object.state;
  return state != NULL && state->kind == q8_pickle_tuple && state->u.seq.count == 15 &&
         (strcmp(name, "Conv2d") == 0 || strcmp(name, "ConvReLU2d") == 0 ||
          strcmp(name, "ConvTranspose2d") == 0 || strcmp(name, "Conv1d") == 0 ||
          strcmp(name, "ConvReLU1d") == 0);
}

/* `obj.name`: an entry of the module's state, or else a bound method. */
static q8_status module_attribute(ts_context* ts, const q8_pickle_value* obj, const char* name,
                                  size_t length, tv* out) {
  const q8_pickle_value* state = obj->u.object.state;
  if (state != NULL && state->kind == q8_pickle_dict) {
    /* The last pair wins, as when Python builds the dict. */
    for (size_t i = state->u.dict.count; i-- > 0;) {
      const q8_pickle_value* key = state->u.dict.keys[i];
      if (key->kind == q8_pickle_string && text_is(key->u.string.data, key->u.string.size, name, length))
        return pickle_to_tv(ts, state->u.dict.values[i], "data", out);
    }
  } else if (is_conv_module(obj)) {
    memset(out, 0, sizeof(*out));
    if (text_is(name, length, "_packed_params", 14)) {
      out->kind = tv_packed, out->object = obj;
      return q8_status_success;
    }
    for (size_t i = 0; i < sizeof(conv_fields) / sizeof(conv_fields[0]); i++)
      if (conv_fields[i] != NULL && text_is(name, length, conv_fields[i], strlen(conv_fields[i])))
        return pickle_to_tv(ts, state->u.seq.items[i], "data", out);
  }
  memset(out, 0, sizeof(*out));
  out->kind = tv_method, out->object = obj;
  out->u.str.text = name, out->u.str.length = length;
  return q8_status_success;
}

/* --- variables ------------------------------------------------------------------ */

static q8_status set_var(ts_context* ts, frame* f, const char* name, size_t length, const tv* value) {
  for (var* v = f->vars; v != NULL; v = v->next)
    if (text_is(v->name, v->length, name, length)) {
      v->value = *value;
      return q8_status_success;
    }
  var* v = ts_alloc(ts, sizeof(var));
  if (v == NULL) return q8_status_out_of_memory;
  *v = (var){name, length, *value, f->vars};
  f->vars = v;
  return q8_status_success;
}

static const var* get_var(const frame* f, const char* name, size_t length) {
  for (const var* v = f->vars; v != NULL; v = v->next)
    if (text_is(v->name, v->length, name, length)) return v;
  return NULL;
}

/* --- expressions ----------------------------------------------------------------- */

static q8_status eval_expr(ts_context* ts, frame* f, tv* out);
static q8_status call_method(ts_context* ts, const ts_call_site* site, const tv* method,
                             const tv* args, size_t num_args, size_t depth, tv* out);
typedef struct call_args call_args;
static q8_status call_function(ts_context* ts, const ts_call_site* site, const tv* path,
                               const call_args* a, size_t depth, tv* out);

/* Items up to the closing bracket (the opening one consumed; `first`, if
 * not NULL, already evaluated). */
static q8_status eval_items(ts_context* ts, frame* f, const char* close, const tv* first,
                            tv_kind kind, size_t max_items, tv* out) {
  size_t n = 0, capacity = 8;
  tv* items = ts_alloc(ts, capacity * sizeof(tv));
  if (items == NULL) return q8_status_out_of_memory;
  if (first != NULL) items[n++] = *first;
  for (;;) {
    q8_status status;
    if (n > 0) {
      if (ts_is_op(cur(f), close)) break;
      if ((status = expect_op(ts, f, ",")) != q8_status_success) return status;
    }
    if (ts_is_op(cur(f), close)) break;
    if (n == max_items)
      return fail_here(ts, f, q8_status_unsupported_parameter, "too many items at", cur(f));
    if (n == capacity) {
      tv* grown = ts_alloc(ts, 2 * capacity * sizeof(tv));
      if (grown == NULL) return q8_status_out_of_memory;
      memcpy(grown, items, n * sizeof(tv));
      items = grown, capacity *= 2;
    }
    if ((status = eval_expr(ts, f, &items[n++])) != q8_status_success) return status;
  }
  advance(f);
  memset(out, 0, sizeof(*out));
  out->kind = kind;
  out->u.seq.items = items, out->u.seq.count = n;
  return q8_status_success;
}

/* Roots of the dotted names the printer uses for builtins and operators. */
static bool is_builtin_root(const ts_token* t) {
  static const char* const roots[] = {"torch", "ops", "CONSTANTS", "getattr", "__torch__",
                                      "annotate", "uninitialized", "int", "float", "bool", "len",
                                      "math"};
  for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
    if (ts_is_name(t, roots[i])) return true;
  return false;
}

static q8_status eval_name(ts_context* ts, frame* f, tv* out) {
  const ts_token* t = cur(f);
  memset(out, 0, sizeof(*out));
  const var* v = get_var(f, t->text, t->length);
  if (v != NULL) *out = v->value;
  else if (ts_is_name(t, "None")) out->kind = tv_none;
  else if (ts_is_name(t, "True") || ts_is_name(t, "False"))
    out->kind = tv_bool, out->u.integer = ts_is_name(t, "True");
  else if (is_builtin_root(t)) out->kind = tv_path, out->u.str.text = t->text, out->u.str.length = t->length;
  else return fail_here(ts, f, q8_status_unsupported_parameter, "undefined name", t);
  advance(f);
  return q8_status_success;
}

static q8_status eval_atom(ts_context* ts, frame* f, tv* out) {
  const ts_token* t = cur(f);
  memset(out, 0, sizeof(*out));
  switch (t->kind) {
    case ts_tok_int: out->kind = tv_int, out->u.integer = t->integer; break;
    case ts_tok_float: out->kind = tv_float, out->u.number = t->number; break;
    case ts_tok_string: out->kind = tv_string, out->u.str.text = t->text, out->u.str.length = t->length; break;
    case ts_tok_name: return eval_name(ts, f, out);
    default:
      if (ts_is_op(t, "[")) {
        advance(f);
        return eval_items(ts, f, "]", NULL, tv_list, MAX_ITEMS, out);
      }
      if (!ts_is_op(t, "(")) return fail_here(ts, f, q8_status_invalid_parameter, "unexpected", t);
      advance(f);
      if (ts_is_op(cur(f), ")")) return eval_items(ts, f, ")", NULL, tv_tuple, 0, out);
      tv first;
      q8_status status = eval_expr(ts, f, &first);
      if (status != q8_status_success) return status;
      if (ts_is_op(cur(f), ")")) {
        advance(f);
        *out = first;
        return q8_status_success;
      }
      return eval_items(ts, f, ")", &first, tv_tuple, MAX_ITEMS, out);
  }
  advance(f);
  return q8_status_success;
}

/* CONSTANTS.cN: item N of constants.pkl. */
static q8_status constant_ref(ts_context* ts, frame* f, const ts_token* name, tv* out) {
  size_t index = 0;
  bool ok = name->length >= 2 && name->length <= 8 && name->text[0] == 'c';
  for (size_t i = 1; ok && i < name->length; i++) {
    ok = name->text[i] >= '0' && name->text[i] <= '9';
    index = index * 10 + (size_t)(name->text[i] - '0');
  }
  const q8_pickle_value* c = ok ? q8_pickle_item(ts->constants, index) : NULL;
  if (c == NULL) return fail_here(ts, f, q8_status_invalid_parameter, "no constant", name);
  return pickle_to_tv(ts, c, "constants", out);
}

static q8_status eval_attribute(ts_context* ts, frame* f, tv* value) {
  const ts_token* name = cur(f);
  if (name->kind != ts_tok_name)
    return fail_here(ts, f, q8_status_invalid_parameter, "expected an attribute name, found", name);
  advance(f);
  if (value->kind == tv_module) return module_attribute(ts, value->object, name->text, name->length, value);
  if (value->kind != tv_path)
    return fail_here(ts, f, q8_status_unsupported_parameter, "attribute of a non-module:", name);
  if (text_is(value->u.str.text, value->u.str.length, "CONSTANTS", 9)) return constant_ref(ts, f, name, value);
  const size_t n = value->u.str.length + 1 + name->length;
  if (n > MAX_PATH) return fail_here(ts, f, q8_status_unsupported_parameter, "name too long:", name);
  char* path = ts_alloc(ts, n + 1);
  if (path == NULL) return q8_status_out_of_memory;
  snprintf(path, n + 1, "%.*s.%.*s", (int)value->u.str.length, value->u.str.text, (int)name->length,
           name->text);
  value->u.str.text = path, value->u.str.length = n;
  return q8_status_success;
}

struct call_args {
  tv positional[MAX_ARGS];
  size_t num_positional;
  ts_kwarg keywords[MAX_ARGS];
  size_t num_keywords;
};

static q8_status eval_call_args(ts_context* ts, frame* f, call_args* a) {
  advance(f); /* ( */
  a->num_positional = a->num_keywords = 0;
  while (!ts_is_op(cur(f), ")")) {
    if (a->num_positional + a->num_keywords == MAX_ARGS)
      return fail_here(ts, f, q8_status_unsupported_parameter, "too many arguments at", cur(f));
    q8_status status;
    if (cur(f)->kind == ts_tok_name && ts_is_op(peek(f), "=")) {
      ts_kwarg* k = &a->keywords[a->num_keywords++];
      k->name = cur(f)->text, k->length = cur(f)->length;
      advance(f), advance(f);
      status = eval_expr(ts, f, &k->value);
    } else if (a->num_keywords > 0) {
      return fail_here(ts, f, q8_status_invalid_parameter, "positional argument after keywords:", cur(f));
    } else {
      status = eval_expr(ts, f, &a->positional[a->num_positional++]);
    }
    if (status != q8_status_success) return status;
    if (!ts_is_op(cur(f), ")") && (status = expect_op(ts, f, ",")) != q8_status_success) return status;
  }
  advance(f);
  return q8_status_success;
}

static bool scalar_equal(const tv* a, const tv* b, bool* known) {
  *known = true;
  if ((a->kind == tv_int || a->kind == tv_bool || a->kind == tv_float) &&
      (b->kind == tv_int || b->kind == tv_bool || b->kind == tv_float))
    return (a->kind == tv_float ? a->u.number : (double)a->u.integer) ==
           (b->kind == tv_float ? b->u.number : (double)b->u.integer);
  if (a->kind == tv_string && b->kind == tv_string)
    return text_is(a->u.str.text, a->u.str.length, b->u.str.text, b->u.str.length);
  if (a->kind == tv_none || b->kind == tv_none) return a->kind == b->kind;
  *known = false;
  return false;
}

/* torch.eq / ne / __is__ / __isnot__ on load-time values (conditions of
 * `if`s the printer emits); false if `path` is not one of them. */
static bool sequence_builtin(const tv* path, const call_args* a, tv* out) {
  bool known;
  if (text_is(path->u.str.text, path->u.str.length, "torch.__not__", 13) && a->num_positional == 1 &&
      a->num_keywords == 0 && a->positional[0].kind == tv_bool) {
    const int64_t x = a->positional[0].u.integer;
    memset(out, 0, sizeof(*out));
    out->kind = tv_bool, out->u.integer = !x;
    return true;
  }
  if (!text_is(path->u.str.text, path->u.str.length, "torch.__contains__", 18) ||
      a->num_positional != 2 || a->num_keywords != 0 ||
      (a->positional[0].kind != tv_list && a->positional[0].kind != tv_tuple))
    return false;
  bool found = false;
  for (size_t i = 0; i < a->positional[0].u.seq.count; i++) {
    if (scalar_equal(&a->positional[0].u.seq.items[i], &a->positional[1], &known) && known) found = true;
    if (!known) return false;
  }
  memset(out, 0, sizeof(*out));
  out->kind = tv_bool, out->u.integer = found;
  return true;
}

static bool constant_builtin(const tv* path, const call_args* a, tv* out) {
  static const char* const names[] = {"torch.eq", "torch.ne", "torch.__is__", "torch.__isnot__"};
  for (size_t i = 0; i < 4; i++) {
    if (!text_is(path->u.str.text, path->u.str.length, names[i], strlen(names[i]))) continue;
    bool known;
    if (a->num_positional != 2 || a->num_keywords != 0) return false;
    const bool equal = scalar_equal(&a->positional[0], &a->positional[1], &known);
    if (!known) return false; /* tensors: the operator, which is unsupported */
    memset(out, 0, sizeof(*out));
    out->kind = tv_bool;
    out->u.integer = (i % 2 == 0) == equal;
    return true;
  }
  return false;
}

/* float(x), int(x) of load-time values (a module's 0-dim scale and zero
 * point buffers), len() of a constant sequence, and a raise that every run
 * reaches. q8_status_not_found if `path` is none of them. */
static bool python_builtin(ts_context* ts, const ts_call_site* site, tv* path, const call_args* a,
                           q8_status* status) {
  *status = q8_status_success;
  const bool to_float = text_is(path->u.str.text, path->u.str.length, "float", 5);
  const bool to_int = text_is(path->u.str.text, path->u.str.length, "int", 3);
  if (text_is(path->u.str.text, path->u.str.length, "ops.prim.RaiseException", 23))
    return *status = ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                             "the model raises an exception on every run"), true;
  if (a->num_positional != 1 || a->num_keywords != 0) return false;
  tv x = a->positional[0];
  /* prim::is_quantized / dtype / device of a tensor: known at load time. */
  const bool is_quantized = text_is(path->u.str.text, path->u.str.length, "ops.prim.is_quantized", 21);
  const bool dtype = text_is(path->u.str.text, path->u.str.length, "ops.prim.dtype", 14);
  const bool device = text_is(path->u.str.text, path->u.str.length, "ops.prim.device", 15);
  if ((is_quantized || dtype || device) && x.kind == tv_graph &&
      ts->graph->values[x.u.id].kind == q8_value_tensor) {
    const q8_tensor_dtype dt = ts->graph->values[x.u.id].dtype;
    memset(path, 0, sizeof(*path));
    if (device) {
      path->kind = tv_string, path->u.str.text = "cpu", path->u.str.length = 3;
    } else if (dt != q8_tensor_quint8 && dt != q8_tensor_float32) {
      return *status = ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                               "dtype of a tensor of unknown type"), true;
    } else if (is_quantized) {
      path->kind = tv_bool, path->u.integer = dt == q8_tensor_quint8;
    } else {
      path->kind = tv_int, path->u.integer = dt == q8_tensor_quint8 ? 13 : 6; /* torch.quint8, float32 */
    }
    return true;
  }
  if (text_is(path->u.str.text, path->u.str.length, "torch.device", 12) && x.kind == tv_string) {
    const tv device = x; /* the device argument of torch.zeros: a string to the graph */
    *path = device;
    return true;
  }
  if (text_is(path->u.str.text, path->u.str.length, "torch.len", 9) &&
      (x.kind == tv_list || x.kind == tv_tuple)) {
    const size_t n = x.u.seq.count;
    memset(path, 0, sizeof(*path));
    path->kind = tv_int, path->u.integer = (int64_t)n;
    return true;
  }
  if (!to_float && !to_int) return false;
  if (x.kind == tv_pickle && (*status = ts_pickle_scalar(ts, &x, &x)) != q8_status_success) return true;
  if (x.kind != tv_int && x.kind != tv_float && x.kind != tv_bool) return false;
  const double number = x.kind == tv_float ? x.u.number : (double)x.u.integer;
  memset(path, 0, sizeof(*path));
  if (to_float) {
    path->kind = tv_float, path->u.number = number;
  } else {
    if (!(number > -9.2e18 && number < 9.2e18))
      return *status = ts_fail(ts, site->file, site->line, q8_status_invalid_parameter, "int() of %g", number), true;
    path->kind = tv_int, path->u.integer = x.kind == tv_float ? (int64_t)number : x.u.integer;
  }
  return true;
}

static q8_status eval_call(ts_context* ts, frame* f, tv* value) {
  const ts_call_site site = site_of(f);
  call_args* a = ts_alloc(ts, sizeof(call_args)); /* off the C stack: calls nest */
  if (a == NULL) return q8_status_out_of_memory;
  q8_status status = eval_call_args(ts, f, a);
  if (status == q8_status_success) status = count_step(ts, f);
  if (status != q8_status_success) return status;
  if (value->kind == tv_method) {
    if (a->num_keywords != 0)
      return ts_fail(ts, site.file, site.line, q8_status_unsupported_parameter,
                     "keyword arguments to a module method are not supported");
    const tv method = *value;
    return call_method(ts, &site, &method, a->positional, a->num_positional, f->depth + 1, value);
  }
  if (value->kind != tv_path)
    return ts_fail(ts, site.file, site.line, q8_status_unsupported_parameter, "a %s is not callable",
                   ts_kind_name(value->kind));
  if (text_is(value->u.str.text, value->u.str.length, "getattr", 7)) {
    const tv* args = a->positional;
    if (a->num_positional != 2 || a->num_keywords != 0 || args[0].kind != tv_module ||
        args[1].kind != tv_string)
      return ts_fail(ts, site.file, site.line, q8_status_unsupported_parameter,
                     "getattr takes a module and a constant name");
    return module_attribute(ts, args[0].object, args[1].u.str.text, args[1].u.str.length, value);
  }
  if (constant_builtin(value, a, value) || sequence_builtin(value, a, value)) return q8_status_success;
  if (value->u.str.length > 10 && memcmp(value->u.str.text, "__torch__.", 10) == 0) {
    const tv function = *value;
    return call_function(ts, &site, &function, a, f->depth + 1, value);
  }
  if (python_builtin(ts, &site, value, a, &status)) return status;
  return ts_call_operator(ts, &site, value, a->positional, a->num_positional, a->keywords,
                          a->num_keywords, value);
}

/* Item `index` of a graph list: a tensor of a tensor list (a piece of a
 * split), or an int of a list computed at plan time (x.size()). */
static q8_status graph_item(ts_context* ts, const char* file, uint32_t line, const tv* list,
                            int64_t index, tv* out) {
  q8_graph* g = ts->graph;
  const uint32_t id = list->u.id;
  memset(out, 0, sizeof(*out));
  out->kind = tv_graph;
  if (g->values[id].kind == q8_value_tensor_list) {
    if (q8_graph_is_split(g, id)) return q8_graph_split_piece(g, id, index, &out->u.id, ts->error);
    const int64_t n = (int64_t)g->values[id].u.tensors.count;
    if (index < 0) index += n;
    if (index < 0 || index >= n)
      return ts_fail(ts, file, line, q8_status_invalid_parameter, "index out of range");
    out->u.id = g->values[id].u.tensors.items[index];
    return q8_status_success;
  }
  if (g->values[id].kind != q8_value_int_list)
    return ts_fail(ts, file, line, q8_status_unsupported_parameter, "subscript of a non-list graph value");
  uint32_t inputs[2] = {id, 0};
  q8_status status = q8_graph_add_int(g, index, &inputs[1], ts->error);
  if (status == q8_status_success)
    status = q8_graph_add_node(g, q8_op_list_item, "aten::__getitem__.t", line, inputs, 2, &out->u.id,
                               ts->error);
  if (status != q8_status_success) return status;
  g->values[out->u.id].dtype = q8_tensor_unknown;
  if (q8_graph_fold_scalar(g, &g->nodes[g->num_nodes - 1])) {
    out->kind = tv_int;
    out->u.integer = g->values[out->u.id].u.integer;
  }
  return q8_status_success;
}

/* A graph list as a tuple of `count` items (unpacking). */
static q8_status graph_unpack(ts_context* ts, const char* file, uint32_t line, const tv* list,
                              size_t count, tv* out) {
  if (count == 0 || count > 1024)
    return ts_fail(ts, file, line, q8_status_unsupported_parameter, "cannot unpack into %zu names", count);
  if (q8_graph_is_split(ts->graph, list->u.id)) {
    q8_status status = q8_graph_unpack_split(ts->graph, list->u.id, count, ts->error);
    if (status != q8_status_success) return status;
  }
  tv* items = ts_alloc(ts, count * sizeof(tv));
  if (items == NULL) return q8_status_out_of_memory;
  for (size_t i = 0; i < count; i++) {
    q8_status status = graph_item(ts, file, line, list, (int64_t)i, &items[i]);
    if (status != q8_status_success) return status;
  }
  memset(out, 0, sizeof(*out));
  out->kind = tv_tuple;
  out->u.seq.items = items, out->u.seq.count = count;
  return q8_status_success;
}

static bool is_graph_list(const ts_context* ts, const tv* v) {
  return v->kind == tv_graph && (ts->graph->values[v->u.id].kind == q8_value_tensor_list ||
                                 ts->graph->values[v->u.id].kind == q8_value_int_list);
}

static q8_status eval_subscript(ts_context* ts, frame* f, tv* value) {
  advance(f); /* [ */
  tv index;
  q8_status status = eval_expr(ts, f, &index);
  if (status == q8_status_success) status = expect_op(ts, f, "]");
  if (status != q8_status_success) return status;
  if (is_graph_list(ts, value) && index.kind == tv_int)
    return graph_item(ts, f->src->path, cur(f)->line, value, index.u.integer, value);
  if ((value->kind != tv_tuple && value->kind != tv_list) || index.kind != tv_int)
    return ts_fail(ts, f->src->path, cur(f)->line, q8_status_unsupported_parameter,
                   "subscript of a %s by a %s is not supported", ts_kind_name(value->kind),
                   ts_kind_name(index.kind));
  const int64_t n = (int64_t)value->u.seq.count;
  const int64_t i = index.u.integer < 0 ? index.u.integer + n : index.u.integer;
  if (i < 0 || i >= n)
    return ts_fail(ts, f->src->path, cur(f)->line, q8_status_invalid_parameter,
                   "index %lld out of range for %lld items", (long long)index.u.integer, (long long)n);
  *value = value->u.seq.items[i];
  return q8_status_success;
}

/* annotate(T, value) and unchecked_cast(T, value): the value; the type
 * expression is skipped unevaluated. */
static q8_status eval_annotate(ts_context* ts, frame* f, tv* out) {
  advance(f); /* annotate, unchecked_cast */
  q8_status status = expect_op(ts, f, "(");
  for (size_t depth = 0; status == q8_status_success; advance(f)) {
    const ts_token* t = cur(f);
    if (t->kind == ts_tok_end || t->kind == ts_tok_newline)
      return fail_here(ts, f, q8_status_invalid_parameter, "unterminated annotate at", t);
    if (depth == 0 && ts_is_op(t, ",")) break;
    if (ts_is_op(t, "(") || ts_is_op(t, "[")) depth++;
    if ((ts_is_op(t, ")") || ts_is_op(t, "]")) && depth-- == 0)
      return fail_here(ts, f, q8_status_invalid_parameter, "annotate without a value at", t);
  }
  if (status == q8_status_success) status = expect_op(ts, f, ",");
  if (status == q8_status_success) status = eval_expr(ts, f, out);
  if (status == q8_status_success) status = expect_op(ts, f, ")");
  return status;
}

/* Skips a bracketed argument list from its '(' (no evaluation). */
static q8_status skip_call(ts_context* ts, frame* f) {
  size_t depth = 0;
  do {
    const ts_token* t = cur(f);
    if (t->kind == ts_tok_end || t->kind == ts_tok_newline)
      return fail_here(ts, f, q8_status_invalid_parameter, "unterminated call at", t);
    if (ts_is_op(t, "(") || ts_is_op(t, "[")) depth++;
    if (ts_is_op(t, ")") || ts_is_op(t, "]")) depth--;
    advance(f);
  } while (depth > 0);
  return q8_status_success;
}

#define MAX_APPENDED 65536

/* torch.append(NAME, value): TorchScript lists are references; the list in
 * variable NAME grows (the code generator only appends to locals it made). */
static q8_status eval_append(ts_context* ts, frame* f, tv* out) {
  for (int i = 0; i < 4; i++) advance(f); /* torch . append ( */
  const ts_token* name = cur(f);
  const var* v = get_var(f, name->text, name->length);
  if (v == NULL || (v->value.kind != tv_list && v->value.kind != tv_tuple))
    return fail_here(ts, f, q8_status_unsupported_parameter, "append to something other than a list:", name);
  const tv list = v->value;
  advance(f);
  q8_status status = expect_op(ts, f, ",");
  tv item;
  if (status == q8_status_success) status = eval_expr(ts, f, &item);
  if (status == q8_status_success) status = expect_op(ts, f, ")");
  if (status != q8_status_success) return status;
  if (list.u.seq.count >= MAX_APPENDED)
    return fail_here(ts, f, q8_status_unsupported_parameter, "list grows too long at", name);
  tv* items = ts_alloc(ts, (list.u.seq.count + 1) * sizeof(tv));
  if (items == NULL) return q8_status_out_of_memory;
  if (list.u.seq.count) memcpy(items, list.u.seq.items, list.u.seq.count * sizeof(tv));
  items[list.u.seq.count] = item;
  *out = list;
  out->kind = tv_list;
  out->u.seq.items = items;
  out->u.seq.count = list.u.seq.count + 1;
  return set_var(ts, f, name->text, name->length, out);
}

static q8_status eval_primary(ts_context* ts, frame* f, tv* out) {
  const ts_token* t = cur(f);
  const bool cast = (ts_is_name(t, "annotate") || ts_is_name(t, "unchecked_cast")) &&
                    ts_is_op(peek(f), "(") && get_var(f, t->text, t->length) == NULL;
  const bool uninitialized = ts_is_name(t, "uninitialized") && ts_is_op(peek(f), "(") &&
                             get_var(f, t->text, t->length) == NULL;
  const bool append = ts_is_name(t, "torch") && get_var(f, t->text, t->length) == NULL &&
                      t[1].kind != ts_tok_end && ts_is_op(&t[1], ".") && ts_is_name(&t[2], "append") &&
                      ts_is_op(&t[3], "(") && t[4].kind == ts_tok_name && ts_is_op(&t[5], ",");
  q8_status status;
  if (uninitialized) {
    advance(f);
    memset(out, 0, sizeof(*out));
    out->kind = tv_none; /* only read on paths that raise */
    status = skip_call(ts, f);
  } else if (append) {
    status = eval_append(ts, f, out);
  } else {
    status = cast ? eval_annotate(ts, f, out) : eval_atom(ts, f, out);
  }
  while (status == q8_status_success) {
    if (ts_is_op(cur(f), ".")) {
      advance(f);
      status = eval_attribute(ts, f, out);
    } else if (ts_is_op(cur(f), "(")) {
      status = eval_call(ts, f, out);
    } else if (ts_is_op(cur(f), "[")) {
      status = eval_subscript(ts, f, out);
    } else {
      break;
    }
  }
  return status;
}

static q8_status eval_unary(ts_context* ts, frame* f, tv* out) {
  if (++f->expr_depth > MAX_EXPR_DEPTH)
    return fail_here(ts, f, q8_status_unsupported_parameter, "expression nested too deeply at", cur(f));
  q8_status status;
  if (ts_is_op(cur(f), "-")) {
    advance(f);
    status = eval_unary(ts, f, out);
    if (status == q8_status_success) {
      if (out->kind == tv_int && out->u.integer != INT64_MIN) out->u.integer = -out->u.integer;
      else if (out->kind == tv_float) out->u.number = -out->u.number;
      else status = ts_fail(ts, f->src->path, cur(f)->line, q8_status_unsupported_parameter,
                            "unary minus of a %s is not supported", ts_kind_name(out->kind));
    }
  } else {
    status = eval_primary(ts, f, out);
  }
  f->expr_depth--;
  return status;
}

static bool ends_expression(const ts_token* t) {
  if (t->kind == ts_tok_newline) return true;
  return t->kind == ts_tok_op && t->length == 1 && strchr(",)]}:=", t->text[0]) != NULL;
}

static q8_status eval_expr(ts_context* ts, frame* f, tv* out) {
  q8_status status = eval_unary(ts, f, out);
  if (status == q8_status_success && !ends_expression(cur(f)))
    return fail_here(ts, f, q8_status_unsupported_parameter, "unsupported operator", cur(f));
  return status;
}

/* An expression, or a tuple of them without brackets (`return a, b`). */
static q8_status eval_expr_list(ts_context* ts, frame* f, tv* out) {
  q8_status status = eval_expr(ts, f, out);
  if (status != q8_status_success || !ts_is_op(cur(f), ",")) return status;
  tv* items = ts_alloc(ts, MAX_ARGS * sizeof(tv));
  if (items == NULL) return q8_status_out_of_memory;
  size_t n = 0;
  items[n++] = *out;
  while (ts_is_op(cur(f), ",")) {
    advance(f);
    if (cur(f)->kind == ts_tok_newline || ts_is_op(cur(f), "=")) break;
    if (n == MAX_ARGS) return fail_here(ts, f, q8_status_unsupported_parameter, "too many items at", cur(f));
    if ((status = eval_expr(ts, f, &items[n++])) != q8_status_success) return status;
  }
  memset(out, 0, sizeof(*out));
  out->kind = tv_tuple;
  out->u.seq.items = items, out->u.seq.count = n;
  return q8_status_success;
}

/* --- statements ------------------------------------------------------------------ */

static q8_status exec_block(ts_context* ts, frame* f);

/* Skips tokens to the end of the current block (its DEDENT not consumed). */
static q8_status skip_rest_of_block(ts_context* ts, frame* f) {
  size_t depth = 0;
  for (;;) {
    const ts_token* t = cur(f);
    if (t->kind == ts_tok_end) return fail_here(ts, f, q8_status_invalid_parameter, "block ends at", t);
    if (t->kind == ts_tok_dedent && depth == 0) return q8_status_success;
    if (t->kind == ts_tok_indent) depth++;
    if (t->kind == ts_tok_dedent) depth--;
    advance(f);
  }
}

/* `:` NEWLINE and an indented block, executed or skipped. */
static q8_status suite(ts_context* ts, frame* f, bool run) {
  q8_status status = expect_op(ts, f, ":");
  if (status == q8_status_success) status = expect_kind(ts, f, ts_tok_newline, "expected a line end, found");
  if (status != q8_status_success) return status;
  if (run) return exec_block(ts, f);
  if ((status = expect_kind(ts, f, ts_tok_indent, "expected an indented block, found")) != q8_status_success ||
      (status = skip_rest_of_block(ts, f)) != q8_status_success)
    return status;
  advance(f); /* DEDENT */
  return q8_status_success;
}

/* Whether the suite at the current `:` starts by raising
 * (`ops.prim.RaiseException(...)`). */
static bool suite_raises(const frame* f) {
  static const char* const words[] = {"ops", ".", "prim", ".", "RaiseException"};
  const ts_token* t = cur(f);
  if (!ts_is_op(t, ":")) return false;
  size_t k = 1;
  if (t[k].kind != ts_tok_newline) return false;
  if (t[++k].kind != ts_tok_indent) return false;
  /* Assignments building the message (NAME = self.x, NAME = torch.format(...))
   * may come first; the branch never runs, so they never do either. */
  for (size_t statements = 0; statements < 16; statements++) {
    const ts_token* x = &t[k + 1];
    if (x[0].kind == ts_tok_name && x[1].kind != ts_tok_end && ts_is_op(&x[1], "=")) {
      for (k += 2; t[k].kind != ts_tok_newline; k++)
        if (t[k].kind == ts_tok_end) return false;
      continue;
    }
    for (size_t w = 0; w < 5; w++) {
      const ts_token* y = &t[++k];
      if (y->kind == ts_tok_end) return false;
      if (w % 2 == 1 ? !ts_is_op(y, words[w]) : !ts_is_name(y, words[w])) return false;
    }
    return true;
  }
  return false;
}

/* `if cond:` on a condition computed at plan time (a scripted module's
 * input check): supported when one branch only raises; the other runs and
 * a guard node checks cond when the program is planned. */
static q8_status exec_guarded_if(ts_context* ts, frame* f, const tv* condition, uint32_t line) {
  const bool then_raises = suite_raises(f);
  bool else_raises = false;
  if (!then_raises) {
    const size_t resume = f->pos;
    q8_status status = suite(ts, f, false);
    if (status != q8_status_success) return status;
    if (ts_is_name(cur(f), "else")) {
      advance(f);
      else_raises = suite_raises(f);
    }
    f->pos = resume;
  }
  if (!then_raises && !else_raises)
    return ts_fail(ts, f->src->path, line, q8_status_unsupported_parameter,
                   "condition computed at run time (data-dependent control flow) is not supported");
  q8_status status = q8_graph_add_guard(ts->graph, condition->u.id, !then_raises, line, ts->error);
  if (status == q8_status_success) status = suite(ts, f, !then_raises);
  if (status == q8_status_success && ts_is_name(cur(f), "elif"))
    return ts_fail(ts, f->src->path, line, q8_status_unsupported_parameter,
                   "elif after a condition computed at run time is not supported");
  if (status == q8_status_success && ts_is_name(cur(f), "else")) {
    advance(f);
    status = suite(ts, f, then_raises);
  }
  return status;
}

/* if / elif / else on conditions known at load time. */
static q8_status exec_if(ts_context* ts, frame* f) {
  bool taken = false;
  q8_status status = q8_status_success;
  while (status == q8_status_success && (ts_is_name(cur(f), "if") || ts_is_name(cur(f), "elif"))) {
    const uint32_t line = cur(f)->line;
    const bool first = ts_is_name(cur(f), "if");
    advance(f);
    tv condition;
    if ((status = eval_expr(ts, f, &condition)) != q8_status_success) return status;
    if (first && condition.kind == tv_graph && ts->graph->values[condition.u.id].kind == q8_value_bool)
      return exec_guarded_if(ts, f, &condition, line);
    if (condition.kind != tv_bool)
      return ts_fail(ts, f->src->path, line, q8_status_unsupported_parameter,
                     "condition on a %s (data-dependent control flow) is not supported",
                     ts_kind_name(condition.kind));
    const bool run = !taken && condition.u.integer;
    taken = taken || run;
    status = suite(ts, f, run);
  }
  if (status == q8_status_success && ts_is_name(cur(f), "else")) {
    advance(f);
    status = suite(ts, f, !taken);
  }
  return status;
}

/* NAME (',' NAME)* [','] '=' */
static bool is_assignment(const frame* f, size_t* num_targets) {
  const ts_token* t = cur(f);
  *num_targets = 0;
  for (size_t i = 0;; i++) {
    if (t[i].kind != ts_tok_name) return false;
    ++*num_targets;
    if (ts_is_op(&t[++i], "=")) return true;
    if (!ts_is_op(&t[i], ",")) return false;
    if (ts_is_op(&t[i + 1], "=")) return true;
  }
}

static q8_status exec_assignment(ts_context* ts, frame* f, size_t num_targets) {
  const ts_token* targets = cur(f);
  const bool unpack = num_targets > 1 || ts_is_op(&targets[1], ",");
  while (!ts_is_op(cur(f), "=")) advance(f);
  advance(f);
  tv value;
  q8_status status = eval_expr_list(ts, f, &value);
  if (status != q8_status_success) return status;
  if (!unpack) return set_var(ts, f, targets[0].text, targets[0].length, &value);
  if (is_graph_list(ts, &value) &&
      (status = graph_unpack(ts, f->src->path, targets[0].line, &value, num_targets, &value)) != q8_status_success)
    return status;
  if ((value.kind != tv_tuple && value.kind != tv_list) || value.u.seq.count != num_targets)
    return ts_fail(ts, f->src->path, targets[0].line, q8_status_unsupported_parameter,
                   "cannot unpack a %s into %zu names", ts_kind_name(value.kind), num_targets);
  for (size_t i = 0; i < num_targets && status == q8_status_success; i++)
    status = set_var(ts, f, targets[2 * i].text, targets[2 * i].length, &value.u.seq.items[i]);
  return status;
}

static bool is_unsupported_keyword(const ts_token* t) {
  static const char* const words[] = {"for", "while", "with", "try", "raise", "assert", "del",
                                      "break", "continue", "def", "class", "global", "nonlocal",
                                      "import", "from", "lambda", "yield", "async", "await"};
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
    if (ts_is_name(t, words[i])) return true;
  return false;
}

#define MAX_LOOP_TRIPS 4096

/* for NAME in range(n): with n known at load time (loops over the spatial
 * dimensions of a tensor of known rank); the body runs n times. */
static q8_status exec_for(ts_context* ts, frame* f) {
  const uint32_t line = cur(f)->line;
  const ts_token* t = cur(f);
  /* Only `for NAME in range(...)`; any other loop is an unsupported statement. */
  if (t[1].kind != ts_tok_name || !ts_is_name(&t[2], "in") || !ts_is_name(&t[3], "range") ||
      !ts_is_op(&t[4], "("))
    return fail_here(ts, f, q8_status_unsupported_parameter, "unsupported statement", t);
  advance(f); /* for */
  const ts_token* name = cur(f);
  advance(f), advance(f), advance(f); /* NAME in range */
  tv bound;
  q8_status status = expect_op(ts, f, "(");
  if (status == q8_status_success) status = eval_expr(ts, f, &bound);
  if (status == q8_status_success) status = expect_op(ts, f, ")");
  if (status != q8_status_success) return status;
  if (bound.kind != tv_int || bound.u.integer < 0 || bound.u.integer > MAX_LOOP_TRIPS)
    return ts_fail(ts, f->src->path, line, q8_status_unsupported_parameter,
                   "a loop whose trip count is not a constant from 0 to %d is not supported",
                   MAX_LOOP_TRIPS);
  const size_t body = f->pos; /* at the ':' */
  for (int64_t i = 0; i < bound.u.integer && status == q8_status_success; i++) {
    tv index = {.kind = tv_int};
    index.u.integer = i;
    f->pos = body;
    status = set_var(ts, f, name->text, name->length, &index);
    if (status == q8_status_success) status = suite(ts, f, true);
    if (status == q8_status_success && f->returned)
      return ts_fail(ts, f->src->path, line, q8_status_unsupported_parameter, "return inside a loop");
  }
  if (status != q8_status_success) return status;
  f->pos = body;
  return suite(ts, f, false); /* past the body */
}

static q8_status exec_statement(ts_context* ts, frame* f) {
  q8_status status = count_step(ts, f);
  if (status != q8_status_success) return status;
  const ts_token* t = cur(f);
  size_t targets;
  if (ts_is_name(t, "if")) return exec_if(ts, f);
  if (ts_is_name(t, "for")) return exec_for(ts, f);
  if (t->kind == ts_tok_name && ts_is_op(&t[1], ":") && !is_unsupported_keyword(t) &&
      !ts_is_name(t, "else") && !ts_is_name(t, "elif")) {
    /* NAME : TYPE = value */
    const ts_token* name = t;
    advance(f), advance(f);
    for (size_t depth = 0; !(depth == 0 && ts_is_op(cur(f), "=")); advance(f)) {
      if (cur(f)->kind == ts_tok_end || cur(f)->kind == ts_tok_newline)
        return fail_here(ts, f, q8_status_invalid_parameter, "annotated name without a value at", cur(f));
      if (ts_is_op(cur(f), "[") || ts_is_op(cur(f), "(")) depth++;
      if ((ts_is_op(cur(f), "]") || ts_is_op(cur(f), ")")) && depth > 0) depth--;
    }
    advance(f);
    tv value;
    status = eval_expr(ts, f, &value);
    if (status == q8_status_success) status = set_var(ts, f, name->text, name->length, &value);
    if (status != q8_status_success) return status;
    return expect_kind(ts, f, ts_tok_newline, "expected a line end, found");
  }
  if (ts_is_name(t, "return")) {
    advance(f);
    memset(&f->result, 0, sizeof(f->result));
    if (cur(f)->kind != ts_tok_newline) status = eval_expr_list(ts, f, &f->result);
    f->returned = true;
  } else if (ts_is_name(t, "pass")) {
    advance(f);
  } else if (is_unsupported_keyword(t)) {
    return fail_here(ts, f, q8_status_unsupported_parameter, "unsupported statement", t);
  } else if (is_assignment(f, &targets)) {
    status = exec_assignment(ts, f, targets);
  } else {
    tv ignored;
    status = eval_expr_list(ts, f, &ignored);
    if (status == q8_status_success && ts_is_op(cur(f), "="))
      return fail_here(ts, f, q8_status_unsupported_parameter, "unsupported assignment target before", cur(f));
  }
  if (status != q8_status_success) return status;
  return expect_kind(ts, f, ts_tok_newline, "expected a line end, found");
}

static q8_status exec_block(ts_context* ts, frame* f) {
  q8_status status = expect_kind(ts, f, ts_tok_indent, "expected an indented block, found");
  while (status == q8_status_success && cur(f)->kind != ts_tok_dedent) {
    if (f->returned) {
      status = skip_rest_of_block(ts, f);
      break;
    }
    if (cur(f)->kind == ts_tok_end) return fail_here(ts, f, q8_status_invalid_parameter, "block ends at", cur(f));
    status = exec_statement(ts, f);
  }
  if (status == q8_status_success) advance(f); /* DEDENT */
  return status;
}

/* --- methods --------------------------------------------------------------------- */

/* Skips a type annotation or default value: up to , ) = or : outside brackets.
 * *tensor: whether it was just `Tensor`. */
static q8_status skip_until_separator(ts_context* ts, frame* f, bool* tensor) {
  size_t depth = 0, count = 0;
  *tensor = ts_is_name(cur(f), "Tensor");
  for (;; count++) {
    const ts_token* t = cur(f);
    if (t->kind == ts_tok_end || t->kind == ts_tok_newline)
      return fail_here(ts, f, q8_status_invalid_parameter, "unterminated signature at", t);
    if (depth == 0 && (ts_is_op(t, ",") || ts_is_op(t, ")") || ts_is_op(t, "=") || ts_is_op(t, ":")))
      break;
    if (ts_is_op(t, "(") || ts_is_op(t, "[")) depth++;
    if (ts_is_op(t, ")") || ts_is_op(t, "]")) depth--;
    advance(f);
  }
  *tensor = *tensor && count == 1;
  return q8_status_success;
}

typedef struct signature {
  const ts_token* names[MAX_ARGS + 1];
  size_t defaults[MAX_ARGS + 1]; /* token index of the default value, or 0 */
  bool tensor[MAX_ARGS + 1];
  size_t count;
} signature;

/* `(params) [-> type] :` NEWLINE, from the `(`. */
static q8_status parse_signature(ts_context* ts, frame* f, signature* s) {
  q8_status status = expect_op(ts, f, "(");
  s->count = 0;
  while (status == q8_status_success && !ts_is_op(cur(f), ")")) {
    if (s->count == MAX_ARGS + 1 || cur(f)->kind != ts_tok_name)
      return fail_here(ts, f, q8_status_unsupported_parameter, "unsupported parameter", cur(f));
    const size_t i = s->count++;
    s->names[i] = cur(f), s->defaults[i] = 0, s->tensor[i] = false;
    advance(f);
    bool ignored;
    if (ts_is_op(cur(f), ":")) advance(f), status = skip_until_separator(ts, f, &s->tensor[i]);
    if (status == q8_status_success && ts_is_op(cur(f), "=")) {
      advance(f);
      s->defaults[i] = f->pos;
      status = skip_until_separator(ts, f, &ignored);
    }
    if (status == q8_status_success && !ts_is_op(cur(f), ")")) status = expect_op(ts, f, ",");
  }
  if (status == q8_status_success) advance(f);
  if (status == q8_status_success && ts_is_op(cur(f), "->")) {
    bool ignored;
    advance(f);
    status = skip_until_separator(ts, f, &ignored);
  }
  return status;
}

static q8_status find_method(ts_context* ts, const ts_call_site* site, const tv* method,
                             ts_source** src, size_t* def) {
  const q8_pickle_value* cls = method->object->u.object.cls;
  q8_status status = find_source(ts, cls->u.global.module, src);
  if (status != q8_status_success) return status;
  const size_t cls_length = strlen(cls->u.global.name);
  for (size_t i = 0; i < (*src)->num_methods; i++) {
    const ts_method* m = &(*src)->methods[i];
    if (m->cls != NULL && text_is(m->cls, m->cls_length, cls->u.global.name, cls_length) &&
        text_is(m->name, m->name_length, method->u.str.text, method->u.str.length)) {
      *def = m->def;
      return q8_status_success;
    }
  }
  return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                 "class %.80s has no attribute or method '%.*s'", cls->u.global.name,
                 (int)(method->u.str.length > 60 ? 60 : method->u.str.length), method->u.str.text);
}

/* Binds parameter i (after self): an argument, its default, or -- for the
 * root forward (args NULL) -- a new fp32 graph input. */
static q8_status bind_parameter(ts_context* ts, frame* g, const signature* s, size_t i,
                                const tv* args, size_t num_args) {
  tv value = {.kind = tv_none};
  q8_status status = q8_status_success;
  if (args == NULL) {
    if (!s->tensor[i])
      return ts_fail(ts, g->src->path, s->names[i]->line, q8_status_unsupported_parameter,
                     "forward parameter '%.*s' is not a Tensor", (int)s->names[i]->length,
                     s->names[i]->text);
    status = q8_graph_add_value(ts->graph, q8_value_tensor, &value.u.id, ts->error);
    if (status != q8_status_success) return status;
    ts->graph->values[value.u.id].dtype = q8_tensor_float32;
    ts->graph->inputs[ts->graph->num_inputs++] = value.u.id;
    value.kind = tv_graph;
  } else if (i - 1 < num_args) {
    value = args[i - 1];
  } else if (s->defaults[i] != 0) {
    const size_t resume = g->pos;
    g->pos = s->defaults[i];
    status = eval_expr(ts, g, &value);
    g->pos = resume;
  } else {
    return ts_fail(ts, g->src->path, s->names[i]->line, q8_status_invalid_parameter,
                   "missing argument '%.*s'", (int)s->names[i]->length, s->names[i]->text);
  }
  if (status != q8_status_success) return status;
  return set_var(ts, g, s->names[i]->text, s->names[i]->length, &value);
}

/* Inlines a method: binds its parameters and runs its body; *out gets
 * what it returns. args NULL: the root forward, whose parameters become
 * the graph inputs. */
static q8_status call_method(ts_context* ts, const ts_call_site* site, const tv* method,
                             const tv* args, size_t num_args, size_t depth, tv* out) {
  if (depth > MAX_INLINE_DEPTH)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "module calls nested more than %u deep", MAX_INLINE_DEPTH);
  frame g = {.depth = depth};
  q8_status status = find_method(ts, site, method, &g.src, &g.pos);
  if (status != q8_status_success) return status;
  g.pos += 2; /* def NAME */
  signature* s = ts_alloc(ts, sizeof(signature));
  if (s == NULL) return q8_status_out_of_memory;
  status = parse_signature(ts, &g, s);
  if (status != q8_status_success) return status;
  const size_t body = g.pos; /* at the `:` */
  if (s->count == 0 || (args != NULL && num_args > s->count - 1))
    return ts_fail(ts, site->file, site->line, q8_status_invalid_parameter,
                   "method '%.*s' takes %zu arguments; %zu given", (int)method->u.str.length,
                   method->u.str.text, s->count ? s->count - 1 : 0, num_args);
  if (args == NULL && (ts->graph->inputs = malloc(s->count * sizeof(uint32_t))) == NULL)
    return q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
  const tv self = {.kind = tv_module, .object = method->object};
  status = set_var(ts, &g, s->names[0]->text, s->names[0]->length, &self);
  for (size_t i = 1; status == q8_status_success && i < s->count; i++)
    status = bind_parameter(ts, &g, s, i, args, num_args);
  if (status != q8_status_success) return status;
  g.pos = body;
  status = suite(ts, &g, true);
  if (status != q8_status_success) return status;
  if (g.returned) *out = g.result;
  else memset(out, 0, sizeof(*out)), out->kind = tv_none;
  return q8_status_success;
}

/* Inlines a top-level function of the model's code (`__torch__.a.b.fn(...)`,
 * e.g. torch.nn.functional's scripted helpers): positional and keyword
 * arguments, defaults for the rest. */
static q8_status call_function(ts_context* ts, const ts_call_site* site, const tv* path,
                               const call_args* a, size_t depth, tv* out) {
  if (depth > MAX_INLINE_DEPTH)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "function calls nested more than %u deep", MAX_INLINE_DEPTH);
  size_t dot = path->u.str.length;
  while (dot > 0 && path->u.str.text[dot - 1] != '.') dot--;
  if (dot < 2 || dot > MAX_PATH)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter, "bad function name");
  char module[MAX_PATH + 1];
  memcpy(module, path->u.str.text, dot - 1);
  module[dot - 1] = '\0';
  const char* name = path->u.str.text + dot;
  const size_t name_length = path->u.str.length - dot;
  frame g = {.depth = depth};
  q8_status status = find_source(ts, module, &g.src);
  if (status != q8_status_success) return status;
  bool found = false;
  for (size_t i = 0; i < g.src->num_methods && !found; i++) {
    const ts_method* m = &g.src->methods[i];
    if (m->cls == NULL && text_is(m->name, m->name_length, name, name_length)) g.pos = m->def, found = true;
  }
  if (!found)
    return ts_fail(ts, site->file, site->line, q8_status_unsupported_parameter,
                   "unsupported call %.*s (no such function in the model's code)",
                   (int)(path->u.str.length > 80 ? 80 : path->u.str.length), path->u.str.text);
  g.pos += 2; /* def NAME */
  signature* sig = ts_alloc(ts, sizeof(signature));
  if (sig == NULL) return q8_status_out_of_memory;
  if ((status = parse_signature(ts, &g, sig)) != q8_status_success) return status;
  const size_t body = g.pos;
  if (a->num_positional > sig->count)
    return ts_fail(ts, site->file, site->line, q8_status_invalid_parameter,
                   "%.*s takes %zu arguments; %zu given", (int)name_length, name, sig->count,
                   a->num_positional);
  for (size_t k = 0; k < a->num_keywords; k++) {
    bool known = false;
    for (size_t i = a->num_positional; i < sig->count && !known; i++)
      known = text_is(sig->names[i]->text, sig->names[i]->length, a->keywords[k].name, a->keywords[k].length);
    if (!known)
      return ts_fail(ts, site->file, site->line, q8_status_invalid_parameter,
                     "%.*s: unexpected keyword argument '%.*s'", (int)name_length, name,
                     (int)a->keywords[k].length, a->keywords[k].name);
  }
  for (size_t i = 0; i < sig->count; i++) {
    tv value = {.kind = tv_none};
    bool given = i < a->num_positional;
    if (given) value = a->positional[i];
    for (size_t k = 0; !given && k < a->num_keywords; k++)
      if (text_is(sig->names[i]->text, sig->names[i]->length, a->keywords[k].name, a->keywords[k].length))
        value = a->keywords[k].value, given = true;
    if (!given && sig->defaults[i] == 0)
      return ts_fail(ts, site->file, site->line, q8_status_invalid_parameter,
                     "%.*s: missing argument '%.*s'", (int)name_length, name,
                     (int)sig->names[i]->length, sig->names[i]->text);
    if (!given) {
      g.pos = sig->defaults[i];
      if ((status = eval_expr(ts, &g, &value)) != q8_status_success) return status;
    }
    if ((status = set_var(ts, &g, sig->names[i]->text, sig->names[i]->length, &value)) != q8_status_success)
      return status;
  }
  g.pos = body;
  if ((status = suite(ts, &g, true)) != q8_status_success) return status;
  if (g.returned) *out = g.result;
  else memset(out, 0, sizeof(*out)), out->kind = tv_none;
  return q8_status_success;
}

/* --- the root ------------------------------------------------------------------ */

static q8_status set_outputs(ts_context* ts, const tv* result) {
  const tv* items = result->kind == tv_tuple ? result->u.seq.items : result;
  const size_t n = result->kind == tv_tuple ? result->u.seq.count : 1;
  q8_graph* g = ts->graph;
  for (size_t i = 0; i < n; i++)
    if (items[i].kind != tv_graph || g->values[items[i].u.id].kind != q8_value_tensor)
      return q8_graph_fail(ts->error, q8_status_unsupported_parameter,
                           "code: forward returns a %s; tensors expected",
                           ts_kind_name(items[i].kind == tv_graph ? tv_list : items[i].kind));
  g->outputs = malloc((n + 1) * sizeof(uint32_t));
  if (g->outputs == NULL) return q8_graph_fail(ts->error, q8_status_out_of_memory, "code: out of memory");
  for (size_t i = 0; i < n; i++) g->outputs[i] = items[i].u.id;
  g->num_outputs = n;
  return q8_status_success;
}

static q8_status build(ts_context* ts, const q8_pickle_value* root) {
  if (root == NULL || root->kind != q8_pickle_object)
    return q8_graph_fail(ts->error, q8_status_invalid_parameter,
                         "data.pkl: the root is not a module object");
  uint32_t self_id;
  q8_status status = q8_graph_add_value(ts->graph, q8_value_object, &self_id, ts->error);
  if (status != q8_status_success) return status;
  const tv forward = {.kind = tv_method, .object = root, .u.str = {"forward", 7}};
  const ts_call_site site = {"data.pkl", 0};
  tv result;
  status = call_method(ts, &site, &forward, NULL, 0, 0, &result);
  if (status == q8_status_success) status = set_outputs(ts, &result);
  if (status == q8_status_success) status = ts_pad_arguments(ts);
  if (status == q8_status_success) status = q8_graph_drop_identities(ts->graph, ts->error);
  if (status == q8_status_success) status = q8_graph_fuse_channel_shuffles(ts->graph, ts->error);
  if (status == q8_status_success) status = q8_graph_fuse_clamps(ts->graph, ts->error);
  if (status == q8_status_success) status = q8_graph_fold_quant_pairs(ts->graph, ts->error);
  if (status == q8_status_success) status = q8_graph_drop_unused_scalars(ts->graph, ts->error);
  return status;
}

static q8_status read_pickle(q8_archive* archive, const char* name, q8_pickle** out, q8_error* error) {
  void* data = NULL;
  size_t size = 0;
  q8_status status = q8_archive_read(archive, name, &data, &size, error);
  const q8_pickle_limits* limits = &q8_archive_limits_of(archive)->pickle;
  if (status == q8_status_success) status = q8_pickle_decode(data, size, name, limits, out, error);
  free(data);
  return status;
}

static void context_free(ts_context* ts) {
  for (size_t i = 0; i < ts->num_sources; i++) source_free(ts->sources[i]);
  free(ts->sources);
  while (ts->blocks != NULL) {
    ts_block* next = ts->blocks->next;
    free(ts->blocks);
    ts->blocks = next;
  }
  free(ts->packed);
  free(ts->calls);
}

q8_status q8_torchscript_load_graph(q8_archive* archive, q8_graph** graph_out, q8_error* error) {
  *graph_out = NULL;
  q8_pickle *data = NULL, *constants = NULL;
  ts_context ts = {.archive = archive, .error = error};
  q8_status status = read_pickle(archive, "data.pkl", &data, error);
  size_t index;
  if (status == q8_status_success && q8_archive_find(archive, "constants.pkl", &index)) {
    status = read_pickle(archive, "constants.pkl", &constants, error);
    if (status == q8_status_success) ts.constants = q8_pickle_root(constants);
  }
  if (status == q8_status_success) status = q8_graph_create(&ts.graph, error);
  if (status == q8_status_success) {
    ts.graph->max_nodes = q8_archive_limits_of(archive)->max_graph_nodes;
    status = build(&ts, q8_pickle_root(data));
  }
  context_free(&ts);
  q8_pickle_free(data);
  q8_pickle_free(constants);
  if (status != q8_status_success) {
    q8_graph_delete(ts.graph);
    return status;
  }
  *graph_out = ts.graph;
  return q8_status_success;
}

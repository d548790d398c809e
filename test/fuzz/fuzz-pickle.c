/* libFuzzer target: the pickle decoder (pickle.h) on raw pickle bytes,
 * then a walk over the decoded DAG with the accessors front ends use. */
#include <stdlib.h>
#include <string.h>

#include "runtime/loader/pickle.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void visit(const q8_pickle_value* v, uint8_t* seen, size_t count, size_t depth);

static void visit_child(const q8_pickle_value* v, uint8_t* seen, size_t count, size_t depth) {
  if (v != NULL) visit(v, seen, count, depth + 1);
}

static void visit(const q8_pickle_value* v, uint8_t* seen, size_t count, size_t depth) {
  /* The decoder promises ids below the node count and a bounded depth. */
  if (v->id >= count || depth > Q8_PICKLE_DEFAULT_MAX_DEPTH + 1) abort();
  if (seen[v->id]) return;
  seen[v->id] = 1;
  (void)q8_pickle_kind_name(v->kind);
  if (v->type_tag != NULL) (void)strlen(v->type_tag);
  switch (v->kind) {
    case q8_pickle_string:
      if (v->u.string.data[v->u.string.size] != '\0') abort();
      break;
    case q8_pickle_tuple:
    case q8_pickle_list:
      for (size_t i = 0; i < q8_pickle_length(v); i++)
        visit_child(q8_pickle_item(v, i), seen, count, depth);
      break;
    case q8_pickle_dict:
      for (size_t i = 0; i < v->u.dict.count; i++) {
        visit_child(v->u.dict.keys[i], seen, count, depth);
        visit_child(v->u.dict.values[i], seen, count, depth);
      }
      (void)q8_pickle_dict_get(v, "forward");
      break;
    case q8_pickle_global:
      (void)strlen(v->u.global.module), (void)strlen(v->u.global.name);
      (void)q8_pickle_is_global(v, "torch", "FloatStorage");
      break;
    case q8_pickle_call:
      visit_child(v->u.call.callable, seen, count, depth);
      visit_child(v->u.call.args, seen, count, depth);
      break;
    case q8_pickle_object:
      visit_child(v->u.object.cls, seen, count, depth);
      visit_child(v->u.object.args, seen, count, depth);
      visit_child(v->u.object.state, seen, count, depth);
      break;
    case q8_pickle_storage:
      (void)strlen(v->u.storage.key), (void)strlen(v->u.storage.location);
      if (q8_dtype_size(v->u.storage.dtype) == 0) abort();
      (void)q8_dtype_name(v->u.storage.dtype);
      break;
    case q8_pickle_tensor: {
      const q8_tensor_ref* t = &v->u.tensor;
      if (t->dim > Q8_PICKLE_MAX_DIMS) abort();
      for (size_t d = 0; d < t->dim; d++)
        if (t->sizes[d] < 0 || t->strides[d] < 0) abort();
      visit_child(t->storage, seen, count, depth);
      visit_child(t->scales, seen, count, depth);
      visit_child(t->zero_points, seen, count, depth);
      break;
    }
    default:
      break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  q8_pickle_limits limits = q8_pickle_default_limits();
  limits.max_memo = 1u << 16;
  limits.max_nodes = 1u << 18;
  limits.max_string = 1u << 20;
  q8_pickle* p = NULL;
  q8_error err = {0};
  if (q8_pickle_decode(data, size, "fuzz.pkl", &limits, &p, &err) != q8_status_success) {
    if (p != NULL || err.message[0] == '\0') abort();
    return 0;
  }
  const size_t count = q8_pickle_node_count(p);
  uint8_t* seen = calloc(count + 1, 1);
  if (seen != NULL && q8_pickle_root(p) != NULL) visit(q8_pickle_root(p), seen, count, 0);
  free(seen);
  q8_pickle_free(p);
  return 0;
}

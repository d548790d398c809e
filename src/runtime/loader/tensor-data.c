#include "tensor-data.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph/graph.h"

static q8_status view_elements(const char* pickle_name, const q8_tensor_ref* ref,
                               uint64_t* numel_out, q8_error* error) {
  const q8_pickle_value* storage = ref->storage;
  uint64_t numel = 1;
  for (size_t d = 0; d < ref->dim; d++) {
    if (__builtin_mul_overflow(numel, (uint64_t)ref->sizes[d], &numel) ||
        numel > Q8_MAX_TENSOR_ELEMENTS) {
      return q8_graph_fail(error, q8_status_invalid_parameter, "%s: tensor in '%s' is too large",
                           pickle_name, storage->u.storage.key);
    }
  }
  if (numel > (uint64_t)storage->u.storage.numel) {
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "%s: tensor in '%s' has %llu elements, more than its storage's %lld",
                         pickle_name, storage->u.storage.key, (unsigned long long)numel,
                         (long long)storage->u.storage.numel);
  }
  *numel_out = numel;
  return q8_status_success;
}

/* True if the view's strides are those of its sizes in row-major order
 * (how PyTorch saves almost every weight): one block copy then serves. */
static bool is_contiguous(const q8_tensor_ref* ref) {
  int64_t expected = 1;
  for (size_t d = ref->dim; d-- > 0;) {
    if (ref->sizes[d] != 1 && ref->strides[d] != expected) return false;
    expected *= ref->sizes[d];
  }
  return true;
}

/* Copies the view in row-major order of its sizes. The pickle decoder
 * checked that every element of the view lies inside the storage. */
static void gather(const q8_tensor_ref* ref, const uint8_t* data, size_t esize, uint64_t numel,
                   uint8_t* dense) {
  if (numel == 0) return;
  if (is_contiguous(ref)) {
    memcpy(dense, data + (size_t)ref->storage_offset * esize, (size_t)numel * esize);
    return;
  }
  size_t index[Q8_PICKLE_MAX_DIMS] = {0};
  for (uint64_t e = 0; e < numel; e++) {
    int64_t offset = ref->storage_offset;
    for (size_t d = 0; d < ref->dim; d++) offset += (int64_t)index[d] * ref->strides[d];
    memcpy(dense + e * esize, data + (size_t)offset * esize, esize);
    for (size_t d = ref->dim; d-- > 0;) {
      if (++index[d] < (size_t)ref->sizes[d]) break;
      index[d] = 0;
    }
  }
}

q8_status q8_read_dense_tensor(q8_archive* archive, const char* pickle_name,
                               const char* storage_dir, const q8_pickle_value* t, void** out,
                               size_t* numel_out, q8_error* error) {
  *out = NULL;
  if (t == NULL || t->kind != q8_pickle_tensor) {
    return q8_graph_fail(error, q8_status_invalid_parameter, "%s: %s where a tensor belongs",
                         pickle_name, t ? q8_pickle_kind_name(t->kind) : "nothing");
  }
  const q8_tensor_ref* ref = &t->u.tensor;
  const q8_pickle_value* storage = ref->storage;
  const size_t esize = q8_dtype_size(storage->u.storage.dtype);
  uint64_t numel = 0;
  q8_status status = view_elements(pickle_name, ref, &numel, error);
  if (status != q8_status_success) return status;
  char entry[600];
  snprintf(entry, sizeof(entry), "%s/%.500s", storage_dir, storage->u.storage.key);
  status = q8_archive_charge_tensor(archive, entry, numel * esize, error);
  if (status != q8_status_success) return status;
  void* data = NULL;
  status = q8_archive_read_storage(archive, entry, storage->u.storage.bytes, &data, error);
  if (status != q8_status_success) return status;
  uint8_t* dense = malloc(numel == 0 ? 1 : (size_t)numel * esize);
  if (dense != NULL) gather(ref, data, esize, numel, dense);
  free(data);
  if (dense == NULL) {
    return q8_graph_fail(error, q8_status_out_of_memory, "%s: out of memory", pickle_name);
  }
  *out = dense;
  *numel_out = (size_t)numel;
  return q8_status_success;
}

/*
 * Tensor data of a model file: reads the storage a pickled tensor refers to
 * from the archive and copies the tensor's view (offset, sizes, strides) into
 * a dense row-major array. Shared by both front ends.
 */
#ifndef Q8_RUNTIME_LOADER_TENSOR_DATA_H
#define Q8_RUNTIME_LOADER_TENSOR_DATA_H

#include <stddef.h>

#include "archive.h"
#include "pickle.h"

/* Far above any real layer; keeps size arithmetic away from overflow. */
#define Q8_MAX_TENSOR_ELEMENTS (UINT64_C(1) << 31)

/*
 * Reads tensor `t` (a q8_pickle_tensor node of `pickle_name`, e.g.
 * "bytecode.pkl") whose storage is the archive entry "<storage_dir>/<key>"
 * ("constants/N.storage" in a .ptl, "data/N" in a .pt). *out receives a
 * malloc'd dense array of *numel_out elements of the storage's type. A view
 * with more elements than its storage (a broadcast) is refused: it would let
 * a tiny file make q8 allocate gigabytes.
 */
q8_status q8_read_dense_tensor(q8_archive* archive, const char* pickle_name,
                               const char* storage_dir, const q8_pickle_value* t, void** out,
                               size_t* numel_out, q8_error* error);

#endif

/*
 * The zip container of PyTorch model files (.pt from torch.jit.save, .ptl
 * from _save_for_lite_interpreter), read with libzip.
 *
 * Every byte of the file is untrusted: sizes are bounded by q8_archive_limits
 * before anything is allocated, entry data is checked against its CRC, and
 * every failure names the entry and the problem ("archive: entry
 * 'm/data.pkl': CRC error"). PyTorch writes every entry under one root folder
 * ("<model_name>/"); entry names given to the lookup and read functions are
 * relative to it ("data.pkl", "data/0", "constants/3.storage").
 *
 * An archive is not thread-safe (libzip keeps read state per archive).
 */
#ifndef Q8_RUNTIME_LOADER_ARCHIVE_H
#define Q8_RUNTIME_LOADER_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"
#include "pickle.h"

typedef struct q8_archive q8_archive;

/* Bounds on what one model file may make q8 read, allocate or build. The
 * archive enforces the first four itself and carries the others for the
 * readers of its contents (pickle decoder, tensor reader, graph builder).
 * The public form is q8_model_limits (q8/runtime.h), whose field names the
 * error messages use. */
typedef struct q8_archive_limits {
  uint64_t max_entry_bytes;       /* uncompressed size of one entry */
  uint64_t max_total_bytes;       /* sum over every read of this archive */
  uint64_t max_compression_ratio; /* uncompressed / compressed size, against zip bombs */
  uint64_t max_entries;           /* entries in the central directory */
  uint64_t max_tensor_bytes;      /* data of one tensor (q8_archive_charge_tensor) */
  uint64_t max_weight_bytes;      /* data of all tensors read from this archive */
  uint64_t max_graph_nodes;       /* operators of the graph built from it */
  q8_pickle_limits pickle;        /* each pickle in it */
} q8_archive_limits;

/* 1 GiB per entry, 4 GiB in total, ratio 200, 65536 entries; 1 GiB per
 * tensor, 2 GiB of tensors, 2^18 graph nodes. */
#define Q8_ARCHIVE_DEFAULT_MAX_ENTRY_BYTES (UINT64_C(1) << 30)
#define Q8_ARCHIVE_DEFAULT_MAX_TOTAL_BYTES (UINT64_C(1) << 32)
#define Q8_ARCHIVE_DEFAULT_MAX_COMPRESSION_RATIO 200
#define Q8_ARCHIVE_DEFAULT_MAX_ENTRIES 65536
#define Q8_ARCHIVE_DEFAULT_MAX_TENSOR_BYTES (UINT64_C(1) << 30)
#define Q8_ARCHIVE_DEFAULT_MAX_WEIGHT_BYTES (UINT64_C(1) << 31)
#define Q8_ARCHIVE_DEFAULT_MAX_GRAPH_NODES (UINT64_C(1) << 18)

/* Storage data is returned in buffers aligned to this many bytes. */
#define Q8_ARCHIVE_STORAGE_ALIGNMENT 64

q8_archive_limits q8_archive_default_limits(void);

/* The limits the archive was opened with. */
const q8_archive_limits* q8_archive_limits_of(const q8_archive* archive);

/* Accounts for `bytes` of tensor data about to be read from `entry`: fails,
 * naming max_tensor_bytes or max_weight_bytes, if it is above either. */
q8_status q8_archive_charge_tensor(q8_archive* archive, const char* entry, uint64_t bytes,
                                   q8_error* error);

typedef struct q8_archive_entry {
  const char* name;         /* full name in the zip; valid until close */
  const char* relative;     /* the part after "<root>/" */
  uint64_t size;            /* uncompressed, as declared by the central directory */
  uint64_t compressed_size; /* as declared */
  bool stored;              /* not compressed (how PyTorch writes tensor storages) */
} q8_archive_entry;

/* Opens a zip file; limits may be NULL (the defaults). */
q8_status q8_archive_open_file(const char* path, const q8_archive_limits* limits,
                               q8_archive** archive_out, q8_error* error);

/* Opens a zip held in memory. The caller keeps data alive and unchanged
 * until q8_archive_close. */
q8_status q8_archive_open_memory(const void* data, size_t size, const q8_archive_limits* limits,
                                 q8_archive** archive_out, q8_error* error);

/* NULL is ignored. */
void q8_archive_close(q8_archive* archive);

/* The root folder name, without the slash ("tiny"). */
const char* q8_archive_root(const q8_archive* archive);

size_t q8_archive_entry_count(const q8_archive* archive);

/* Describes entry `index` (0 <= index < q8_archive_entry_count). */
q8_status q8_archive_entry_at(const q8_archive* archive, size_t index, q8_archive_entry* entry,
                              q8_error* error);

/* Finds an entry by its name relative to the root; false if absent. */
bool q8_archive_find(const q8_archive* archive, const char* relative, size_t* index_out);

/*
 * Reads an entry fully into a malloc'd buffer the caller frees. The buffer
 * holds size + 1 bytes, the last one '\0', so text entries ("version") can be
 * used as strings. Fails if the entry is missing, larger than the limits,
 * compressed beyond the ratio limit, truncated, or fails its CRC.
 */
q8_status q8_archive_read(q8_archive* archive, const char* relative, void** data_out,
                          size_t* size_out, q8_error* error);

/*
 * Reads a tensor storage entry into a buffer aligned to
 * Q8_ARCHIVE_STORAGE_ALIGNMENT (free it with free()). The entry must be
 * stored uncompressed, as PyTorch writes storages, and hold exactly
 * expected_bytes bytes (numel times the element size, from the pickle).
 */
q8_status q8_archive_read_storage(q8_archive* archive, const char* relative,
                                  uint64_t expected_bytes, void** data_out, q8_error* error);

/* Bytes read so far (what max_total_bytes bounds). */
uint64_t q8_archive_bytes_read(const q8_archive* archive);

#endif

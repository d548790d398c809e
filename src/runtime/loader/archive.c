#include "archive.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "../ops/operator.h"

/*
 * Status conventions of the loader: a malformed file is an invalid
 * parameter (the file is the caller's input); a well-formed file beyond a
 * configured limit, or using a zip feature q8 refuses (encryption), is an
 * unsupported parameter.
 */

struct q8_archive {
  zip_t* zip;
  q8_archive_limits limits;
  size_t entry_count;
  char* root; /* "<model_name>", without the slash */
  size_t root_length;
  uint64_t bytes_read;   /* against limits.max_total_bytes */
  uint64_t tensor_bytes; /* against limits.max_weight_bytes */
};

q8_archive_limits q8_archive_default_limits(void) {
  const q8_archive_limits limits = {
      .max_entry_bytes = Q8_ARCHIVE_DEFAULT_MAX_ENTRY_BYTES,
      .max_total_bytes = Q8_ARCHIVE_DEFAULT_MAX_TOTAL_BYTES,
      .max_compression_ratio = Q8_ARCHIVE_DEFAULT_MAX_COMPRESSION_RATIO,
      .max_entries = Q8_ARCHIVE_DEFAULT_MAX_ENTRIES,
      .max_tensor_bytes = Q8_ARCHIVE_DEFAULT_MAX_TENSOR_BYTES,
      .max_weight_bytes = Q8_ARCHIVE_DEFAULT_MAX_WEIGHT_BYTES,
      .max_graph_nodes = Q8_ARCHIVE_DEFAULT_MAX_GRAPH_NODES,
      .pickle = q8_pickle_default_limits(),
  };
  return limits;
}

const q8_archive_limits* q8_archive_limits_of(const q8_archive* archive) {
  return &archive->limits;
}

q8_status q8_archive_charge_tensor(q8_archive* ar, const char* entry, uint64_t bytes,
                                   q8_error* error) {
  const q8_archive_limits* l = &ar->limits;
  if (bytes > l->max_tensor_bytes) {
    return q8_fail(error, q8_status_unsupported_parameter,
                   "archive: tensor '%s' holds %llu bytes, above max_tensor_bytes (%llu)", entry,
                   (unsigned long long)bytes, (unsigned long long)l->max_tensor_bytes);
  }
  if (bytes > l->max_weight_bytes - ar->tensor_bytes) {
    return q8_fail(error, q8_status_unsupported_parameter,
                   "archive: tensor '%s' (%llu bytes) takes the model's tensors above "
                   "max_weight_bytes (%llu)",
                   entry, (unsigned long long)bytes, (unsigned long long)l->max_weight_bytes);
  }
  ar->tensor_bytes += bytes;
  return q8_status_success;
}

/* libzip's description of a zip error code (the text is copied out). */
static q8_status fail_zip_code(q8_error* error, const char* what, int code) {
  zip_error_t ze;
  zip_error_init_with_code(&ze, code);
  q8_fail(error, q8_status_invalid_parameter, "archive: %s: %s", what, zip_error_strerror(&ze));
  zip_error_fini(&ze);
  return q8_status_invalid_parameter;
}

/* Every entry must sit under the same "<root>/" folder, as PyTorch writes. */
static q8_status find_root(q8_archive* ar, q8_error* error) {
  for (size_t i = 0; i < ar->entry_count; i++) {
    const char* name = zip_get_name(ar->zip, (zip_uint64_t)i, 0);
    if (name == NULL)
      return fail_zip_code(error, "entry name", zip_error_code_zip(zip_get_error(ar->zip)));
    const char* slash = strchr(name, '/');
    if (slash == NULL || slash == name || slash[1] == '\0') {
      return q8_fail(error, q8_status_invalid_parameter,
                     "archive: entry '%s' is not inside a root folder ('<model>/<file>')", name);
    }
    const size_t length = (size_t)(slash - name);
    if (ar->root == NULL) {
      ar->root = malloc(length + 1);
      if (ar->root == NULL)
        return q8_fail(error, q8_status_out_of_memory, "archive: out of memory");
      memcpy(ar->root, name, length);
      ar->root[length] = '\0';
      ar->root_length = length;
    } else if (length != ar->root_length || memcmp(name, ar->root, length) != 0) {
      return q8_fail(error, q8_status_invalid_parameter,
                     "archive: entry '%s' is outside the root folder '%s/'", name, ar->root);
    }
  }
  return q8_status_success;
}

/* Takes ownership of zip (closed on failure). */
static q8_status wrap(zip_t* zip, const q8_archive_limits* limits, q8_archive** archive_out,
                      q8_error* error) {
  q8_archive* ar = calloc(1, sizeof(*ar));
  if (ar == NULL) {
    zip_discard(zip);
    return q8_fail(error, q8_status_out_of_memory, "archive: out of memory");
  }
  ar->zip = zip;
  ar->limits = limits != NULL ? *limits : q8_archive_default_limits();
  const zip_int64_t count = zip_get_num_entries(zip, 0);
  q8_status status = q8_status_success;
  if (count <= 0) {
    status = q8_fail(error, q8_status_invalid_parameter, "archive: the archive has no entries");
  } else if ((uint64_t)count > ar->limits.max_entries) {
    status = q8_fail(error, q8_status_unsupported_parameter,
                     "archive: %lld entries, above max_entries (%llu)", (long long)count,
                     (unsigned long long)ar->limits.max_entries);
  } else {
    ar->entry_count = (size_t)count;
    status = find_root(ar, error);
  }
  if (status != q8_status_success) {
    q8_archive_close(ar);
    return status;
  }
  *archive_out = ar;
  return q8_status_success;
}

q8_status q8_archive_open_file(const char* path, const q8_archive_limits* limits,
                               q8_archive** archive_out, q8_error* error) {
  if (archive_out == NULL)
    return q8_fail(error, q8_status_invalid_parameter, "archive: archive_out is NULL");
  *archive_out = NULL;
  if (path == NULL) return q8_fail(error, q8_status_invalid_parameter, "archive: path is NULL");
  int code = 0;
  /* CHECKCONS: compare local and central headers, as a hostile file may
   * disagree with itself. */
  zip_t* zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (zip == NULL) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, code);
    q8_fail(error, q8_status_invalid_parameter, "archive: cannot open '%s': %s", path,
            zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return q8_status_invalid_parameter;
  }
  return wrap(zip, limits, archive_out, error);
}

q8_status q8_archive_open_memory(const void* data, size_t size, const q8_archive_limits* limits,
                                 q8_archive** archive_out, q8_error* error) {
  if (archive_out == NULL)
    return q8_fail(error, q8_status_invalid_parameter, "archive: archive_out is NULL");
  *archive_out = NULL;
  if (data == NULL) return q8_fail(error, q8_status_invalid_parameter, "archive: data is NULL");
  zip_error_t ze;
  zip_error_init(&ze);
  /* freep = 0: the caller owns the buffer. */
  zip_source_t* source = zip_source_buffer_create(data, (zip_uint64_t)size, 0, &ze);
  zip_t* zip = NULL;
  if (source != NULL) {
    zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (zip == NULL) zip_source_free(source); /* not taken over on failure */
  }
  if (zip == NULL) {
    q8_fail(error, q8_status_invalid_parameter, "archive: cannot open the %zu-byte buffer: %s",
            size, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return q8_status_invalid_parameter;
  }
  zip_error_fini(&ze);
  return wrap(zip, limits, archive_out, error);
}

void q8_archive_close(q8_archive* archive) {
  if (archive == NULL) return;
  if (archive->zip != NULL) zip_discard(archive->zip); /* read-only: nothing to write back */
  free(archive->root);
  free(archive);
}

const char* q8_archive_root(const q8_archive* archive) { return archive->root; }

size_t q8_archive_entry_count(const q8_archive* archive) { return archive->entry_count; }

uint64_t q8_archive_bytes_read(const q8_archive* archive) { return archive->bytes_read; }

static const zip_uint64_t needed_stat =
    ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;

q8_status q8_archive_entry_at(const q8_archive* archive, size_t index, q8_archive_entry* entry,
                              q8_error* error) {
  if (index >= archive->entry_count) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "archive: entry index %zu out of range (%zu entries)", index,
                   archive->entry_count);
  }
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive->zip, (zip_uint64_t)index, 0, &st) != 0 ||
      (st.valid & needed_stat) != needed_stat) {
    return q8_fail(error, q8_status_invalid_parameter, "archive: entry %zu: cannot read its header",
                   index);
  }
  entry->name = st.name;
  entry->relative = st.name + archive->root_length + 1; /* find_root checked the prefix */
  entry->size = st.size;
  entry->compressed_size = st.comp_size;
  entry->stored = st.comp_method == ZIP_CM_STORE;
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
    return q8_fail(error, q8_status_unsupported_parameter, "archive: entry '%s' is encrypted",
                   st.name);
  }
  return q8_status_success;
}

bool q8_archive_find(const q8_archive* archive, const char* relative, size_t* index_out) {
  if (relative == NULL) return false;
  const size_t length = strlen(relative);
  char* full = malloc(archive->root_length + 1 + length + 1);
  if (full == NULL) return false;
  memcpy(full, archive->root, archive->root_length);
  full[archive->root_length] = '/';
  memcpy(full + archive->root_length + 1, relative, length + 1);
  const zip_int64_t index = zip_name_locate(archive->zip, full, 0);
  free(full);
  if (index < 0) return false;
  if (index_out != NULL) *index_out = (size_t)index;
  return true;
}

/* Size, total and ratio limits, checked on the declared sizes before any
 * allocation; reading stops at the declared size, so lies cannot exceed them. */
static q8_status check_limits(const q8_archive* ar, const q8_archive_entry* e, q8_error* error) {
  const q8_archive_limits* l = &ar->limits;
  if (e->size > l->max_entry_bytes || e->size > SIZE_MAX - Q8_ARCHIVE_STORAGE_ALIGNMENT) {
    return q8_fail(error, q8_status_unsupported_parameter,
                   "archive: entry '%s' is too large: %llu bytes, above max_entry_bytes (%llu)",
                   e->name,
                   (unsigned long long)e->size, (unsigned long long)l->max_entry_bytes);
  }
  if (e->size > l->max_total_bytes - ar->bytes_read || ar->bytes_read > l->max_total_bytes) {
    return q8_fail(
        error, q8_status_unsupported_parameter,
        "archive: entry '%s' (%llu bytes) takes the bytes read above max_file_bytes (%llu)",
        e->name, (unsigned long long)e->size, (unsigned long long)l->max_total_bytes);
  }
  if (e->stored && e->size != e->compressed_size) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "archive: entry '%s' is stored but its sizes differ (%llu and %llu bytes)",
                   e->name, (unsigned long long)e->size, (unsigned long long)e->compressed_size);
  }
  if (!e->stored && e->size > 0 &&
      (e->compressed_size == 0 || e->size / e->compressed_size >= l->max_compression_ratio)) {
    return q8_fail(error, q8_status_unsupported_parameter,
                   "archive: entry '%s' has a compression ratio at or above "
                   "max_compression_ratio (%llu; %llu bytes from %llu)",
                   e->name, (unsigned long long)l->max_compression_ratio,
                   (unsigned long long)e->size, (unsigned long long)e->compressed_size);
  }
  return q8_status_success;
}

/* A libzip read error on entry `name`, described for a person. */
static q8_status fail_read(q8_error* error, const char* name, zip_error_t* ze) {
  const int code = zip_error_code_zip(ze);
  const char* why = code == ZIP_ER_CRC      ? "CRC error (the data is corrupt)"
                    : code == ZIP_ER_ZLIB   ? "the compressed data is corrupt"
                    : code == ZIP_ER_EOF    ? "truncated archive"
                    : code == ZIP_ER_INCONS ? "inconsistent archive"
                                            : zip_error_strerror(ze);
  return q8_fail(error, q8_status_invalid_parameter, "archive: entry '%s': %s", name, why);
}

/* Reads exactly e->size bytes, then expects end of data: libzip checks the
 * CRC only when it reaches the end, and more data means a lying header. */
static q8_status read_exact(q8_archive* ar, size_t index, const q8_archive_entry* e,
                            uint8_t* buffer, q8_error* error) {
  zip_file_t* file = zip_fopen_index(ar->zip, (zip_uint64_t)index, 0);
  if (file == NULL) return fail_read(error, e->name, zip_get_error(ar->zip));
  uint64_t done = 0;
  q8_status status = q8_status_success;
  while (status == q8_status_success) {
    uint8_t extra;
    uint8_t* target = done < e->size ? buffer + done : &extra;
    const zip_uint64_t want = done < e->size ? e->size - done : 1;
    const zip_int64_t got = zip_fread(file, target, want);
    if (got < 0) {
      status = fail_read(error, e->name, zip_file_get_error(file));
    } else if (got == 0) {
      if (done < e->size) {
        status = q8_fail(error, q8_status_invalid_parameter,
                         "archive: entry '%s': truncated: %llu of %llu bytes", e->name,
                         (unsigned long long)done, (unsigned long long)e->size);
      }
      break;
    } else if (done >= e->size) {
      status = q8_fail(error, q8_status_invalid_parameter,
                       "archive: entry '%s' holds more than its declared %llu bytes", e->name,
                       (unsigned long long)e->size);
    } else {
      done += (uint64_t)got;
    }
  }
  zip_fclose(file);
  if (status == q8_status_success) ar->bytes_read += e->size;
  return status;
}

static q8_status locate(const q8_archive* ar, const char* relative, size_t* index,
                        q8_archive_entry* entry, q8_error* error) {
  if (relative == NULL)
    return q8_fail(error, q8_status_invalid_parameter, "archive: entry name is NULL");
  if (!q8_archive_find(ar, relative, index)) {
    return q8_fail(error, q8_status_invalid_parameter, "archive: entry '%s/%s' is missing",
                   ar->root, relative);
  }
  const q8_status status = q8_archive_entry_at(ar, *index, entry, error);
  if (status != q8_status_success) return status;
  return check_limits(ar, entry, error);
}

q8_status q8_archive_read(q8_archive* archive, const char* relative, void** data_out,
                          size_t* size_out, q8_error* error) {
  if (data_out == NULL || size_out == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "archive: data_out or size_out is NULL");
  }
  *data_out = NULL;
  *size_out = 0;
  size_t index;
  q8_archive_entry e;
  q8_status status = locate(archive, relative, &index, &e, error);
  if (status != q8_status_success) return status;
  uint8_t* buffer = malloc((size_t)e.size + 1);
  if (buffer == NULL) {
    return q8_fail(error, q8_status_out_of_memory,
                   "archive: entry '%s': out of memory for %llu bytes", e.name,
                   (unsigned long long)e.size);
  }
  status = read_exact(archive, index, &e, buffer, error);
  if (status != q8_status_success) {
    free(buffer);
    return status;
  }
  buffer[e.size] = '\0';
  *data_out = buffer;
  *size_out = (size_t)e.size;
  return q8_status_success;
}

q8_status q8_archive_read_storage(q8_archive* archive, const char* relative,
                                  uint64_t expected_bytes, void** data_out, q8_error* error) {
  if (data_out == NULL)
    return q8_fail(error, q8_status_invalid_parameter, "archive: data_out is NULL");
  *data_out = NULL;
  size_t index;
  q8_archive_entry e;
  q8_status status = locate(archive, relative, &index, &e, error);
  if (status != q8_status_success) return status;
  if (!e.stored) {
    return q8_fail(
        error, q8_status_invalid_parameter,
        "archive: storage entry '%s' is compressed; PyTorch stores storages uncompressed", e.name);
  }
  if (e.size != expected_bytes) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "archive: storage entry '%s' holds %llu bytes; its tensor needs %llu", e.name,
                   (unsigned long long)e.size, (unsigned long long)expected_bytes);
  }
  /* aligned_alloc wants a multiple of the alignment, and a nonzero size. */
  const size_t a = Q8_ARCHIVE_STORAGE_ALIGNMENT;
  const size_t rounded = ((size_t)e.size + a) / a * a; /* check_limits keeps this from wrapping */
  uint8_t* buffer = aligned_alloc(a, rounded);
  if (buffer == NULL) {
    return q8_fail(error, q8_status_out_of_memory,
                   "archive: storage entry '%s': out of memory for %llu bytes", e.name,
                   (unsigned long long)e.size);
  }
  memset(buffer + e.size, 0, rounded - (size_t)e.size); /* no uninitialized tail */
  status = read_exact(archive, index, &e, buffer, error);
  if (status != q8_status_success) {
    free(buffer);
    return status;
  }
  *data_out = buffer;
  return q8_status_success;
}

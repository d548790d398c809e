#include "model-files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "npy.h"

uint8_t* read_whole_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  uint8_t* data = NULL;
  long length = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (length = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (data = malloc((size_t)length + 1)) != NULL &&
      fread(data, 1, (size_t)length, f) != (size_t)length) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = (size_t)length;
  return data;
}

int read_npy_f32(const char* path, q8_tensor_shape* shape, float** data) {
  char message[512];
  if (q8_npy_read(path, shape, data, message, sizeof(message)) == 0) return 0;
  fprintf(stderr, "%s\n", message);
  return -1;
}

static zip_t* open_zip(const uint8_t* zip, size_t size, zip_source_t** source) {
  zip_error_t error;
  zip_error_init(&error);
  void* copy = malloc(size);
  if (copy == NULL) return NULL;
  memcpy(copy, zip, size);
  *source = zip_source_buffer_create(copy, size, 1, &error);
  if (*source == NULL) {
    free(copy);
    return NULL;
  }
  zip_source_keep(*source);
  zip_t* archive = zip_open_from_source(*source, 0, &error);
  if (archive == NULL) zip_source_free(*source);
  zip_error_fini(&error);
  return archive;
}

static zip_int64_t find_suffix(zip_t* archive, const char* suffix) {
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < n; i++) {
    const char* name = zip_get_name(archive, (zip_uint64_t)i, 0);
    if (name != NULL && strlen(name) >= strlen(suffix) &&
        strcmp(name + strlen(name) - strlen(suffix), suffix) == 0)
      return i;
  }
  return -1;
}

static uint8_t* read_index(zip_t* archive, zip_int64_t index, size_t* entry_size) {
  zip_stat_t st;
  if (index < 0 || zip_stat_index(archive, (zip_uint64_t)index, 0, &st) != 0) return NULL;
  zip_file_t* f = zip_fopen_index(archive, (zip_uint64_t)index, 0);
  uint8_t* data = malloc(st.size + 1);
  if (f != NULL && data != NULL && zip_fread(f, data, st.size) == (zip_int64_t)st.size) {
    *entry_size = st.size;
  } else {
    free(data);
    data = NULL;
  }
  if (f != NULL) zip_fclose(f);
  return data;
}

uint8_t* zip_read_entry(const uint8_t* zip, size_t size, const char* suffix, size_t* entry_size) {
  zip_source_t* source;
  zip_t* archive = open_zip(zip, size, &source);
  if (archive == NULL) return NULL;
  uint8_t* data = read_index(archive, find_suffix(archive, suffix), entry_size);
  zip_discard(archive);
  zip_source_free(source);
  return data;
}

/* --- a minimal zip writer (stored entries), so that rewritten archives are
 * plain and self-consistent whatever the original's extra fields were --- */

static uint32_t crc32_of(const uint8_t* data, size_t size) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

typedef struct writer {
  uint8_t* data;
  size_t size, capacity;
  int failed;
} writer;

static void put(writer* w, const void* bytes, size_t n) {
  if (w->failed) return;
  if (w->size + n > w->capacity) {
    const size_t capacity = (w->size + n) * 2;
    uint8_t* grown = realloc(w->data, capacity);
    if (grown == NULL) {
      w->failed = 1;
      return;
    }
    w->data = grown, w->capacity = capacity;
  }
  memcpy(w->data + w->size, bytes, n);
  w->size += n;
}

static void put16(writer* w, uint32_t v) { put(w, (uint8_t[2]){v & 0xff, (v >> 8) & 0xff}, 2); }
static void put32(writer* w, uint32_t v) {
  put16(w, v & 0xffff);
  put16(w, v >> 16);
}

/* Local header (local != 0) or central directory record of one entry. */
static void put_header(writer* w, int local, const char* name, uint32_t crc, uint32_t size,
                       uint32_t offset) {
  put32(w, local ? 0x04034b50u : 0x02014b50u);
  if (!local) put16(w, 20); /* version made by */
  put16(w, 20);             /* version needed */
  put16(w, 0);              /* flags */
  put16(w, 0);              /* stored */
  put16(w, 0), put16(w, 0x21); /* time, date (1980-01-01) */
  put32(w, crc), put32(w, size), put32(w, size);
  put16(w, (uint32_t)strlen(name));
  put16(w, 0); /* extra */
  if (!local) {
    put16(w, 0), put16(w, 0), put16(w, 0); /* comment, disk, internal attributes */
    put32(w, 0), put32(w, offset);
  }
  put(w, name, strlen(name));
}

uint8_t* zip_replace_entry(const uint8_t* zip, size_t size, const char* suffix,
                           const uint8_t* content, size_t content_size, size_t* out_size) {
  zip_source_t* source;
  zip_t* archive = open_zip(zip, size, &source);
  if (archive == NULL) return NULL;
  const zip_int64_t target = find_suffix(archive, suffix);
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  uint32_t* offsets = calloc((size_t)n + 1, sizeof(uint32_t));
  uint32_t* crcs = calloc((size_t)n + 1, sizeof(uint32_t));
  uint32_t* sizes = calloc((size_t)n + 1, sizeof(uint32_t));
  writer w = {0};
  w.failed = target < 0 || offsets == NULL || crcs == NULL || sizes == NULL;
  for (zip_int64_t i = 0; i < n && !w.failed; i++) {
    const char* name = zip_get_name(archive, (zip_uint64_t)i, 0);
    size_t entry_size = content_size;
    uint8_t* entry = i == target ? NULL : read_index(archive, i, &entry_size);
    const uint8_t* bytes = i == target ? content : entry;
    if (bytes == NULL) {
      w.failed = 1;
      break;
    }
    offsets[i] = (uint32_t)w.size, crcs[i] = crc32_of(bytes, entry_size);
    sizes[i] = (uint32_t)entry_size;
    put_header(&w, 1, name, crcs[i], sizes[i], 0);
    put(&w, bytes, entry_size);
    free(entry);
  }
  const uint32_t directory = (uint32_t)w.size;
  for (zip_int64_t i = 0; i < n && !w.failed; i++)
    put_header(&w, 0, zip_get_name(archive, (zip_uint64_t)i, 0), crcs[i], sizes[i], offsets[i]);
  const uint32_t directory_size = (uint32_t)w.size - directory;
  put32(&w, 0x06054b50u), put16(&w, 0), put16(&w, 0);
  put16(&w, (uint32_t)n), put16(&w, (uint32_t)n);
  put32(&w, directory_size), put32(&w, directory), put16(&w, 0);
  free(offsets), free(crcs), free(sizes);
  zip_discard(archive);
  zip_source_free(source);
  if (w.failed) {
    free(w.data);
    return NULL;
  }
  *out_size = w.size;
  return w.data;
}

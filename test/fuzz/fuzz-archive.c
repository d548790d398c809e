/* libFuzzer target: the zip reader (archive.h) on raw file bytes: open,
 * describe and read every entry, as plain data and as a storage. */
#include <stdlib.h>

#include "fuzz-bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const q8_archive_limits limits = fuzz_archive_limits();
  q8_archive* ar = NULL;
  q8_error err = {0};
  if (q8_archive_open_memory(data, size, &limits, &ar, &err) != q8_status_success) return 0;
  (void)q8_archive_root(ar);
  const size_t n = q8_archive_entry_count(ar);
  for (size_t i = 0; i < n && i < 64; i++) {
    q8_archive_entry e;
    if (q8_archive_entry_at(ar, i, &e, &err) != q8_status_success) continue;
    size_t index;
    if (!q8_archive_find(ar, e.relative, &index)) continue;
    void* bytes = NULL;
    size_t got = 0;
    if (q8_archive_read(ar, e.relative, &bytes, &got, &err) == q8_status_success && got != e.size)
      abort(); /* the reader returned other than the declared size */
    free(bytes);
    bytes = NULL;
    if (q8_archive_read_storage(ar, e.relative, e.size, &bytes, &err) == q8_status_success &&
        ((uintptr_t)bytes % Q8_ARCHIVE_STORAGE_ALIGNMENT) != 0)
      abort();
    free(bytes);
  }
  (void)q8_archive_bytes_read(ar);
  q8_archive_close(ar);
  return 0;
}

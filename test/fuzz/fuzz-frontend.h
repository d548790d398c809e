/* The body shared by the two front-end fuzz targets: a bundle (fuzz-bundle.h)
 * written into a zip, opened, and handed to one front end. */
#ifndef Q8_FUZZ_FRONTEND_H
#define Q8_FUZZ_FRONTEND_H

#include <stdlib.h>

#include "fuzz-bundle.h"
#include "runtime/graph/graph.h"

typedef q8_status (*fuzz_front_end)(q8_archive* archive, q8_graph** graph_out, q8_error* error);

static inline int fuzz_front_end_once(const uint8_t* data, size_t size, fuzz_front_end load) {
  size_t zip_size = 0;
  uint8_t* zip = fuzz_bundle_to_zip(data, size, &zip_size);
  if (zip == NULL) return 0;
  const q8_archive_limits limits = fuzz_archive_limits();
  q8_archive* ar = NULL;
  q8_error err = {0};
  if (q8_archive_open_memory(zip, zip_size, &limits, &ar, &err) == q8_status_success) {
    q8_graph* graph = NULL;
    const q8_status status = load(ar, &graph, &err);
    if (status == q8_status_success) {
      if (graph == NULL) abort();
      q8_graph_delete(graph);
    } else if (err.message[0] == '\0') {
      abort(); /* every failure explains itself */
    }
    q8_archive_close(ar);
  }
  free(zip);
  return 0;
}

#endif

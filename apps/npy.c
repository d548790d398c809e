#include "npy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { max_header = 1 << 16 };

static int fail(char* message, size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  if (message != NULL && size != 0) vsnprintf(message, size, format, args);
  va_end(args);
  return -1;
}

size_t q8_npy_element_count(const q8_tensor_shape* shape) {
  size_t n = 1;
  for (size_t d = 0; d < shape->rank; d++) n *= shape->dims[d];
  return n;
}

/* Parses "(1, 3, 224, 224)" after 'shape': in the header dictionary. */
static int parse_shape(const char* header, q8_tensor_shape* shape) {
  const char* p = strstr(header, "'shape':");
  if (p == NULL || (p = strchr(p, '(')) == NULL) return -1;
  shape->rank = 0;
  size_t total = 1;
  for (p++; *p != ')' && *p != '\0';) {
    if (*p == ' ' || *p == ',') {
      p++;
      continue;
    }
    char* end;
    const unsigned long long v = strtoull(p, &end, 10);
    if (end == p || shape->rank == Q8_MAX_TENSOR_DIMS || v > SIZE_MAX / sizeof(float) ||
        (v != 0 && total > SIZE_MAX / sizeof(float) / v)) {
      return -1;
    }
    total *= (size_t)v;
    shape->dims[shape->rank++] = (size_t)v;
    p = end;
  }
  return *p == ')' ? 0 : -1;
}

/* Reads the magic, version and header; returns the header (malloc'd). */
static char* read_header(FILE* f) {
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) return NULL;
  size_t length = pre[8] | (size_t)pre[9] << 8;
  if (pre[6] == 2 || pre[6] == 3) {
    unsigned char more[2];
    if (fread(more, 1, 2, f) != 2) return NULL;
    length |= (size_t)more[0] << 16 | (size_t)more[1] << 24;
  } else if (pre[6] != 1) {
    return NULL;
  }
  if (length > max_header) return NULL;
  char* header = calloc(length + 1, 1);
  if (header != NULL && fread(header, 1, length, f) != length) {
    free(header);
    header = NULL;
  }
  return header;
}

int q8_npy_read(const char* path, q8_tensor_shape* shape, float** data, char* message,
                size_t message_size) {
  *data = NULL;
  memset(shape, 0, sizeof(*shape));
  FILE* f = fopen(path, "rb");
  if (f == NULL) return fail(message, message_size, "cannot open %s", path);
  char* header = read_header(f);
  int rc = 0;
  if (header == NULL) {
    rc = fail(message, message_size, "%s is not a NumPy .npy file", path);
  } else if (strstr(header, "'descr': '<f4'") == NULL ||
             strstr(header, "'fortran_order': False") == NULL || parse_shape(header, shape)) {
    rc = fail(message, message_size,
              "%s: only float32 ('<f4') C-order arrays are supported (header: %s)", path, header);
  } else {
    const size_t n = q8_npy_element_count(shape);
    *data = malloc((n ? n : 1) * sizeof(float));
    if (*data == NULL || fread(*data, sizeof(float), n, f) != n || fgetc(f) != EOF) {
      rc = fail(message, message_size, "%s: the data does not match the shape in the header",
                path);
      free(*data);
      *data = NULL;
    }
  }
  free(header);
  fclose(f);
  return rc;
}

int q8_npy_write(const char* path, const q8_tensor_shape* shape, const float* data,
                 char* message, size_t message_size) {
  char dims[256] = "";
  size_t used = 0;
  for (size_t d = 0; d < shape->rank && used < sizeof(dims); d++) {
    used += (size_t)snprintf(dims + used, sizeof(dims) - used, "%zu%s", shape->dims[d],
                             shape->rank == 1 || d + 1 < shape->rank ? ", " : "");
  }
  char header[384];
  int length = snprintf(header, sizeof(header),
                        "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims);
  /* Pad with spaces so the data starts 64-byte aligned; end with '\n'. */
  const int total = (10 + length + 1 + 63) / 64 * 64;
  while (10 + length + 1 < total) header[length++] = ' ';
  header[length++] = '\n';
  FILE* f = fopen(path, "wb");
  if (f == NULL) return fail(message, message_size, "cannot write %s", path);
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                 (unsigned char)(length & 0xff), (unsigned char)(length >> 8)};
  const size_t n = q8_npy_element_count(shape);
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)length, f) == (size_t)length &&
           fwrite(data, sizeof(float), n, f) == n;
  ok = fclose(f) == 0 && ok;
  return ok ? 0 : fail(message, message_size, "error writing %s", path);
}

#include "fuzz-bundle.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 256

q8_archive_limits fuzz_archive_limits(void) {
  q8_archive_limits limits = q8_archive_default_limits();
  limits.max_entry_bytes = 16u << 20;
  limits.max_total_bytes = 64u << 20;
  limits.max_entries = 4096;
  return limits;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t* p, size_t n) {
  crc = ~crc;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

typedef struct out {
  uint8_t* p;
  size_t n, cap;
  int bad;
} out;

static void emit(out* o, const void* bytes, size_t n) {
  if (o->bad) return;
  if (n > o->cap - o->n) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap - o->n < n) cap *= 2;
    uint8_t* q = realloc(o->p, cap);
    if (q == NULL) {
      o->bad = 1;
      return;
    }
    o->p = q, o->cap = cap;
  }
  memcpy(o->p + o->n, bytes, n);
  o->n += n;
}

static void u16(out* o, uint32_t v) {
  const uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  emit(o, b, 2);
}
static void u32(out* o, uint32_t v) {
  u16(o, v & 0xffffu);
  u16(o, v >> 16);
}

typedef struct record {
  char name[2 + 255 + 1];
  size_t name_length;
  const uint8_t* data;
  uint32_t size, crc, offset;
} record;

static void header(out* o, int central, const record* r) {
  u32(o, central ? 0x02014b50u : 0x04034b50u);
  if (central) u16(o, 20);
  u16(o, 20), u16(o, 0), u16(o, 0); /* version, flags, stored */
  u16(o, 0), u16(o, 0x21);          /* 1980-01-01 */
  u32(o, r->crc), u32(o, r->size), u32(o, r->size);
  u16(o, (uint32_t)r->name_length), u16(o, 0);
  if (central) {
    u16(o, 0), u16(o, 0), u16(o, 0), u32(o, 0);
    u32(o, r->offset);
  }
  emit(o, r->name, r->name_length);
}

uint8_t* fuzz_bundle_to_zip(const uint8_t* data, size_t size, size_t* zip_size) {
  record* records = calloc(MAX_ENTRIES, sizeof(record));
  if (records == NULL) return NULL;
  size_t count = 0, at = 0;
  while (at < size && count < MAX_ENTRIES) {
    record* r = &records[count];
    size_t name_length = data[at++];
    if (name_length > size - at) name_length = size - at;
    memcpy(r->name, "m/", 2);
    memcpy(r->name + 2, data + at, name_length);
    r->name_length = 2 + name_length;
    at += name_length;
    uint32_t length = 0;
    for (int k = 0; k < 4 && at < size; k++) length |= (uint32_t)data[at++] << (8 * k);
    if (length > size - at) length = (uint32_t)(size - at);
    r->data = data + at, r->size = length;
    r->crc = crc32_update(0, r->data, length);
    at += length;
    /* A name with a NUL would not survive the zip's name lookup; libzip
     * takes it as is, which is itself worth fuzzing, so keep it. */
    count++;
  }
  if (count == 0) {
    free(records);
    return NULL;
  }
  out o = {0};
  for (size_t i = 0; i < count; i++) {
    records[i].offset = (uint32_t)o.n;
    header(&o, 0, &records[i]);
    emit(&o, records[i].data, records[i].size);
  }
  const uint32_t directory = (uint32_t)o.n;
  for (size_t i = 0; i < count; i++) header(&o, 1, &records[i]);
  const uint32_t directory_size = (uint32_t)o.n - directory;
  u32(&o, 0x06054b50u), u16(&o, 0), u16(&o, 0);
  u16(&o, (uint32_t)count), u16(&o, (uint32_t)count);
  u32(&o, directory_size), u32(&o, directory), u16(&o, 0);
  free(records);
  if (o.bad) {
    free(o.p);
    return NULL;
  }
  *zip_size = o.n;
  return o.p;
}

/*
 * Helpers of the fuzz targets.
 *
 * A "bundle" is the fuzzing form of a model archive: the fuzzer mutates the
 * entries' bytes and the harness writes them into a consistent zip (stored
 * entries, right CRCs), so mutations reach the pickle and TorchScript
 * decoders instead of stopping at the zip's checksums. Layout, repeated to
 * the end of the input:
 *
 *   u8 name_length, name (relative to the root folder), u32le data_length, data
 *
 * A truncated last record keeps what is there (lengths are clamped).
 * make-corpus.py writes bundles from the committed models.
 */
#ifndef Q8_FUZZ_BUNDLE_H
#define Q8_FUZZ_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/loader/archive.h"

/* The zip (root folder "m/") for a bundle; malloc'd, NULL if out of memory
 * or the bundle has no entry. */
uint8_t* fuzz_bundle_to_zip(const uint8_t* data, size_t size, size_t* zip_size);

/* Limits small enough that a fuzz run stays far below its RSS limit. */
q8_archive_limits fuzz_archive_limits(void);

#endif

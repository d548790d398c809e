/*
 * Helpers of test-models: whole files, float32 .npy arrays, and rewriting
 * one entry of a model zip (to build hostile variants of real models).
 */
#ifndef Q8_TEST_MODEL_FILES_H
#define Q8_TEST_MODEL_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "q8/runtime.h"

/* The whole file in a malloc'd buffer; NULL if it cannot be read. */
uint8_t* read_whole_file(const char* path, size_t* size);

/* A float32 C-order .npy file; data is malloc'd. 0 on success. */
int read_npy_f32(const char* path, q8_tensor_shape* shape, float** data);

/* The bytes of the entry whose name ends with `suffix` ("/bytecode.pkl"). */
uint8_t* zip_read_entry(const uint8_t* zip, size_t size, const char* suffix, size_t* entry_size);

/* A copy of the zip with that entry's content replaced (stored, valid CRC). */
uint8_t* zip_replace_entry(const uint8_t* zip, size_t size, const char* suffix,
                           const uint8_t* content, size_t content_size, size_t* out_size);

#endif

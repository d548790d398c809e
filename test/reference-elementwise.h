/*
 * Naive references for the elementwise family, written from the rules in
 * include/q8/elementwise.h (and docs/pytorch-numerics.md), one element at a
 * time, without the library's tables, params structs or kernels.
 */
#ifndef Q8_TEST_REFERENCE_ELEMENTWISE_H
#define Q8_TEST_REFERENCE_ELEMENTWISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/elementwise.h"

/* ATen quantize_val / dequantize_val. */
uint8_t ref_quantize(float x, q8_quantization q);
float ref_dequantize(uint8_t v, q8_quantization q);

/* Binary op on dense NumPy-broadcast shapes (dims <= Q8_BINARY_MAX_DIMS). */
typedef struct ref_binary {
  bool multiply;
  q8_quantization a, b, output;
  uint8_t output_min, output_max;
  size_t a_dims, b_dims;
  size_t a_shape[Q8_BINARY_MAX_DIMS], b_shape[Q8_BINARY_MAX_DIMS];
} ref_binary;

/* Broadcast output shape; returns its element count; *dims gets its rank. */
size_t ref_binary_output(const ref_binary* r, size_t* dims, size_t shape[Q8_BINARY_MAX_DIMS]);
void ref_binary_run(const ref_binary* r, const uint8_t* a, const uint8_t* b, uint8_t* y);

/* One unary element. */
uint8_t ref_unary(q8_unary_kind kind, const q8_unary_params* p, q8_quantization in,
                  q8_quantization out, uint8_t x);

/* PyTorch's own output for a few fixed cases (tools/check_elementwise_numerics.py
 * --golden prints them): the table of every unary kind. */
typedef struct ref_golden_unary {
  q8_unary_kind kind;
  q8_unary_params params;
  q8_quantization input, output;
  const char* table_hex; /* 512 hex digits */
} ref_golden_unary;
extern const ref_golden_unary ref_golden_unaries[];
extern const size_t ref_golden_unary_count;

#endif

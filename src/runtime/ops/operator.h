/*
 * What every operator object shares, and the helpers operators use to
 * validate parameters and report errors.
 */
#ifndef Q8_RUNTIME_OPS_OPERATOR_H
#define Q8_RUNTIME_OPS_OPERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/operators.h"
#include "../../kernels/kernels.h"

struct q8_operator {
  const char* kind;               /* "convolution2d", ... */
  const q8_kernel_table* kernels; /* chosen at create time */
  bool is_setup;
  uint64_t ops; /* 2 x the multiply-adds of a run as set up (0: not counted), for profiles */
  q8_status (*run)(q8_operator* op, pthreadpool_t threadpool);
  void (*destroy)(q8_operator* op); /* frees what the operator owns, not op */
};

/* Fills *error (if not NULL) and returns status. */
q8_status q8_fail(q8_error* error, q8_status status, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

/* Allocates a zeroed operator of `size` bytes with the table for `isa`. */
q8_status q8_operator_create(size_t size, const char* kind, q8_isa isa, q8_operator** op_out,
                             q8_error* error);

/* Parameter checks; `function` and `name` go into the message. */
q8_status q8_check_quantization(const char* function, const char* name, q8_quantization q,
                                q8_error* error);
q8_status q8_check_weight_quantization(const char* function, const q8_weight_quantization* q,
                                       size_t output_channels, q8_error* error);
q8_status q8_check_output_range(const char* function, uint8_t output_min, uint8_t output_max,
                                q8_error* error);
q8_status q8_check_nonzero(const char* function, const char* name, size_t value,
                           q8_error* error);
q8_status q8_check_pointer(const char* function, const char* name, const void* pointer,
                           q8_error* error);

/* Starts a setup call: op must be an operator whose run function is `run`
 * (its family); the operator stays not-set-up until the setup succeeds. */
q8_status q8_begin_setup(const char* function, q8_operator* op,
                         q8_status (*run)(q8_operator*, pthreadpool_t), q8_error* error);

/* The checks every NHWC image setup makes: nonzero batch and extents,
 * non-NULL buffers. */
q8_status q8_check_image(const char* function, size_t batch, size_t height, size_t width,
                         const void* input, const void* output, q8_error* error);

/* Returns `buffer` grown to hold `count` elements of `element_size` bytes
 * (itself if it already does; never shrinks; at least one element), updating
 * *capacity; NULL if the size overflows or realloc fails, the old buffer then
 * staying valid. */
void* q8_grow_buffer(void* buffer, size_t* capacity, size_t count, size_t element_size);

/* Largest GEMM reduction (K): 255 * 255 * K must fit in int32. */
#define Q8_MAX_REDUCTION 32768

/* Overflow-checked a * b; false on overflow. */
static inline bool q8_mul_size(size_t a, size_t b, size_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

/* Duplicates nbytes of src; NULL on failure (or when nbytes is 0). */
void* q8_memdup(const void* src, size_t nbytes);

/* Packed weights on a 64-byte boundary (free with free()): the x86 kernels
 * read one cache line of weights per load, and a misaligned block costs
 * every load a split line (measured: +12-17% on the big avx512vnni GEMMs,
 * +50% on 1-row fully connected). */
void* q8_alloc_packed(size_t nbytes);

#endif

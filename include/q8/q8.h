/*
 * q8: quantized int8 inference for PyTorch models on phone CPUs.
 *
 * Common definitions: status codes, the caller-owned error record, library
 * initialization and the choice of micro-kernel table (ISA).
 */
#ifndef Q8_Q8_H
#define Q8_Q8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the public API: the shared library exports these symbols only (it
 * is built with hidden visibility by default). */
#if defined(__GNUC__)
#define Q8_API __attribute__((visibility("default")))
#else
#define Q8_API
#endif

#define Q8_VERSION_MAJOR 0
#define Q8_VERSION_MINOR 1
#define Q8_VERSION_PATCH 0

/* Every fallible q8 call returns one of these. */
typedef enum q8_status {
  q8_status_success = 0,
  /* A parameter is out of its documented range (message names it). */
  q8_status_invalid_parameter = 1,
  /* A parameter is valid in PyTorch but q8 does not support it. */
  q8_status_unsupported_parameter = 2,
  /* malloc failed, or a size computation overflowed. */
  q8_status_out_of_memory = 3,
  /* The call is not valid in the object's current state (e.g. run before setup). */
  q8_status_invalid_state = 4,
  /* The requested ISA is not available on this CPU or in this build. */
  q8_status_unsupported_hardware = 5,
} q8_status;

/* Short, constant name of a status ("invalid parameter", ...). */
Q8_API const char* q8_status_string(q8_status status);

/*
 * Caller-owned error record. Every call that can fail takes a `q8_error*`
 * as its last argument; it may be NULL. On failure the call fills in the
 * status and a message naming the operator and parameter, e.g.
 * "q8_convolution2d_create: kernel_height is 0; it must be at least 1".
 * On success the record is left untouched.
 */
#define Q8_ERROR_MESSAGE_SIZE 256
typedef struct q8_error {
  q8_status status;
  char message[Q8_ERROR_MESSAGE_SIZE];
} q8_error;

/*
 * Micro-kernel tables. q8_isa_auto picks the best table the CPU supports
 * (detected once with cpuinfo). The environment variable Q8_ISA
 * (scalar|avx2|avx512vnni|amx|neon|neon64|neondot|neoni8mm) overrides the
 * automatic choice at the first q8_initialize.
 */
typedef enum q8_isa {
  q8_isa_auto = 0,
  q8_isa_scalar,
  q8_isa_avx2,
  q8_isa_avx512vnni,
  q8_isa_neon,
  q8_isa_neon64,
  q8_isa_neondot,
  q8_isa_neoni8mm,
  q8_isa_amx, /* x86-64: AMX int8 tiles for the GEMM family, else as avx512vnni */
  q8_isa_count
} q8_isa;

/* Name of an ISA as Q8_ISA spells it ("scalar", ...); NULL if out of range. */
Q8_API const char* q8_isa_name(q8_isa isa);

/*
 * One-time hardware detection; thread-safe and idempotent. Every create
 * function calls it, so calling it yourself is only needed to learn early
 * that an unknown Q8_ISA value was given.
 */
Q8_API q8_status q8_initialize(q8_error* error);

/* True if this build has the table and this CPU can run it. */
Q8_API int q8_isa_supported(q8_isa isa);

/* The table operators created from now on use by default. */
Q8_API q8_isa q8_default_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* Q8_Q8_H */

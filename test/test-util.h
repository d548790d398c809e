/*
 * Shared helpers of the cmocka tests: a deterministic random generator,
 * threadpools of several sizes, and a way to register one cmocka test per
 * generated case.
 */
#ifndef Q8_TEST_UTIL_H
#define Q8_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthreadpool.h>

#include "q8/operators.h"

/* splitmix64: small, fast, and the same sequence everywhere. */
typedef struct test_rng {
  uint64_t state;
} test_rng;

static inline uint64_t rng_next(test_rng* r) {
  uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}
/* Uniform in [lo, hi]. */
static inline int64_t rng_int(test_rng* r, int64_t lo, int64_t hi) {
  return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}
/* Uniform in [lo, hi). */
static inline float rng_float(test_rng* r, float lo, float hi) {
  return lo + (hi - lo) * (float)((rng_next(r) >> 40) * 0x1.0p-24);
}
/* Log-uniform positive scale in [lo, hi). */
static inline float rng_scale(test_rng* r, float lo, float hi) {
  return expf(rng_float(r, logf(lo), logf(hi)));
}
/* One of the listed values. */
static inline int64_t rng_pick(test_rng* r, size_t n, const int64_t* values) {
  return values[rng_next(r) % n];
}
/* A zero point, with the extremes 0, 128 and 255 often. */
static inline int32_t rng_zero_point(test_rng* r) {
  static const int64_t extremes[] = {0, 128, 255};
  return rng_next(r) % 2 ? (int32_t)rng_pick(r, 3, extremes) : (int32_t)rng_int(r, 0, 255);
}
static inline void rng_fill_u8(test_rng* r, uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rng_next(r);
}
static inline void rng_fill_s8(test_rng* r, int8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (int8_t)(uint8_t)rng_next(r);
}

/* Thread counts every operator test runs with; outputs must be identical. */
#define TEST_THREAD_COUNTS 4
static const size_t test_thread_counts[TEST_THREAD_COUNTS] = {1, 2, 3, 7};

/* Operator tests run each case on every pool and then call
 * q8_threadpool_release_workers on it: a pool's workers otherwise spin for
 * some 10^6 pause loops after each job, and on a 2-core CI machine the
 * spinning workers of the 2-, 3- and 7-thread pools (12 threads) starve the
 * thread doing the work; outputs are checked the same either way. */

/* Creates the pools (NULL for 1 thread: the caller's thread). */
void test_pools_create(pthreadpool_t pools[TEST_THREAD_COUNTS]);
void test_pools_destroy(pthreadpool_t pools[TEST_THREAD_COUNTS]);

/* n bytes ending right at a PROT_NONE page (n = 0: the page itself), so
 * that a kernel touching one byte past them faults. */
typedef struct guarded {
  void* map;
  size_t map_size;
  uint8_t* p;
} guarded;
guarded guarded_alloc(size_t n);
void guarded_free(guarded* g);

/* Fails the test with the message in `err` (a q8_error the caller declared
 * and passed to the call) if the call does not succeed. */
#define assert_q8_ok(call)                                                       \
  do {                                                                           \
    const q8_status st_ = (call);                                                \
    if (st_ != q8_status_success) fail_msg("%s failed: %s", #call, err.message); \
  } while (0)

/* The number of cases of a random operator sweep that has `full` cases:
 * all of them, or under emulation (the ARM presets configure with
 * -DQ8_TEST_SWEEP_DIVISOR=4) a 1/Q8_TEST_SWEEP_DIVISOR share, rounded up:
 * the first cases, whose index-derived kinds (index % 5 shape kind, ...)
 * still cycle through every value. Kernel-versus-scalar sweeps, systematic
 * edge cases and error cases are never divided. */
#ifndef Q8_TEST_SWEEP_DIVISOR
#define Q8_TEST_SWEEP_DIVISOR 1
#endif
#define TEST_SWEEP(full) (((full) + Q8_TEST_SWEEP_DIVISOR - 1) / Q8_TEST_SWEEP_DIVISOR)

/* Registers `count` cmocka tests named "<group>/<i>" that call fn with the
 * case index as state, runs them, and returns the number that failed. */
typedef void (*test_case_fn)(size_t index);
int test_run_cases(const char* group, size_t count, test_case_fn fn);

/* Prints the first differing element of two byte arrays and fails. */
void test_assert_bytes_equal(const uint8_t* expected, const uint8_t* actual, size_t n,
                             const char* what, size_t case_index);

/* Fails unless a call returned `status`, recorded it in *err, and its
 * message contains `needle` (case `index` names the failure). */
void test_expect_error(size_t index, q8_status got, const q8_error* err, q8_status status,
                       const char* needle);

/* The ISA the operators under test run on (Q8_ISA, else the default). */
const char* test_isa_name(void);

/* If Q8_ISA names a table this CPU lacks, prints that the suite is skipped
 * and returns 1. */
int test_skip_unsupported_isa(const char* suite);

#endif

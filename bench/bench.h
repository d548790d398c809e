/*
 * The C side of q8-bench. Benchmark bodies are C functions that receive an
 * opaque state and loop while q8_bench_keep_running() says so; the C++ shim
 * (third_party/benchmark-shim/shim.cc) registers them with Google Benchmark.
 */
#ifndef Q8_BENCH_H
#define Q8_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct q8_bench_state q8_bench_state;

int q8_bench_keep_running(q8_bench_state* state);
/* A counter, reported as is (benchmarks time themselves, so that GOPS and
 * peak_pct aggregate over repetitions like any counter). */
void q8_bench_counter(q8_bench_state* state, const char* name, double value);
void q8_bench_skip(q8_bench_state* state, const char* message);

typedef void (*q8_bench_fn)(q8_bench_state* state, const void* arg);

/* Registers a benchmark named `name` running fn(state, copy of arg): the
 * shim keeps a copy of the arg_size bytes at arg until it exits. */
void q8_bench_register(const char* name, q8_bench_fn fn, const void* arg, size_t arg_size);

/* Measured int8 peak in GOPS of the path `isa` is built on (0 if unknown);
 * measured once per process. */
double q8_bench_peak_gops(q8_isa isa);

/* The GEMM shapes (M, K, N) and depthwise shapes (H, W, C, kernel, stride)
 * of gemm/... and dwconv/..., which the peer benchmarks repeat. */
#define Q8_BENCH_GEMM_SHAPES 8
#define Q8_BENCH_DWCONV_SHAPES 4
extern const size_t q8_bench_gemm_shapes[Q8_BENCH_GEMM_SHAPES][3];
extern const size_t q8_bench_dwconv_shapes[Q8_BENCH_DWCONV_SHAPES][5];

/* Registration of each family (one per file in bench/). */
void q8_bench_register_peak(void);
void q8_bench_register_gemm(void);
void q8_bench_register_conv(void);
void q8_bench_register_peers(void); /* peer/<lib>/...: bench/peer-register.c */
/* model/<file>/threads:<n> for each path in `models` (split at `separator`)
 * and each count in `threads` ("1,2"; NULL: 1 and 2). */
void q8_bench_register_models(const char* models, char separator, const char* threads);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Optional peer benchmarks (bench/peer-*.c): oneDNN and XNNPACK on the
 * shapes of bench/operators.c, named peer/<lib>/gemm/<M>x<K>x<N> and
 * peer/<lib>/dwconv/<H>x<W>x<C>/k<K>s<S>. CMake compiles peer-onednn.c and
 * peer-xnnpack.c only when the library is installed (Q8_BENCH_ONEDNN,
 * Q8_BENCH_XNNPACK); peer-register.c is always built and registers what is
 * there.
 */
#ifndef Q8_BENCH_PEER_H
#define Q8_BENCH_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

typedef struct peer_bench {
  int gemm;             /* 1: GEMM M x K x N; 0: depthwise H x W x C */
  size_t m, k, n;       /* GEMM: M rows of K inputs, N outputs */
  size_t h, w, c;       /* depthwise: NHWC input, batch 1 */
  uint32_t kernel, stride; /* depthwise: square kernel, padding kernel / 2 */
} peer_bench;

/* The quantization of bench/operators.c, so that every library requantizes
 * the same way: input (scale, zero point), one weight scale, output. */
#define PEER_INPUT_SCALE 0.05f
#define PEER_INPUT_ZERO_POINT 120
#define PEER_WEIGHT_SCALE 0.01f
#define PEER_OUTPUT_SCALE (0.05f * 0.01f * 16.0f)
#define PEER_OUTPUT_ZERO_POINT 128

/* Output size of a depthwise benchmark. */
size_t peer_out_height(const peer_bench* b);
size_t peer_out_width(const peer_bench* b);
/* Multiply-accumulates of one run: M*K*N, or H_out*W_out*C*K*K. */
double peer_macs(const peer_bench* b);
/* Deterministic data, as in bench/operators.c: s8 weights (the XNNPACK qu8
 * path adds 128 and uses kernel zero point 128), u8 input, and the bias
 * quantized as q8 does it (round half even of bias / (input_scale *
 * weight_scale), in units of the int32 accumulator): both peers add the
 * bias before the output scale. */
int8_t peer_weight(size_t i);
int32_t peer_bias_quantized(size_t i);
uint8_t peer_input(size_t i);
double peer_seconds(void);
/* Reports GOPS (2 ops per MAC) of `runs` runs in `seconds`, and for GEMM
 * peak_pct against `peak_gops` (0: not reported). */
void peer_report(q8_bench_state* state, const peer_bench* b, size_t runs, double seconds,
                 double peak_gops);
/* The peak GEMM benchmarks are compared with, measured before the timed
 * loop: q8's avx512vnni peak (bench/peak.c), as for gemm/avx512vnni/... */
double peer_peak_gops(const peer_bench* b);

#ifdef Q8_BENCH_ONEDNN
void q8_bench_peer_onednn(q8_bench_state* state, const void* arg);
#endif
#ifdef Q8_BENCH_XNNPACK
void q8_bench_peer_xnnpack(q8_bench_state* state, const void* arg);
#endif

#endif

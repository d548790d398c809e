/*
 * Registers the optional peer benchmarks (see peer.h) on the GEMM and
 * depthwise shapes of bench/operators.c (bench.h), single thread. Without either
 * library this file registers nothing.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "peer.h"

size_t peer_out_height(const peer_bench* b) {
  return (b->h + 2 * (b->kernel / 2) - b->kernel) / b->stride + 1;
}

size_t peer_out_width(const peer_bench* b) {
  return (b->w + 2 * (b->kernel / 2) - b->kernel) / b->stride + 1;
}

double peer_macs(const peer_bench* b) {
  if (b->gemm) return (double)b->m * (double)b->k * (double)b->n;
  return (double)peer_out_height(b) * (double)peer_out_width(b) * (double)b->c *
         (double)b->kernel * (double)b->kernel;
}

int8_t peer_weight(size_t i) { return (int8_t)(i * 2654435761u >> 24); }
int32_t peer_bias_quantized(size_t i) {
  const float bias = (float)(i % 7) - 3.0f;
  return (int32_t)lrintf(bias * (1.0f / (float)((double)PEER_WEIGHT_SCALE * PEER_INPUT_SCALE)));
}
uint8_t peer_input(size_t i) { return (uint8_t)(i * 40503u >> 8); }

double peer_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void peer_report(q8_bench_state* state, const peer_bench* b, size_t runs, double seconds,
                 double peak_gops) {
  const double gops = 2.0 * peer_macs(b) * (double)runs / seconds * 1e-9;
  q8_bench_counter(state, "GOPS", gops);
  if (b->gemm && peak_gops > 0.0) q8_bench_counter(state, "peak_pct", 100.0 * gops / peak_gops);
}

double peer_peak_gops(const peer_bench* b) {
  return b->gemm ? q8_bench_peak_gops(q8_isa_avx512vnni) : 0.0;
}

#if defined(Q8_BENCH_ONEDNN) || defined(Q8_BENCH_XNNPACK)
static void register_peer(const char* lib, q8_bench_fn fn) {
  char name[128];
  for (size_t i = 0; i < Q8_BENCH_GEMM_SHAPES; i++) {
    const size_t* g = q8_bench_gemm_shapes[i];
    const peer_bench b = {.gemm = 1, .m = g[0], .k = g[1], .n = g[2]};
    snprintf(name, sizeof(name), "peer/%s/gemm/%zux%zux%zu", lib, b.m, b.k, b.n);
    q8_bench_register(name, fn, &b, sizeof(b));
  }
  for (size_t i = 0; i < Q8_BENCH_DWCONV_SHAPES; i++) {
    const size_t* d = q8_bench_dwconv_shapes[i];
    const peer_bench b = {.h = d[0], .w = d[1], .c = d[2], .kernel = (uint32_t)d[3],
                          .stride = (uint32_t)d[4]};
    snprintf(name, sizeof(name), "peer/%s/dwconv/%zux%zux%zu/k%us%u", lib, b.h, b.w, b.c,
             b.kernel, b.stride);
    q8_bench_register(name, fn, &b, sizeof(b));
  }
}
#endif

void q8_bench_register_peers(void) {
#ifdef Q8_BENCH_ONEDNN
  register_peer("onednn", q8_bench_peer_onednn);
#endif
#ifdef Q8_BENCH_XNNPACK
  register_peer("xnnpack", q8_bench_peer_xnnpack);
#endif
}

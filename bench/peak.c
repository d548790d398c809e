/*
 * peak/<isa>: a tight loop of the multiply-accumulate sequence each ISA's
 * GEMM kernel is built on, with enough independent accumulators to hide
 * latency. It measures what this CPU can do on that path; the GEMM
 * benchmarks report their GOPS as a percentage of it.
 */
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bench.h"

enum { peak_iterations = 1 << 20 };

/* Each function returns the int8 operations (2 per MAC) of one call and
 * stores a checksum so the loop is not optimized away. */
/* The scalar GEMM tile's sequence: a 4x4 outer product of widened u8 and
 * s8 values into int32 accumulators, fed from memory. */
static double peak_scalar(volatile int32_t* sink) {
  uint32_t acc[4][4] = {{0}}; /* wrapping, like the kernels' accumulators */
  uint8_t a[4 * 64];
  int8_t w[4 * 64];
  for (int i = 0; i < 4 * 64; i++) {
    a[i] = (uint8_t)(i * 7 + *sink);
    w[i] = (int8_t)(i * 13);
  }
  for (int i = 0; i < peak_iterations / 64; i++) {
    for (int k = 0; k < 64; k++) {
      for (int m = 0; m < 4; m++) {
        for (int n = 0; n < 4; n++) acc[m][n] += a[4 * k + m] * (uint32_t)(int32_t)w[4 * k + n];
      }
    }
    __asm__ volatile("" : : "r"(a), "r"(w) : "memory");
  }
  uint32_t s = 0;
  for (int m = 0; m < 4; m++) {
    for (int n = 0; n < 4; n++) s += acc[m][n];
  }
  *sink = (int32_t)(s & 0x7fffffff);
  return 2.0 * 16 * 64 * (peak_iterations / 64);
}

#if defined(__x86_64__)
/* The exact AVX2 path as the 7x16c4 kernel runs it: each weight vector is
 * sign-extended once (vpmovsxbw from memory) and used by seven rows of A
 * already widened to int16 (vpmaddwd + vpaddd); 7 accumulators of 8 int32
 * lanes, 16 MACs per vpmaddwd. The accumulators and rows are named locals:
 * an array indexed in the loop ends up in memory under the memory clobber,
 * which turned an earlier version of this loop into a store-forwarding
 * chain (half the speed). */
__attribute__((target("avx2"))) static double peak_avx2(volatile int32_t* sink) {
  enum { groups = 64 };
  const __m256i a0 = _mm256_set1_epi16((short)(*sink | 3));
  const __m256i a1 = _mm256_add_epi16(a0, _mm256_set1_epi16(1));
  const __m256i a2 = _mm256_add_epi16(a0, _mm256_set1_epi16(2));
  const __m256i a3 = _mm256_add_epi16(a0, _mm256_set1_epi16(3));
  const __m256i a4 = _mm256_add_epi16(a0, _mm256_set1_epi16(4));
  const __m256i a5 = _mm256_add_epi16(a0, _mm256_set1_epi16(5));
  const __m256i a6 = _mm256_add_epi16(a0, _mm256_set1_epi16(6));
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
  int8_t w[16 * groups];
  for (int j = 0; j < 16 * groups; j++) w[j] = (int8_t)(j * 7 - 32);
  for (int i = 0; i < peak_iterations / groups; i++) {
    const int8_t* wp = w;
    __asm__ volatile("" : "+r"(wp) : : "memory");
    for (int g = 0; g < groups; g++) {
      const __m256i vw = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(wp + 16 * g)));
      c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(a0, vw));
      c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(a1, vw));
      c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(a2, vw));
      c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(a3, vw));
      c4 = _mm256_add_epi32(c4, _mm256_madd_epi16(a4, vw));
      c5 = _mm256_add_epi32(c5, _mm256_madd_epi16(a5, vw));
      c6 = _mm256_add_epi32(c6, _mm256_madd_epi16(a6, vw));
    }
  }
  __m256i s = _mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3));
  s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_add_epi32(c4, c5), c6));
  *sink = _mm256_extract_epi32(s, 0);
  return 2.0 * 16 * 7 * peak_iterations;
}

/* vpdpbusd on zmm: 64 u8 x s8 MACs per instruction, 12 accumulators. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) static double peak_avx512vnni(
    volatile int32_t* sink) {
  __m512i acc[12];
  for (int j = 0; j < 12; j++) acc[j] = _mm512_setzero_si512();
  const __m512i a = _mm512_set1_epi32(*sink | 0x01020304);
  const __m512i b = _mm512_set1_epi32(0x05060708);
  for (int i = 0; i < peak_iterations / 12; i++) {
    for (int j = 0; j < 12; j++) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
  }
  __m512i s = acc[0];
  for (int j = 1; j < 12; j++) s = _mm512_add_epi32(s, acc[j]);
  *sink = _mm512_reduce_add_epi32(s);
  return 2.0 * 64 * 12 * (peak_iterations / 12);
}

/* tdpbusd on 16x16 int32 tiles (16 rows x 64 k x 16 columns per
 * instruction), a 2x2 block of C tiles from two A and two B tiles, as the
 * amx GEMM tile. Needs q8's detection first (it asks Linux for the tile
 * state), which q8_isa_supported has done. */
typedef struct peak_tile_config {
  uint8_t palette, start_row, reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} peak_tile_config;

__attribute__((target("amx-tile,amx-int8"))) static double peak_amx(volatile int32_t* sink) {
  static const peak_tile_config config __attribute__((aligned(64))) = {
      .palette = 1,
      .bytes_per_row = {64, 64, 64, 64, 64, 64, 64, 64},
      .rows = {16, 16, 16, 16, 16, 16, 16, 16}};
  uint8_t ab[16 * 64] __attribute__((aligned(64)));
  int32_t c[16 * 16] __attribute__((aligned(64)));
  for (int i = 0; i < 16 * 64; i++) ab[i] = (uint8_t)(i * 7 + *sink);
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, ab, 64);
  _tile_loadd(5, ab, 64);
  _tile_loadd(6, ab, 64);
  _tile_loadd(7, ab, 64);
  const int iterations = peak_iterations / 64;
  for (int i = 0; i < iterations; i++) {
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  _tile_stored(0, c, 64);
  _tile_release();
  *sink = c[0];
  return 2.0 * 16 * 16 * 64 * 4 * iterations;
}
#endif

typedef double (*peak_fn)(volatile int32_t*);

static peak_fn peak_function(q8_isa isa) {
  switch (isa) {
    case q8_isa_scalar: return peak_scalar;
#if defined(__x86_64__)
    case q8_isa_avx2: return peak_avx2;
    case q8_isa_avx512vnni: return peak_avx512vnni;
    case q8_isa_amx: return peak_amx;
#endif
    default: return NULL;
  }
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best of several short runs: the peak is what the core can do. */
static double measure_peak(peak_fn fn) {
  volatile int32_t sink = 1;
  double best = 0.0;
  for (int r = 0; r < 15; r++) {
    const double t0 = seconds();
    const double ops = fn(&sink);
    const double gops = ops / (seconds() - t0) * 1e-9;
    best = gops > best ? gops : best;
  }
  return best;
}

double q8_bench_peak_gops(q8_isa isa) {
  static double cache[q8_isa_count]; /* per process; the bench binary only */
  if ((unsigned)isa >= q8_isa_count || !q8_isa_supported(isa)) return 0.0;
  peak_fn fn = peak_function(isa);
  if (fn == NULL) return 0.0;
  if (cache[isa] == 0.0) cache[isa] = measure_peak(fn);
  return cache[isa];
}

static void bench_peak(q8_bench_state* state, const void* arg) {
  const q8_isa isa = *(const q8_isa*)arg;
  peak_fn fn = peak_function(isa);
  volatile int32_t sink = 1;
  double ops = 0.0;
  const double t0 = seconds();
  while (q8_bench_keep_running(state)) ops += fn(&sink);
  q8_bench_counter(state, "GOPS", ops / (seconds() - t0) * 1e-9);
}

void q8_bench_register_peak(void) {
  static const q8_isa isas[] = {q8_isa_scalar, q8_isa_avx2, q8_isa_avx512vnni, q8_isa_amx};
  for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
    if (!q8_isa_supported(isas[i]) || peak_function(isas[i]) == NULL) continue;
    char name[64];
    snprintf(name, sizeof(name), "peak/%s", q8_isa_name(isas[i]));
    q8_bench_register(name, bench_peak, &isas[i], sizeof(isas[i]));
  }
}

/*
 * The GEMM-family micro-kernels of the kernel table under test (Q8_ISA)
 * against the scalar table's kernels, bit for bit, on weights packed for
 * each table: gemm, igemm, gemm_dq and dwconv. kc below, equal to, above and
 * a multiple of KR; partial M and N tiles; strided A and C; clamps; input and
 * output zero points 0/128/255; nonzero weight zero points; zero pointers
 * with a_offset; indirection rows scattered, or equally spaced in one buffer
 * per tap (kernels may load those as a strided block). Every row of A (and the last row of C) ends right before a
 * PROT_NONE page, so a kernel reading or writing past a row faults; bytes of
 * C outside the tile must keep their sentinel.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <sys/mman.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "quant/packing.h"
#include "test-util.h"

static const q8_kernel_table* table;
static const q8_kernel_table* const scalar = &q8_scalar_kernels;

/* --- guarded buffers: n bytes ending right at a PROT_NONE page ------------ */

/* --- a random GEMM problem ------------------------------------------------ */

enum { MAX_ROWS = 32, MAX_KS = 9, MAX_NC = 64 };

typedef struct problem {
  size_t mr, nc, kc, ks;
  int32_t izp, ozp;
  uint8_t qmin, qmax;
  float in_scale, out_scale;
  float wscale[MAX_NC], bias[MAX_NC];
  int32_t wzp[MAX_NC];
  int8_t* w; /* [nc][ks][kc] */
} problem;

/* kc in a regime chosen by the case index: below KR, around multiples of KR,
 * medium, large, and around multiples of 64 (the amx kernels' k block). */
static size_t pick_kc(test_rng* rng, size_t index, size_t kr) {
  switch (index / 3 % 6) { /* independent of index % 3 (full mr) */
    case 0: return (size_t)rng_int(rng, 1, (int64_t)kr);
    case 1: { /* a multiple of KR, or one off */
      const int64_t kc = (int64_t)kr * rng_int(rng, 1, 6) + rng_int(rng, -1, 1);
      return kc < 1 ? 1 : (size_t)kc;
    }
    case 2: return (size_t)rng_int(rng, 1, 40);
    case 3: return (size_t)rng_int(rng, 40, 300);
    case 4: return (size_t)rng_int(rng, 500, 1200);
    default: return (size_t)(64 * rng_int(rng, 1, 4) + rng_int(rng, -4, 4));
  }
}

static void make_problem(test_rng* rng, size_t index, size_t mr_max, size_t nr, size_t kr,
                         size_t ks, problem* p) {
  memset(p, 0, sizeof(*p));
  p->mr = (size_t)rng_int(rng, 1, (int64_t)mr_max);
  if (index % 3 == 0) p->mr = mr_max;
  p->nc = (size_t)rng_int(rng, 1, (int64_t)nr);
  if (index % 4 == 0) p->nc = nr;
  p->kc = pick_kc(rng, index, kr);
  if (p->kc == 0) p->kc = 1;
  p->ks = ks;
  p->izp = rng_zero_point(rng);
  p->ozp = rng_zero_point(rng);
  if (rng_next(rng) % 3 == 0) {
    p->qmin = 0;
    p->qmax = 255;
  } else {
    p->qmin = (uint8_t)rng_int(rng, 0, 100);
    p->qmax = (uint8_t)rng_int(rng, 150, 255);
  }
  p->in_scale = rng_scale(rng, 0.005f, 1.0f);
  p->out_scale = rng_scale(rng, 0.005f, 1.0f);
  const int zero_points = (int)(rng_next(rng) % 2);
  for (size_t n = 0; n < MAX_NC; n++) {
    /* Scales that put the outputs around the output range, sometimes far. */
    p->wscale[n] = rng_scale(rng, 0.0005f, 0.05f) / sqrtf((float)(p->kc * ks));
    p->wzp[n] = zero_points ? (int32_t)rng_int(rng, -128, 127) : 0;
    p->bias[n] = rng_float(rng, -3.0f, 3.0f);
  }
  p->w = malloc(p->nc * ks * p->kc);
  rng_fill_s8(rng, p->w, p->nc * ks * p->kc);
}

static q8_gemm_weights problem_weights(const problem* p) {
  return (q8_gemm_weights){.nc = p->nc, .kc = p->kc, .ks = p->ks, .w = p->w,
                           .channel_stride = p->ks * p->kc, .bias = p->bias,
                           .weight = {p->wscale, p->wzp, 1}};
}

static int any_weight_zero_point(const problem* p) {
  for (size_t n = 0; n < p->nc; n++) {
    if (p->wzp[n] != 0) return 1;
  }
  return 0;
}

/* Packs for (nr, kr): one block per nr columns. */
static void* pack_static(const problem* p, const q8_gemm_config* cfg, size_t* block_stride) {
  const q8_gemm_weights g = problem_weights(p);
  const uint32_t nr = cfg->nr, kr = cfg->kr;
  void* packed = malloc(q8_gemm_packed_size(p->nc, p->kc, p->ks, nr, kr, 2));
  q8_pack_gemm_static(&g, nr, kr, p->in_scale, p->izp + cfg->a_value_offset, p->out_scale, packed);
  *block_stride = q8_gemm_packed_size(nr, p->kc, p->ks, nr, kr, 2);
  return packed;
}

static void* pack_dynamic(const problem* p, uint32_t nr, uint32_t kr, size_t* block_stride) {
  const q8_gemm_weights g = problem_weights(p);
  void* packed = malloc(q8_gemm_packed_size(p->nc, p->kc, p->ks, nr, kr, 3));
  q8_pack_gemm_dynamic(&g, nr, kr, packed);
  *block_stride = q8_gemm_packed_size(nr, p->kc, p->ks, nr, kr, 3);
  return packed;
}

/* Output rows of c_stride bytes (last row ends at a guard page), filled
 * with a sentinel. */
static guarded output_buffer(size_t rows, size_t c_stride, size_t row_bytes) {
  guarded g = guarded_alloc((rows - 1) * c_stride + row_bytes);
  memset(g.p, 0xA5, (rows - 1) * c_stride + row_bytes);
  return g;
}

/* --- gemm ------------------------------------------------------------------ */

static void gemm_case(size_t index) {
  test_rng rng = {index * 6151 + 17};
  const q8_gemm_config* g = &table->gemm;
  problem p;
  make_problem(&rng, index, g->mr, g->nr, g->kr, 1, &p);
  const size_t a_stride = p.kc + (size_t)(rng_next(&rng) % 2 ? rng_int(&rng, 1, 9) : 0);
  const size_t c_stride = p.nc + (size_t)(rng_next(&rng) % 2 ? rng_int(&rng, 1, 9) : 0);
  guarded a = guarded_alloc((p.mr - 1) * a_stride + p.kc);
  rng_fill_u8(&rng, a.p, (p.mr - 1) * a_stride + p.kc);
  const q8_requant_params params = {p.ozp, p.qmin, p.qmax, (uint8_t)any_weight_zero_point(&p)};

  size_t stride, scalar_stride;
  void* packed = pack_static(&p, g, &stride);
  void* scalar_packed = pack_static(&p, &scalar->gemm, &scalar_stride);
  guarded c = output_buffer(p.mr, c_stride, p.nc);
  guarded expected = output_buffer(p.mr, c_stride, p.nc);

  g->gemm(p.mr, p.nc, p.kc, a.p, a_stride, packed, c.p, c_stride, &params);
  const size_t smr = scalar->gemm.mr, snr = scalar->gemm.nr;
  for (size_t m0 = 0; m0 < p.mr; m0 += smr) {
    for (size_t n0 = 0; n0 < p.nc; n0 += snr) {
      scalar->gemm.gemm(p.mr - m0 < smr ? p.mr - m0 : smr, p.nc - n0 < snr ? p.nc - n0 : snr,
                        p.kc, a.p + m0 * a_stride, a_stride,
                        (const char*)scalar_packed + n0 / snr * scalar_stride,
                        expected.p + m0 * c_stride + n0, c_stride, &params);
    }
  }
  test_assert_bytes_equal(expected.p, c.p, (p.mr - 1) * c_stride + p.nc, "gemm output", index);
  guarded_free(&a);
  guarded_free(&c);
  guarded_free(&expected);
  free(packed);
  free(scalar_packed);
  free(p.w);
}

/* --- igemm ----------------------------------------------------------------- */

static void igemm_case(size_t index) {
  test_rng rng = {index * 7919 + 29};
  const q8_gemm_config* g = &table->gemm;
  static const int64_t kernel_sizes[] = {1, 2, 3, 4, 9};
  const size_t ks = (size_t)rng_pick(&rng, 5, kernel_sizes);
  problem p;
  make_problem(&rng, index, g->mr, g->nr, g->kr, ks, &p);
  const size_t a_offset = rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 40) : 0;
  const size_t c_stride = p.nc + (size_t)(rng_next(&rng) % 2 ? rng_int(&rng, 1, 9) : 0);
  const q8_requant_params params = {p.ozp, p.qmin, p.qmax, (uint8_t)any_weight_zero_point(&p)};

  /* rows[s][m] for m < mr, in one of three layouts: a zero pointer or its
   * own guarded buffer of a_offset + kc bytes; each tap's rows equally
   * spaced in one guarded buffer (the last row ends at its guard page), a
   * tap sometimes all zero pointers, a row sometimes one; or each row's taps
   * kc bytes apart in one guarded buffer (a kernel row at stride 1 over
   * pixels of kc channels), sometimes a zero pointer. */
  guarded zero = guarded_alloc(p.kc);
  memset(zero.p, p.izp, p.kc);
  guarded rows[MAX_KS][MAX_ROWS];
  const uint8_t* ptr[MAX_KS][MAX_ROWS];
  memset(rows, 0, sizeof(rows));
  const int layout = (int)(rng_next(&rng) % 3);
  const int spaced = layout == 1, taps_in_a_row = layout == 2;
  const size_t row_stride = a_offset + p.kc + (size_t)rng_int(&rng, 0, 3) * 32;
  for (size_t s = 0; s < ks; s++) {
    const int all_zero = spaced && rng_next(&rng) % 4 == 0;
    const size_t one_zero = rng_next(&rng) % 8 == 0 ? (size_t)rng_int(&rng, 0, 31) : SIZE_MAX;
    if (spaced && !all_zero) {
      const size_t bytes = (p.mr - 1) * row_stride + a_offset + p.kc;
      rows[s][0] = guarded_alloc(bytes);
      rng_fill_u8(&rng, rows[s][0].p, bytes);
    }
    for (size_t m = 0; m < p.mr; m++) {
      if (taps_in_a_row) {
        if (s == 0) {
          const size_t bytes = (ks - 1) * p.kc + a_offset + p.kc;
          rows[0][m] = guarded_alloc(bytes);
          rng_fill_u8(&rng, rows[0][m].p, bytes);
        }
        ptr[s][m] = m == one_zero ? zero.p : rows[0][m].p + s * p.kc;
      } else if (spaced) {
        ptr[s][m] = all_zero || m == one_zero ? zero.p : rows[s][0].p + m * row_stride;
      } else if (rng_next(&rng) % 5 == 0) {
        ptr[s][m] = zero.p;
      } else {
        rows[s][m] = guarded_alloc(a_offset + p.kc);
        rng_fill_u8(&rng, rows[s][m].p, a_offset + p.kc);
        ptr[s][m] = rows[s][m].p;
      }
    }
  }
  /* Indirection in a kernel's order [ks][MR] for rows m0.., past mr
   * repeating the last row (as the operators do). */
  const uint8_t** ind = malloc(ks * MAX_ROWS * sizeof(*ind));
#define FILL_INDIRECTION(MR, m0)                                              \
  for (size_t s = 0; s < ks; s++) {                                           \
    for (size_t i = 0; i < (MR); i++) {                                       \
      const size_t m = (m0) + i < p.mr ? (m0) + i : p.mr - 1;                 \
      ind[s * (MR) + i] = ptr[s][m];                                          \
    }                                                                         \
  }

  size_t stride, scalar_stride;
  void* packed = pack_static(&p, g, &stride);
  void* scalar_packed = pack_static(&p, &scalar->gemm, &scalar_stride);
  guarded c = output_buffer(p.mr, c_stride, p.nc);
  guarded expected = output_buffer(p.mr, c_stride, p.nc);

  FILL_INDIRECTION(g->mr, 0)
  g->igemm(p.mr, p.nc, p.kc, ks, ind, packed, c.p, c_stride, a_offset, zero.p, &params);
  const size_t smr = scalar->gemm.mr, snr = scalar->gemm.nr;
  for (size_t m0 = 0; m0 < p.mr; m0 += smr) {
    FILL_INDIRECTION(smr, m0)
    for (size_t n0 = 0; n0 < p.nc; n0 += snr) {
      scalar->gemm.igemm(p.mr - m0 < smr ? p.mr - m0 : smr, p.nc - n0 < snr ? p.nc - n0 : snr,
                         p.kc, ks, ind, (const char*)scalar_packed + n0 / snr * scalar_stride,
                         expected.p + m0 * c_stride + n0, c_stride, a_offset, zero.p, &params);
    }
  }
#undef FILL_INDIRECTION
  test_assert_bytes_equal(expected.p, c.p, (p.mr - 1) * c_stride + p.nc, "igemm output", index);
  for (size_t s = 0; s < ks; s++) {
    for (size_t m = 0; m < p.mr; m++) guarded_free(&rows[s][m]);
  }
  free(ind);
  guarded_free(&zero);
  guarded_free(&c);
  guarded_free(&expected);
  free(packed);
  free(scalar_packed);
  free(p.w);
}

/* --- gemm_dq --------------------------------------------------------------- */

static void gemm_dq_case(size_t index) {
  test_rng rng = {index * 104729 + 3};
  const q8_gemm_config* g = &table->gemm;
  problem p;
  make_problem(&rng, index, g->mr, g->nr, g->kr, 1, &p);
  const size_t a_stride = p.kc + (size_t)(rng_next(&rng) % 2 ? rng_int(&rng, 1, 9) : 0);
  const size_t c_stride = sizeof(float) * (p.nc + (size_t)(rng_next(&rng) % 2 ? rng_int(&rng, 1, 9) : 0));
  guarded a = guarded_alloc((p.mr - 1) * a_stride + p.kc);
  rng_fill_u8(&rng, a.p, (p.mr - 1) * a_stride + p.kc);
  const q8_gemm_dq_params params = {.input_zero_point = p.izp, .input_scale = p.in_scale,
                                    .relu = (uint8_t)(rng_next(&rng) % 2),
                                    .subtract_row_sums = (uint8_t)any_weight_zero_point(&p)};

  size_t stride, scalar_stride;
  void* packed = pack_dynamic(&p, g->nr, g->kr, &stride);
  void* scalar_packed = pack_dynamic(&p, scalar->gemm.nr, scalar->gemm.kr, &scalar_stride);
  const size_t bytes = (p.mr - 1) * c_stride + p.nc * sizeof(float);
  guarded c = output_buffer(p.mr, c_stride, p.nc * sizeof(float));
  guarded expected = output_buffer(p.mr, c_stride, p.nc * sizeof(float));

  g->gemm_dq(p.mr, p.nc, p.kc, a.p, a_stride, packed, (float*)c.p, c_stride, &params);
  const size_t smr = scalar->gemm.mr, snr = scalar->gemm.nr;
  for (size_t m0 = 0; m0 < p.mr; m0 += smr) {
    for (size_t n0 = 0; n0 < p.nc; n0 += snr) {
      scalar->gemm.gemm_dq(p.mr - m0 < smr ? p.mr - m0 : smr, p.nc - n0 < snr ? p.nc - n0 : snr,
                           p.kc, a.p + m0 * a_stride, a_stride,
                           (const char*)scalar_packed + n0 / snr * scalar_stride,
                           (float*)(expected.p + m0 * c_stride) + n0, c_stride, &params);
    }
  }
  test_assert_bytes_equal(expected.p, c.p, bytes, "gemm_dq output (bytes)", index);
  guarded_free(&a);
  guarded_free(&c);
  guarded_free(&expected);
  free(packed);
  free(scalar_packed);
  free(p.w);
}

/* --- dwconv ---------------------------------------------------------------- */

enum { MAX_PIXELS = 5, MAX_DW_KS = 25 };

static void dwconv_case(size_t index) {
  test_rng rng = {index * 15485863 + 11};
  const q8_dwconv_config* d = &table->dwconv;
  /* 9 and 25 reach the specialized 3x3 and 5x5 kernels where a table has them. */
  static const int64_t kernel_sizes[] = {1, 2, 3, 4, 9, 25, 9, 25};
  const size_t ks = (size_t)rng_pick(&rng, 8, kernel_sizes);
  const size_t cr = d->cr;
  size_t channels;
  switch (index % 4) {
    case 0: channels = (size_t)rng_int(&rng, 1, (int64_t)cr); break;
    case 1: channels = cr * (size_t)rng_int(&rng, 1, 4); break;
    case 2: channels = (size_t)rng_int(&rng, 1, 3 * (int64_t)cr + 5); break;
    default: channels = (size_t)rng_int(&rng, 1, 200); break;
  }
  const size_t pixels = (size_t)rng_int(&rng, 1, MAX_PIXELS);
  const size_t input_stride = ks + (size_t)rng_int(&rng, 0, 2);
  const size_t output_stride = channels + (size_t)(rng_next(&rng) % 2 ? rng_int(&rng, 1, 9) : 0);
  const size_t a_offset = rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 40) : 0;
  const int32_t izp = rng_zero_point(&rng), ozp = rng_zero_point(&rng);
  const int zero_points = (int)(rng_next(&rng) % 2);
  const float in_scale = rng_scale(&rng, 0.005f, 1.0f), out_scale = rng_scale(&rng, 0.005f, 1.0f);
  float* wscale = malloc(channels * sizeof(float));
  float* bias = malloc(channels * sizeof(float));
  int32_t* wzp = malloc(channels * sizeof(int32_t));
  int8_t* w = malloc(channels * ks);
  int any_wzp = 0;
  for (size_t c = 0; c < channels; c++) {
    wscale[c] = rng_scale(&rng, 0.0005f, 0.05f) / sqrtf((float)ks);
    bias[c] = rng_float(&rng, -3.0f, 3.0f);
    wzp[c] = zero_points ? (int32_t)rng_int(&rng, -128, 127) : 0;
    any_wzp |= wzp[c] != 0;
  }
  rng_fill_s8(&rng, w, channels * ks);
  uint8_t qmin = 0, qmax = 255;
  if (rng_next(&rng) % 2) {
    qmin = (uint8_t)rng_int(&rng, 0, 100);
    qmax = (uint8_t)rng_int(&rng, 150, 255);
  }
  const q8_requant_params params = {ozp, qmin, qmax, (uint8_t)any_wzp};
  const q8_channel_quantization q = {wscale, wzp, 1};

  guarded zero = guarded_alloc(channels);
  memset(zero.p, izp, channels);
  guarded taps[MAX_PIXELS * (MAX_DW_KS + 2)];
  const uint8_t* input[MAX_PIXELS * (MAX_DW_KS + 2)];
  memset(taps, 0, sizeof(taps));
  for (size_t i = 0; i < pixels * input_stride; i++) {
    if (rng_next(&rng) % 5 == 0) {
      input[i] = zero.p;
    } else {
      taps[i] = guarded_alloc(a_offset + channels);
      rng_fill_u8(&rng, taps[i].p, a_offset + channels);
      input[i] = taps[i].p;
    }
  }

  void* packed = malloc(q8_dwconv_packed_size(channels, ks, (uint32_t)cr));
  void* scalar_packed = malloc(q8_dwconv_packed_size(channels, ks, scalar->dwconv.cr));
  q8_pack_dwconv_static(channels, ks, (uint32_t)cr, w, bias, &q, in_scale, izp, out_scale,
                        packed);
  q8_pack_dwconv_static(channels, ks, scalar->dwconv.cr, w, bias, &q, in_scale, izp, out_scale,
                        scalar_packed);
  guarded c = output_buffer(pixels, output_stride, channels);
  guarded expected = output_buffer(pixels, output_stride, channels);
  q8_dwconv_ukernel_for(d, ks)(channels, pixels, ks, input, input_stride, packed, c.p, output_stride, a_offset,
            zero.p, &params);
  scalar->dwconv.dwconv(channels, pixels, ks, input, input_stride, scalar_packed, expected.p,
                        output_stride, a_offset, zero.p, &params);
  test_assert_bytes_equal(expected.p, c.p, (pixels - 1) * output_stride + channels,
                          "dwconv output", index);
  for (size_t i = 0; i < pixels * input_stride; i++) guarded_free(&taps[i]);
  guarded_free(&zero);
  guarded_free(&c);
  guarded_free(&expected);
  free(packed);
  free(scalar_packed);
  free(wscale);
  free(bias);
  free(wzp);
  free(w);
}

int main(void) {
  if (test_skip_unsupported_isa("gemm-kernels")) return 0;
  table = q8_kernel_table_get(q8_isa_auto);
  assert_non_null(table);
  if (table->gemm.mr > MAX_ROWS || table->gemm.nr > MAX_NC) {
    printf("gemm-kernels: tile %ux%u exceeds the test's limits\n", table->gemm.mr, table->gemm.nr);
    return 1;
  }
  printf("gemm-kernels: %s %ux%u kr %u, dwconv cr %u, against scalar\n", table->name,
         table->gemm.mr, table->gemm.nr, table->gemm.kr, table->dwconv.cr);
  int failed = test_run_cases("gemm", 600, gemm_case);
  failed += test_run_cases("igemm", 500, igemm_case);
  failed += test_run_cases("gemm_dq", 500, gemm_dq_case);
  failed += test_run_cases("dwconv", 500, dwconv_case);
  return failed != 0;
}

/*
 * Each scalar micro-kernel against a naive integer computation on the raw
 * (unpacked) weights, exact: partial tiles, strided A and C, kc of every
 * residue, zero pointers with a_offset, clamps, weight zero points.
 */
#include "kernels/kernels.h"
#include "quant/packing.h"
#include "quant/requantization.h"
#include "reference.h"
#include "test-util.h"

typedef struct tile_case {
  size_t mr, nc, kc, ks, a_stride, c_stride;
  int32_t izp, ozp;
  uint8_t qmin, qmax;
  float in_scale, out_scale, wscale[4];
  int32_t wzp[4];
  int8_t w[4 * 3 * 40];   /* [nc][ks][kc] */
  float bias[4];
} tile_case;

static void make_tile(test_rng* rng, tile_case* t, const q8_gemm_config* g) {
  memset(t, 0, sizeof(*t));
  t->mr = (size_t)rng_int(rng, 1, g->mr);
  t->nc = (size_t)rng_int(rng, 1, g->nr);
  t->kc = (size_t)rng_int(rng, 1, 40);
  t->ks = (size_t)rng_int(rng, 1, 3);
  t->a_stride = t->kc + (size_t)rng_int(rng, 0, 5);
  t->c_stride = t->nc + (size_t)rng_int(rng, 0, 5);
  t->izp = rng_zero_point(rng);
  t->ozp = rng_zero_point(rng);
  t->qmin = (uint8_t)rng_int(rng, 0, 60);
  t->qmax = (uint8_t)rng_int(rng, 190, 255);
  t->in_scale = rng_scale(rng, 0.01f, 1.0f);
  t->out_scale = rng_scale(rng, 0.01f, 1.0f);
  const bool zero_points = rng_next(rng) % 2;
  for (size_t n = 0; n < 4; n++) {
    t->wscale[n] = rng_scale(rng, 0.001f, 0.05f);
    t->wzp[n] = zero_points ? (int32_t)rng_int(rng, -128, 127) : 0;
    t->bias[n] = rng_float(rng, -3.0f, 3.0f);
  }
  rng_fill_s8(rng, t->w, sizeof(t->w));
}

static void pack_tile(const tile_case* t, const q8_gemm_config* g, void* packed) {
  const q8_gemm_weights gw = {.nc = t->nc, .kc = t->kc, .ks = t->ks, .w = t->w,
                              .channel_stride = t->ks * t->kc, .bias = t->bias,
                              .weight = {t->wscale, t->wzp, 1}};
  q8_pack_gemm_static(&gw, g->nr, g->kr, t->in_scale, t->izp, t->out_scale, packed);
}

/* rows[s][m] are the A rows; NULL rows stand for the zero buffer. */
static uint8_t naive(const tile_case* t, const uint8_t* const* rows, size_t m, size_t n) {
  int64_t acc = ref_quantize_bias(t->bias[n], t->in_scale, t->wscale[n]);
  for (size_t s = 0; s < t->ks; s++) {
    const uint8_t* row = rows[s * 4 + m];
    for (size_t k = 0; k < t->kc; k++) {
      const int32_t x = row ? row[k] : t->izp;
      acc += (int64_t)(x - t->izp) * (t->w[(n * t->ks + s) * t->kc + k] - t->wzp[n]);
    }
  }
  return ref_requantize(acc, t->in_scale, t->wscale[n], t->out_scale, t->ozp, t->qmin, t->qmax);
}

static void gemm_and_igemm(void** state) {
  (void)state;
  const q8_gemm_config* g = &q8_scalar_kernels.gemm;
  assert_true(g->mr == 4);
  test_rng rng = {99};
  for (int iter = 0; iter < 3000; iter++) {
    tile_case t;
    make_tile(&rng, &t, g);
    const bool subtract = t.wzp[0] || t.wzp[1] || t.wzp[2] || t.wzp[3];
    const q8_requant_params params = {t.ozp, t.qmin, t.qmax, subtract};
    uint8_t packed[4096];
    uint8_t a[3 * 4 * 48], zero[64], c[4 * 16], a_offset_pad = (uint8_t)rng_int(&rng, 0, 3);
    rng_fill_u8(&rng, a, sizeof(a));
    memset(zero, t.izp, sizeof(zero));
    /* gemm: ks = 1, rows a_stride apart */
    t.ks = 1;
    pack_tile(&t, g, packed);
    memset(c, 0xEE, sizeof(c));
    g->gemm(t.mr, t.nc, t.kc, a, t.a_stride, packed, c, t.c_stride, &params);
    const uint8_t* rows[12] = {0};
    for (size_t m = 0; m < 4; m++) rows[m] = a + m * t.a_stride;
    for (size_t m = 0; m < t.mr; m++) {
      for (size_t n = 0; n < t.nc; n++) assert_int_equal(c[m * t.c_stride + n], naive(&t, rows, m, n));
      for (size_t n = t.nc; n < t.c_stride; n++) assert_int_equal(c[m * t.c_stride + n], 0xEE);
    }
    /* igemm: ks pointers per row, some of them the zero buffer */
    t.ks = (size_t)rng_int(&rng, 1, 3);
    pack_tile(&t, g, packed);
    const uint8_t* ptrs[12];
    for (size_t s = 0; s < t.ks; s++) {
      for (size_t m = 0; m < 4; m++) {
        const bool pad = rng_next(&rng) % 4 == 0;
        rows[s * 4 + m] = pad ? NULL : a + (s * 4 + m) * 48 / 2 + a_offset_pad;
        ptrs[s * 4 + m] = pad ? zero : a + (s * 4 + m) * 48 / 2;
      }
    }
    memset(c, 0xEE, sizeof(c));
    g->igemm(t.mr, t.nc, t.kc, t.ks, ptrs, packed, c, t.c_stride, a_offset_pad, zero, &params);
    for (size_t m = 0; m < t.mr; m++) {
      for (size_t n = 0; n < t.nc; n++) assert_int_equal(c[m * t.c_stride + n], naive(&t, rows, m, n));
    }
  }
}

static void dwconv(void** state) {
  (void)state;
  const q8_dwconv_config* d = &q8_scalar_kernels.dwconv;
  test_rng rng = {7};
  for (int iter = 0; iter < 1000; iter++) {
    const size_t channels = (size_t)rng_int(&rng, 1, 40), ks = (size_t)rng_int(&rng, 1, 25);
    const size_t pixels = (size_t)rng_int(&rng, 1, 5), out_stride = channels + (size_t)rng_int(&rng, 0, 3);
    const int32_t izp = rng_zero_point(&rng), ozp = rng_zero_point(&rng);
    const float in_scale = rng_scale(&rng, 0.01f, 1.0f), out_scale = rng_scale(&rng, 0.01f, 1.0f);
    float wscale[40], bias[40];
    int32_t wzp[40];
    int8_t w[40 * 25];
    const bool zero_points = rng_next(&rng) % 2;
    for (size_t c = 0; c < channels; c++) {
      wscale[c] = rng_scale(&rng, 0.001f, 0.05f);
      wzp[c] = zero_points ? (int32_t)rng_int(&rng, -128, 127) : 0;
      bias[c] = rng_float(&rng, -3.0f, 3.0f);
    }
    rng_fill_s8(&rng, w, sizeof(w));
    static uint8_t packed[1 << 16];
    const q8_channel_quantization wq = {wscale, wzp, 1};
    q8_pack_dwconv_static(channels, ks, d->cr, w, bias, &wq, in_scale, izp, out_scale, packed);
    uint8_t input[64 * 40], zero[64], out[5 * 43];
    rng_fill_u8(&rng, input, sizeof(input));
    memset(zero, izp, sizeof(zero));
    const uint8_t* taps[5 * 25];
    for (size_t i = 0; i < pixels * ks; i++) {
      taps[i] = rng_next(&rng) % 5 == 0 ? zero : input + (size_t)rng_int(&rng, 0, 63) * 40;
    }
    const q8_requant_params params = {ozp, 0, 255, zero_points};
    d->dwconv(channels, pixels, ks, taps, ks, packed, out, out_stride, 0, zero, &params);
    for (size_t p = 0; p < pixels; p++) {
      for (size_t c = 0; c < channels; c++) {
        int64_t acc = ref_quantize_bias(bias[c], in_scale, wscale[c]);
        for (size_t k = 0; k < ks; k++) {
          acc += (int64_t)(taps[p * ks + k][c] - izp) * (w[c * ks + k] - wzp[c]);
        }
        assert_int_equal(out[p * out_stride + c],
                         ref_requantize(acc, in_scale, wscale[c], out_scale, ozp, 0, 255));
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(gemm_and_igemm), cmocka_unit_test(dwconv)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

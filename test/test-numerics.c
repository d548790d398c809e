/*
 * The numerics in src/quant against double-precision models of the same
 * rules: requantization (ties, multipliers above 1, huge accumulators,
 * clamps), bias quantization, quantize/dequantize and the dynamic qparams.
 */
#include "quant/packing.h"
#include "quant/quantize.h"
#include "quant/requantization.h"
#include "reference.h"
#include "test-util.h"

/* Double model: (float)acc * multiplier is exact in double; rounding it to
 * float is the fp32 product; then round half to even, add zp, clamp. */
static uint8_t model_requantize(int32_t acc, float multiplier, int32_t zp, uint8_t lo,
                                uint8_t hi) {
  const float product = (float)((double)(float)acc * (double)multiplier);
  double r = nearbyint((double)product) + zp;
  return (uint8_t)(r < lo ? lo : r > hi ? hi : r);
}

static void requantize_random(void** state) {
  (void)state;
  test_rng rng = {1};
  for (int i = 0; i < 2000000; i++) {
    const int range = (int)(rng_next(&rng) % 3);
    const int32_t acc = range == 0   ? (int32_t)rng_int(&rng, -1000, 1000)
                        : range == 1 ? (int32_t)rng_int(&rng, -(1 << 20), 1 << 20)
                                     : (int32_t)(uint32_t)rng_next(&rng);
    const float multiplier = rng_scale(&rng, 1e-6f, 300.0f);
    const int32_t zp = rng_zero_point(&rng);
    uint8_t lo = (uint8_t)rng_int(&rng, 0, 255), hi = (uint8_t)rng_int(&rng, 0, 255);
    if (lo > hi) { const uint8_t t = lo; lo = hi; hi = t; }
    const uint8_t expected = model_requantize(acc, multiplier, zp, lo, hi);
    const uint8_t actual = q8_requantize(acc, multiplier, zp, lo, hi);
    if (expected != actual) {
      fail_msg("acc %d multiplier %.9g zp %d [%u, %u]: expected %u got %u", acc, multiplier,
               zp, lo, hi, expected, actual);
    }
  }
}

/* Products that land exactly halfway round to the even neighbour. */
static void requantize_ties(void** state) {
  (void)state;
  for (int32_t acc = -401; acc <= 401; acc += 2) { /* odd acc * 0.5 = k + 0.5 */
    const float product = (float)acc * 0.5f;
    const double down = floor(product), up = ceil(product);
    const int32_t expected = (int32_t)(fmod(down, 2.0) == 0.0 ? down : up) + 128;
    const int32_t clamped = expected < 0 ? 0 : expected > 255 ? 255 : expected;
    assert_int_equal(q8_requantize(acc, 0.5f, 128, 0, 255), clamped);
  }
  assert_int_equal(q8_requantize(5, 0.5f, 0, 0, 255), 2);   /* 2.5 -> 2 */
  assert_int_equal(q8_requantize(7, 0.5f, 0, 0, 255), 4);   /* 3.5 -> 4 */
  assert_int_equal(q8_requantize(-5, 0.5f, 10, 0, 255), 8); /* -2.5 -> -2 */
}

/* Multipliers far above 1 and accumulators at the int32 limits saturate
 * instead of wrapping. */
static void requantize_extremes(void** state) {
  (void)state;
  assert_int_equal(q8_requantize(INT32_MAX, 1000.0f, 0, 0, 255), 255);
  assert_int_equal(q8_requantize(INT32_MIN, 1000.0f, 255, 0, 255), 0);
  assert_int_equal(q8_requantize(1, 3.0e38f, 0, 0, 255), 255);
  assert_int_equal(q8_requantize(-1, 3.0e38f, 0, 0, 255), 0);
  assert_int_equal(q8_requantize(100, 2.0f, 10, 20, 30), 30);
  assert_int_equal(q8_requantize(-100, 2.0f, 10, 20, 30), 20);
}

static void multiplier_is_fp32_in_order(void** state) {
  (void)state;
  test_rng rng = {2};
  for (int i = 0; i < 100000; i++) {
    const float in = rng_scale(&rng, 1e-4f, 10.0f), w = rng_scale(&rng, 1e-5f, 1.0f);
    const float out = rng_scale(&rng, 1e-4f, 10.0f);
    const float expected =
        (float)((double)(float)((double)w * (double)in) * (double)(float)(1.0 / (double)out));
    assert_true(q8_requantization_multiplier(in, w, out) == expected);
  }
}

static void bias_rounds_half_to_even(void** state) {
  (void)state;
  test_rng rng = {3};
  for (int i = 0; i < 200000; i++) {
    const float in = rng_scale(&rng, 1e-4f, 10.0f), w = rng_scale(&rng, 1e-5f, 1.0f);
    const float bias = rng_float(&rng, -100.0f, 100.0f);
    assert_int_equal(q8_quantize_bias(bias, in, w), ref_quantize_bias(bias, in, w));
  }
  assert_int_equal(q8_quantize_bias(2.5f, 1.0f, 1.0f), 2);
  assert_int_equal(q8_quantize_bias(3.5f, 1.0f, 1.0f), 4);
  assert_int_equal(q8_quantize_bias(-2.5f, 1.0f, 1.0f), -2);
  assert_int_equal(q8_quantize_bias(1e30f, 1e-3f, 1e-3f), INT32_MAX);
  assert_int_equal(q8_quantize_bias(-1e30f, 1e-3f, 1e-3f), INT32_MIN);
}

static void quantize_dequantize(void** state) {
  (void)state;
  test_rng rng = {4};
  for (int i = 0; i < 500000; i++) {
    const float scale = rng_scale(&rng, 1e-3f, 10.0f);
    const int32_t zp = rng_zero_point(&rng);
    const float x = rng_float(&rng, -300.0f, 300.0f) * scale;
    const float inverse = 1.0f / scale;
    double r = nearbyint((double)(float)((double)x * (double)inverse)) + zp;
    r = r < 0 ? 0 : r > 255 ? 255 : r;
    assert_int_equal(q8_quantize_value(x, inverse, zp), (int)r);
    const uint8_t q = (uint8_t)rng_next(&rng);
    assert_true(q8_dequantize_value(q, scale, zp) == (float)((double)(q - zp) * (double)scale));
  }
  assert_int_equal(q8_quantize_value(INFINITY, 1.0f, 3), 255);
  assert_int_equal(q8_quantize_value(-INFINITY, 1.0f, 3), 0);
  assert_int_equal(q8_quantize_value(NAN, 1.0f, 3), 0);
  assert_int_equal(q8_quantize_value(0.5f, 1.0f, 0), 0);
  assert_int_equal(q8_quantize_value(1.5f, 1.0f, 0), 2);
}

static void dynamic_qparams(void** state) {
  (void)state;
  /* [-1, 3]: scale 4/255, zero point round(255/4) = 64 (from the min). */
  q8_dynamic_qparams q = q8_choose_dynamic_qparams(-1.0f, 3.0f);
  assert_true(q.scale == (float)(4.0 / 255.0));
  assert_int_equal(q.zero_point, 64);
  q = q8_choose_dynamic_qparams(2.0f, 5.0f); /* range grows to include 0 */
  assert_true(q.scale == (float)(5.0 / 255.0));
  assert_int_equal(q.zero_point, 0);
  q = q8_choose_dynamic_qparams(-5.0f, -2.0f);
  assert_int_equal(q.zero_point, 255);
  q = q8_choose_dynamic_qparams(0.0f, 0.0f); /* degenerate: scale 0.1 */
  assert_true(q.scale == 0.1f);
  assert_int_equal(q.zero_point, 0);
  q = q8_choose_dynamic_qparams(0.0f, 1e-4f); /* tiny: raised to 6.1e-5 */
  assert_true(q.scale == 6.1e-5f);
  assert_int_equal(q.zero_point, 0);
}

/* The packed head folds the zero-point corrections: with x == input zp for
 * every k, the kernel's sum must reduce to bias_q. */
static void packed_head_cancels_zero_points(void** state) {
  (void)state;
  const int8_t w[6] = {-128, 127, 5, -7, 0, 99};
  const float scale = 0.01f;
  const int32_t wzp = -3;
  const q8_gemm_weights g = {.nc = 1, .kc = 6, .ks = 1, .w = w, .channel_stride = 6,
                             .bias = NULL, .weight = {&scale, &wzp, 0}};
  uint8_t packed[256];
  q8_pack_gemm_static(&g, 4, 1, 0.5f, 200, 0.25f, packed);
  int32_t head;
  memcpy(&head, packed, sizeof(head));
  int32_t sum_w = 0;
  for (int k = 0; k < 6; k++) sum_w += w[k];
  /* head + sum(200 * w) - wzp * sum(200) == 0 */
  assert_int_equal(head + 200 * sum_w - wzp * 200 * 6, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(requantize_random),      cmocka_unit_test(requantize_ties),
      cmocka_unit_test(requantize_extremes),    cmocka_unit_test(multiplier_is_fp32_in_order),
      cmocka_unit_test(bias_rounds_half_to_even), cmocka_unit_test(quantize_dequantize),
      cmocka_unit_test(dynamic_qparams),        cmocka_unit_test(packed_head_cancels_zero_points),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

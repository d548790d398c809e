#include "reference-elementwise.h"

#include <math.h>

uint8_t ref_quantize(float x, q8_quantization q) {
  const float inverse = 1.0f / q.scale;
  const float r = nearbyintf(x * inverse);
  /* ATen casts to int64 first; on ARM64 that conversion saturates and
   * turns NaN into 0 (x86 would give 0 for +inf too; q8 follows ARM64). */
  if (isnan(r)) return 0;
  const double v = (double)r + q.zero_point;
  return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

float ref_dequantize(uint8_t v, q8_quantization q) {
  return q.scale * (float)((int)v - q.zero_point);
}

/* ATen's AVX2 loop body dequantizes with one fused multiply-add. */
static float dequantize_fused(uint8_t v, q8_quantization q) {
  const float minus_zs = (float)(-q.zero_point) * q.scale;
  return fmaf(q.scale, (float)v, minus_zs);
}

static int clamp_int(int64_t v, int lo, int hi) { return (int)(v < lo ? lo : (v > hi ? hi : v)); }

/* QNNPACK's add: integer multipliers scaled by 2^shift, then a right shift
 * rounding half away from zero. Only for ratios in [2^-10, 2^8). */
static bool fixed_add_applies(const ref_binary* r) {
  const float ra = r->a.scale / r->output.scale, rb = r->b.scale / r->output.scale;
  const float lo = 1.0f / 1024.0f, hi = 256.0f;
  return ra >= lo && rb >= lo && ra < hi && rb < hi;
}

static uint8_t fixed_add(const ref_binary* r, uint8_t a, uint8_t b) {
  const float ra = r->a.scale / r->output.scale, rb = r->b.scale / r->output.scale;
  int exponent;
  frexpf(ra > rb ? ra : rb, &exponent); /* mantissa in [0.5, 1): IEEE exponent + 1 */
  const int shift = 21 - (exponent - 1);
  const int64_t ma = lrintf(ldexpf(ra, shift)), mb = lrintf(ldexpf(rb, shift));
  const int64_t acc = ma * (a - r->a.zero_point) + mb * (b - r->b.zero_point);
  const int64_t half = (int64_t)1 << (shift - 1);
  const int64_t q = acc >= 0 ? (acc + half) >> shift : -((-acc + half) >> shift);
  return (uint8_t)clamp_int(q + r->output.zero_point, r->output_min, r->output_max);
}

static uint8_t float_add(const ref_binary* r, uint8_t a, uint8_t b) {
  const float sum = dequantize_fused(a, r->a) + dequantize_fused(b, r->b);
  return (uint8_t)clamp_int(ref_quantize(sum, r->output), r->output_min, r->output_max);
}

static uint8_t multiply(const ref_binary* r, uint8_t a, uint8_t b) {
  const float ab = r->a.scale * r->b.scale;
  const float m = ab * (1.0f / r->output.scale);
  const int32_t product = (a - r->a.zero_point) * (b - r->b.zero_point);
  const double rounded = nearbyintf((float)product * m); /* double: no int overflow */
  const double v = rounded + r->output.zero_point;
  return (uint8_t)(v < r->output_min ? r->output_min : (v > r->output_max ? r->output_max : v));
}

static size_t extent(size_t dims, const size_t* shape, size_t rank, size_t i) {
  /* dimension i of a rank-`rank` shape, shapes right-aligned */
  return i + dims < rank ? 1 : shape[i + dims - rank];
}

size_t ref_binary_output(const ref_binary* r, size_t* dims, size_t shape[Q8_BINARY_MAX_DIMS]) {
  const size_t rank = r->a_dims > r->b_dims ? r->a_dims : r->b_dims;
  size_t count = 1;
  for (size_t i = 0; i < rank; i++) {
    const size_t ea = extent(r->a_dims, r->a_shape, rank, i);
    const size_t eb = extent(r->b_dims, r->b_shape, rank, i);
    shape[i] = ea > eb ? ea : eb;
    count *= shape[i];
  }
  *dims = rank;
  return count;
}

/* Flat index into a shape for an output multi-index (broadcast: index 0). */
static size_t source_index(size_t dims, const size_t* shape, size_t rank, const size_t* index) {
  size_t flat = 0;
  for (size_t i = 0; i < rank; i++) {
    const size_t e = extent(dims, shape, rank, i);
    flat = flat * e + (e == 1 ? 0 : index[i]);
  }
  return flat;
}

void ref_binary_run(const ref_binary* r, const uint8_t* a, const uint8_t* b, uint8_t* y) {
  size_t rank, shape[Q8_BINARY_MAX_DIMS], index[Q8_BINARY_MAX_DIMS] = {0};
  const size_t count = ref_binary_output(r, &rank, shape);
  bool same = r->a_dims == r->b_dims;
  for (size_t i = 0; same && i < r->a_dims; i++) same = r->a_shape[i] == r->b_shape[i];
  const bool fixed = !r->multiply && same && fixed_add_applies(r);
  for (size_t n = 0; n < count; n++) {
    size_t rest = n;
    for (size_t i = rank; i-- > 0;) {
      index[i] = rest % shape[i];
      rest /= shape[i];
    }
    const uint8_t va = a[source_index(r->a_dims, r->a_shape, rank, index)];
    const uint8_t vb = b[source_index(r->b_dims, r->b_shape, rank, index)];
    y[n] = r->multiply ? multiply(r, va, vb) : fixed ? fixed_add(r, va, vb) : float_add(r, va, vb);
  }
}

/* QNNPACK table rounding: clamp in float, round half to even, zp already in. */
static uint8_t qnnpack_round(float v) { return (uint8_t)nearbyintf(fminf(fmaxf(v, 0.0f), 255.0f)); }

static uint8_t qnnpack_unary(q8_unary_kind kind, float x, q8_quantization out) {
  const float inv = 1.0f / out.scale, zp = (float)out.zero_point;
  const float r6 = fminf(fmaxf(x + 3.0f, 0.0f), 6.0f);
  switch (kind) {
    case q8_unary_hardswish: return qnnpack_round(inv * (x * r6 / 6.0f) + zp);
    case q8_unary_hardsigmoid: return qnnpack_round(inv * (r6 / 6.0f) + zp);
    case q8_unary_sigmoid: return qnnpack_round(inv / (1.0f + expf(-x)) + zp);
    default: return qnnpack_round(inv * tanhf(x) + zp);
  }
}

uint8_t ref_unary(q8_unary_kind kind, const q8_unary_params* p, q8_quantization in,
                  q8_quantization out, uint8_t x) {
  switch (kind) {
    case q8_unary_requantize: return ref_quantize(ref_dequantize(x, in), out);
    case q8_unary_relu: return ref_quantize(fmaxf(ref_dequantize(x, in), 0.0f), out);
    case q8_unary_clamp: {
      const int lo = ref_quantize(p->clamp.min, in), hi = ref_quantize(p->clamp.max, in);
      const uint8_t c = (uint8_t)clamp_int(x, lo, hi);
      return ref_quantize(ref_dequantize(c, in), out);
    }
    case q8_unary_leaky_relu: {
      const float d = dequantize_fused(x, in);
      return ref_quantize(d < 0.0f ? d * p->leaky_relu.negative_slope : d, out);
    }
    case q8_unary_elu: {
      const float d = dequantize_fused(x, in);
      const float e = d < 0.0f ? expm1f(d * p->elu.input_scale) * (p->elu.alpha * p->elu.scale)
                               : d * p->elu.scale;
      return ref_quantize(e, out);
    }
    default: return qnnpack_unary(kind, ref_dequantize(x, in), out);
  }
}

/* PyTorch 1.13.1 (qnnpack engine) outputs; see the header. */
const ref_golden_unary ref_golden_unaries[] = {
    {q8_unary_requantize, {}, {0.03720000013709068f, 131}, {0.0917000025510788f, 7},
     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001010102020303030404050505060607070708080909090a0a0b0b0b0c0c0d0d0d0e0e0f0f101010111112121213131414141515161616171718181819191a1a1a1b1b1c1c1d1d1d1e1e1f1f1f202021212122222323232424252525262627272728282929292a2a2b2b2c2c2c2d2d2e2e2e2f2f30303031313232323333343434353536363637373838383939"},
    {q8_unary_relu, {}, {0.05000000074505806f, 128}, {0.05000000074505806f, 128},
     "8080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"},
    {q8_unary_clamp, {.clamp = {.min = -1.3f, .max = 2.1f}}, {0.020999999716877937f, 97}, {0.020999999716877937f, 97},
     "2323232323232323232323232323232323232323232323232323232323232323232323232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5"},
    {q8_unary_leaky_relu, {.leaky_relu = {.negative_slope = 0.1f}}, {0.0430000014603138f, 200}, {0.0215000007301569f, 180},
     "8c8c8c8d8d8d8d8d8e8e8e8e8e8f8f8f8f8f90909090909191919191929292929293939393939494949494959595959596969696969797979797989898989899999999999a9a9a9a9a9b9b9b9b9b9c9c9c9c9c9d9d9d9d9d9e9e9e9e9e9f9f9f9f9fa0a0a0a0a0a1a1a1a1a1a2a2a2a2a2a3a3a3a3a3a4a4a4a4a4a5a5a5a5a5a6a6a6a6a6a7a7a7a7a7a8a8a8a8a8a9a9a9a9a9aaaaaaaaaaabababababacacacacacadadadadadaeaeaeaeaeafafafafafb0b0b0b0b0b1b1b1b1b1b2b2b2b2b2b3b3b3b3b3b4b4b4b6b8babcbec0c2c4c6c8caccced0d2d4d6d8dadcdee0e2e4e6e8eaeceef0f2f4f6f8fafcfeffffffffffffffffffffffffffffffffffff"},
    {q8_unary_elu, {.elu = {.alpha = 1.3f, .scale = 1.05f, .input_scale = 0.9f}}, {0.03099999949336052f, 150}, {0.017000000923871994f, 160},
     "5151515151515151515151515151525252525252525252525252525252525353535353535353535353545454545454545455555555555555565656565656575757575758585858595959595a5a5a5a5b5b5b5c5c5c5d5d5e5e5e5f5f6060616162626363646465656667676869696a6b6c6c6d6e6f707172727374767778797a7b7c7e7f808283858688898b8c8e90929496989a9c9ea0a2a4a6a8aaabadafb1b3b5b7b9bbbdbfc1c2c4c6c8caccced0d2d4d6d8d9dbdddfe1e3e5e7e9ebedeff0f2f4f6f8fafcfeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {q8_unary_hardswish, {}, {0.04699999839067459f, 121}, {0.02329999953508377f, 13},
     "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0c0b0a0908080706050504030302020101000000000000000000000000000000000000000000000000000000000000010102030304040506070808090a0b0c0d0e0f10111214151617191a1b1d1e202123242627292b2d2e3032343638393b3d3f424446484a4c4f515356585a5d5f6264676a6c6f7274777a7d808285888b8e90929496989a9c9ea0a2a4a6a8aaacaeb0b2b4b6b8babcbfc1c3c5c7c9cbcdcfd1d3d5d7d9dbdddfe1e3e5e7e9ebedeff1f3f5f7f9fbfdffffffffffffffffffffffffffffff"},
    {q8_unary_hardsigmoid, {}, {0.0625f, 128}, {0.00390625f, 0},
     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000305080b0d101315181b1d202325282b2d303335383b3d404345484b4d505355585b5d606365686b6d707375787b7d808385888b8d909395989b9da0a3a5a8abadb0b3b5b8bbbdc0c3c5c8cbcdd0d3d5d8dbdde0e3e5e8ebedf0f3f5f8fbfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {q8_unary_sigmoid, {}, {0.03709999844431877f, 99}, {0.00390625f, 0},
     "0607070707080808080909090a0a0a0b0b0c0c0d0d0d0e0e0f0f10111112121314141516171718191a1b1c1c1d1e1f20222324252627292a2b2d2e2f3132343537393a3c3e3f41434547494b4c4e51535557595b5d5f626466696b6d6f727477797b7e80828587898c8e919395979a9c9ea1a3a5a7a9abadafb2b4b5b7b9bbbdbfc1c2c4c6c7c9cbcccecfd1d2d3d5d6d7d9dadbdcdddee0e1e2e3e4e4e5e6e7e8e9e9eaebececedeeeeefeff0f1f1f2f2f3f3f3f4f4f5f5f6f6f6f7f7f7f8f8f8f8f9f9f9f9fafafafafbfbfbfbfbfbfcfcfcfcfcfcfcfdfdfdfdfdfdfdfdfdfefefefefefefefefefefefefefeffffffffffffffffffffffffffffffffffff"},
    {q8_unary_tanh, {}, {0.015599999576807022f, 131}, {0.0078125f, 128},
     "0404040505050505050606060606060707070708080808090909090a0a0a0b0b0b0b0c0c0d0d0d0e0e0f0f0f10101111121213131415151616171818191a1b1b1c1d1e1f1f202122232425262728292a2b2c2e2f30313234353638393a3c3d3f4042434547484a4b4d4f5052545658595b5d5f61636466686a6c6e70727476787a7c7e80828486888a8c8e90929496989a9c9d9fa1a3a5a7a8aaacaeb0b1b3b5b6b8b9bbbdbec0c1c3c4c6c7c8cacbcccecfd0d1d2d4d5d6d7d8d9dadbdcdddedfe0e1e1e2e3e4e5e5e6e7e8e8e9eaeaebebecededeeeeefeff0f0f1f1f1f2f2f3f3f3f4f4f5f5f5f5f6f6f6f7f7f7f7f8f8f8f8f9f9f9f9fafafafafafafbfb"},
};
const size_t ref_golden_unary_count = sizeof(ref_golden_unaries) / sizeof(ref_golden_unaries[0]);

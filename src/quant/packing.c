#include "packing.h"

#include <string.h>

#include "requantization.h"

static size_t round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }

static size_t weight_bytes(size_t kc, size_t ks, uint32_t nr, uint32_t kr) {
  return round_up(ks * round_up(kc, kr) * nr, 4);
}

size_t q8_gemm_packed_size(size_t nc, size_t kc, size_t ks, uint32_t nr, uint32_t kr,
                           size_t tail_words) {
  const size_t blocks = (nc + nr - 1) / nr;
  return blocks * (nr * 4 * (1 + tail_words) + weight_bytes(kc, ks, nr, kr));
}

bool q8_has_weight_zero_points(const q8_channel_quantization* q, size_t nc) {
  for (size_t c = 0; c < nc; c++) {
    if (q8_channel_zero_point(q, c) != 0) return true;
  }
  return false;
}

static int32_t weight_sum(const q8_gemm_weights* g, size_t c) {
  int32_t sum = 0;
  for (size_t s = 0; s < g->ks; s++) {
    for (size_t k = 0; k < g->kc; k++) sum += g->w[c * g->channel_stride + s * g->kc + k];
  }
  return sum;
}

/* Writes the int8 weights of block columns [n0, n0 + nr) as
 * [ks][kc_padded / kr][nr][kr]; returns the end, aligned to 4 bytes. */
static char* pack_block_weights(const q8_gemm_weights* g, size_t n0, uint32_t nr, uint32_t kr,
                                char* out) {
  int8_t* p = (int8_t*)out;
  const size_t kc_padded = round_up(g->kc, kr);
  for (size_t s = 0; s < g->ks; s++) {
    for (size_t k0 = 0; k0 < kc_padded; k0 += kr) {
      for (size_t n = n0; n < n0 + nr; n++) {
        for (size_t k = k0; k < k0 + kr; k++) {
          const bool real = n < g->nc && k < g->kc;
          *p++ = real ? g->w[n * g->channel_stride + s * g->kc + k] : 0;
        }
      }
    }
  }
  const size_t used = (size_t)((char*)p - out), total = weight_bytes(g->kc, g->ks, nr, kr);
  memset(p, 0, total - used);
  return out + total;
}

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof(u));
  return u;
}

/* What one output column contributes besides its weights. */
typedef struct packed_column {
  int32_t head;
  uint32_t tail[3];
} packed_column;

typedef struct static_context {
  float input_scale, output_scale;
  int32_t input_zero_point;
} static_context;

static packed_column static_column(const q8_gemm_weights* g, size_t n, const void* context) {
  const static_context* ctx = context;
  const float scale = q8_channel_scale(&g->weight, n);
  const int32_t wzp = q8_channel_zero_point(&g->weight, n);
  const int32_t bias_q = g->bias ? q8_quantize_bias(g->bias[n], ctx->input_scale, scale) : 0;
  const uint32_t izp = (uint32_t)ctx->input_zero_point, k_total = (uint32_t)(g->kc * g->ks);
  /* Wrapping arithmetic: only the kernel's final int32 sum is meaningful. */
  const uint32_t head =
      (uint32_t)bias_q - izp * (uint32_t)weight_sum(g, n) + k_total * izp * (uint32_t)wzp;
  return (packed_column){
      .head = (int32_t)head,
      .tail = {(uint32_t)wzp,
               float_bits(q8_requantization_multiplier(ctx->input_scale, scale, ctx->output_scale))}};
}

static packed_column dynamic_column(const q8_gemm_weights* g, size_t n, const void* context) {
  (void)context;
  return (packed_column){
      .head = weight_sum(g, n),
      .tail = {(uint32_t)q8_channel_zero_point(&g->weight, n),
               float_bits(q8_channel_scale(&g->weight, n)), float_bits(g->bias ? g->bias[n] : 0.0f)}};
}

enum { MAX_NR = 256 };

static void pack_gemm(const q8_gemm_weights* g, uint32_t nr, uint32_t kr, size_t tail_words,
                      packed_column (*column)(const q8_gemm_weights*, size_t, const void*),
                      const void* context, void* packed) {
  char* out = (char*)packed;
  packed_column cols[MAX_NR];
  for (size_t n0 = 0; n0 < g->nc; n0 += nr) {
    for (size_t i = 0; i < nr; i++) {
      cols[i] = n0 + i < g->nc ? column(g, n0 + i, context) : (packed_column){0};
      memcpy(out + i * sizeof(int32_t), &cols[i].head, sizeof(int32_t));
    }
    out = pack_block_weights(g, n0, nr, kr, out + nr * sizeof(int32_t));
    for (size_t t = 0; t < tail_words; t++) {
      for (size_t i = 0; i < nr; i++) {
        memcpy(out + i * sizeof(uint32_t), &cols[i].tail[t], sizeof(uint32_t));
      }
      out += nr * sizeof(uint32_t);
    }
  }
}

void q8_pack_gemm_static(const q8_gemm_weights* g, uint32_t nr, uint32_t kr, float input_scale,
                         int32_t input_zero_point, float output_scale, void* packed) {
  const static_context ctx = {input_scale, output_scale, input_zero_point};
  pack_gemm(g, nr, kr, 2, static_column, &ctx, packed);
}

void q8_pack_gemm_dynamic(const q8_gemm_weights* g, uint32_t nr, uint32_t kr, void* packed) {
  pack_gemm(g, nr, kr, 3, dynamic_column, NULL, packed);
}

size_t q8_dwconv_packed_size(size_t channels, size_t ks, uint32_t cr) {
  return q8_gemm_packed_size(channels, 1, ks, cr, 1, 2);
}

/* A depthwise channel is a one-column GEMM of ks weights, so it reuses the
 * GEMM packer with kr = 1: [cr heads][ks][cr weights][cr zp][cr multiplier]. */
void q8_pack_dwconv_static(size_t channels, size_t ks, uint32_t cr, const int8_t* w,
                           const float* bias, const q8_channel_quantization* weight,
                           float input_scale, int32_t input_zero_point, float output_scale,
                           void* packed) {
  const q8_gemm_weights g = {.nc = channels, .kc = 1, .ks = ks, .w = w, .channel_stride = ks,
                             .bias = bias, .weight = *weight};
  q8_pack_gemm_static(&g, cr, 1, input_scale, input_zero_point, output_scale, packed);
}

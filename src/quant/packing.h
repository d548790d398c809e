/*
 * Prepacking: lays conv/linear weights out once, at create time, in the
 * blocked layout a kernel table asks for (see src/kernels/kernels.h), with
 * bias and zero-point corrections folded in.
 *
 * Static (uint8 output) column c gets:
 *   head[c] = bias_q[c] - input_zp * sum_k w[c][k] + K * input_zp * wzp[c]
 * so that the kernel's  head + sum_k x*w - wzp * sum_k x  equals
 *   sum_k (x - input_zp) * (w - wzp) + bias_q.
 * K counts every position, padding included: padding reads the zero buffer,
 * which holds input_zp and so adds nothing.
 */
#ifndef Q8_QUANT_PACKING_H
#define Q8_QUANT_PACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Weight quantization of a run of output channels: scale(c) is
 * scales[c * stride] (stride 0 per tensor, 1 per channel); zero_points may
 * be NULL. */
typedef struct q8_channel_quantization {
  const float* scales;
  const int32_t* zero_points;
  size_t stride;
} q8_channel_quantization;

static inline float q8_channel_scale(const q8_channel_quantization* q, size_t c) {
  return q->scales[c * q->stride];
}
static inline int32_t q8_channel_zero_point(const q8_channel_quantization* q, size_t c) {
  return q->zero_points ? q->zero_points[c * q->stride] : 0;
}

/* The weights of one GEMM: nc output channels, each with ks * kc int8
 * weights at w + c * channel_stride + s * kc + k. */
typedef struct q8_gemm_weights {
  size_t nc, kc, ks;
  const int8_t* w;
  size_t channel_stride;
  const float* bias; /* nc entries or NULL */
  q8_channel_quantization weight;
} q8_gemm_weights;

/* Bytes of the packed form for a kernel with (nr, kr); tail_words is 2 for
 * static (zero point, multiplier) and 3 for dynamic (+ bias). */
size_t q8_gemm_packed_size(size_t nc, size_t kc, size_t ks, uint32_t nr, uint32_t kr,
                           size_t tail_words);

/* Packs for uint8 output. */
void q8_pack_gemm_static(const q8_gemm_weights* weights, uint32_t nr, uint32_t kr,
                         float input_scale, int32_t input_zero_point, float output_scale,
                         void* packed);

/* Packs for the dynamic fp32-output kernel (head = column sums). */
void q8_pack_gemm_dynamic(const q8_gemm_weights* weights, uint32_t nr, uint32_t kr,
                          void* packed);

/* Depthwise: `channels` channels of ks weights each (w[c * ks + s]). */
size_t q8_dwconv_packed_size(size_t channels, size_t ks, uint32_t cr);
void q8_pack_dwconv_static(size_t channels, size_t ks, uint32_t cr, const int8_t* w,
                           const float* bias, const q8_channel_quantization* weight,
                           float input_scale, int32_t input_zero_point, float output_scale,
                           void* packed);

/* True if any weight zero point of the nc channels is nonzero. */
bool q8_has_weight_zero_points(const q8_channel_quantization* q, size_t nc);

#endif

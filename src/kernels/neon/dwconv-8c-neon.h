/*
 * Portable NEON depthwise convolution, 8 channels per packed block (CR = 8),
 * shared by the any-ks kernel and the single-pass 3x3 and 5x5 kernels; every
 * ARM table uses them.
 *
 * Arithmetic, exact like the scalar reference: 8 input bytes are
 * zero-extended to int16, 8 weights sign-extended, and vmlal_s16 adds the
 * products to int32 accumulators that start at the block's bias. When the
 * row sums are subtracted, the weight zero point is subtracted from the
 * weights instead: sum x * (w - wzp) = sum x * w - wzp * sum x (mod 2^32),
 * and |w - wzp| <= 255 still fits int16 because weight zero points are in
 * [-128, 127] (the operators refuse others). One vsub per tap replaces a
 * row sum and a multiply.
 *
 * A channel tail (channels % 8) is loaded and stored by 4/2/1-byte pieces,
 * so no byte past `channels` of an input row or output pixel is touched.
 * The kernels are specialized at compile time on whether row sums are
 * subtracted and whether a_offset is zero (the convolution operator always
 * passes 0, which makes the zero-pointer test unnecessary).
 */
#ifndef Q8_KERNELS_NEON_DWCONV_8C_NEON_H
#define Q8_KERNELS_NEON_DWCONV_8C_NEON_H

#include "gemm-requant-neon.h"

enum { Q8_NEON_DWCONV_CR = 8 };

/* The kernel arguments, as given. */
typedef struct q8_neon_dwconv_args {
  size_t channels, output_pixels, ks;
  const uint8_t* const* input;
  size_t input_stride;
  const void* w;
  uint8_t* output;
  size_t output_stride;
  size_t a_offset;
  const uint8_t* zero;
  const q8_requant_params* params;
} q8_neon_dwconv_args;

/* One packed block: int32 bias[8]; int8 w[ks][8]; int32 wzp[8]; float
 * mult[8] (8 * ks bytes of weights need no padding to 4). */
static inline size_t q8_neon_dwconv_block_bytes(size_t ks) {
  return 3 * Q8_NEON_DWCONV_CR * sizeof(int32_t) + Q8_NEON_DWCONV_CR * ks;
}

/* The block's weight zero points and multipliers, after its weights. */
Q8_NEON_INLINE const int32_t* q8_neon_dwconv_tail(const char* block, size_t ks) {
  return (const int32_t*)(const void*)(block + Q8_NEON_DWCONV_CR * sizeof(int32_t) +
                                       Q8_NEON_DWCONV_CR * ks);
}

/* Where tap row `tap` starts: the zero pointer as is, others + a_offset. */
Q8_NEON_INLINE const uint8_t* q8_neon_dwconv_row(const uint8_t* tap, const q8_neon_dwconv_args* d,
                                                 int has_offset) {
  if (!has_offset) return tap;
  return tap == d->zero ? tap : tap + d->a_offset;
}

/* 8 input bytes (n < 8 of them when partial) as int16. */
Q8_NEON_INLINE int16x8_t q8_neon_dwconv_input(const uint8_t* p, size_t n, int partial) {
  const uint8x8_t v = partial ? q8_neon_load_u8_partial(p, n) : vld1_u8(p);
  return vreinterpretq_s16_u16(vmovl_u8(v));
}

/* Weight zero points as int16, or zeros when row sums are not subtracted. */
Q8_NEON_INLINE int16x8_t q8_neon_dwconv_zero_points(const int32_t* tail, int subtract) {
  if (!subtract) return vdupq_n_s16(0);
  return vcombine_s16(vmovn_s32(vld1q_s32(tail)), vmovn_s32(vld1q_s32(tail + 4)));
}

/* One tap's 8 weights as int16, minus the zero points. */
Q8_NEON_INLINE int16x8_t q8_neon_dwconv_weights(const int8_t* w, int16x8_t zero_points, int subtract) {
  const int16x8_t v = vmovl_s8(vld1_s8(w));
  return subtract ? vsubq_s16(v, zero_points) : v;
}

/* acc[0..1] (channels 0-3, 4-7) += x * w. */
Q8_NEON_INLINE void q8_neon_dwconv_mac(int32x4_t acc[2], int16x8_t x, int16x8_t w) {
  acc[0] = vmlal_s16(acc[0], vget_low_s16(x), vget_low_s16(w));
#if defined(__aarch64__)
  acc[1] = vmlal_high_s16(acc[1], x, w); /* smlal2: no extraction of the high halves */
#else
  acc[1] = vmlal_s16(acc[1], vget_high_s16(x), vget_high_s16(w));
#endif
}

/* Stores 8 results, or the first n when partial. */
Q8_NEON_INLINE void q8_neon_dwconv_store(uint8_t* p, uint8x8_t v, size_t n, int partial) {
  if (partial) {
    q8_neon_store_u8(p, v, n);
  } else {
    vst1_u8(p, v);
  }
}

/* Calls fn(&args, subtract, has_offset) with both flags as constants. */
#define Q8_NEON_DWCONV_DISPATCH(fn, args)                          \
  do {                                                             \
    const int subtract_ = (args)->params->subtract_row_sums != 0;  \
    if (subtract_ && (args)->a_offset != 0) {                      \
      fn(args, 1, 1);                                              \
    } else if (subtract_) {                                        \
      fn(args, 1, 0);                                              \
    } else if ((args)->a_offset != 0) {                            \
      fn(args, 0, 1);                                              \
    } else {                                                       \
      fn(args, 0, 0);                                              \
    }                                                              \
  } while (0)

/* --- single-pass kernels for a square KW x KW kernel ------------------- */

enum { Q8_NEON_DWCONV_MAX_FIXED_KS = 25 };

/* Every output pixel of the block at c0. The block's KS = KW * KW weight
 * vectors are widened (and offset by the zero points) once and reused for
 * all pixels: per tap and pixel only the input is loaded and widened, then
 * 2 vmlal.
 * ARM64 keeps the vectors in registers (all 9; most of 25) with the taps
 * fully unrolled. ARMv7 has 16 q registers: fully unrolled, GCC hoisted all
 * input loads and spilled them, so there the vectors sit in a stack buffer
 * (one vld1q per tap instead of load, widen, subtract) and the pixel walks
 * the kernel row by row, each row of KW taps unrolled. */
Q8_NEON_INLINE void q8_neon_dwconv_fixed_block(const q8_neon_dwconv_args* d, size_t KW, size_t c0,
                                               size_t n, const char* block,
                                               const q8_neon_requant* r, int subtract,
                                               int has_offset, int partial) {
  const size_t KS = KW * KW;
  const int32_t* bias = (const int32_t*)(const void*)block;
  const int8_t* wp = (const int8_t*)(bias + Q8_NEON_DWCONV_CR);
  const int32_t* tail = q8_neon_dwconv_tail(block, KS);
  const int16x8_t zero_points = q8_neon_dwconv_zero_points(tail, subtract);
#if defined(__aarch64__)
  int16x8_t vw[Q8_NEON_DWCONV_MAX_FIXED_KS];
#pragma GCC unroll 25
  for (size_t k = 0; k < KS; k++) {
    vw[k] = q8_neon_dwconv_weights(wp + k * Q8_NEON_DWCONV_CR, zero_points, subtract);
  }
#else
  int16_t vw[Q8_NEON_DWCONV_MAX_FIXED_KS * Q8_NEON_DWCONV_CR];
  for (size_t k = 0; k < KS; k++) {
    vst1q_s16(vw + k * Q8_NEON_DWCONV_CR,
              q8_neon_dwconv_weights(wp + k * Q8_NEON_DWCONV_CR, zero_points, subtract));
  }
#endif
  const int32x4_t bias_lo = vld1q_s32(bias), bias_hi = vld1q_s32(bias + 4);
  const float* mult = (const float*)(tail + Q8_NEON_DWCONV_CR);
  const float32x4_t mult_lo = vld1q_f32(mult), mult_hi = vld1q_f32(mult + 4);
  for (size_t p = 0; p < d->output_pixels; p++) {
    const uint8_t* const* taps = d->input + p * d->input_stride;
    int32x4_t acc[2] = {bias_lo, bias_hi};
#if defined(__aarch64__)
#pragma GCC unroll 25
    for (size_t k = 0; k < KS; k++) {
      const uint8_t* x = q8_neon_dwconv_row(taps[k], d, has_offset) + c0;
      q8_neon_dwconv_mac(acc, q8_neon_dwconv_input(x, n, partial), vw[k]);
    }
#else
#pragma GCC unroll 1
    for (size_t k0 = 0; k0 < KS; k0 += KW) {
#pragma GCC unroll 5
      for (size_t k = k0; k < k0 + KW; k++) {
        const uint8_t* x = q8_neon_dwconv_row(taps[k], d, has_offset) + c0;
        q8_neon_dwconv_mac(acc, q8_neon_dwconv_input(x, n, partial),
                           vld1q_s16(vw + k * Q8_NEON_DWCONV_CR));
      }
    }
#endif
    const uint8x8_t out = q8_neon_requantize8(acc[0], acc[1], mult_lo, mult_hi, r);
    q8_neon_dwconv_store(d->output + p * d->output_stride + c0, out, n, partial);
  }
}

/* The whole call for a KW x KW kernel (KW a constant): block by block, all
 * pixels of each block. */
Q8_NEON_INLINE void q8_neon_dwconv_square(const q8_neon_dwconv_args* d, size_t KW, int subtract,
                                          int has_offset) {
  const q8_neon_requant r = q8_neon_requant_init(d->params);
  const size_t block_bytes = q8_neon_dwconv_block_bytes(KW * KW);
  const size_t full = d->channels - d->channels % Q8_NEON_DWCONV_CR;
  const char* block = (const char*)d->w;
  for (size_t c0 = 0; c0 < full; c0 += Q8_NEON_DWCONV_CR, block += block_bytes) {
    q8_neon_dwconv_fixed_block(d, KW, c0, Q8_NEON_DWCONV_CR, block, &r, subtract, has_offset, 0);
  }
  if (full != d->channels) {
    q8_neon_dwconv_fixed_block(d, KW, full, d->channels - full, block, &r, subtract, has_offset,
                               1);
  }
}

#endif

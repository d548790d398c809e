/*
 * Micro-kernel interface and the per-ISA kernel table.
 *
 * A micro-kernel knows nothing of operators: it computes one tile from
 * pointers and a packed weight block. Each table carries the packing
 * parameters (MR, NR, KR, CR) its kernels expect; operators ask the packers in
 * src/quant/packing.h to lay weights out for them, once, at create time.
 *
 * Packed GEMM block (one per NR output channels, channels past nc padded
 * with zeros), read sequentially by the kernel:
 *   int32  bias[NR]        bias_q + corrections (see src/quant/packing.h)
 *   int8   w[ks][kc_padded / KR][NR][KR]   kc_padded = round_up(kc, KR)
 *   (zero bytes up to a multiple of 4)
 *   int32  weight_zero_point[NR]
 *   float  multiplier[NR]  requantization multiplier
 * The dynamic (fp32 output) block replaces bias by the column sums of w and
 * the multiplier by the weight scale, and appends the fp32 bias[NR].
 *
 * Packed depthwise block (one per CR channels):
 *   int32 bias[CR]; int8 w[ks][CR]; (pad to 4); int32 weight_zero_point[CR];
 *   float multiplier[CR]
 */
#ifndef Q8_KERNELS_H
#define Q8_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"
#include "elementwise.h"
#include "pooling.h"

/* Output stage shared by GEMM, IGEMM and depthwise kernels. */
typedef struct q8_requant_params {
  int32_t output_zero_point;
  uint8_t output_min;
  uint8_t output_max;
  /* Nonzero when any weight zero point is nonzero: the kernel then subtracts
   * weight_zero_point[n] * sum(a row) from the accumulator. */
  uint8_t subtract_row_sums;
} q8_requant_params;

/* Parameters of the fp32-output (dynamic) GEMM. */
typedef struct q8_gemm_dq_params {
  int32_t input_zero_point;
  float input_scale;
  uint8_t relu;
  uint8_t subtract_row_sums;
} q8_gemm_dq_params;

/*
 * GEMM: C[mr][nc] = requant(A[mr][kc] * W[kc][nc]).
 * mr <= MR rows of A at a (a_stride bytes apart), nc <= NR columns, one packed
 * block w; C rows c_stride bytes apart. Kernels may not read A past kc.
 */
typedef void (*q8_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                   size_t a_stride, const void* w, uint8_t* c, size_t c_stride,
                                   const q8_requant_params* params);

/*
 * Indirect GEMM (convolution): a holds ks * MR row pointers, ordered
 * [ks][MR]; each points at kc bytes. A pointer equal to `zero` (a buffer of
 * input zero points) is used as is; every other pointer gets a_offset bytes
 * added (the group's channel offset).
 */
typedef void (*q8_igemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, size_t ks,
                                    const uint8_t* const* a, const void* w, uint8_t* c,
                                    size_t c_stride, size_t a_offset, const uint8_t* zero,
                                    const q8_requant_params* params);

/* Dynamic GEMM with fp32 output: C[mr][nc] = acc * (input_scale *
 * weight_scale[n]) + bias[n], then relu. c_stride in bytes. */
typedef void (*q8_gemm_dq_ukernel_fn)(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                      size_t a_stride, const void* w, float* c, size_t c_stride,
                                      const q8_gemm_dq_params* params);

/*
 * Depthwise convolution over output_pixels pixels. For pixel p, its ks input
 * pointers are input[p * input_stride .. + ks - 1] (input_stride in
 * pointers); the same zero-pointer / a_offset rule as IGEMM. Channels are
 * processed in CR blocks of packed weights w; output pixels are
 * output_stride bytes apart.
 */
typedef void (*q8_dwconv_ukernel_fn)(size_t channels, size_t output_pixels, size_t ks,
                                     const uint8_t* const* input, size_t input_stride,
                                     const void* w, uint8_t* output, size_t output_stride,
                                     size_t a_offset, const uint8_t* zero,
                                     const q8_requant_params* params);

typedef struct q8_gemm_config {
  uint32_t mr, nr, kr;
  /* The static kernels read A as a + a_offset: -128 for kernels that flip
   * A's sign bit to use signed dot products (sdot), 0 otherwise. Packing
   * folds it in by packing with input_zero_point + a_value_offset; the kernel
   * computes its row sums on the same shifted values. (The dynamic kernels
   * take the input zero point per call and apply the offset themselves.) */
  int32_t a_value_offset;
  q8_gemm_ukernel_fn gemm;
  q8_igemm_ukernel_fn igemm;
  q8_gemm_dq_ukernel_fn gemm_dq;
} q8_gemm_config;

typedef struct q8_dwconv_config {
  uint32_t cr;
  q8_dwconv_ukernel_fn dwconv; /* any ks */
  /* Optional single-pass kernels for ks == 9 (3x3) and ks == 25 (5x5), same
   * packing and results as `dwconv`; NULL: `dwconv` serves. */
  q8_dwconv_ukernel_fn dwconv9;
  q8_dwconv_ukernel_fn dwconv25;
} q8_dwconv_config;

/* The depthwise kernel of `cfg` for ks taps. */
static inline q8_dwconv_ukernel_fn q8_dwconv_ukernel_for(const q8_dwconv_config* cfg, size_t ks) {
  if (ks == 9 && cfg->dwconv9 != NULL) return cfg->dwconv9;
  if (ks == 25 && cfg->dwconv25 != NULL) return cfg->dwconv25;
  return cfg->dwconv;
}

/* The kernel table of one ISA. Elementwise, pooling and other operator
 * families add their configs here. */
typedef struct q8_kernel_table {
  q8_isa isa;
  const char* name;
  q8_gemm_config gemm;
  q8_dwconv_config dwconv;
  /* Families an ISA has not vectorized point at the scalar configs. */
  const q8_elementwise_config* elementwise; /* src/kernels/elementwise.h */
  const q8_pooling_config* pooling;         /* src/kernels/pooling.h */
} q8_kernel_table;

/* Returns the table for `isa` (q8_isa_auto: the default), or NULL if this
 * build or CPU lacks it. Initializes hardware detection on first use. */
const q8_kernel_table* q8_kernel_table_get(q8_isa isa);

/* The tables, defined next to their kernels. */
extern const q8_kernel_table q8_scalar_kernels;
extern const q8_elementwise_config q8_scalar_elementwise_kernels;
extern const q8_pooling_config q8_scalar_pooling_kernels;
extern const q8_kernel_table q8_avx2_kernels;       /* x86-64 builds only */
extern const q8_kernel_table q8_avx512vnni_kernels; /* x86-64 builds only */
extern const q8_kernel_table q8_amx_kernels;        /* x86-64 builds only */
extern const q8_elementwise_config q8_avx2_elementwise_kernels; /* both x86 tables */
extern const q8_pooling_config q8_avx2_pooling_kernels;
extern const q8_elementwise_config q8_avx512vnni_elementwise_kernels;
/* ARM: "neon" is portable NEON intrinsics (ARMv7 and ARM64 builds), the
 * others ARM64 only; the elementwise and pooling families are shared. */
extern const q8_kernel_table q8_neon_kernels;
extern const q8_elementwise_config q8_neon_elementwise_kernels;
extern const q8_pooling_config q8_neon_pooling_kernels;
extern const q8_kernel_table q8_neon64_kernels;
extern const q8_kernel_table q8_neondot_kernels;
extern const q8_kernel_table q8_neoni8mm_kernels;

#endif /* Q8_KERNELS_H */

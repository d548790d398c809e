/*
 * Mean of quantized values over dimensions other than an image's H and W
 * (aten::mean.dim of a quint8 tensor outside QNNPACK's (2, 3) case, e.g. the
 * token axis of a (B, T, C) tensor): ATen dequantizes, sums in fp32, divides
 * by the count and quantizes with the input's qparams,
 *   y = quantize(f32(sum_r dequantize(x_r)) / R, input)
 * over `reduce` values `inner` elements apart. The fp32 sum follows ATen's
 * cascade_sum (SumKernel.cpp) exactly, as it runs on the reduction's memory
 * layout: a reduced dimension that is innermost is summed 8 lanes at a time
 * (vectorized_inner_sum), one with contiguous outputs column by column
 * (vectorized_outer_sum / scalar_outer_sum), each with its mix of "level"
 * partial sums (multi_row_sum) and 4-way interleaved ones (row_sum).
 *
 * ATen's fast path, for a contiguous tensor averaged over its trailing
 * dimensions (qmean_inner_dim_kernel), is integer: the codes' sum,
 *   y = rne(f32((float)sum_r x_r / R))   (output qparams = input's).
 */
#include <math.h>
#include <stdlib.h>

#include "q8/pooling.h"
#include "../../quant/quantize.h"
#include "operator.h"

#define MEAN_ROW_BLOCK 16

typedef struct mean_op {
  q8_operator base;
  q8_quantization input_q, output_q;
  bool integer;
  size_t outer, reduce, inner;
  const uint8_t* input;
  uint8_t* output;
} mean_op;

static q8_status run_mean(q8_operator* base, pthreadpool_t threadpool);

q8_status q8_mean_create(q8_quantization input, q8_quantization output, bool integer, q8_isa isa,
                         q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_mean_create";
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_quantization(fn, "input", input, error)) ||
      (s = q8_check_quantization(fn, "output", output, error)))
    return s;
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(mean_op), "mean", isa, &base, error))) return s;
  mean_op* op = (mean_op*)base;
  base->run = run_mean;
  op->input_q = input;
  op->output_q = output;
  op->integer = integer;
  *op_out = base;
  return q8_status_success;
}

q8_status q8_mean_setup(q8_operator* base, size_t outer, size_t reduce, size_t inner,
                        const uint8_t* input, uint8_t* output, q8_error* error) {
  static const char fn[] = "q8_mean_setup";
  q8_status s;
  size_t total;
  if ((s = q8_begin_setup(fn, base, run_mean, error)) ||
      (s = q8_check_nonzero(fn, "outer", outer, error)) ||
      (s = q8_check_nonzero(fn, "reduce", reduce, error)) ||
      (s = q8_check_nonzero(fn, "inner", inner, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error)))
    return s;
  if (!q8_mul_size(outer, reduce, &total) || !q8_mul_size(total, inner, &total) ||
      reduce > ((size_t)1 << 24))
    return q8_fail(error, q8_status_invalid_parameter, "%s: the tensor is too large", fn);
  mean_op* op = (mean_op*)base;
  op->outer = outer;
  op->reduce = reduce;
  op->inner = inner;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static int ceil_log2(uint64_t x) { return x <= 1 ? 0 : 64 - __builtin_clzll(x - 1); }

/* Dequantized element i of a sequence `stride` codes apart. */
#define ELEMENT(i) q8_dequantize_value(x[(size_t)(i) * stride], s, zp)

/* One lane of ATen's multi_row_sum over `size` elements: partial sums in 4
 * levels, each level folded into the next every 2^level_power elements. */
static float level_sum(const uint8_t* x, size_t stride, int64_t size, float s, int32_t zp) {
  const int64_t level_power = ceil_log2((uint64_t)size) / 4 > 4 ? ceil_log2((uint64_t)size) / 4 : 4;
  const int64_t level_step = (int64_t)1 << level_power, level_mask = level_step - 1;
  float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int64_t i = 0;
  while (i + level_step <= size) {
    for (int64_t j = 0; j < level_step; ++j, ++i) acc[0] += ELEMENT(i);
    for (int j = 1; j < 4; j++) {
      acc[j] += acc[j - 1];
      acc[j - 1] = 0.0f;
      if ((i & (level_mask << (j * level_power))) != 0) break;
    }
  }
  for (; i < size; ++i) acc[0] += ELEMENT(i);
  for (int j = 1; j < 4; j++) acc[0] += acc[j];
  return acc[0];
}

/* ATen's row_sum: 4 interleaved level sums, the tail, then the 4 combined. */
static float row_sum(const uint8_t* x, size_t stride, int64_t size, float s, int32_t zp) {
  const int64_t size_ilp = size / 4;
  float partial[4];
  for (int k = 0; k < 4; k++) partial[k] = level_sum(x + (size_t)k * stride, 4 * stride, size_ilp, s, zp);
  for (int64_t i = size_ilp * 4; i < size; ++i) partial[0] += ELEMENT(i);
  return partial[0] + partial[1] + partial[2] + partial[3];
}

/* vectorized_inner_sum: 8 lanes (AVX2 floats) each a row_sum, then the
 * scalar tail, then the lanes added to it in order. */
static float inner_sum(const uint8_t* x, int64_t size, float s, int32_t zp) {
  const size_t stride = 1;
  const int64_t vectors = size / 8;
  float lanes[8], sum = 0.0f;
  for (int l = 0; l < 8; l++) lanes[l] = row_sum(x + l, 8, vectors, s, zp);
  for (int64_t i = vectors * 8; i < size; ++i) sum += ELEMENT(i);
  for (int l = 0; l < 8; l++) sum += lanes[l];
  return sum;
}

static float cascade_sum(const mean_op* op, const uint8_t* x, size_t column) {
  const float s = op->input_q.scale;
  const int32_t zp = op->input_q.zero_point;
  const int64_t n = (int64_t)op->reduce;
  if (op->inner == 1) return n >= 8 ? inner_sum(x, n, s, zp) : row_sum(x, 1, n, s, zp);
  /* Outer sums: the first columns in blocks (of 32 vectorized, of 4 scalar)
   * take multi_row_sum, the others row_sum. */
  const size_t block = op->inner >= 8 ? 32 : 4;
  return column < op->inner / block * block ? level_sum(x, op->inner, n, s, zp)
                                            : row_sum(x, op->inner, n, s, zp);
}

static void mean_rows(void* context, size_t start, size_t count) {
  const mean_op* op = context;
  const float inverse = 1.0f / op->output_q.scale;
  for (size_t row = start; row < start + count; row++) {
    const size_t o = row / op->inner, i = row % op->inner;
    const uint8_t* x = op->input + o * op->reduce * op->inner + i;
    if (op->integer) {
      uint64_t sum = 0;
      for (size_t r = 0; r < op->reduce; r++) sum += x[r * op->inner];
      const float mean = (float)sum / (float)op->reduce; /* in [0, 255]: no clamp needed */
      op->output[row] = (uint8_t)nearbyintf(mean);
      continue;
    }
    const float sum = cascade_sum(op, x, i);
    op->output[row] = q8_quantize_value(sum / (float)op->reduce, inverse, op->output_q.zero_point);
  }
}

static q8_status run_mean(q8_operator* base, pthreadpool_t threadpool) {
  mean_op* op = (mean_op*)base;
  pthreadpool_parallelize_1d_tile_1d(threadpool, mean_rows, op, op->outer * op->inner, MEAN_ROW_BLOCK, 0);
  return q8_status_success;
}

/*
 * Quantized batch normalization (PyTorch's quantized::batch_norm2d / 1d,
 * with or without relu): a per-channel affine map of the input codes,
 *
 *   inv_sigma[c] = f32(1.0 / (double)sqrtf(f32(var[c] + f32(eps))))
 *   alpha[c]     = f32((double)f32(inv_sigma[c] * weight[c]) * (input.scale / output.scale))
 *   beta[c]      = f32((double)f32(bias[c] - f32(f32(mean[c] * inv_sigma[c]) * weight[c]))
 *                      / output.scale)
 *   y            = clamp(output.zero_point + rne(fmaf(alpha[c], (float)(q - input.zp), beta[c])),
 *                        output_min, output_max)
 *
 * (ATen's compute_fused_params and q_batch_norm_kernel; the product and sum
 * round once, as the AVX2 body's fmadd and the compiler-contracted scalar
 * tail do; the scales' ratio is taken in double.) As y depends only on the
 * channel and the code, create builds one 256-entry table per channel.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "q8/elementwise.h"
#include "operator.h"

#define BATCH_NORM_PIXEL_BLOCK 64
#define BATCH_NORM_MAX_CHANNELS ((size_t)1 << 20)

typedef struct batch_norm_op {
  q8_operator base;
  size_t channels;
  uint8_t* tables; /* channels x 256 */
  size_t pixels;
  const uint8_t* input;
  uint8_t* output;
} batch_norm_op;

static q8_status run_batch_norm(q8_operator* base, pthreadpool_t threadpool);

static void destroy_batch_norm(q8_operator* base) { free(((batch_norm_op*)base)->tables); }

q8_status q8_batch_norm_create_nc(const q8_batch_norm_params* p, q8_isa isa, q8_operator** op_out,
                                  q8_error* error) {
  static const char fn[] = "q8_batch_norm_create_nc";
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  q8_status s;
  if ((s = q8_check_nonzero(fn, "channels", p->channels, error)) ||
      (s = q8_check_pointer(fn, "mean", p->mean, error)) ||
      (s = q8_check_pointer(fn, "variance", p->variance, error)) ||
      (s = q8_check_quantization(fn, "input", p->input, error)) ||
      (s = q8_check_quantization(fn, "output", p->output, error)) ||
      (s = q8_check_output_range(fn, p->output_min, p->output_max, error))) {
    return s;
  }
  if (p->channels > BATCH_NORM_MAX_CHANNELS)
    return q8_fail(error, q8_status_invalid_parameter, "%s: channels is %zu; at most 2^20", fn,
                   p->channels);
  if (!isfinite(p->epsilon) || p->epsilon < 0.0f)
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: epsilon is %g; it must be finite and not negative", fn, p->epsilon);
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(batch_norm_op), "batch_norm", isa, &base, error))) return s;
  batch_norm_op* op = (batch_norm_op*)base;
  base->run = run_batch_norm;
  base->destroy = destroy_batch_norm;
  op->channels = p->channels;
  op->tables = malloc(p->channels * 256);
  if (op->tables == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  }
  const double ratio = (double)p->input.scale / (double)p->output.scale;
  for (size_t c = 0; c < p->channels; c++) {
    const float w = p->weight != NULL ? p->weight[c] : 1.0f;
    const float b = p->bias != NULL ? p->bias[c] : 0.0f;
    const float inv_sigma = (float)(1.0 / (double)sqrtf(p->variance[c] + p->epsilon));
    const float alpha = (float)((double)(inv_sigma * w) * ratio);
    const float beta = (float)((double)(b - p->mean[c] * inv_sigma * w) / (double)p->output.scale);
    uint8_t* table = op->tables + c * 256;
    for (int q = 0; q < 256; q++) {
      /* A NaN or huge value (a zero variance, a hostile file) lands on a
       * clamp bound instead of an undefined conversion. */
      const float v = fmaf(alpha, (float)(q - p->input.zero_point), beta);
      const float r = nearbyintf(v) + (float)p->output.zero_point;
      long y = !(r >= (float)p->output_min) ? p->output_min
               : r > (float)p->output_max   ? p->output_max
                                            : (long)r;
      table[q] = (uint8_t)y;
    }
  }
  *op_out = base;
  return q8_status_success;
}

q8_status q8_channel_lookup_create(size_t channels, const uint8_t* tables, q8_isa isa,
                                   q8_operator** op_out, q8_error* error) {
  static const char fn[] = "q8_channel_lookup_create";
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  q8_status s;
  if ((s = q8_check_nonzero(fn, "channels", channels, error)) ||
      (s = q8_check_pointer(fn, "tables", tables, error)))
    return s;
  if (channels > BATCH_NORM_MAX_CHANNELS)
    return q8_fail(error, q8_status_invalid_parameter, "%s: channels is %zu; at most 2^20", fn, channels);
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(batch_norm_op), "channel_lookup", isa, &base, error))) return s;
  batch_norm_op* op = (batch_norm_op*)base;
  base->run = run_batch_norm;
  base->destroy = destroy_batch_norm;
  op->channels = channels;
  op->tables = malloc(channels * 256);
  if (op->tables == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  }
  memcpy(op->tables, tables, channels * 256);
  *op_out = base;
  return q8_status_success;
}

q8_status q8_batch_norm_setup_nc(q8_operator* base, size_t pixels, const uint8_t* input,
                                 uint8_t* output, q8_error* error) {
  static const char fn[] = "q8_batch_norm_setup_nc";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_batch_norm, error)) ||
      (s = q8_check_nonzero(fn, "pixels", pixels, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "output", output, error))) {
    return s;
  }
  batch_norm_op* op = (batch_norm_op*)base;
  op->pixels = pixels;
  op->input = input;
  op->output = output;
  base->is_setup = true;
  return q8_status_success;
}

static void batch_norm_tile(void* context, size_t start, size_t count) {
  const batch_norm_op* op = context;
  const size_t c = op->channels;
  for (size_t p = start; p < start + count; p++) {
    const uint8_t* x = op->input + p * c;
    uint8_t* y = op->output + p * c;
    for (size_t k = 0; k < c; k++) y[k] = op->tables[k * 256 + x[k]];
  }
}

static q8_status run_batch_norm(q8_operator* base, pthreadpool_t threadpool) {
  batch_norm_op* op = (batch_norm_op*)base;
  pthreadpool_parallelize_1d_tile_1d(threadpool, batch_norm_tile, op, op->pixels,
                                     BATCH_NORM_PIXEL_BLOCK, 0);
  return q8_status_success;
}

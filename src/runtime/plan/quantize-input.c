/*
 * The model input's quantize_per_tensor: fp32 NCHW planes to uint8 NHWC.
 * Each task quantizes a tile of pixels of every channel plane with the
 * table's vector quantize kernel into a stack buffer, then interleaves the
 * channels into NHWC order; tiles are spread over the threadpool.
 */
#include "quantize-input.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Stack buffer of one task: a tile of pixels times a block of channels. */
#define TILE_BYTES 4096
#define MAX_CHANNEL_BLOCK 16

typedef struct quantize_job {
  const q8_elementwise_config* kernels;
  q8_quantize_params params;
  const float* x;
  uint8_t* y;
  size_t channels, pixels;
  size_t channel_block, tile, tiles_per_image;
} quantize_job;

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* ATen's quantize_val turns a product that is not finite or whose magnitude
 * reaches 2^63 into 0 (its int64 conversion on x86); the kernels saturate
 * such values like the scalar q8_quantize_value. The scan looks at the
 * product's bits (magnitude bits >= those of 2^63: huge, infinite or NaN),
 * an integer reduction the compiler vectorizes (a float compare reduction
 * it does not, which cost more than the quantize kernel itself); the
 * fix-up only runs on such inputs. */
static void zero_out_of_range(size_t n, const float* x, uint8_t* y, float inverse) {
  int32_t any = 0;
  for (size_t i = 0; i < n; i++) {
    const float product = x[i] * inverse;
    uint32_t bits;
    memcpy(&bits, &product, sizeof(bits));
    any |= (int32_t)(bits & 0x7FFFFFFFu) >= 0x5F000000; /* 0x1p63f */
  }
  if (!any) return;
  for (size_t i = 0; i < n; i++)
    if (!(fabsf(x[i] * inverse) < 0x1p63f)) y[i] = 0;
}

static void quantize_row(const quantize_job* job, size_t n, const float* x, uint8_t* y) {
  job->kernels->quantize(n, x, y, &job->params);
  zero_out_of_range(n, x, y, job->params.inverse_scale);
}

/* planes[c][p] (count pixels each) -> y[p * stride + c]. RGB images get
 * their own loop: three streams instead of a channel loop per pixel is
 * twice as fast. */
static void interleave(size_t count, size_t channels, const uint8_t* planes, uint8_t* y,
                       size_t stride) {
  if (channels == 3 && stride == 3) {
    const uint8_t *r = planes, *g = planes + count, *b = planes + 2 * count;
    for (size_t p = 0; p < count; p++) {
      y[3 * p] = r[p];
      y[3 * p + 1] = g[p];
      y[3 * p + 2] = b[p];
    }
    return;
  }
  for (size_t p = 0; p < count; p++)
    for (size_t c = 0; c < channels; c++) y[p * stride + c] = planes[c * count + p];
}

static void quantize_tile(void* context, size_t task) {
  const quantize_job* job = context;
  const size_t n = task / job->tiles_per_image;
  const size_t p0 = task % job->tiles_per_image * job->tile;
  const size_t count = min_size(job->tile, job->pixels - p0);
  const size_t C = job->channels;
  const float* image = job->x + n * C * job->pixels + p0;
  uint8_t* out = job->y + (n * job->pixels + p0) * C;
  if (C == 1) {
    quantize_row(job, count, image, out);
    return;
  }
  uint8_t planes[TILE_BYTES];
  for (size_t c0 = 0; c0 < C; c0 += job->channel_block) {
    const size_t block = min_size(job->channel_block, C - c0);
    for (size_t c = 0; c < block; c++)
      quantize_row(job, count, image + (c0 + c) * job->pixels, planes + c * count);
    interleave(count, block, planes, out + c0, C);
  }
}

void q8_quantize_nchw_to_nhwc(const q8_kernel_table* kernels, const float* x, uint8_t* y,
                              size_t batch, size_t channels, size_t pixels, float inverse_scale,
                              int32_t zero_point, pthreadpool_t pool) {
  quantize_job job = {.kernels = kernels->elementwise,
                      .params = {inverse_scale, zero_point},
                      .x = x, .y = y, .channels = channels, .pixels = pixels,
                      .channel_block = min_size(channels, MAX_CHANNEL_BLOCK)};
  job.tile = TILE_BYTES / job.channel_block;
  job.tiles_per_image = (pixels + job.tile - 1) / job.tile;
  pthreadpool_parallelize_1d(pool, quantize_tile, &job, batch * job.tiles_per_image, 0);
}

#ifndef Q8_RUNTIME_PLAN_QUANTIZE_INPUT_H
#define Q8_RUNTIME_PLAN_QUANTIZE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "../../kernels/kernels.h"

/* y[n][p][c] = ATen's quantize_val(x[n][c][p]) for batch images of
 * `channels` planes of `pixels` floats (channels 1: a plain quantize), with
 * the quantize kernel of `kernels`. */
void q8_quantize_nchw_to_nhwc(const q8_kernel_table* kernels, const float* x, uint8_t* y,
                              size_t batch, size_t channels, size_t pixels, float inverse_scale,
                              int32_t zero_point, pthreadpool_t pool);

#endif

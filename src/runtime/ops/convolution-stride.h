/*
 * Runtime-internal extension of the convolution operators: the planner
 * learns where a convolution's output goes (a channel slice of a concat's
 * output, so that the concat has nothing to copy) only once the shapes are
 * known, after the operator was created with its weights.
 */
#ifndef Q8_RUNTIME_OPS_CONVOLUTION_STRIDE_H
#define Q8_RUNTIME_OPS_CONVOLUTION_STRIDE_H

#include "q8/operators.h"

/* Sets the output pixel stride of a convolution or transposed convolution
 * (0: dense, the output channel count). The operator must be set up again
 * before it runs. */
q8_status q8_convolution2d_set_output_pixel_stride(q8_operator* op, size_t stride,
                                                   q8_error* error);

#endif

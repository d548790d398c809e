/*
 * Runtime-internal: an elementwise binary operator (add or multiply of two
 * same-shape tensors) run as the epilogue of the convolution producing one
 * of its operands. The planner makes the convolution write straight into
 * the binary operator's output, which the epilogue then updates in place,
 * region by region as the convolution's tasks finish them, while the region
 * is still in cache; the binary step itself is skipped. That saves a pass
 * over memory and a threadpool dispatch per residual connection.
 */
#ifndef Q8_RUNTIME_OPS_EPILOGUE_H
#define Q8_RUNTIME_OPS_EPILOGUE_H

#include <stdbool.h>

#include "q8/operators.h"

/* Whether `op` is an add or multiply operator set up on inputs and output
 * of one shape (no broadcasting); then *output and *count are its output
 * and element count. */
bool q8_binary_is_elementwise(const q8_operator* op, const uint8_t** output, size_t* count);

/* Elements [offset, offset + count) of an elementwise binary operator
 * (q8_binary_is_elementwise), on the calling thread. */
void q8_binary_run_range(const q8_operator* op, size_t offset, size_t count);

/* Runs `binary` over each output region of the convolution `conv` as soon
 * as the region is computed. `binary` must be elementwise, its output the
 * convolution's (dense) output, with one of its inputs the same buffer.
 * NULL removes the epilogue; setting the convolution up again removes it. */
q8_status q8_convolution2d_set_epilogue(q8_operator* conv, const q8_operator* binary,
                                        q8_error* error);

#endif

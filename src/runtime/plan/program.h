/*
 * A graph lowered to q8 operators, planned for concrete input shapes and
 * run. One program per context: operators keep per-shape setup state, so
 * they cannot be shared between threads.
 *
 * Layout: quint8 tensors of rank 4 are stored NHWC (what the operators
 * take); every other tensor in PyTorch's logical order. The conversions
 * happen at quantize_per_tensor (NCHW fp32 -> NHWC uint8), dequantize (back)
 * and flatten (NHWC -> NCHW order, PyTorch's).
 */
#ifndef Q8_RUNTIME_PLAN_PROGRAM_H
#define Q8_RUNTIME_PLAN_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/operators.h"
#include "q8/runtime.h"
#include "../graph/graph.h"

typedef struct q8_program q8_program;

/* Lowers every node of the graph (which must outlive the program): checks
 * its arguments and creates the weight-carrying operators (prepacked). */
q8_status q8_program_create(const q8_graph* graph, q8_isa isa, q8_program** program_out,
                            q8_error* error);
void q8_program_delete(q8_program* program);

/* Shape inference, shape-dependent operator creation and setup, activation
 * arena. A no-op when the shapes equal the last successful plan's. */
q8_status q8_program_plan(q8_program* program, const q8_tensor_shape* input_shapes,
                          q8_error* error);

bool q8_program_is_planned(const q8_program* program);
void q8_program_output_shape(const q8_program* program, size_t index, q8_tensor_shape* shape);

/* Copies the inputs in, runs every step, copies the outputs out. */
q8_status q8_program_run(q8_program* program, pthreadpool_t threadpool,
                         const float* const* inputs, float* const* outputs, bool profile,
                         q8_error* error);

size_t q8_program_step_count(const q8_program* program);
void q8_program_step_profile(const q8_program* program, size_t index, q8_profile_entry* entry);

#endif

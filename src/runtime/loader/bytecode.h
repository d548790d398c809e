/*
 * Front end for PyTorch lite-interpreter files (.ptl, bytecode version 8):
 * decodes bytecode.pkl, finds `forward`, and symbolically executes its
 * instructions, turning the register file and the operand stack into
 * dataflow edges of a q8_graph. Constants (scalars, lists, quantized packed
 * weights read from constants/N.storage) become constant values.
 *
 * The loader never chooses kernels or layouts; it only describes what the
 * file computes. Every count, index and shape in the file is checked.
 */
#ifndef Q8_RUNTIME_LOADER_BYTECODE_H
#define Q8_RUNTIME_LOADER_BYTECODE_H

#include "q8/q8.h"
#include "../graph/graph.h"
#include "archive.h"

/* Builds the graph of the `forward` method of an opened .ptl archive. */
q8_status q8_bytecode_load(q8_archive* archive, q8_graph** graph_out, q8_error* error);

#endif

/*
 * Front end for TorchScript files saved by torch.jit.save (.pt): the module
 * tree of data.pkl, constants.pkl, the data/N storages, and the TorchScript
 * source of every module class under code/. It produces the same graph IR
 * as the bytecode front end (bytecode.h) for the same model, so planning
 * and running are shared.
 *
 * The root module's `forward` is evaluated symbolically: submodule calls
 * `(self.conv).forward(x)` are inlined, attribute reads walk the module
 * tree, literal arguments become constants, and each operator call on
 * tensors becomes a node named and argued as in a .ptl. Quantized modules'
 * packed weights are read from their pickled state (ts-weights.h); their
 * __setstate__ code is never run.
 *
 * Supported source: class bodies (attribute annotations are skipped),
 * `def` with annotated parameters and defaults, assignments (also tuple
 * unpacking), `return`, `pass`, `if`/`elif`/`else` on constant conditions,
 * calls with positional and keyword arguments, attribute access, getattr,
 * subscripts of tuples/lists by constants, tuple/list literals, int, float,
 * str, bool and None literals, unary minus, and CONSTANTS.cN. Anything else
 * fails with the file, line and construct ("code/__torch__.py:12:
 * unsupported call torch.lstm").
 */
#ifndef Q8_RUNTIME_LOADER_TORCHSCRIPT_H
#define Q8_RUNTIME_LOADER_TORCHSCRIPT_H

#include "q8/q8.h"
#include "../graph/graph.h"
#include "archive.h"

/* Builds the graph of the root module's `forward` of an opened .pt archive
 * (one without bytecode.pkl). */
q8_status q8_torchscript_load_graph(q8_archive* archive, q8_graph** graph_out, q8_error* error);

#endif

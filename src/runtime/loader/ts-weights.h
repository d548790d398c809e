/*
 * Quantized weights of a .pt file (torch.jit.save) as q8_packed_weights,
 * read from the pickled module state in data.pkl and the data/N storages.
 *
 * TorchScript would rebuild the packed weights by running the modules'
 * __setstate__ (conv2d_prepack / linear_prepack); q8 does not execute that
 * code, it reads what the state holds:
 *   quantized Conv2d / ConvReLU2d / ConvTranspose2d modules pickle the tuple
 *     (in_channels, out_channels, kernel_size, stride, padding, dilation,
 *      transposed, output_padding, groups, padding_mode, weight, bias,
 *      scale, zero_point, training);
 *   LinearPackedParamsBase objects pickle (weight, bias).
 * The qint8 weight is read following its stored strides (PyTorch saves conv
 * weights channels_last), per-tensor or per-channel (axis 0).
 */
#ifndef Q8_RUNTIME_LOADER_TS_WEIGHTS_H
#define Q8_RUNTIME_LOADER_TS_WEIGHTS_H

#include <stdbool.h>

#include "q8/q8.h"
#include "../graph/graph.h"
#include "archive.h"
#include "pickle.h"

/* The number of items in a quantized conv module's state tuple. */
#define TS_CONV_STATE_ITEMS 15

/* From a quantized conv module's state tuple. */
q8_status ts_conv_weights(q8_archive* archive, const q8_pickle_value* state,
                          q8_packed_weights** out, q8_error* error);

/* From a LinearPackedParamsBase object's state (weight, bias). */
q8_status ts_linear_weights(q8_archive* archive, const q8_pickle_value* state,
                            q8_packed_weights** out, q8_error* error);

/* A 0-dim int64/int32 or float32/float64 tensor whose storage is
 * <storage_dir>/<key> ("constants" for constants.pkl, "data" for data.pkl)
 * as an int (*is_float false, *integer) or a float (*number): the divisor
 * of traced shape arithmetic, FX's quantization parameters, a quantized
 * module's scale and zero point buffers. */
q8_status ts_scalar_constant(q8_archive* archive, const char* storage_dir,
                             const q8_pickle_value* t, bool* is_float, int64_t* integer,
                             double* number, q8_error* error);

/* A float32 / float64 tensor (batch norm statistics, norm weights) as a
 * malloc'd array of its elements in row-major order. */
q8_status ts_float_tensor(q8_archive* archive, const char* storage_dir, const q8_pickle_value* t,
                          double** items_out, size_t* count_out, q8_error* error);

/* From a CellParamsBase object's state ('quantized_dynamic', [biases], [],
 * [reduce_range], [LinearPackedParamsBase w_ih, w_hh]). */
q8_status ts_rnn_cell(q8_archive* archive, const q8_pickle_value* state, q8_rnn_cell** out,
                      q8_error* error);

/* A per-tensor quantized quint8 tensor: its codes (malloc'd, row-major) and qparams. */
q8_status ts_qtensor(q8_archive* archive, const char* storage_dir, const q8_pickle_value* t,
                     uint8_t** data_out, size_t* count_out, float* scale, int32_t* zero_point,
                     q8_error* error);

#endif

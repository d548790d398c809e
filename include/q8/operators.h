/*
 * q8 operator API: create an operator once with its weights (prepacked at
 * create time), set it up for a shape and buffers, run it on a caller-owned
 * pthreadpool as often as needed, delete it.
 *
 * Conventions
 * - Activations are NHWC uint8 with (scale, zero point), like PyTorch's quint8.
 *   A "pixel stride" is the distance in elements between consecutive pixels;
 *   0 means dense (the channel count).
 * - Weights are int8 (PyTorch qint8) with per-tensor or per-output-channel
 *   scales and zero points. Bias is fp32, as PyTorch stores it.
 * - Every create/setup call validates its parameters and returns
 *   q8_status_invalid_parameter (or _unsupported_parameter) with a message
 *   naming the parameter in *error (which may be NULL).
 * - `isa` selects the micro-kernel table: q8_isa_auto for the best one.
 * - Results are bit-identical for any number of threads.
 *
 * Requantization (conv, transposed conv, fully connected), exactly PyTorch's
 * qnnpack engine:
 *   bias_q[c] = round_half_even(bias[c] * (1.0f / bias_scale[c])), in fp32,
 *               bias_scale[c] = (float)((double)weight_scale[c] * input_scale)
 *   acc[c]    = sum_k (x_k - input_zp) * (w_ck - weight_zp[c]) + bias_q[c]
 *   mult[c]   = (weight_scale[c] * input_scale) * (1.0f / output_scale)  (fp32)
 *   y[c]      = clamp(round_half_even((float)acc[c] * mult[c]) + output_zp,
 *                     output_min, output_max)
 * See src/quant/requantization.h for the exact fp32/fp64 steps.
 */
#ifndef Q8_OPERATORS_H
#define Q8_OPERATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "q8/q8.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct q8_operator q8_operator;

/* Quantization of a uint8 activation tensor: real = scale * (q - zero_point).
 * scale must be positive and finite; zero_point in [0, 255]. */
typedef struct q8_quantization {
  float scale;
  int32_t zero_point;
} q8_quantization;

/* Quantization of int8 weights: `count` is 1 (per tensor) or the number of
 * output channels (per channel). zero_points may be NULL (all zero,
 * symmetric); otherwise each is in [-128, 127]. */
typedef struct q8_weight_quantization {
  size_t count;
  const float* scales;
  const int32_t* zero_points;
} q8_weight_quantization;

/* Runs a set-up operator. */
Q8_API q8_status q8_operator_run(q8_operator* op, pthreadpool_t threadpool, q8_error* error);

/* 2 x the multiply-adds one run of the set-up operator does (convolutions
 * and fully connected; 0 for the rest), e.g. for GOPS figures. */
Q8_API uint64_t q8_operator_op_count(const q8_operator* op);

/* Sends the pool's worker threads to sleep now. After a parallel job,
 * pthreadpool's workers spin for a while waiting for the next one, which is
 * fastest for back-to-back runs but takes CPU time an app may need; call this
 * after the last run of a burst (q8_context_set_worker_spin does it for a
 * context). NULL is a no-op. */
Q8_API void q8_threadpool_release_workers(pthreadpool_t threadpool);

/* Frees an operator and everything it owns. NULL is a no-op. */
Q8_API void q8_operator_delete(q8_operator* op);

/* Name of the operator's kind ("convolution2d", ...) and of the micro-kernel
 * table it runs with ("scalar", "avx2", ...). */
Q8_API const char* q8_operator_kind(const q8_operator* op);
Q8_API const char* q8_operator_isa(const q8_operator* op);

/* ---------------------------------------------------------------------------
 * 2D convolution, NHWC. Any kernel, stride, dilation, asymmetric padding and
 * groups; depthwise (group_input_channels == 1) with any channel multiplier
 * (group_output_channels). Output clamp [output_min, output_max] fuses relu,
 * relu6 and hardtanh.
 * Weights: [groups * group_output_channels][kernel_height][kernel_width]
 *          [group_input_channels] (OHWI). Bias: [groups * group_output_channels]
 *          or NULL.
 * Output size: (in + pad_a + pad_b - dilation * (kernel - 1) - 1) / stride + 1.
 */
typedef struct q8_convolution2d_params {
  uint32_t padding_top, padding_right, padding_bottom, padding_left;
  uint32_t kernel_height, kernel_width;
  uint32_t stride_height, stride_width;
  uint32_t dilation_height, dilation_width;
  uint32_t groups;
  size_t group_input_channels;
  size_t group_output_channels;
  size_t input_pixel_stride;  /* 0: groups * group_input_channels */
  size_t output_pixel_stride; /* 0: groups * group_output_channels */
  q8_quantization input;
  q8_weight_quantization weight;
  q8_quantization output;
  uint8_t output_min, output_max;
} q8_convolution2d_params;

Q8_API q8_status q8_convolution2d_create_nhwc(const q8_convolution2d_params* params,
                                              const int8_t* weights, const float* bias, q8_isa isa,
                                              q8_operator** op_out, q8_error* error);

/* output_height/output_width may be NULL; otherwise they receive the size. */
Q8_API q8_status q8_convolution2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                             size_t input_width, const uint8_t* input,
                                             uint8_t* output, size_t* output_height,
                                             size_t* output_width, q8_error* error);

/* ---------------------------------------------------------------------------
 * 2D transposed convolution (PyTorch ConvTranspose2d), NHWC.
 * Weights: [groups * group_output_channels][kernel_height][kernel_width]
 *          [group_input_channels] (OHWI; PyTorch stores IOHW per group).
 * Output size: (in - 1) * stride - pad_a - pad_b + dilation * (kernel - 1)
 *              + output_padding + 1.
 * output_padding must be smaller than stride or dilation, as in PyTorch.
 */
typedef struct q8_deconvolution2d_params {
  uint32_t padding_top, padding_right, padding_bottom, padding_left;
  uint32_t output_padding_height, output_padding_width;
  uint32_t kernel_height, kernel_width;
  uint32_t stride_height, stride_width;
  uint32_t dilation_height, dilation_width;
  uint32_t groups;
  size_t group_input_channels;
  size_t group_output_channels;
  size_t input_pixel_stride;
  size_t output_pixel_stride;
  q8_quantization input;
  q8_weight_quantization weight;
  q8_quantization output;
  uint8_t output_min, output_max;
} q8_deconvolution2d_params;

Q8_API q8_status q8_deconvolution2d_create_nhwc(const q8_deconvolution2d_params* params,
                                                const int8_t* weights, const float* bias,
                                                q8_isa isa, q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_deconvolution2d_setup_nhwc(q8_operator* op, size_t batch, size_t input_height,
                                               size_t input_width, const uint8_t* input,
                                               uint8_t* output, size_t* output_height,
                                               size_t* output_width, q8_error* error);

/* ---------------------------------------------------------------------------
 * Fully connected (PyTorch quantized Linear): y[b] = W x[b] + bias, clamped
 * to [output_min, output_max] (output_min = output zero point fuses relu).
 * Weights: [output_channels][input_channels]. Bias: [output_channels] or NULL.
 */
typedef struct q8_fully_connected_params {
  size_t input_channels;
  size_t output_channels;
  size_t input_stride;  /* 0: input_channels */
  size_t output_stride; /* 0: output_channels */
  q8_quantization input;
  q8_weight_quantization weight;
  q8_quantization output;
  uint8_t output_min, output_max;
} q8_fully_connected_params;

Q8_API q8_status q8_fully_connected_create(const q8_fully_connected_params* params,
                                           const int8_t* weights, const float* bias, q8_isa isa,
                                           q8_operator** op_out, q8_error* error);

Q8_API q8_status q8_fully_connected_setup(q8_operator* op, size_t batch, const uint8_t* input,
                                          uint8_t* output, q8_error* error);

/* ---------------------------------------------------------------------------
 * Dynamic fully connected (PyTorch quantized dynamic Linear): the fp32 input
 * is quantized on every run to uint8 with (scale, zero point) chosen from its
 * min and max the way PyTorch does (see src/quant/quantize.h), multiplied
 * with int8 weights and written as fp32: y = acc * (x_scale * w_scale[c]) +
 * bias[c], then max(y, 0) if relu.
 */
typedef struct q8_dynamic_fully_connected_params {
  size_t input_channels;
  size_t output_channels;
  size_t input_stride;  /* 0: input_channels */
  size_t output_stride; /* 0: output_channels */
  q8_weight_quantization weight;
  bool relu;
} q8_dynamic_fully_connected_params;

Q8_API q8_status q8_dynamic_fully_connected_create(const q8_dynamic_fully_connected_params* params,
                                                   const int8_t* weights, const float* bias,
                                                   q8_isa isa, q8_operator** op_out,
                                                   q8_error* error);

Q8_API q8_status q8_dynamic_fully_connected_setup(q8_operator* op, size_t batch, const float* input,
                                                  float* output, q8_error* error);

/* ---------------------------------------------------------------------------
 * Dynamically quantized LSTM (nn.LSTM after quantize_dynamic:
 * aten::quantized_lstm). Each cell (layer l, direction d, in that order) has
 * an input linear (4 * hidden_size x input, input = input_size for layer 0,
 * directions * hidden_size above) and a hidden linear (4 * hidden_size x
 * hidden_size), int8 with their quantization and fp32 bias, applied as the
 * dynamic fully connected operator does. Gates in PyTorch's order (input,
 * forget, cell, output); fp32 gate math in ATen's order of operations.
 */
typedef struct q8_lstm_cell_weights {
  const int8_t* input_weights; /* [4H][in] */
  q8_weight_quantization input_quantization;
  const float* input_bias; /* 4H, or NULL */
  const int8_t* hidden_weights; /* [4H][H] */
  q8_weight_quantization hidden_quantization;
  const float* hidden_bias; /* 4H, or NULL */
} q8_lstm_cell_weights;

typedef struct q8_lstm_dynamic_params {
  size_t input_size, hidden_size, num_layers;
  bool bidirectional;
  const q8_lstm_cell_weights* cells; /* num_layers * (bidirectional ? 2 : 1) */
} q8_lstm_dynamic_params;

Q8_API q8_status q8_lstm_dynamic_create(const q8_lstm_dynamic_params* params, q8_isa isa,
                                        q8_operator** op_out, q8_error* error);

/* The dynamic GRU (aten::quantized_gru): the same cells with [3H][in] and
 * [3H][H] weights (gates r, z, n); set up with q8_lstm_dynamic_setup, c0 and
 * c_n unused (NULL). */
Q8_API q8_status q8_gru_dynamic_create(const q8_lstm_dynamic_params* params, q8_isa isa,
                                       q8_operator** op_out, q8_error* error);

/* input: [steps][batch][input_size] ([batch][steps][...] if batch_first);
 * h0, c0: [cells][batch][hidden_size]; output (or NULL): the last layer's
 * h of every step, [steps][batch][directions * hidden_size] (batch_first:
 * [batch][steps][...]); h_n, c_n (or NULL): the final states, like h0. */
Q8_API q8_status q8_lstm_dynamic_setup(q8_operator* op, size_t steps, size_t batch,
                                       bool batch_first, const float* input, const float* h0,
                                       const float* c0, float* output, float* h_n, float* c_n,
                                       q8_error* error);

#ifdef __cplusplus
}
#endif

/* The other operator families. */
#include "q8/elementwise.h" /* add, mul, unary table ops, quantize, dequantize */
#include "q8/pooling.h"     /* pooling, concat, shuffle, upsample, softmax */

#endif /* Q8_OPERATORS_H */

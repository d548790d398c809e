/*
 * Dynamically quantized LSTM and GRU (PyTorch's aten::quantized_lstm with
 * use_dynamic: nn.LSTM after quantize_dynamic), in ATen's order of
 * operations on CPU (RNN.cpp FullLayer / LSTMCell with
 * QuantizedCellParamsDynamic):
 *   per layer and direction:
 *     ih = linear_dynamic(x_all, W_ih, b_ih)   one dynamic quantization of
 *                                              the whole [T, B, in] input
 *     per step t (reversed for the backward direction):
 *       gates = linear_dynamic(h, W_hh, b_hh) + ih[t]   (fp32 add; h's qparams
 *                                                       chosen per step)
 *       i = sigmoid(gates[0:H]), f = sigmoid(gates[H:2H]),
 *       g = tanh(gates[2H:3H]),  o = sigmoid(gates[3H:4H])
 *       c = f * c + i * g        (two products, one sum)
 *       h = o * tanh(c)
 *   sigmoid(x) = 1 / (1 + exp(-x)); the layer's output is every step's h
 *   (both directions concatenated), the next layer's input.
 * GRU (aten::quantized_gru, GRUCell): gates r, z, n from the same two
 * linears (3H rows each):
 *   r = sigmoid(hh_r + ih_r), z = sigmoid(hh_z + ih_z),
 *   n = tanh(ih_n + hh_n * r), h = (h - n) * z + n.
 * ATen's vectorized exp and tanh are SLEEF's (1 ulp); q8 uses expf / tanhf,
 * so results agree to float rounding, not bit for bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

typedef struct lstm_op {
  q8_operator base;
  size_t input_size, hidden_size, num_layers, directions;
  bool gru;
  size_t gates; /* 4 (LSTM) or 3 (GRU) */
  q8_operator** ih; /* per layer and direction */
  q8_operator** hh;
  /* setup state */
  size_t steps, batch;
  bool batch_first;
  const float *input, *h0, *c0;
  float *output, *h_n, *c_n;
  float* scratch;
  size_t scratch_capacity;
  float *ih_out, *hh_out, *h, *c, *layer_out[2];
} lstm_op;

static q8_status run_lstm(q8_operator* base, pthreadpool_t threadpool);

static void destroy_lstm(q8_operator* base) {
  lstm_op* op = (lstm_op*)base;
  const size_t n = op->num_layers * op->directions;
  for (size_t i = 0; op->ih != NULL && i < n; i++) q8_operator_delete(op->ih[i]);
  for (size_t i = 0; op->hh != NULL && i < n; i++) q8_operator_delete(op->hh[i]);
  free(op->ih);
  free(op->hh);
  free(op->scratch);
}

#define LSTM_MAX_SIZE ((size_t)1 << 20)

static q8_status create_rnn(const char* fn, bool gru, const q8_lstm_dynamic_params* p, q8_isa isa,
                            q8_operator** op_out, q8_error* error) {
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", fn);
  *op_out = NULL;
  if (p == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: params is NULL", fn);
  q8_status s;
  if ((s = q8_check_nonzero(fn, "input_size", p->input_size, error)) ||
      (s = q8_check_nonzero(fn, "hidden_size", p->hidden_size, error)) ||
      (s = q8_check_nonzero(fn, "num_layers", p->num_layers, error)) ||
      (s = q8_check_pointer(fn, "cells", p->cells, error)))
    return s;
  if (p->input_size > LSTM_MAX_SIZE || p->hidden_size > LSTM_MAX_SIZE || p->num_layers > 64)
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: input_size %zu, hidden_size %zu or num_layers %zu is too large", fn,
                   p->input_size, p->hidden_size, p->num_layers);
  q8_operator* base;
  if ((s = q8_operator_create(sizeof(lstm_op), gru ? "gru_dynamic" : "lstm_dynamic", isa, &base, error)))
    return s;
  lstm_op* op = (lstm_op*)base;
  base->run = run_lstm;
  base->destroy = destroy_lstm;
  op->gru = gru;
  op->gates = gru ? 3 : 4;
  op->input_size = p->input_size;
  op->hidden_size = p->hidden_size;
  op->num_layers = p->num_layers;
  op->directions = p->bidirectional ? 2 : 1;
  const size_t n = op->num_layers * op->directions, h = p->hidden_size;
  op->ih = calloc(n, sizeof(q8_operator*));
  op->hh = calloc(n, sizeof(q8_operator*));
  if (op->ih == NULL || op->hh == NULL) {
    q8_operator_delete(base);
    return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  }
  for (size_t i = 0; i < n; i++) {
    const q8_lstm_cell_weights* w = &p->cells[i];
    const size_t in = i < op->directions ? p->input_size : op->directions * h;
    const q8_dynamic_fully_connected_params ih = {
        .input_channels = in, .output_channels = op->gates * h, .weight = w->input_quantization};
    const q8_dynamic_fully_connected_params hh = {
        .input_channels = h, .output_channels = op->gates * h, .weight = w->hidden_quantization};
    s = q8_dynamic_fully_connected_create(&ih, w->input_weights, w->input_bias, isa, &op->ih[i], error);
    if (s == q8_status_success)
      s = q8_dynamic_fully_connected_create(&hh, w->hidden_weights, w->hidden_bias, isa, &op->hh[i], error);
    if (s != q8_status_success) {
      q8_operator_delete(base);
      return s;
    }
  }
  *op_out = base;
  return q8_status_success;
}

q8_status q8_lstm_dynamic_create(const q8_lstm_dynamic_params* p, q8_isa isa, q8_operator** op_out,
                                 q8_error* error) {
  return create_rnn("q8_lstm_dynamic_create", false, p, isa, op_out, error);
}

q8_status q8_gru_dynamic_create(const q8_lstm_dynamic_params* p, q8_isa isa, q8_operator** op_out,
                                q8_error* error) {
  return create_rnn("q8_gru_dynamic_create", true, p, isa, op_out, error);
}

q8_status q8_lstm_dynamic_setup(q8_operator* base, size_t steps, size_t batch, bool batch_first,
                                const float* input, const float* h0, const float* c0, float* output,
                                float* h_n, float* c_n, q8_error* error) {
  static const char fn[] = "q8_lstm_dynamic_setup";
  q8_status s;
  if ((s = q8_begin_setup(fn, base, run_lstm, error)) ||
      (s = q8_check_nonzero(fn, "steps", steps, error)) ||
      (s = q8_check_nonzero(fn, "batch", batch, error)) ||
      (s = q8_check_pointer(fn, "input", input, error)) ||
      (s = q8_check_pointer(fn, "h0", h0, error)))
    return s;
  lstm_op* op = (lstm_op*)base;
  if (!op->gru && (s = q8_check_pointer(fn, "c0", c0, error))) return s;
  const size_t h = op->hidden_size, d = op->directions;
  size_t rows, layer, total = 0, ih_size, state;
  bool ok = q8_mul_size(steps, batch, &rows) && q8_mul_size(rows, d * h, &layer) &&
            q8_mul_size(rows, op->gates * h, &ih_size) && q8_mul_size(batch, h, &state);
  /* ih output, hh output (batch x gates * H), h and c, two layer outputs */
  ok = ok && !__builtin_add_overflow(ih_size, op->gates * state, &total) &&
       !__builtin_add_overflow(total, 2 * state, &total) &&
       !__builtin_add_overflow(total, 2 * layer, &total) && total < (SIZE_MAX / sizeof(float));
  if (!ok) return q8_fail(error, q8_status_invalid_parameter, "%s: the sequence is too large", fn);
  float* scratch = q8_grow_buffer(op->scratch, &op->scratch_capacity, total, sizeof(float));
  if (scratch == NULL) return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", fn);
  op->scratch = scratch;
  op->ih_out = scratch;
  op->hh_out = op->ih_out + ih_size;
  op->h = op->hh_out + op->gates * state;
  op->c = op->h + state;
  op->layer_out[0] = op->c + state;
  op->layer_out[1] = op->layer_out[0] + layer;
  for (size_t i = 0; i < op->num_layers * d; i++) {
    const size_t l = i / d;
    const float* x = l == 0 ? input : op->layer_out[(l - 1) % 2];
    if ((s = q8_dynamic_fully_connected_setup(op->ih[i], rows, x, op->ih_out, error)) ||
        (s = q8_dynamic_fully_connected_setup(op->hh[i], batch, op->h, op->hh_out, error)))
      return s;
  }
  op->steps = steps, op->batch = batch, op->batch_first = batch_first;
  op->input = input, op->h0 = h0, op->c0 = c0;
  op->output = output, op->h_n = h_n, op->c_n = c_n;
  base->is_setup = true;
  return q8_status_success;
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static q8_status run_lstm(q8_operator* base, pthreadpool_t threadpool) {
  lstm_op* op = (lstm_op*)base;
  const size_t h = op->hidden_size, d = op->directions, T = op->steps, B = op->batch;
  for (size_t l = 0; l < op->num_layers; l++) {
    float* out = l + 1 == op->num_layers && op->output != NULL ? op->output : op->layer_out[l % 2];
    for (size_t dir = 0; dir < d; dir++) {
      const size_t cell = l * d + dir;
      q8_status s = q8_operator_run(op->ih[cell], threadpool, NULL);
      if (s != q8_status_success) return s;
      memcpy(op->h, op->h0 + cell * B * h, B * h * sizeof(float));
      if (!op->gru) memcpy(op->c, op->c0 + cell * B * h, B * h * sizeof(float));
      for (size_t k = 0; k < T; k++) {
        const size_t t = dir == 0 ? k : T - 1 - k;
        if ((s = q8_operator_run(op->hh[cell], threadpool, NULL)) != q8_status_success) return s;
        for (size_t b = 0; b < B; b++) {
          const size_t row = op->batch_first ? b * T + t : t * B + b;
          const float* ih = op->ih_out + row * op->gates * h;
          float* gates = op->hh_out + b * op->gates * h;
          float* hb = op->h + b * h;
          float* cb = op->c + b * h;
          if (op->gru) {
            for (size_t j = 0; j < h; j++) {
              const float r = sigmoid(gates[j] + ih[j]), z = sigmoid(gates[h + j] + ih[h + j]);
              const float n = tanhf(ih[2 * h + j] + gates[2 * h + j] * r);
              hb[j] = (hb[j] - n) * z + n;
            }
            memcpy(out + row * d * h + dir * h, hb, h * sizeof(float));
            continue;
          }
          for (size_t j = 0; j < 4 * h; j++) gates[j] += ih[j];
          for (size_t j = 0; j < h; j++) {
            const float i = sigmoid(gates[j]), f = sigmoid(gates[h + j]);
            const float g = tanhf(gates[2 * h + j]), o = sigmoid(gates[3 * h + j]);
            const float c = f * cb[j] + i * g;
            cb[j] = c;
            hb[j] = o * tanhf(c);
          }
          memcpy(out + row * d * h + dir * h, hb, h * sizeof(float));
        }
      }
      if (op->h_n != NULL) memcpy(op->h_n + cell * B * h, op->h, B * h * sizeof(float));
      if (op->c_n != NULL && !op->gru) memcpy(op->c_n + cell * B * h, op->c, B * h * sizeof(float));
    }
    /* The next layer reads this layer's output. */
    if (out == op->output && l + 1 < op->num_layers) memcpy(op->layer_out[l % 2], out, T * B * d * h * sizeof(float));
  }
  return q8_status_success;
}

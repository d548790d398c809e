/*
 * peer/xnnpack/...: XNNPACK's qu8 operators (u8 activations and weights,
 * int32 accumulation, requantized u8 output: what PyTorch's QNNPACK backend
 * runs) on the shapes of peer-register.c. GEMM is
 * xnn_create_fully_connected_nc_qu8, depthwise is
 * xnn_create_convolution2d_nhwc_qu8 with groups = C; both NHWC, weights
 * packed at creation (outside the timed loop), NULL threadpool: one thread,
 * the caller's.
 *
 * q8's s8 weights become u8 with kernel zero point 128, so the products are
 * the same; the bias is int32 in units of input_scale * weight_scale. On
 * these shapes the outputs equal q8's (checked once by hand; most saturate
 * with the scales of bench/operators.c).
 */
#include <stdlib.h>

#include <xnnpack.h>

#include "peer.h"

static const char* status_message(enum xnn_status st) {
  switch (st) {
    case xnn_status_uninitialized: return "XNNPACK: not initialized";
    case xnn_status_invalid_parameter: return "XNNPACK: invalid parameter";
    case xnn_status_unsupported_parameter: return "XNNPACK: unsupported parameter";
    case xnn_status_unsupported_hardware: return "XNNPACK: unsupported hardware";
    case xnn_status_out_of_memory: return "XNNPACK: out of memory";
    default: return "XNNPACK: error";
  }
}

void q8_bench_peer_xnnpack(q8_bench_state* state, const void* arg) {
  const peer_bench* b = arg;
  const double peak = peer_peak_gops(b); /* before the timed loop */
  enum xnn_status st = xnn_initialize(NULL);
  if (st != xnn_status_success) {
    q8_bench_skip(state, status_message(st));
    return;
  }
  const size_t out_channels = b->gemm ? b->n : b->c;
  const size_t weight_count = b->gemm ? b->n * b->k : b->c * b->kernel * b->kernel;
  const size_t in_bytes = b->gemm ? b->m * b->k : b->h * b->w * b->c;
  const size_t out_bytes =
      b->gemm ? b->m * b->n : peer_out_height(b) * peer_out_width(b) * b->c;
  uint8_t* weights = malloc(weight_count);
  int32_t* bias = malloc(out_channels * sizeof(int32_t));
  uint8_t* input = malloc(in_bytes);
  uint8_t* output = malloc(out_bytes);
  for (size_t i = 0; i < weight_count; i++) weights[i] = (uint8_t)(peer_weight(i) + 128);
  for (size_t i = 0; i < out_channels; i++) {
    bias[i] = peer_bias_quantized(i);
  }
  for (size_t i = 0; i < in_bytes; i++) input[i] = peer_input(i);

  xnn_operator_t op = NULL;
  if (b->gemm) {
    st = xnn_create_fully_connected_nc_qu8(
        b->k, b->n, b->k, b->n, PEER_INPUT_ZERO_POINT, PEER_INPUT_SCALE, 128, PEER_WEIGHT_SCALE,
        weights, bias, PEER_OUTPUT_ZERO_POINT, PEER_OUTPUT_SCALE, 0, 255, 0, &op);
    if (st == xnn_status_success) {
      st = xnn_setup_fully_connected_nc_qu8(op, b->m, input, output, NULL);
    }
  } else {
    const uint32_t pad = b->kernel / 2;
    st = xnn_create_convolution2d_nhwc_qu8(
        pad, pad, pad, pad, b->kernel, b->kernel, b->stride, b->stride, 1, 1,
        (uint32_t)b->c, 1, 1, b->c, b->c, PEER_INPUT_ZERO_POINT, PEER_INPUT_SCALE, 128,
        PEER_WEIGHT_SCALE, weights, bias, PEER_OUTPUT_ZERO_POINT, PEER_OUTPUT_SCALE, 0, 255, 0,
        &op);
    if (st == xnn_status_success) {
      st = xnn_setup_convolution2d_nhwc_qu8(op, 1, b->h, b->w, input, output, NULL);
    }
  }
  if (st != xnn_status_success) {
    q8_bench_skip(state, status_message(st));
  } else {
    size_t runs = 0;
    const double t0 = peer_seconds();
    while (q8_bench_keep_running(state)) {
      xnn_run_operator(op, NULL);
      runs++;
    }
    peer_report(state, b, runs, peer_seconds() - t0, peak);
  }
  if (op != NULL) xnn_delete_operator(op);
  free(weights);
  free(bias);
  free(input);
  free(output);
}

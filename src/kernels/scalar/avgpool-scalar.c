#include "avgpool-output.h"
#include "scalar-kernels.h"

void q8_avgpool_ukernel__scalar(size_t output_pixels, size_t ks, size_t channels,
                                const uint8_t* const* input, size_t input_stride,
                                const float* multipliers, size_t multiplier_stride,
                                uint8_t* output, size_t output_stride,
                                const q8_avgpool_params* params) {
  /* sum(q - zp) = sum(q) - ks * zp: padding taps hold zp and cancel out. */
  const int32_t bias = -(int32_t)ks * params->input_zero_point;
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    const float m = multipliers[p * multiplier_stride];
    uint8_t* out = output + p * output_stride;
    for (size_t c = 0; c < channels; c++) {
      int32_t acc = bias;
      for (size_t k = 0; k < ks; k++) acc += taps[k][c];
      out[c] = q8_avgpool_output(acc, m, params);
    }
  }
}

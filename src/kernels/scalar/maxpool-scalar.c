#include "scalar-kernels.h"

/* Max over ks taps per channel, then the output clamp. Padding taps point at
 * zeros, the identity of max over uint8. */
void q8_maxpool_ukernel__scalar(size_t output_pixels, size_t ks, size_t channels,
                                const uint8_t* const* input, size_t input_stride,
                                uint8_t* output, size_t output_stride,
                                const q8_maxpool_params* params) {
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    uint8_t* out = output + p * output_stride;
    for (size_t c = 0; c < channels; c++) {
      uint8_t m = 0;
      for (size_t k = 0; k < ks; k++) m = taps[k][c] > m ? taps[k][c] : m;
      m = m < params->output_min ? params->output_min : m;
      out[c] = m > params->output_max ? params->output_max : m;
    }
  }
}

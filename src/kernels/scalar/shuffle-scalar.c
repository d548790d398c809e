#include "scalar-kernels.h"

/* Input channel g * group_channels + c goes to output channel c * groups + g:
 * the transpose of a [groups][group_channels] matrix per pixel. */
void q8_shuffle_ukernel__scalar(size_t pixels, size_t groups, size_t group_channels,
                                const uint8_t* input, size_t input_stride, uint8_t* output,
                                size_t output_stride) {
  for (size_t p = 0; p < pixels; p++) {
    const uint8_t* x = input + p * input_stride;
    uint8_t* y = output + p * output_stride;
    for (size_t g = 0; g < groups; g++) {
      for (size_t c = 0; c < group_channels; c++) y[c * groups + g] = x[g * group_channels + c];
    }
  }
}

#include "avgpool-output.h"
#include "scalar-kernels.h"

void q8_gavgpool_ukernel__scalar(size_t rows, size_t channels, const uint8_t* input,
                                 size_t input_stride, float multiplier, uint8_t* output,
                                 const q8_avgpool_params* params) {
  const int32_t bias = -(int32_t)rows * params->input_zero_point;
  for (size_t c = 0; c < channels; c++) {
    int32_t acc = bias;
    for (size_t r = 0; r < rows; r++) acc += input[r * input_stride + c];
    output[c] = q8_avgpool_output(acc, multiplier, params);
  }
}

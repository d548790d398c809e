#include "scalar-kernels.h"

void q8_dequantize_ukernel__scalar(size_t n, const uint8_t* x, float* y,
                                   const q8_dequantize_params* params) {
  for (size_t i = 0; i < n; i++) y[i] = (float)((int32_t)x[i] - params->zero_point) * params->scale;
}

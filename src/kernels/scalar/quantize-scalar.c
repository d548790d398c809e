#include "../../quant/quantize.h"
#include "scalar-kernels.h"

void q8_quantize_ukernel__scalar(size_t n, const float* x, uint8_t* y,
                                 const q8_quantize_params* params) {
  for (size_t i = 0; i < n; i++) {
    y[i] = q8_quantize_value(x[i], params->inverse_scale, params->zero_point);
  }
}

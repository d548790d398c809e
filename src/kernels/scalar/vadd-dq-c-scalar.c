#include "../../quant/quantize.h"
#include "scalar-kernels.h"

void q8_vadd_dq_c_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                  const q8_add_dq_params* params) {
  const float db = params->b_table[*b];
  const uint8_t lo = params->output_min, hi = params->output_max;
  for (size_t i = 0; i < n; i++) {
    const uint8_t q = q8_quantize_value(params->a_table[a[i]] + db,
                                             params->output_inverse_scale,
                                             params->output_zero_point);
    y[i] = q < lo ? lo : (q > hi ? hi : q);
  }
}

#include "../../quant/quantize.h"
#include "scalar-kernels.h"

static uint8_t add_dq(float da, float db, const q8_add_dq_params* p) {
  const uint8_t q = q8_quantize_value(da + db, p->output_inverse_scale, p->output_zero_point);
  return q < p->output_min ? p->output_min : (q > p->output_max ? p->output_max : q);
}

void q8_vadd_dq_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* y,
                                const q8_add_dq_params* params) {
  for (size_t i = 0; i < n; i++) y[i] = add_dq(params->a_table[a[i]], params->b_table[b[i]], params);
}

#include "scalar-kernels.h"

void q8_lut_ukernel__scalar(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]) {
  for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
}

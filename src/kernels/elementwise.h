/* Elementwise micro-kernels: binary add/mul, table lookup, quantize and
 * dequantize. (Interface filled in with the elementwise operator family.) */
#ifndef Q8_KERNELS_ELEMENTWISE_H
#define Q8_KERNELS_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*q8_lut_ukernel_fn)(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]);

typedef struct q8_elementwise_config {
  q8_lut_ukernel_fn lut;
} q8_elementwise_config;

#endif

/* Pooling and data-movement micro-kernels: max/average/global average
 * pooling, channel shuffle. (Interface filled in with the pooling family.) */
#ifndef Q8_KERNELS_POOLING_H
#define Q8_KERNELS_POOLING_H

#include <stddef.h>
#include <stdint.h>

typedef void (*q8_maxpool_ukernel_fn)(size_t output_pixels, size_t ks, size_t channels,
                                      const uint8_t* const* input, size_t input_stride,
                                      uint8_t* output, size_t output_stride);

typedef struct q8_pooling_config {
  q8_maxpool_ukernel_fn maxpool;
} q8_pooling_config;

#endif

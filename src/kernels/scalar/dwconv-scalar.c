#include "gemm-tile.h"

/* Depthwise convolution, any kernel size, one channel per packed block
 * (CR = 1): the reference for every SIMD depthwise kernel. */
void q8_dwconv_ukernel_1c__scalar(size_t channels, size_t output_pixels, size_t ks,
                                  const uint8_t* const* input, size_t input_stride, const void* w,
                                  uint8_t* output, size_t output_stride, size_t a_offset,
                                  const uint8_t* zero, const q8_requant_params* params) {
  for (size_t p = 0; p < output_pixels; p++) {
    const uint8_t* const* taps = input + p * input_stride;
    const char* block = (const char*)w;
    for (size_t c = 0; c < channels; c++) {
      int32_t bias;
      memcpy(&bias, block, sizeof(bias));
      const int8_t* wp = (const int8_t*)(block + sizeof(int32_t));
      uint32_t acc = (uint32_t)bias, input_sum = 0;
      for (size_t k = 0; k < ks; k++) {
        const uint8_t* tap = taps[k];
        const uint32_t x = (tap == zero ? tap : tap + a_offset)[c];
        input_sum += x;
        acc += x * (uint32_t)(int32_t)wp[k];
      }
      const char* tail = (const char*)q8_align4(wp + ks);
      int32_t weight_zero_point;
      float multiplier;
      memcpy(&weight_zero_point, tail, sizeof(weight_zero_point));
      memcpy(&multiplier, tail + sizeof(int32_t), sizeof(multiplier));
      if (params->subtract_row_sums) acc -= (uint32_t)weight_zero_point * input_sum;
      output[p * output_stride + c] =
          q8_requantize((int32_t)acc, multiplier, params->output_zero_point, params->output_min,
                        params->output_max);
      block = tail + 2 * sizeof(int32_t);
    }
  }
}

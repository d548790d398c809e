#include "../scalar/scalar-kernels.h"
#include "neon-families.h"
#include "neon-kernels.h"

/* Channel c of each group goes to output channels c * groups .. + groups - 1:
 * the interleaving stores vst2/vst3/vst4 write 16 (or 8) such channels of
 * 2, 3 or 4 groups at once. Returns how many channels were done. */
static size_t interleave2(const uint8_t* x, size_t gc, uint8_t* y) {
  size_t c = 0;
  for (; gc - c >= 16; c += 16) {
    const uint8x16x2_t v = {{vld1q_u8(x + c), vld1q_u8(x + gc + c)}};
    vst2q_u8(y + 2 * c, v);
  }
  if (gc - c >= 8) {
    const uint8x8x2_t v = {{vld1_u8(x + c), vld1_u8(x + gc + c)}};
    vst2_u8(y + 2 * c, v);
    c += 8;
  }
  return c;
}

static size_t interleave3(const uint8_t* x, size_t gc, uint8_t* y) {
  size_t c = 0;
  for (; gc - c >= 16; c += 16) {
    const uint8x16x3_t v = {{vld1q_u8(x + c), vld1q_u8(x + gc + c), vld1q_u8(x + 2 * gc + c)}};
    vst3q_u8(y + 3 * c, v);
  }
  if (gc - c >= 8) {
    const uint8x8x3_t v = {{vld1_u8(x + c), vld1_u8(x + gc + c), vld1_u8(x + 2 * gc + c)}};
    vst3_u8(y + 3 * c, v);
    c += 8;
  }
  return c;
}

static size_t interleave4(const uint8_t* x, size_t gc, uint8_t* y) {
  size_t c = 0;
  for (; gc - c >= 16; c += 16) {
    const uint8x16x4_t v = {{vld1q_u8(x + c), vld1q_u8(x + gc + c), vld1q_u8(x + 2 * gc + c),
                             vld1q_u8(x + 3 * gc + c)}};
    vst4q_u8(y + 4 * c, v);
  }
  if (gc - c >= 8) {
    const uint8x8x4_t v = {
        {vld1_u8(x + c), vld1_u8(x + gc + c), vld1_u8(x + 2 * gc + c), vld1_u8(x + 3 * gc + c)}};
    vst4_u8(y + 4 * c, v);
    c += 8;
  }
  return c;
}

void q8_shuffle_ukernel_16c__neon(size_t pixels, size_t groups, size_t group_channels,
                                  const uint8_t* input, size_t input_stride, uint8_t* output,
                                  size_t output_stride) {
  /* Other group counts have no interleaving store; ShuffleNet uses 2 to 4
   * (v2: always 2), and larger ones stay scalar. */
  if (groups < 2 || groups > 4) {
    q8_shuffle_ukernel__scalar(pixels, groups, group_channels, input, input_stride, output,
                               output_stride);
    return;
  }
  for (size_t p = 0; p < pixels; p++) {
    const uint8_t* x = input + p * input_stride;
    uint8_t* y = output + p * output_stride;
    const size_t done = groups == 2   ? interleave2(x, group_channels, y)
                        : groups == 3 ? interleave3(x, group_channels, y)
                                      : interleave4(x, group_channels, y);
    for (size_t c = done; c < group_channels; c++) {
      for (size_t g = 0; g < groups; g++) y[c * groups + g] = x[g * group_channels + c];
    }
  }
}

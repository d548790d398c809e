/* Uses q8 as an installed library: one 1x1 convolution through the public
 * API, checked against the value worked out by hand. */
#include <stdio.h>

#include <q8/operators.h>

int main(void) {
  const float weight_scale = 0.5f;
  const int8_t weights[2] = {2, -4}; /* 1 output channel, 2 input channels */
  const q8_convolution2d_params p = {
      .kernel_height = 1, .kernel_width = 1, .stride_height = 1, .stride_width = 1,
      .dilation_height = 1, .dilation_width = 1, .groups = 1, .group_input_channels = 2,
      .group_output_channels = 1, .input = {1.0f, 10}, .weight = {1, &weight_scale, NULL},
      .output = {1.0f, 100}, .output_min = 0, .output_max = 255};
  q8_error error = {0};
  q8_operator* op = NULL;
  const uint8_t input[2] = {13, 8}; /* real values 3 and -2 */
  uint8_t output[1] = {0};
  if (q8_convolution2d_create_nhwc(&p, weights, NULL, q8_isa_auto, &op, &error) != 0 ||
      q8_convolution2d_setup_nhwc(op, 1, 1, 1, input, output, NULL, NULL, &error) != 0 ||
      q8_operator_run(op, NULL, &error) != 0) {
    fprintf(stderr, "consumer: %s\n", error.message);
    return 1;
  }
  q8_operator_delete(op);
  /* 3 * 1.0 + -2 * -2.0 = 7 -> 100 + 7 */
  printf("consumer: output %u (expected 107), isa %s\n", output[0], q8_isa_name(q8_default_isa()));
  return output[0] == 107 ? 0 : 1;
}

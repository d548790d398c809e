/*
 * Invalid parameters return the documented status with a message naming
 * the parameter, create nothing and leak nothing (the asan preset checks the
 * last part).
 */
#include "test-util.h"

static const float unit_scale = 0.5f;

static q8_convolution2d_params valid_conv(void) {
  return (q8_convolution2d_params){
      .kernel_height = 3, .kernel_width = 3, .stride_height = 1, .stride_width = 1,
      .dilation_height = 1, .dilation_width = 1, .groups = 1, .group_input_channels = 4,
      .group_output_channels = 4, .input = {0.5f, 128}, .weight = {1, &unit_scale, NULL},
      .output = {0.25f, 3}, .output_min = 0, .output_max = 255};
}

static int8_t weights[4 * 3 * 3 * 4 * 8];

/* Creates a convolution and expects `status` with `needle` in the message. */
static void expect_conv_error(q8_convolution2d_params p, q8_status status, const char* needle) {
  q8_error err = {0};
  q8_operator* op = (q8_operator*)&err; /* must be reset to NULL */
  assert_int_equal(q8_convolution2d_create_nhwc(&p, weights, NULL, q8_isa_auto, &op, &err), status);
  assert_null(op);
  assert_int_equal(err.status, status);
  if (strstr(err.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static void convolution_create_errors(void** state) {
  (void)state;
  q8_convolution2d_params p = valid_conv();
  p.kernel_height = 0;
  expect_conv_error(p, q8_status_invalid_parameter, "kernel_height");
  p = valid_conv(); p.stride_width = 0;
  expect_conv_error(p, q8_status_invalid_parameter, "stride_width");
  p = valid_conv(); p.dilation_height = 0;
  expect_conv_error(p, q8_status_invalid_parameter, "dilation_height");
  p = valid_conv(); p.groups = 0;
  expect_conv_error(p, q8_status_invalid_parameter, "groups");
  p = valid_conv(); p.group_output_channels = 0;
  expect_conv_error(p, q8_status_invalid_parameter, "group_output_channels");
  p = valid_conv(); p.input.zero_point = 256;
  expect_conv_error(p, q8_status_invalid_parameter, "input zero point");
  p = valid_conv(); p.output.scale = 0.0f;
  expect_conv_error(p, q8_status_invalid_parameter, "output scale");
  p = valid_conv(); p.input.scale = NAN;
  expect_conv_error(p, q8_status_invalid_parameter, "input scale");
  p = valid_conv(); p.weight.count = 3;
  expect_conv_error(p, q8_status_invalid_parameter, "weight quantization count");
  const int32_t bad_zero_point = 200;
  p = valid_conv(); p.weight.zero_points = &bad_zero_point;
  expect_conv_error(p, q8_status_invalid_parameter, "weight zero point[0]");
  const float bad_scale = -1.0f;
  p = valid_conv(); p.weight.scales = &bad_scale;
  expect_conv_error(p, q8_status_invalid_parameter, "weight scale[0]");
  p = valid_conv(); p.output_min = 200; p.output_max = 100;
  expect_conv_error(p, q8_status_invalid_parameter, "output_min");
  p = valid_conv(); p.input_pixel_stride = 2;
  expect_conv_error(p, q8_status_invalid_parameter, "input_pixel_stride");
  p = valid_conv(); p.output_pixel_stride = 3;
  expect_conv_error(p, q8_status_invalid_parameter, "output_pixel_stride");
  p = valid_conv(); p.group_input_channels = 40000; p.kernel_height = p.kernel_width = 1;
  expect_conv_error(p, q8_status_unsupported_parameter, "int32 accumulator");

  q8_error err = {0};
  p = valid_conv();
  assert_int_equal(q8_convolution2d_create_nhwc(&p, NULL, NULL, q8_isa_auto, &(q8_operator*){0}, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "weights"));
  assert_int_equal(q8_convolution2d_create_nhwc(NULL, weights, NULL, q8_isa_auto, &(q8_operator*){0}, &err),
                   q8_status_invalid_parameter);
  assert_int_equal(q8_convolution2d_create_nhwc(&p, weights, NULL, (q8_isa)99, &(q8_operator*){0}, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "isa"));
  /* A NULL error record is allowed. */
  p.kernel_width = 0;
  assert_int_equal(q8_convolution2d_create_nhwc(&p, weights, NULL, q8_isa_auto, &(q8_operator*){0}, NULL),
                   q8_status_invalid_parameter);
}

static void deconvolution_output_padding(void** state) {
  (void)state;
  const q8_deconvolution2d_params p = {
      .kernel_height = 3, .kernel_width = 3, .stride_height = 2, .stride_width = 2,
      .dilation_height = 1, .dilation_width = 1, .output_padding_height = 2, .groups = 1,
      .group_input_channels = 4, .group_output_channels = 4, .input = {0.5f, 128},
      .weight = {1, &unit_scale, NULL}, .output = {0.25f, 3}, .output_max = 255};
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_int_equal(q8_deconvolution2d_create_nhwc(&p, weights, NULL, q8_isa_auto, &op, &err),
                   q8_status_invalid_parameter);
  assert_null(op);
  assert_non_null(strstr(err.message, "output_padding"));
}

static void setup_and_run_errors(void** state) {
  (void)state;
  q8_convolution2d_params p = valid_conv();
  q8_error err = {0};
  q8_operator* op = NULL;
  assert_q8_ok(q8_convolution2d_create_nhwc(&p, weights, NULL, q8_isa_auto, &op, &err));
  assert_string_equal(q8_operator_kind(op), "convolution2d");
  uint8_t input[4 * 4 * 4] = {0}, output[4 * 4 * 4];
  /* Run before setup. */
  assert_int_equal(q8_operator_run(op, NULL, &err), q8_status_invalid_state);
  assert_non_null(strstr(err.message, "not set up"));
  /* A 2x2 input is smaller than the 3x3 kernel without padding. */
  assert_int_equal(q8_convolution2d_setup_nhwc(op, 1, 2, 2, input, output, NULL, NULL, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "too small"));
  assert_int_equal(q8_operator_run(op, NULL, &err), q8_status_invalid_state);
  assert_int_equal(q8_convolution2d_setup_nhwc(op, 0, 4, 4, input, output, NULL, NULL, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "batch"));
  assert_int_equal(q8_convolution2d_setup_nhwc(op, 1, 4, 4, NULL, output, NULL, NULL, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "input"));
  /* The wrong family's setup. */
  assert_int_equal(q8_deconvolution2d_setup_nhwc(op, 1, 4, 4, input, output, NULL, NULL, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "convolution2d operator"));
  assert_int_equal(q8_fully_connected_setup(op, 1, input, output, &err),
                   q8_status_invalid_parameter);
  /* A valid setup then runs. */
  size_t oh = 0, ow = 0;
  assert_q8_ok(q8_convolution2d_setup_nhwc(op, 1, 4, 4, input, output, &oh, &ow, &err));
  assert_int_equal(oh, 2);
  assert_int_equal(ow, 2);
  assert_q8_ok(q8_operator_run(op, NULL, &err));
  q8_operator_delete(op);
  q8_operator_delete(NULL);
  assert_int_equal(q8_operator_run(NULL, NULL, &err), q8_status_invalid_parameter);
}

static void fully_connected_errors(void** state) {
  (void)state;
  q8_error err = {0};
  q8_operator* op = NULL;
  q8_fully_connected_params p = {
      .input_channels = 8, .output_channels = 4, .input = {0.5f, 0},
      .weight = {1, &unit_scale, NULL}, .output = {1.0f, 0}, .output_max = 255};
  p.input_stride = 7;
  assert_int_equal(q8_fully_connected_create(&p, weights, NULL, q8_isa_auto, &op, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "input_stride"));
  p.input_stride = 0;
  p.output_channels = 0;
  assert_int_equal(q8_fully_connected_create(&p, weights, NULL, q8_isa_auto, &op, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "output_channels"));
  q8_dynamic_fully_connected_params d = {.input_channels = 8, .output_channels = 4,
                                          .weight = {3, &unit_scale, NULL}};
  assert_int_equal(q8_dynamic_fully_connected_create(&d, weights, NULL, q8_isa_auto, &op, &err),
                   q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "weight quantization count"));
  d.weight.count = 1;
  assert_q8_ok(q8_dynamic_fully_connected_create(&d, weights, NULL, q8_isa_auto, &op, &err));
  float x[8] = {0}, y[4];
  uint8_t xq[8] = {0}, yq[4];
  assert_int_equal(q8_fully_connected_setup(op, 1, xq, yq, &err), q8_status_invalid_parameter);
  assert_non_null(strstr(err.message, "dynamic_fully_connected"));
  assert_q8_ok(q8_dynamic_fully_connected_setup(op, 1, x, y, &err));
  assert_q8_ok(q8_operator_run(op, NULL, &err));
  q8_operator_delete(op);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(convolution_create_errors),
      cmocka_unit_test(deconvolution_output_padding),
      cmocka_unit_test(setup_and_run_errors),
      cmocka_unit_test(fully_connected_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

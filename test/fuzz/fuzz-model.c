/* libFuzzer target: the whole public runtime: q8_model_load_memory on a
 * bundle written as a zip (.ptl or .pt entries), then plan and run on a
 * tiny input of the first small shape the model accepts. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-bundle.h"
#include "q8/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define MAX_ELEMENTS (1u << 16)
#define MAX_OUTPUTS 4

static float input[MAX_ELEMENTS];

static const q8_tensor_shape shapes[] = {
    {4, {1, 3, 8, 8}}, {4, {1, 4, 6, 6}}, {4, {1, 6, 5, 7}}, {4, {1, 8, 6, 6}},
    {4, {1, 1, 4, 4}}, {4, {2, 8, 4, 4}}, {2, {1, 784}},     {2, {2, 16}},
};

static size_t elements(const q8_tensor_shape* s) {
  size_t n = 1;
  for (size_t d = 0; d < s->rank; d++) {
    if (s->dims[d] != 0 && n > MAX_ELEMENTS / s->dims[d]) return MAX_ELEMENTS + 1;
    n *= s->dims[d];
  }
  return n;
}

static void plan_and_run(const q8_model* model) {
  if (q8_model_input_count(model) != 1) return;
  const size_t outputs = q8_model_output_count(model);
  if (outputs == 0 || outputs > MAX_OUTPUTS) return;
  q8_context* ctx = NULL;
  q8_error err = {0};
  if (q8_context_create(model, &ctx, &err) != q8_status_success) return;
  for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
    if (q8_context_plan(ctx, &shapes[k], &err) != q8_status_success) continue;
    float* out[MAX_OUTPUTS] = {0};
    int ok = 1;
    for (size_t i = 0; i < outputs && ok; i++) {
      q8_tensor_shape s;
      ok = q8_context_output_shape(ctx, i, &s, &err) == q8_status_success &&
           elements(&s) <= MAX_ELEMENTS && (out[i] = malloc(elements(&s) * sizeof(float) + 1));
    }
    if (ok) {
      const float* in = input;
      (void)q8_context_run(ctx, NULL, &in, &shapes[k], out, &err);
    }
    for (size_t i = 0; i < outputs; i++) free(out[i]);
    break;
  }
  q8_context_delete(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (input[1] == 0.0f)
    for (size_t i = 0; i < MAX_ELEMENTS; i++) input[i] = (float)((int)(i % 17) - 8) * 0.125f;
  size_t zip_size = 0;
  uint8_t* zip = fuzz_bundle_to_zip(data, size, &zip_size);
  if (zip == NULL) return 0;
  const q8_model_options options = {
      .isa = q8_isa_auto, .limits = {.max_entry_bytes = 16u << 20, .max_file_bytes = 16u << 20}};
  q8_model* model = NULL;
  q8_error err = {0};
  if (q8_model_load_memory(zip, zip_size, &options, &model, &err) == q8_status_success) {
    plan_and_run(model);
    q8_model_delete(model);
  } else if (model != NULL || err.message[0] == '\0') {
    abort();
  }
  free(zip);
  return 0;
}

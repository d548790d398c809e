#include "operator.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

q8_status q8_fail(q8_error* error, q8_status status, const char* format, ...) {
  if (error != NULL) {
    error->status = status;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof(error->message), format, args);
    va_end(args);
  }
  return status;
}

const char* q8_status_string(q8_status status) {
  switch (status) {
    case q8_status_success: return "success";
    case q8_status_invalid_parameter: return "invalid parameter";
    case q8_status_unsupported_parameter: return "unsupported parameter";
    case q8_status_out_of_memory: return "out of memory";
    case q8_status_invalid_state: return "invalid state";
    case q8_status_unsupported_hardware: return "unsupported hardware";
  }
  return "unknown status";
}

q8_status q8_operator_create(size_t size, const char* kind, q8_isa isa, q8_operator** op_out,
                             q8_error* error) {
  if (op_out == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op_out is NULL", kind);
  *op_out = NULL;
  const q8_status status = q8_initialize(error);
  if (status != q8_status_success) return status;
  if ((unsigned)isa >= q8_isa_count) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: isa %d is not a q8_isa value", kind,
                   (int)isa);
  }
  const q8_kernel_table* kernels = q8_kernel_table_get(isa);
  if (kernels == NULL) {
    return q8_fail(error, q8_status_unsupported_hardware,
                   "%s: kernel table '%s' is not available on this CPU or in this build", kind,
                   q8_isa_name(isa));
  }
  q8_operator* op = calloc(1, size);
  if (op == NULL) return q8_fail(error, q8_status_out_of_memory, "%s: out of memory", kind);
  op->kind = kind;
  op->kernels = kernels;
  *op_out = op;
  return q8_status_success;
}

uint64_t q8_operator_op_count(const q8_operator* op) {
  return op != NULL && op->is_setup ? op->ops : 0;
}

static void do_nothing(void* context, size_t index) { (void)context, (void)index; }

/* An empty job whose flag tells the workers not to spin once it is done. */
void q8_threadpool_release_workers(pthreadpool_t threadpool) {
  if (threadpool == NULL) return;
  pthreadpool_parallelize_1d(threadpool, do_nothing, NULL, pthreadpool_get_threads_count(threadpool),
                             PTHREADPOOL_FLAG_YIELD_WORKERS);
}

q8_status q8_operator_run(q8_operator* op, pthreadpool_t threadpool, q8_error* error) {
  if (op == NULL) return q8_fail(error, q8_status_invalid_parameter, "q8_operator_run: op is NULL");
  if (!op->is_setup) {
    return q8_fail(error, q8_status_invalid_state, "q8_operator_run: %s operator is not set up",
                   op->kind);
  }
  return op->run(op, threadpool);
}

void q8_operator_delete(q8_operator* op) {
  if (op == NULL) return;
  if (op->destroy != NULL) op->destroy(op);
  free(op);
}

const char* q8_operator_kind(const q8_operator* op) { return op ? op->kind : NULL; }
const char* q8_operator_isa(const q8_operator* op) { return op ? op->kernels->name : NULL; }

static bool positive_finite(float x) { return x > 0.0f && isfinite(x); }

q8_status q8_check_quantization(const char* function, const char* name, q8_quantization q,
                                q8_error* error) {
  if (!positive_finite(q.scale)) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: %s scale is %g; it must be positive and finite", function, name, q.scale);
  }
  if (q.zero_point < 0 || q.zero_point > 255) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: %s zero point is %d; it must be in [0, 255]", function, name,
                   (int)q.zero_point);
  }
  return q8_status_success;
}

q8_status q8_check_weight_quantization(const char* function, const q8_weight_quantization* q,
                                       size_t output_channels, q8_error* error) {
  if (q->count != 1 && q->count != output_channels) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: weight quantization count is %zu; it must be 1 or the output channel "
                   "count %zu",
                   function, q->count, output_channels);
  }
  if (q->scales == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: weight scales is NULL", function);
  }
  for (size_t i = 0; i < q->count; i++) {
    if (!positive_finite(q->scales[i])) {
      return q8_fail(error, q8_status_invalid_parameter,
                     "%s: weight scale[%zu] is %g; it must be positive and finite", function, i,
                     q->scales[i]);
    }
    if (q->zero_points != NULL && (q->zero_points[i] < -128 || q->zero_points[i] > 127)) {
      return q8_fail(error, q8_status_invalid_parameter,
                     "%s: weight zero point[%zu] is %d; it must be in [-128, 127]", function, i,
                     (int)q->zero_points[i]);
    }
  }
  return q8_status_success;
}

q8_status q8_check_output_range(const char* function, uint8_t output_min, uint8_t output_max,
                                q8_error* error) {
  if (output_min > output_max) {
    return q8_fail(error, q8_status_invalid_parameter,
                   "%s: output_min %u is greater than output_max %u", function, output_min,
                   output_max);
  }
  return q8_status_success;
}

q8_status q8_check_nonzero(const char* function, const char* name, size_t value,
                           q8_error* error) {
  if (value == 0) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: %s is 0; it must be at least 1",
                   function, name);
  }
  return q8_status_success;
}

q8_status q8_check_pointer(const char* function, const char* name, const void* pointer,
                           q8_error* error) {
  if (pointer == NULL) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: %s is NULL", function, name);
  }
  return q8_status_success;
}

void* q8_alloc_packed(size_t nbytes) {
  /* aligned_alloc wants a multiple of the alignment; the round-up wraps only
   * for sizes no allocation could satisfy anyway. */
  const size_t line = 64;
  if (nbytes == 0 || nbytes > SIZE_MAX - line) return NULL;
  return aligned_alloc(line, (nbytes + line - 1) / line * line);
}

void* q8_memdup(const void* src, size_t nbytes) {
  if (nbytes == 0) return NULL;
  void* p = malloc(nbytes);
  if (p != NULL) memcpy(p, src, nbytes);
  return p;
}

q8_status q8_begin_setup(const char* function, q8_operator* op,
                         q8_status (*run)(q8_operator*, pthreadpool_t), q8_error* error) {
  if (op == NULL) return q8_fail(error, q8_status_invalid_parameter, "%s: op is NULL", function);
  if (op->run != run) {
    return q8_fail(error, q8_status_invalid_parameter, "%s: op is a %s operator", function,
                   op->kind);
  }
  op->is_setup = false;
  return q8_status_success;
}

q8_status q8_check_image(const char* function, size_t batch, size_t height, size_t width,
                         const void* input, const void* output, q8_error* error) {
  q8_status s;
  if ((s = q8_check_nonzero(function, "batch", batch, error)) ||
      (s = q8_check_nonzero(function, "input_height", height, error)) ||
      (s = q8_check_nonzero(function, "input_width", width, error)) ||
      (s = q8_check_pointer(function, "input", input, error)) ||
      (s = q8_check_pointer(function, "output", output, error))) {
    return s;
  }
  return q8_status_success;
}

void* q8_grow_buffer(void* buffer, size_t* capacity, size_t count, size_t element_size) {
  if (count == 0) count = 1;
  if (buffer != NULL && count <= *capacity) return buffer;
  if (count > SIZE_MAX / element_size) return NULL;
  void* grown = realloc(buffer, count * element_size);
  if (grown != NULL) *capacity = count;
  return grown;
}

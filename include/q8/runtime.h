/*
 * q8 model runtime: loads a quantized PyTorch model, either a lite-interpreter
 * file (.ptl, made with optimize_for_mobile(...)._save_for_lite_interpreter,
 * bytecode version 8) or a TorchScript file (.pt, made with torch.jit.save of
 * a traced model), and runs its `forward` bit-exactly like PyTorch 1.13's
 * qnnpack engine.
 *
 *   q8_model* model;
 *   q8_error error;
 *   q8_model_load_file("mobilenet.ptl", NULL, &model, &error);
 *   q8_context* ctx;                       // one per thread that runs the model
 *   q8_context_create(model, &ctx, &error);
 *   q8_tensor_shape shape = {4, {1, 3, 224, 224}};
 *   q8_context_plan(ctx, &shape, &error);  // optional: learn output shapes first
 *   q8_context_output_shape(ctx, 0, &out_shape, &error);
 *   q8_context_run(ctx, threadpool, &input, &shape, &output, &error);
 *   q8_context_delete(ctx);
 *   q8_model_delete(model);
 *
 * Inputs and outputs are fp32 tensors in PyTorch's layout (NCHW for images,
 * C order), exactly what the TorchScript forward takes and returns.
 * A model is immutable after loading and may be shared by any number of
 * contexts on any threads; a context is used by one thread at a time.
 * Model files are untrusted: every failure returns a status and a message
 * naming the file entry or operator ("quantized::conv2d.new at instruction
 * 10: ...") and the reason.
 */
#ifndef Q8_RUNTIME_H
#define Q8_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "q8/q8.h"

#ifdef __cplusplus
extern "C" {
#endif

#define Q8_MAX_TENSOR_DIMS 6

typedef struct q8_tensor_shape {
  size_t rank; /* 0 to Q8_MAX_TENSOR_DIMS */
  size_t dims[Q8_MAX_TENSOR_DIMS];
} q8_tensor_shape;

/* Element type of a model input or output (q8 models take and return fp32). */
typedef enum q8_tensor_type {
  q8_tensor_type_float32 = 0,
} q8_tensor_type;

typedef struct q8_model q8_model;
typedef struct q8_context q8_context;

/*
 * Bounds on what a model file may make q8 read, allocate or build: model
 * files are untrusted. A field left 0 takes the default shown. A load that
 * hits a limit fails with q8_status_unsupported_parameter and a message that
 * names the field ("... above max_tensor_bytes (1073741824)"); raise the
 * field to accept such a file.
 */
typedef struct q8_model_limits {
  uint64_t max_entry_bytes;       /* one zip entry, uncompressed: 1 GiB */
  uint64_t max_file_bytes;        /* all entries read, uncompressed: 4 GiB */
  uint64_t max_compression_ratio; /* of a compressed entry (zip bombs): 200 */
  uint64_t max_entries;           /* entries in the zip: 65536 */
  uint64_t max_tensor_bytes;      /* one weight/constant tensor: 1 GiB */
  uint64_t max_weight_bytes;      /* all tensors of the model: 2 GiB */
  uint64_t max_graph_nodes;       /* operators in the graph: 262144 */
  uint64_t max_pickle_depth;      /* nesting in a pickle: 1000 (at most 10000) */
  uint64_t max_pickle_memo;       /* memo entries of a pickle: 1048576 */
  uint64_t max_pickle_nodes;      /* values in one pickle: 4194304 */
  uint64_t max_string_bytes;      /* one pickled string or name: 16 MiB */
} q8_model_limits;

/* The defaults, as numbers (for raising one limit relative to its default). */
Q8_API q8_model_limits q8_model_default_limits(void);

typedef struct q8_model_options {
  q8_isa isa;             /* micro-kernel table, q8_isa_auto for the best */
  q8_model_limits limits; /* zeros: the defaults */
} q8_model_options;

/* Loads a .ptl or .pt file; options may be NULL. Unsupported operators fail here
 * ("unsupported operator aten::lstm.input at instruction 37"). */
Q8_API q8_status q8_model_load_file(const char* path, const q8_model_options* options,
                                    q8_model** model_out, q8_error* error);

/* Same from memory; the data is only read during the call. */
Q8_API q8_status q8_model_load_memory(const void* data, size_t size,
                                      const q8_model_options* options, q8_model** model_out,
                                      q8_error* error);

/* NULL is a no-op. Delete every context of the model first. */
Q8_API void q8_model_delete(q8_model* model);

Q8_API size_t q8_model_input_count(const q8_model* model);
Q8_API size_t q8_model_output_count(const q8_model* model);
/* All inputs and outputs are float32 tensors. */
Q8_API q8_tensor_type q8_model_input_type(const q8_model* model, size_t index);
Q8_API q8_tensor_type q8_model_output_type(const q8_model* model, size_t index);

/* A context owns the operators' shape-dependent state and the activation
 * memory; the model must outlive it. */
Q8_API q8_status q8_context_create(const q8_model* model, q8_context** context_out,
                                   q8_error* error);
Q8_API void q8_context_delete(q8_context* context);

/* Plans for these input shapes (one per input): shape inference, operator
 * setup, activation memory. Does nothing if the shapes are those of the
 * last plan. q8_context_run calls it itself. */
Q8_API q8_status q8_context_plan(q8_context* context, const q8_tensor_shape* input_shapes,
                                 q8_error* error);

/* Shape of output `index` for the planned input shapes. */
Q8_API q8_status q8_context_output_shape(const q8_context* context, size_t index,
                                         q8_tensor_shape* shape, q8_error* error);

/* Runs forward. inputs[i] holds input_shapes[i]; outputs[i] must hold the
 * output's element count (q8_context_output_shape). threadpool may be NULL
 * (the caller's thread); results are identical for any thread count. */
Q8_API q8_status q8_context_run(q8_context* context, pthreadpool_t threadpool,
                                const float* const* inputs, const q8_tensor_shape* input_shapes,
                                float* const* outputs, q8_error* error);

/* true (the default): after a run, the pool's workers spin for a while in
 * case another run follows at once (lowest latency for back-to-back runs).
 * false: every run ends by sending them to sleep (q8_threadpool_release_workers),
 * so an app that runs a model now and then does not lose CPU time to them. */
Q8_API void q8_context_set_worker_spin(q8_context* context, bool spin);

/* Per-operator timing of the runs made while profiling is on. */
Q8_API void q8_context_set_profiling(q8_context* context, bool enabled);

typedef struct q8_profile_entry {
  const char* op;        /* "quantized::conv2d.new" (owned by the context) */
  q8_tensor_shape shape; /* of its output */
  double milliseconds;   /* of the last run */
  uint64_t ops;          /* 2 x its multiply-adds (convolution, linear), else 0 */
  double gops;           /* ops / time, in 1e9 per second */
} q8_profile_entry;

Q8_API size_t q8_context_profile_count(const q8_context* context);
/* Entry `index` of the last run (0 <= index < count), in execution order. */
Q8_API q8_status q8_context_profile_entry(const q8_context* context, size_t index,
                                          q8_profile_entry* entry, q8_error* error);

#ifdef __cplusplus
}
#endif

#endif

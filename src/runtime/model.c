/*
 * The public runtime API (q8/runtime.h): a model is the graph of a .ptl
 * file; a context is a program (operators + activations) lowered from it.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "q8/runtime.h"
#include "graph/graph.h"
#include "loader/archive.h"
#include "loader/bytecode.h"
#include "loader/torchscript.h"
#include "plan/program.h"

struct q8_model {
  q8_graph* graph;
  q8_isa isa;
  /* The program lowered at load (to report unsupported operators early),
   * handed to the first context so its prepacking is not wasted. */
  _Atomic(q8_program*) spare;
};

struct q8_context {
  const q8_model* model;
  q8_program* program;
  bool profiling;
  bool profiled; /* a profiled run completed */
  bool no_worker_spin;
};

q8_model_limits q8_model_default_limits(void) {
  const q8_archive_limits a = q8_archive_default_limits();
  const q8_model_limits limits = {
      .max_entry_bytes = a.max_entry_bytes,
      .max_file_bytes = a.max_total_bytes,
      .max_compression_ratio = a.max_compression_ratio,
      .max_entries = a.max_entries,
      .max_tensor_bytes = a.max_tensor_bytes,
      .max_weight_bytes = a.max_weight_bytes,
      .max_graph_nodes = a.max_graph_nodes,
      .max_pickle_depth = a.pickle.max_depth,
      .max_pickle_memo = a.pickle.max_memo,
      .max_pickle_nodes = a.pickle.max_nodes,
      .max_string_bytes = a.pickle.max_string,
  };
  return limits;
}

/* `value` if set, else `fallback`; saturated to what a size_t holds. */
static size_t size_limit(uint64_t value, size_t fallback) {
  if (value == 0) return fallback;
  return value > SIZE_MAX ? SIZE_MAX : (size_t)value;
}

static uint64_t limit(uint64_t value, uint64_t fallback) { return value != 0 ? value : fallback; }

static q8_archive_limits limits_from(const q8_model_options* options) {
  q8_archive_limits l = q8_archive_default_limits();
  if (options == NULL) return l;
  const q8_model_limits* u = &options->limits;
  l.max_entry_bytes = limit(u->max_entry_bytes, l.max_entry_bytes);
  l.max_total_bytes = limit(u->max_file_bytes, l.max_total_bytes);
  l.max_compression_ratio = limit(u->max_compression_ratio, l.max_compression_ratio);
  l.max_entries = limit(u->max_entries, l.max_entries);
  l.max_tensor_bytes = limit(u->max_tensor_bytes, l.max_tensor_bytes);
  l.max_weight_bytes = limit(u->max_weight_bytes, l.max_weight_bytes);
  l.max_graph_nodes = limit(u->max_graph_nodes, l.max_graph_nodes);
  l.pickle.max_depth = size_limit(u->max_pickle_depth, l.pickle.max_depth);
  l.pickle.max_memo = size_limit(u->max_pickle_memo, l.pickle.max_memo);
  l.pickle.max_nodes = size_limit(u->max_pickle_nodes, l.pickle.max_nodes);
  l.pickle.max_string = size_limit(u->max_string_bytes, l.pickle.max_string);
  return l;
}

static q8_status finish_load(q8_archive* archive, const q8_model_options* options,
                             q8_model** model_out, q8_error* error) {
  q8_graph* graph = NULL;
  q8_program* program = NULL;
  const q8_isa isa = options != NULL ? options->isa : q8_isa_auto;
  /* A .ptl carries bytecode; a .pt (torch.jit.save) carries TorchScript
   * source under code/. Both front ends build the same graph. */
  size_t bytecode_entry;
  q8_status status = q8_archive_find(archive, "bytecode.pkl", &bytecode_entry)
                         ? q8_bytecode_load(archive, &graph, error)
                         : q8_torchscript_load_graph(archive, &graph, error);
  q8_archive_close(archive);
  if (status == q8_status_success) status = q8_program_create(graph, isa, &program, error);
  q8_model* model = NULL;
  if (status == q8_status_success) {
    model = calloc(1, sizeof(q8_model));
    if (model == NULL)
      status = q8_graph_fail(error, q8_status_out_of_memory, "runtime: out of memory");
  }
  if (status != q8_status_success) {
    q8_program_delete(program);
    q8_graph_delete(graph);
    return status;
  }
  model->graph = graph;
  model->isa = isa;
  atomic_init(&model->spare, program);
  *model_out = model;
  return q8_status_success;
}

q8_status q8_model_load_file(const char* path, const q8_model_options* options,
                             q8_model** model_out, q8_error* error) {
  if (model_out == NULL || path == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "q8_model_load_file: NULL argument");
  *model_out = NULL;
  const q8_archive_limits limits = limits_from(options);
  q8_archive* archive = NULL;
  q8_status status = q8_archive_open_file(path, &limits, &archive, error);
  if (status != q8_status_success) return status;
  return finish_load(archive, options, model_out, error);
}

q8_status q8_model_load_memory(const void* data, size_t size, const q8_model_options* options,
                               q8_model** model_out, q8_error* error) {
  if (model_out == NULL || data == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "q8_model_load_memory: NULL argument");
  *model_out = NULL;
  const q8_archive_limits limits = limits_from(options);
  q8_archive* archive = NULL;
  q8_status status = q8_archive_open_memory(data, size, &limits, &archive, error);
  if (status != q8_status_success) return status;
  return finish_load(archive, options, model_out, error);
}

void q8_model_delete(q8_model* model) {
  if (model == NULL) return;
  q8_program_delete(atomic_exchange(&model->spare, NULL));
  q8_graph_delete(model->graph);
  free(model);
}

size_t q8_model_input_count(const q8_model* model) {
  return model != NULL ? model->graph->num_inputs : 0;
}

size_t q8_model_output_count(const q8_model* model) {
  return model != NULL ? model->graph->num_outputs : 0;
}

q8_tensor_type q8_model_input_type(const q8_model* model, size_t index) {
  (void)model, (void)index;
  return q8_tensor_type_float32;
}

q8_tensor_type q8_model_output_type(const q8_model* model, size_t index) {
  (void)model, (void)index;
  return q8_tensor_type_float32;
}

q8_status q8_context_create(const q8_model* model, q8_context** context_out, q8_error* error) {
  if (model == NULL || context_out == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "q8_context_create: NULL argument");
  *context_out = NULL;
  q8_context* ctx = calloc(1, sizeof(q8_context));
  if (ctx == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "runtime: out of memory");
  ctx->model = model;
  /* The spare is only ever taken, so a const model stays logically const. */
  ctx->program = atomic_exchange(&((q8_model*)model)->spare, NULL);
  if (ctx->program == NULL) {
    q8_status status = q8_program_create(model->graph, model->isa, &ctx->program, error);
    if (status != q8_status_success) {
      free(ctx);
      return status;
    }
  }
  *context_out = ctx;
  return q8_status_success;
}

void q8_context_delete(q8_context* ctx) {
  if (ctx == NULL) return;
  q8_program_delete(ctx->program);
  free(ctx);
}

q8_status q8_context_plan(q8_context* ctx, const q8_tensor_shape* input_shapes, q8_error* error) {
  if (ctx == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "q8_context_plan: context is NULL");
  ctx->profiled = false;
  return q8_program_plan(ctx->program, input_shapes, error);
}

q8_status q8_context_output_shape(const q8_context* ctx, size_t index, q8_tensor_shape* shape,
                                  q8_error* error) {
  if (ctx == NULL || shape == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "q8_context_output_shape: NULL argument");
  if (index >= ctx->model->graph->num_outputs)
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "q8_context_output_shape: output %zu of %zu", index,
                         ctx->model->graph->num_outputs);
  if (!q8_program_is_planned(ctx->program))
    return q8_graph_fail(error, q8_status_invalid_state,
                         "q8_context_output_shape: plan the context for input shapes first");
  q8_program_output_shape(ctx->program, index, shape);
  return q8_status_success;
}

q8_status q8_context_run(q8_context* ctx, pthreadpool_t threadpool, const float* const* inputs,
                         const q8_tensor_shape* input_shapes, float* const* outputs,
                         q8_error* error) {
  if (ctx == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "q8_context_run: context is NULL");
  q8_status status = q8_program_plan(ctx->program, input_shapes, error);
  if (status != q8_status_success) return status;
  status = q8_program_run(ctx->program, threadpool, inputs, outputs, ctx->profiling, error);
  ctx->profiled = status == q8_status_success && ctx->profiling;
  if (ctx->no_worker_spin) q8_threadpool_release_workers(threadpool);
  return status;
}

void q8_context_set_worker_spin(q8_context* ctx, bool spin) {
  if (ctx != NULL) ctx->no_worker_spin = !spin;
}

void q8_context_set_profiling(q8_context* ctx, bool enabled) {
  if (ctx != NULL) ctx->profiling = enabled;
}

size_t q8_context_profile_count(const q8_context* ctx) {
  return ctx != NULL && ctx->profiled ? q8_program_step_count(ctx->program) : 0;
}

q8_status q8_context_profile_entry(const q8_context* ctx, size_t index, q8_profile_entry* entry,
                                   q8_error* error) {
  if (entry == NULL || index >= q8_context_profile_count(ctx))
    return q8_graph_fail(error, q8_status_invalid_parameter,
                         "q8_context_profile_entry: no entry %zu (run with profiling on first)",
                         index);
  q8_program_step_profile(ctx->program, index, entry);
  return q8_status_success;
}

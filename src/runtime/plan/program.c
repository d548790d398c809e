#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lower.h"

/* Activations are aligned for the kernels' vector loads, and each buffer
 * gets slack so that kernels reading a few bytes past a row stay inside. */
#define ARENA_ALIGNMENT 64
#define ARENA_SLACK 64
#define MAX_ARENA_BYTES (SIZE_MAX / 4)

static void delete_shaped_ops(q8_program* p) {
  for (size_t i = 0; i < p->num_steps; i++) {
    q8_operator_delete(p->steps[i].shaped_op);
    p->steps[i].shaped_op = NULL;
  }
}

void q8_program_delete(q8_program* p) {
  if (p == NULL) return;
  delete_shaped_ops(p);
  for (size_t i = 0; i < p->num_steps; i++) q8_operator_delete(p->steps[i].op);
  free(p->steps);
  free(p->tensors);
  free(p->arena);
  free(p);
}

static q8_status lower_node(q8_program* p, const q8_node* node, q8_error* error) {
  q8_step* step = &p->steps[p->num_steps];
  memset(step, 0, sizeof(*step));
  step->node = node;
  step->lowering = q8_lowering_for(node->kind);
  if (step->lowering == NULL)
    return q8_step_fail(step, error, q8_status_unsupported_parameter,
                        "unsupported operator: %s", q8_lowering_unsupported_reason(node->kind));
  q8_tensor_plan* out = &p->tensors[node->output];
  out->is_tensor = p->graph->values[node->output].kind == q8_value_tensor;
  out->dtype = p->graph->values[node->output].dtype;
  p->num_steps++; /* owned from here on, even if create fails half-way */
  return step->lowering->create(p, step, error);
}

q8_status q8_program_create(const q8_graph* graph, q8_isa isa, q8_program** program_out,
                            q8_error* error) {
  *program_out = NULL;
  q8_program* p = calloc(1, sizeof(q8_program));
  if (p == NULL) return q8_graph_fail(error, q8_status_out_of_memory, "runtime: out of memory");
  p->graph = graph;
  p->isa = isa;
  p->steps = calloc(graph->num_nodes + 1, sizeof(q8_step));
  p->tensors = calloc(graph->num_values + 1, sizeof(q8_tensor_plan));
  if (p->steps == NULL || p->tensors == NULL) {
    q8_program_delete(p);
    return q8_graph_fail(error, q8_status_out_of_memory, "runtime: out of memory");
  }
  for (size_t i = 0; i < graph->num_inputs; i++) {
    p->tensors[graph->inputs[i]].is_tensor = true;
    p->tensors[graph->inputs[i]].dtype = q8_tensor_float32;
  }
  for (size_t n = 0; n < graph->num_nodes; n++) {
    if (graph->nodes[n].removed) continue;
    q8_status status = lower_node(p, &graph->nodes[n], error);
    if (status != q8_status_success) {
      q8_program_delete(p);
      return status;
    }
  }
  for (size_t i = 0; i < graph->num_outputs; i++) {
    const q8_tensor_plan* t = &p->tensors[graph->outputs[i]];
    if (!t->is_tensor || t->dtype != q8_tensor_float32) {
      q8_program_delete(p);
      return q8_graph_fail(error, q8_status_unsupported_parameter,
                           "runtime: output %zu is not a float tensor (dequantize it in the "
                           "model)", i);
    }
  }
  *program_out = p;
  return q8_status_success;
}

/* --- planning ------------------------------------------------------------------ */

static size_t element_size(q8_tensor_dtype dtype) {
  return dtype == q8_tensor_quint8 ? 1 : 4;
}

/* Bytes of a tensor; false on overflow or absurd sizes. */
static bool tensor_bytes(q8_tensor_plan* t) {
  size_t n = element_size(t->dtype);
  for (size_t d = 0; d < t->rank; d++) {
    if (t->shape[d] != 0 && n > MAX_ARENA_BYTES / t->shape[d]) return false;
    n *= t->shape[d];
  }
  t->bytes = n;
  return true;
}

static q8_status set_inputs(q8_program* p, const q8_tensor_shape* shapes, q8_error* error) {
  for (size_t i = 0; i < p->graph->num_inputs; i++) {
    q8_tensor_plan* t = &p->tensors[p->graph->inputs[i]];
    if (shapes[i].rank > Q8_MAX_TENSOR_DIMS || shapes[i].rank > Q8_GRAPH_MAX_DIMS)
      return q8_graph_fail(error, q8_status_invalid_parameter,
                           "runtime: input %zu has %zu dimensions; at most %d are supported", i,
                           shapes[i].rank, Q8_MAX_TENSOR_DIMS);
    t->rank = shapes[i].rank;
    for (size_t d = 0; d < t->rank; d++) {
      if (shapes[i].dims[d] == 0)
        return q8_graph_fail(error, q8_status_invalid_parameter,
                             "runtime: input %zu has an empty dimension %zu", i, d);
      /* Keeps every extent computation of the planner far from overflow. */
      if (shapes[i].dims[d] > INT32_MAX)
        return q8_graph_fail(error, q8_status_invalid_parameter,
                             "runtime: input %zu: dimension %zu is %zu, above 2^31 - 1", i, d,
                             shapes[i].dims[d]);
      t->shape[d] = shapes[i].dims[d];
    }
  }
  return q8_status_success;
}

static bool same_inputs(const q8_program* p, const q8_tensor_shape* shapes) {
  for (size_t i = 0; i < p->graph->num_inputs; i++) {
    const q8_tensor_plan* t = &p->tensors[p->graph->inputs[i]];
    if (t->rank != shapes[i].rank) return false;
    for (size_t d = 0; d < t->rank; d++)
      if (t->shape[d] != shapes[i].dims[d]) return false;
  }
  return true;
}

/* Phase 1: every step's output shape, in order. */
static q8_status infer_shapes(q8_program* p, q8_error* error) {
  for (size_t i = 0; i < p->num_steps; i++) {
    q8_step* s = &p->steps[i];
    q8_status status = s->lowering->shape(p, s, error);
    if (status != q8_status_success) return status;
    q8_tensor_plan* out = &p->tensors[s->node->output];
    if (!out->is_tensor) continue; /* a computed int or int list */
    out->nhwc = out->dtype == q8_tensor_quint8 && out->rank == 4;
    if (!tensor_bytes(out))
      return q8_step_fail(s, error, q8_status_out_of_memory, "output tensor is too large");
  }
  return q8_status_success;
}

static void mark_use(q8_program* p, uint32_t id, size_t position) {
  const q8_value* v = &p->graph->values[id];
  if (v->kind == q8_value_tensor_list) {
    for (size_t j = 0; j < v->u.tensors.count; j++) mark_use(p, v->u.tensors.items[j], position);
    return;
  }
  if (p->tensors[id].is_tensor && p->tensors[id].last < position) p->tensors[id].last = position;
}

/* A view has no space of its own: the tensor it is a slice of lives from
 * the view's producer on. */
static void extend_to_views(q8_program* p) {
  for (size_t v = 0; v < p->graph->num_values; v++) {
    q8_tensor_plan* t = &p->tensors[v];
    if (!t->is_view) continue;
    t->live = false;
    q8_tensor_plan* whole = &p->tensors[t->view_of];
    if (t->def < whole->def) whole->def = t->def;
  }
}

static bool reads_value(const q8_program* p, uint32_t input, uint32_t id) {
  const q8_value* v = &p->graph->values[input];
  if (input == id) return true;
  if (v->kind != q8_value_tensor_list) return false;
  for (size_t j = 0; j < v->u.tensors.count; j++)
    if (reads_value(p, v->u.tensors.items[j], id)) return true;
  return false;
}

/* A program input can be read from the caller's buffer when it is not an
 * output and every step reading it reads it only while it runs. */
static bool can_borrow(const q8_program* p, uint32_t id) {
  for (size_t i = 0; i < p->graph->num_outputs; i++)
    if (reads_value(p, p->graph->outputs[i], id)) return false;
  for (size_t i = 0; i < p->num_steps; i++) {
    const q8_step* s = &p->steps[i];
    if (q8_lowering_reads_inputs_at_run(s->lowering)) continue;
    for (size_t a = 0; a < s->node->num_inputs; a++)
      if (reads_value(p, s->node->inputs[a], id)) return false;
  }
  return true;
}

/* Lifetimes in step positions: inputs are defined at 0, step i's output at
 * i + 1; outputs live to the end (they are copied out after the last step). */
static void compute_lifetimes(q8_program* p) {
  for (size_t v = 0; v < p->graph->num_values; v++) {
    p->tensors[v].live = false;
    p->tensors[v].last = 0;
  }
  for (size_t i = 0; i < p->graph->num_inputs; i++) {
    q8_tensor_plan* t = &p->tensors[p->graph->inputs[i]];
    t->def = 0;
    t->borrowed = can_borrow(p, p->graph->inputs[i]);
    t->live = !t->borrowed;
  }
  for (size_t i = 0; i < p->num_steps; i++) {
    const q8_node* node = p->steps[i].node;
    p->tensors[node->output].def = i + 1;
    p->tensors[node->output].live = p->tensors[node->output].is_tensor;
    p->tensors[node->output].last = i + 1;
    for (size_t a = 0; a < node->num_inputs; a++) mark_use(p, node->inputs[a], i + 1);
  }
  for (size_t i = 0; i < p->graph->num_outputs; i++) mark_use(p, p->graph->outputs[i], p->num_steps + 1);
  extend_to_views(p);
}

static size_t align_up(size_t n) { return (n + ARENA_ALIGNMENT - 1) / ARENA_ALIGNMENT * ARENA_ALIGNMENT; }

static bool overlaps(const q8_tensor_plan* a, const q8_tensor_plan* b) {
  return a->def <= b->last && b->def <= a->last;
}

/* Greedy first fit: each tensor, in order of definition, goes to the lowest
 * offset not used by a placed tensor whose lifetime overlaps its own. */
static void place(q8_program* p, uint32_t id, size_t* arena_size) {
  q8_tensor_plan* t = &p->tensors[id];
  const size_t size = align_up(t->bytes + ARENA_SLACK);
  size_t offset = 0;
  for (bool moved = true; moved;) {
    moved = false;
    for (size_t v = 0; v < p->graph->num_values; v++) {
      const q8_tensor_plan* o = &p->tensors[v];
      if (v == id || !o->live || o->data == NULL || !overlaps(t, o)) continue;
      const size_t o_size = align_up(o->bytes + ARENA_SLACK);
      if (offset < o->offset + o_size && o->offset < offset + size) {
        offset = o->offset + o_size;
        moved = true;
      }
    }
  }
  t->offset = offset;
  t->data = (uint8_t*)(uintptr_t)1; /* placed; the real pointer comes later */
  if (offset + size > *arena_size) *arena_size = offset + size;
}

static q8_status allocate_arena(q8_program* p, q8_error* error) {
  compute_lifetimes(p);
  for (size_t v = 0; v < p->graph->num_values; v++) p->tensors[v].data = NULL;
  size_t size = 0;
  for (size_t v = 0; v < p->graph->num_values; v++)
    if (p->tensors[v].live) place(p, (uint32_t)v, &size);
  free(p->arena);
  p->arena = aligned_alloc(ARENA_ALIGNMENT, size == 0 ? ARENA_ALIGNMENT : size);
  p->arena_size = size;
  if (p->arena == NULL)
    return q8_graph_fail(error, q8_status_out_of_memory,
                         "runtime: cannot allocate %zu bytes of activations", size);
  for (size_t v = 0; v < p->graph->num_values; v++)
    p->tensors[v].data = p->tensors[v].live ? p->arena + p->tensors[v].offset : NULL;
  for (size_t v = 0; v < p->graph->num_values; v++) {
    q8_tensor_plan* t = &p->tensors[v];
    if (t->is_view) t->data = p->tensors[t->view_of].data + t->view_offset;
  }
  return q8_status_success;
}

static q8_status setup_steps(q8_program* p, q8_error* error) {
  for (size_t i = 0; i < p->num_steps; i++) {
    q8_status status = p->steps[i].lowering->setup(p, &p->steps[i], error);
    if (status != q8_status_success) return status;
  }
  return q8_status_success;
}

q8_status q8_program_plan(q8_program* p, const q8_tensor_shape* shapes, q8_error* error) {
  if (p->graph->num_inputs != 0 && shapes == NULL)
    return q8_graph_fail(error, q8_status_invalid_parameter, "runtime: input shapes are NULL");
  if (p->planned && same_inputs(p, shapes)) return q8_status_success;
  p->planned = false;
  delete_shaped_ops(p);
  q8_status status = set_inputs(p, shapes, error);
  if (status == q8_status_success)
    for (size_t i = 0; i < p->graph->num_inputs; i++)
      if (!tensor_bytes(&p->tensors[p->graph->inputs[i]]))
        return q8_graph_fail(error, q8_status_invalid_parameter, "runtime: input %zu is too large", i);
  if (status == q8_status_success) status = infer_shapes(p, error);
  if (status == q8_status_success) q8_plan_concat_views(p);
  if (status == q8_status_success) q8_plan_epilogue_views(p);
  if (status == q8_status_success) status = allocate_arena(p, error);
  if (status == q8_status_success) status = setup_steps(p, error);
  if (status == q8_status_success) q8_plan_link_epilogues(p);
  if (status != q8_status_success) {
    delete_shaped_ops(p);
    return status;
  }
  p->planned = true;
  return q8_status_success;
}

bool q8_program_is_planned(const q8_program* p) { return p->planned; }

void q8_program_output_shape(const q8_program* p, size_t index, q8_tensor_shape* shape) {
  const q8_tensor_plan* t = &p->tensors[p->graph->outputs[index]];
  memset(shape, 0, sizeof(*shape));
  shape->rank = t->rank;
  for (size_t d = 0; d < t->rank && d < Q8_MAX_TENSOR_DIMS; d++) shape->dims[d] = t->shape[d];
}

/* --- running ------------------------------------------------------------------- */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

const q8_step* q8_program_producer(const q8_program* p, uint32_t id) {
  for (size_t i = 0; i < p->num_steps; i++)
    if (p->steps[i].node->output == id) return &p->steps[i];
  return NULL;
}

static q8_status run_step(q8_program* p, q8_step* s, pthreadpool_t pool, q8_error* error) {
  q8_status status;
  if (s->epilogue_of != NULL) return q8_status_success; /* its producer ran it */
  if (s->lowering->run != NULL) {
    status = s->lowering->run(p, s, pool, error);
  } else {
    status = q8_operator_run(s->shaped_op != NULL ? s->shaped_op : s->op, pool, error);
    if (status != q8_status_success && error != NULL) {
      char reason[Q8_ERROR_MESSAGE_SIZE];
      memcpy(reason, error->message, sizeof(reason));
      return q8_step_fail(s, error, status, "%s", reason);
    }
  }
  return status;
}

static q8_status run_steps(q8_program* p, pthreadpool_t pool, bool profile, q8_error* error) {
  for (size_t i = 0; i < p->num_steps; i++) {
    const double start = profile ? now_ms() : 0.0;
    q8_status status = run_step(p, &p->steps[i], pool, error);
    if (status != q8_status_success) return status;
    if (profile) p->steps[i].milliseconds = now_ms() - start;
  }
  return q8_status_success;
}

q8_status q8_program_run(q8_program* p, pthreadpool_t pool, const float* const* inputs,
                         float* const* outputs, bool profile, q8_error* error) {
  if (!p->planned)
    return q8_graph_fail(error, q8_status_invalid_state, "runtime: the context is not planned");
  for (size_t i = 0; i < p->graph->num_inputs; i++)
    if (inputs == NULL || inputs[i] == NULL)
      return q8_graph_fail(error, q8_status_invalid_parameter, "runtime: input %zu is NULL", i);
  for (size_t i = 0; i < p->graph->num_outputs; i++)
    if (outputs == NULL || outputs[i] == NULL)
      return q8_graph_fail(error, q8_status_invalid_parameter, "runtime: output %zu is NULL", i);
  for (size_t i = 0; i < p->graph->num_inputs; i++) {
    q8_tensor_plan* t = &p->tensors[p->graph->inputs[i]];
    if (t->borrowed) {
      t->data = (uint8_t*)(uintptr_t)inputs[i]; /* only read: see borrowed */
    } else {
      memcpy(t->data, inputs[i], t->bytes);
    }
  }
  const q8_status status = run_steps(p, pool, profile, error);
  for (size_t i = 0; i < p->graph->num_inputs; i++) {
    q8_tensor_plan* t = &p->tensors[p->graph->inputs[i]];
    if (t->borrowed) t->data = NULL;
  }
  if (status != q8_status_success) return status;
  for (size_t i = 0; i < p->graph->num_outputs; i++) {
    const q8_tensor_plan* t = &p->tensors[p->graph->outputs[i]];
    memcpy(outputs[i], t->data, t->bytes);
  }
  return q8_status_success;
}

size_t q8_program_step_count(const q8_program* p) { return p->num_steps; }

void q8_program_step_profile(const q8_program* p, size_t index, q8_profile_entry* entry) {
  const q8_step* s = &p->steps[index];
  const q8_tensor_plan* t = &p->tensors[s->node->output];
  memset(entry, 0, sizeof(*entry));
  entry->op = s->node->name;
  entry->shape.rank = t->rank;
  for (size_t d = 0; d < t->rank && d < Q8_MAX_TENSOR_DIMS; d++) entry->shape.dims[d] = t->shape[d];
  entry->milliseconds = s->milliseconds;
  const q8_operator* op = s->shaped_op != NULL ? s->shaped_op : s->op;
  entry->ops = q8_operator_op_count(op);
  entry->gops = s->milliseconds > 0 ? (double)entry->ops / (s->milliseconds * 1e6) : 0.0;
}

/*
 * Free concats: a producer whose output the concat would copy unchanged
 * writes it straight into its channel slice of the concat's output (NHWC,
 * pixel stride = the concat's channel count). The arena then keeps the
 * concat's output from its first producer on, and the concat operator
 * skips inputs already in place.
 */
#include "lower.h"

/* Operators whose lowering passes the tensor's pixel_stride on. */
static bool writes_strided(q8_op_kind kind) {
  return kind == q8_op_conv2d || kind == q8_op_conv_transpose2d || kind == q8_op_max_pool2d ||
         kind == q8_op_avg_pool2d;
}

/* cat([a, a]) reads a from two slices: only one could be its buffer. */
static bool listed_once(const q8_value* list, uint32_t id) {
  size_t count = 0;
  for (size_t j = 0; j < list->u.tensors.count; j++) count += list->u.tensors.items[j] == id;
  return count == 1;
}

static bool can_be_view(const q8_program* p, const q8_value* list, uint32_t id,
                        const q8_tensor_plan* out) {
  const q8_tensor_plan* t = &p->tensors[id];
  const q8_step* producer = q8_program_producer(p, id);
  return producer != NULL && writes_strided(producer->node->kind) && t->nhwc && !t->is_view &&
         t->scale == out->scale && t->zero_point == out->zero_point && listed_once(list, id) &&
         q8_graph_use_count(p->graph, id) == 1;
}

/* A quint8 NHWC concat along channels (logical dimension 1). */
static bool is_channel_concat(const q8_program* p, const q8_step* s) {
  const q8_tensor_plan* out = &p->tensors[s->node->output];
  return s->node->kind == q8_op_cat && out->nhwc && s->aux[0] == 1;
}

static void make_views(q8_program* p, const q8_step* s) {
  const uint32_t out_id = s->node->output;
  const q8_tensor_plan* out = &p->tensors[out_id];
  const q8_value* list = &p->graph->values[s->node->inputs[0]];
  size_t offset = 0;
  for (size_t j = 0; j < list->u.tensors.count; j++) {
    const uint32_t id = list->u.tensors.items[j];
    q8_tensor_plan* t = &p->tensors[id];
    if (can_be_view(p, list, id, out)) {
      t->is_view = true;
      t->view_of = out_id;
      t->view_offset = offset;
      t->pixel_stride = out->shape[1];
    }
    offset += t->shape[1];
  }
}

void q8_plan_concat_views(q8_program* p) {
  for (size_t v = 0; v < p->graph->num_values; v++) {
    p->tensors[v].is_view = false;
    p->tensors[v].pixel_stride = 0;
  }
  for (size_t i = 0; i < p->num_steps; i++)
    if (is_channel_concat(p, &p->steps[i])) make_views(p, &p->steps[i]);
}

/*
 * Residual connections as convolution epilogues. For y = add(a, b) (or
 * mul) of same-shape NHWC tensors where one operand, c, is the output of a
 * convolution that nothing else reads, the convolution writes c straight
 * into y's buffer (c becomes a view of y), then updates each region it has
 * computed in place with the elementwise kernel, while the region is in
 * cache (../ops/epilogue.h). The elementwise step itself is skipped, which
 * saves a pass over y and a threadpool dispatch (MobileNetV2 has ten).
 *
 * The other operand must exist when the convolution runs: it is defined by
 * an earlier step (the arena keeps it alive up to the elementwise step,
 * its last reader, as before). Making c a view moves y's lifetime start to
 * the convolution, so y never shares space with the convolution's inputs.
 */
#include "lower.h"
#include "../ops/epilogue.h"

static bool is_elementwise_kind(q8_op_kind kind) { return kind == q8_op_add || kind == q8_op_mul; }

static bool same_image_shape(const q8_tensor_plan* a, const q8_tensor_plan* b) {
  if (!a->nhwc || !b->nhwc || a->rank != b->rank) return false;
  for (size_t d = 0; d < a->rank; d++)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

static size_t step_index(const q8_program* p, const q8_step* s) { return (size_t)(s - p->steps); }

/* Whether operand `c` of elementwise step s (with `other` its other
 * operand) can be computed by its convolution straight into s's output. */
static bool can_fuse(const q8_program* p, const q8_step* s, uint32_t c, uint32_t other) {
  const q8_tensor_plan* y = &p->tensors[s->node->output];
  const q8_tensor_plan* tc = &p->tensors[c];
  const q8_step* conv = q8_program_producer(p, c);
  if (c == other || conv == NULL || conv->node->kind != q8_op_conv2d || tc->is_view ||
      y->is_view || q8_graph_use_count(p->graph, c) != 1)
    return false;
  if (!same_image_shape(tc, y) || !same_image_shape(&p->tensors[other], y)) return false;
  const q8_step* before = q8_program_producer(p, other);
  return before == NULL || step_index(p, before) < step_index(p, conv);
}

void q8_plan_epilogue_views(q8_program* p) {
  for (size_t i = 0; i < p->num_steps; i++) {
    const q8_step* s = &p->steps[i];
    if (!is_elementwise_kind(s->node->kind) || s->node->num_inputs < 2) continue;
    const uint32_t a = s->node->inputs[0], b = s->node->inputs[1];
    const uint32_t c = can_fuse(p, s, b, a) ? b : can_fuse(p, s, a, b) ? a : Q8_GRAPH_NO_VALUE;
    if (c == Q8_GRAPH_NO_VALUE) continue;
    q8_tensor_plan* t = &p->tensors[c];
    t->is_view = true;
    t->view_of = s->node->output;
    t->view_offset = 0;
    t->pixel_stride = 0;
  }
}

void q8_plan_link_epilogues(q8_program* p) {
  for (size_t i = 0; i < p->num_steps; i++) {
    q8_step* s = &p->steps[i];
    s->epilogue_of = NULL;
    if (!is_elementwise_kind(s->node->kind) || s->node->num_inputs < 2) continue;
    for (size_t k = 0; k < 2; k++) {
      const uint32_t c = s->node->inputs[k];
      const q8_tensor_plan* t = &p->tensors[c];
      if (!t->is_view || t->view_of != s->node->output) continue;
      const q8_step* conv = q8_program_producer(p, c);
      if (conv != NULL && conv->node->kind == q8_op_conv2d &&
          q8_convolution2d_set_epilogue(conv->op, s->op, NULL) == q8_status_success) {
        s->epilogue_of = conv;
      }
      break;
    }
  }
}

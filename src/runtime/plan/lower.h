/*
 * Internals shared by the program (planning, arena, run loop) and the
 * per-operator lowerings.
 */
#ifndef Q8_RUNTIME_PLAN_LOWER_H
#define Q8_RUNTIME_PLAN_LOWER_H

#include "program.h"

/* What the program knows about one graph value that is a tensor. */
typedef struct q8_tensor_plan {
  q8_tensor_dtype dtype;
  bool is_tensor;
  /* Quantization and PyTorch memory format, known at create time. */
  float scale;
  int32_t zero_point;
  bool channels_last;
  /* Known after the shape phase of a plan. */
  size_t rank;
  size_t shape[Q8_GRAPH_MAX_DIMS];
  bool nhwc; /* stored NHWC (quint8 rank 4) rather than in logical order */
  /* Ints and int lists computed by shape arithmetic (not tensors). */
  int64_t ints[Q8_GRAPH_MAX_DIMS];
  size_t num_ints;
  size_t bytes;
  /* A channel slice of another tensor (a concat's NHWC output that this
   * tensor's producer writes into, so the concat copies nothing): it lives
   * at view_of's data + view_offset, pixel_stride bytes between pixels, and
   * has no arena space of its own. Set per plan (q8_plan_concat_views). */
  bool is_view;
  uint32_t view_of;
  size_t view_offset;
  size_t pixel_stride; /* 0: dense */
  /* Arena placement: lifetime in step positions (inputs 0, step i: i + 1). */
  size_t def, last;
  bool live;
  /* A program input read in place from the caller's buffer (every step that
   * reads it reads_inputs_at_run): no arena space and no copy; data points
   * at the caller's input only while a run is in progress. */
  bool borrowed;
  size_t offset;
  uint8_t* data;
} q8_tensor_plan;

typedef struct q8_lowering q8_lowering;

/* A layout op (permute, slice, select, split, pad, ...) as an index map:
 * output element (i_0, ..., i_{r-1}) reads input element
 * fixed + sum_d (start_d + i_d * step_d) along input dimension src_dim_d,
 * where an index outside the input is padding: the fill value (constant),
 * mirrored (reflect) or clamped (replicate). */
typedef enum q8_pad_mode {
  q8_pad_none = 0,
  q8_pad_constant,
  q8_pad_reflect,
  q8_pad_replicate,
} q8_pad_mode;

typedef struct q8_layout_dim {
  int32_t src_dim; /* input logical dimension, or -1 for an inserted one (extent 1) */
  int64_t start, step;
  q8_pad_mode pad;
} q8_layout_dim;

typedef struct q8_layout_map {
  size_t rank; /* the output's */
  q8_layout_dim dims[Q8_GRAPH_MAX_DIMS];
  size_t fixed[Q8_GRAPH_MAX_DIMS]; /* index of each input dimension no output one reads */
  uint32_t fill;                   /* the constant padding element (code or float bits) */
} q8_layout_map;

typedef struct q8_step {
  const q8_node* node;
  const q8_lowering* lowering;
  q8_operator* op;        /* created with the program (weights); may be NULL */
  q8_operator* shaped_op; /* created by each plan; may be NULL */
  size_t aux[4];          /* small per-step facts shared between phases */
  /* Set per plan: the convolution step that runs this elementwise step as
   * its epilogue (q8_plan_link_epilogues); this step then does nothing. */
  const struct q8_step* epilogue_of;
  q8_layout_map layout;   /* layout ops: set by shape, used by run */
  double milliseconds;
} q8_step;

struct q8_program {
  const q8_graph* graph;
  q8_isa isa;
  q8_step* steps;
  size_t num_steps;
  q8_tensor_plan* tensors; /* one per graph value */
  uint8_t* arena;
  size_t arena_size;
  bool planned;
};

struct q8_lowering {
  /* Program creation: check arguments, set output qparams, create weight
   * operators. */
  q8_status (*create)(q8_program* program, q8_step* step, q8_error* error);
  /* Plan, phase 1: the output shape from the input shapes. */
  q8_status (*shape)(q8_program* program, q8_step* step, q8_error* error);
  /* Plan, phase 2 (buffers placed): create shape-dependent operators, setup. */
  q8_status (*setup)(q8_program* program, q8_step* step, q8_error* error);
  /* NULL: run shaped_op, else op. */
  q8_status (*run)(q8_program* program, q8_step* step, pthreadpool_t threadpool,
                   q8_error* error);
};

/* Whether the step's run reads its tensor arguments through their data
 * pointers at every run and never writes them, with no pointer to them kept
 * by setup: a program input that only such steps read is read from the
 * caller's buffer (q8_tensor_plan.borrowed). */
bool q8_lowering_reads_inputs_at_run(const q8_lowering* lowering);

/* Plan phase 1b (shapes known, before the arena): makes each eligible
 * input of a channel concat a view into the concat's output. Eligible: the
 * output of a convolution or pooling step (operators with an output pixel
 * stride) that only the concat reads, listed once, with the concat's
 * qparams (the concat would copy it unchanged). */
void q8_plan_concat_views(q8_program* program);

/* Plan phase 1b, after the concat views: for y = add(a, b) or mul(a, b) of
 * same-shape NHWC tensors where one operand is a convolution's output that
 * nothing else reads, and the other exists before that convolution runs,
 * makes the convolution's output a view of y (the convolution writes y,
 * which its epilogue then updates in place). */
void q8_plan_epilogue_views(q8_program* program);

/* Plan phase 3 (steps set up): gives each convolution whose output is such
 * a view the elementwise operator as its epilogue, and marks that step as
 * run by it. Where the operators refuse, the step runs as usual, in place. */
void q8_plan_link_epilogues(q8_program* program);

/* The step producing value `id`, or NULL for a graph input. */
const q8_step* q8_program_producer(const q8_program* program, uint32_t id);

/* The lowering of an operator kind, or NULL when q8 cannot run it. */
const q8_lowering* q8_lowering_for(q8_op_kind kind);

/* Shape arithmetic, view, chunk and channel shuffle (lower-layout.c). */
const q8_lowering* q8_layout_lowering_for(q8_op_kind kind);

/* Why an unsupported kind is unsupported (for the message). */
const char* q8_lowering_unsupported_reason(q8_op_kind kind);

/* Fails with "<op name> at instruction <n>: <message>". */
q8_status q8_step_fail(const q8_step* step, q8_error* error, q8_status status, const char* format,
                       ...) __attribute__((format(printf, 4, 5)));

#endif

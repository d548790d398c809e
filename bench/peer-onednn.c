/*
 * peer/onednn/...: oneDNN's int8 primitives (u8 activations, s8 weights,
 * int32 accumulation, requantized u8 output, as q8) on the shapes of
 * peer-register.c. GEMM is a matmul primitive (src M x K, weights K x N
 * given N-major like q8's [N][K], f32 bias); depthwise is a convolution
 * primitive with groups = C (weights C x 1 x 1 x K x K). The f32 bias is in
 * accumulator units (oneDNN 2.x adds it before the output scale), so the
 * outputs equal q8's (checked once by hand). Activations are
 * NHWC / row-major; the weights layout is oneDNN's choice (format "any"),
 * reordered from ours once, outside the timed loop. Requantization is the
 * output scale input_scale * weight_scale / output_scale and constant zero
 * points on src and dst (attributes), as q8 does it.
 *
 * One thread: Debian's libdnnl uses OpenMP (libgomp), whose thread count
 * cannot be changed by OMP_NUM_THREADS once the library is loaded, so the
 * benchmark calls omp_set_num_threads(1) on its own thread (found with
 * dlsym in the libgomp libdnnl brought in, so that q8-bench needs neither
 * -fopenmp nor to link libgomp itself) before creating the primitive. A
 * sequential build needs nothing; a TBB or threadpool build is skipped.
 *
 * oneDNN uses the best ISA it finds (AMX on Sapphire Rapids);
 * DNNL_MAX_CPU_ISA=AVX512_CORE_VNNI in the environment limits it to q8's
 * avx512vnni path. The implementation chosen is printed on stderr.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "peer.h"

static const char* one_thread(void) {
  const dnnl_version_t* v = dnnl_version();
  if (v->cpu_runtime == DNNL_RUNTIME_SEQ) return NULL;
  if (v->cpu_runtime != DNNL_RUNTIME_OMP) return "oneDNN: not an OpenMP build, cannot force 1 thread";
  void* sym = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (sym == NULL) return "oneDNN: omp_set_num_threads not found";
  void (*set_num_threads)(int);
  memcpy(&set_num_threads, &sym, sizeof(sym));
  set_num_threads(1);
  return NULL;
}

typedef struct onednn_objects {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dnnl_primitive_attr_t attr;
  dnnl_primitive_desc_t pd, reorder_pd;
  dnnl_primitive_t primitive, reorder;
  dnnl_memory_t src, user_weights, weights, bias, dst;
} onednn_objects;

static void destroy(onednn_objects* o) {
  if (o->primitive) dnnl_primitive_destroy(o->primitive);
  if (o->reorder) dnnl_primitive_destroy(o->reorder);
  if (o->pd) dnnl_primitive_desc_destroy(o->pd);
  if (o->reorder_pd) dnnl_primitive_desc_destroy(o->reorder_pd);
  if (o->attr) dnnl_primitive_attr_destroy(o->attr);
  dnnl_memory_t* mems[] = {&o->src, &o->user_weights, &o->weights, &o->bias, &o->dst};
  for (size_t i = 0; i < sizeof(mems) / sizeof(mems[0]); i++) {
    if (*mems[i]) dnnl_memory_destroy(*mems[i]);
  }
  if (o->stream) dnnl_stream_destroy(o->stream);
  if (o->engine) dnnl_engine_destroy(o->engine);
}

/* Fills a library-allocated memory object through its handle. */
static dnnl_status_t fill(dnnl_memory_t mem, size_t count, int kind) {
  void* p = NULL;
  dnnl_status_t st = dnnl_memory_get_data_handle(mem, &p);
  if (st != dnnl_success) return st;
  for (size_t i = 0; i < count; i++) {
    if (kind == 0) ((uint8_t*)p)[i] = peer_input(i);
    if (kind == 1) ((int8_t*)p)[i] = peer_weight(i);
    if (kind == 2) ((float*)p)[i] = (float)peer_bias_quantized(i);
  }
  return dnnl_success;
}

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != dnnl_success) {                                            \
      snprintf(message, sizeof(message), "oneDNN: %.60s failed", #call);    \
      goto done;                                                             \
    }                                                                        \
  } while (0)

void q8_bench_peer_onednn(q8_bench_state* state, const void* arg) {
  const peer_bench* b = arg;
  static const void* last_printed; /* the implementation, once per benchmark */
  static char message[128];
  const double peak = peer_peak_gops(b); /* before the timed loop */
  onednn_objects o;
  memset(&o, 0, sizeof(o));
  message[0] = '\0';
  const char* error = one_thread();
  if (error != NULL) {
    q8_bench_skip(state, error);
    return;
  }
  CHECK(dnnl_engine_create(&o.engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&o.stream, o.engine, dnnl_stream_default_flags));

  dnnl_memory_desc_t src_md, user_weights_md, any_weights_md, bias_md, dst_md;
  size_t src_count, weight_count, bias_count;
  union {
    dnnl_matmul_desc_t matmul;
    dnnl_convolution_desc_t conv;
  } desc;
  if (b->gemm) {
    const dnnl_dims_t src = {(dnnl_dim_t)b->m, (dnnl_dim_t)b->k};
    const dnnl_dims_t weights = {(dnnl_dim_t)b->k, (dnnl_dim_t)b->n};
    const dnnl_dims_t bias = {1, (dnnl_dim_t)b->n};
    const dnnl_dims_t dst = {(dnnl_dim_t)b->m, (dnnl_dim_t)b->n};
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 2, src, dnnl_u8, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&user_weights_md, 2, weights, dnnl_s8, dnnl_ba));
    CHECK(dnnl_memory_desc_init_by_tag(&any_weights_md, 2, weights, dnnl_s8, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 2, bias, dnnl_f32, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 2, dst, dnnl_u8, dnnl_ab));
    CHECK(dnnl_matmul_desc_init(&desc.matmul, &src_md, &any_weights_md, &bias_md, &dst_md));
    src_count = b->m * b->k;
    weight_count = b->k * b->n;
    bias_count = b->n;
  } else {
    const dnnl_dim_t c = (dnnl_dim_t)b->c, k = (dnnl_dim_t)b->kernel;
    const dnnl_dims_t src = {1, c, (dnnl_dim_t)b->h, (dnnl_dim_t)b->w};
    const dnnl_dims_t weights = {c, 1, 1, k, k};
    const dnnl_dims_t bias = {c};
    const dnnl_dims_t dst = {1, c, (dnnl_dim_t)peer_out_height(b), (dnnl_dim_t)peer_out_width(b)};
    const dnnl_dims_t strides = {b->stride, b->stride};
    const dnnl_dims_t padding = {b->kernel / 2, b->kernel / 2};
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src, dnnl_u8, dnnl_nhwc));
    CHECK(dnnl_memory_desc_init_by_tag(&user_weights_md, 5, weights, dnnl_s8, dnnl_goihw));
    CHECK(dnnl_memory_desc_init_by_tag(&any_weights_md, 5, weights, dnnl_s8, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias, dnnl_f32, dnnl_a));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst, dnnl_u8, dnnl_nhwc));
    CHECK(dnnl_convolution_forward_desc_init(&desc.conv, dnnl_forward_inference,
                                             dnnl_convolution_direct, &src_md, &any_weights_md,
                                             &bias_md, &dst_md, strides, padding, padding));
    src_count = b->h * b->w * b->c;
    weight_count = b->c * b->kernel * b->kernel;
    bias_count = b->c;
  }

  const float scale = PEER_INPUT_SCALE * PEER_WEIGHT_SCALE / PEER_OUTPUT_SCALE;
  const int32_t src_zero_point = PEER_INPUT_ZERO_POINT, dst_zero_point = PEER_OUTPUT_ZERO_POINT;
  CHECK(dnnl_primitive_attr_create(&o.attr));
  CHECK(dnnl_primitive_attr_set_output_scales(o.attr, 1, 0, &scale));
  CHECK(dnnl_primitive_attr_set_zero_points(o.attr, DNNL_ARG_SRC, 1, 0, &src_zero_point));
  CHECK(dnnl_primitive_attr_set_zero_points(o.attr, DNNL_ARG_DST, 1, 0, &dst_zero_point));
  CHECK(dnnl_primitive_desc_create(&o.pd, &desc, o.attr, o.engine, NULL));
  const char* impl = NULL;
  CHECK(dnnl_primitive_desc_query(o.pd, dnnl_query_impl_info_str, 0, &impl));
  if (last_printed != arg) {
    last_printed = arg;
    if (b->gemm) {
      fprintf(stderr, "peer/onednn/gemm/%zux%zux%zu: %s\n", b->m, b->k, b->n, impl);
    } else {
      fprintf(stderr, "peer/onednn/dwconv/%zux%zux%zu/k%us%u: %s\n", b->h, b->w, b->c,
              b->kernel, b->stride, impl);
    }
  }
  CHECK(dnnl_primitive_create(&o.primitive, o.pd));

  /* Weights: ours, then reordered into the primitive's layout. */
  const dnnl_memory_desc_t* weights_md = dnnl_primitive_desc_query_md(o.pd, dnnl_query_weights_md, 0);
  CHECK(dnnl_memory_create(&o.user_weights, &user_weights_md, o.engine, DNNL_MEMORY_ALLOCATE));
  CHECK(fill(o.user_weights, weight_count, 1));
  CHECK(dnnl_memory_create(&o.weights, weights_md, o.engine, DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_reorder_primitive_desc_create(&o.reorder_pd, &user_weights_md, o.engine, weights_md,
                                           o.engine, NULL));
  CHECK(dnnl_primitive_create(&o.reorder, o.reorder_pd));
  const dnnl_exec_arg_t reorder_args[] = {{DNNL_ARG_FROM, o.user_weights},
                                          {DNNL_ARG_TO, o.weights}};
  CHECK(dnnl_primitive_execute(o.reorder, o.stream, 2, reorder_args));
  CHECK(dnnl_stream_wait(o.stream));

  CHECK(dnnl_memory_create(&o.src, &src_md, o.engine, DNNL_MEMORY_ALLOCATE));
  CHECK(fill(o.src, src_count, 0));
  CHECK(dnnl_memory_create(&o.bias, &bias_md, o.engine, DNNL_MEMORY_ALLOCATE));
  CHECK(fill(o.bias, bias_count, 2));
  CHECK(dnnl_memory_create(&o.dst, &dst_md, o.engine, DNNL_MEMORY_ALLOCATE));
  const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, o.src},
                                  {DNNL_ARG_WEIGHTS, o.weights},
                                  {DNNL_ARG_BIAS, o.bias},
                                  {DNNL_ARG_DST, o.dst}};
  CHECK(dnnl_primitive_execute(o.primitive, o.stream, 4, args)); /* once: first-run setup */
  CHECK(dnnl_stream_wait(o.stream));

  size_t runs = 0;
  const double t0 = peer_seconds();
  while (q8_bench_keep_running(state)) {
    dnnl_primitive_execute(o.primitive, o.stream, 4, args);
    dnnl_stream_wait(o.stream);
    runs++;
  }
  peer_report(state, b, runs, peer_seconds() - t0, peak);
done:
  if (message[0] != '\0') q8_bench_skip(state, message);
  destroy(&o);
}

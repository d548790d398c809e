#include "gemm-job.h"

#include "../../quant/packing.h"

/* Packed weights of one group up to this size are read from L1 / L2 while
 * the tiles walk down M (each row of A is then read once); above it, the
 * tiles walk down M for one NR block of weights at a time, so that the
 * block stays in L1 while A streams past it from L2 (measured on the
 * avx512vnni 7x32 kernel: +10% on 196x1152x256 and 49x960x160, the same on
 * 3136x576x64 whose weights are 37 KB). pthreadpool hands each thread a
 * contiguous range of the tile order, so either way a thread's tiles share
 * their A rows or their weights. */
enum { weights_in_cache_bytes = 64 * 1024 };

typedef struct gemm_context {
  const q8_gemm_job* job;
  size_t block_stride; /* bytes of one packed NR block */
} gemm_context;

static const void* packed_block(const gemm_context* ctx, size_t group, size_t n0) {
  const q8_gemm_job* job = ctx->job;
  return (const char*)job->packed + group * job->packed_group_stride +
         n0 / job->config->nr * ctx->block_stride;
}

static void gemm_tile(void* context, size_t group, size_t m0, size_t n0, size_t mr, size_t nc) {
  const gemm_context* ctx = context;
  const q8_gemm_job* job = ctx->job;
  const void* w = packed_block(ctx, group, n0);
  const uint8_t* a = job->a + m0 * job->a_stride + group * job->kc;
  if (job->dynamic) {
    float* c = (float*)((char*)job->c + m0 * job->c_stride) + group * job->nc + n0;
    job->config->gemm_dq(mr, nc, job->kc, a, job->a_stride, w, c, job->c_stride, &job->dq);
  } else {
    uint8_t* c = (uint8_t*)job->c + m0 * job->c_stride + group * job->nc + n0;
    job->config->gemm(mr, nc, job->kc, a, job->a_stride, w, c, job->c_stride, &job->requant);
  }
}

static void igemm_tile(void* context, size_t group, size_t m0, size_t n0, size_t mr, size_t nc) {
  const gemm_context* ctx = context;
  const q8_gemm_job* job = ctx->job;
  const size_t tile_mr = job->config->mr;
  const uint8_t* const* a = job->indirection + m0 / tile_mr * job->ks * tile_mr;
  uint8_t* c = (uint8_t*)job->c + m0 * job->c_stride + group * job->nc + n0;
  job->config->igemm(mr, nc, job->kc, job->ks, a, packed_block(ctx, group, n0), c, job->c_stride,
                     group * job->kc, job->zero, &job->requant);
}

/* The same tiles with N as the outer of the two tiled dimensions. */
static void gemm_tile_n_outer(void* context, size_t group, size_t n0, size_t m0, size_t nc,
                              size_t mr) {
  gemm_tile(context, group, m0, n0, mr, nc);
}

static void igemm_tile_n_outer(void* context, size_t group, size_t n0, size_t m0, size_t nc,
                               size_t mr) {
  igemm_tile(context, group, m0, n0, mr, nc);
}

void q8_gemm_job_run(const q8_gemm_job* job, pthreadpool_t threadpool) {
  const q8_gemm_config* cfg = job->config;
  const gemm_context ctx = {
      .job = job,
      .block_stride = q8_gemm_packed_size(cfg->nr, job->kc, job->ks, cfg->nr, cfg->kr,
                                          job->dynamic ? 3 : 2)};
  const size_t blocks = (job->nc + cfg->nr - 1) / cfg->nr;
  const int indirect = job->indirection != NULL;
  if (blocks > 1 && blocks * ctx.block_stride > weights_in_cache_bytes) {
    pthreadpool_parallelize_3d_tile_2d(threadpool,
                                       indirect ? igemm_tile_n_outer : gemm_tile_n_outer,
                                       (void*)&ctx, job->groups, job->nc, job->m, cfg->nr,
                                       cfg->mr, 0);
  } else {
    pthreadpool_parallelize_3d_tile_2d(threadpool, indirect ? igemm_tile : gemm_tile,
                                       (void*)&ctx, job->groups, job->m, job->nc, cfg->mr,
                                       cfg->nr, 0);
  }
}

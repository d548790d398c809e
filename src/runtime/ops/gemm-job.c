#include "gemm-job.h"

#include "../../quant/packing.h"
#include "epilogue.h"

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

/* A task covers several MR x NR micro-tiles, so that pthreadpool's per-task
 * cost (an atomic claim and an indirect call, and on two threads a shared
 * cache line) is paid for enough work: MobileNetV2's 1x1 expansions with
 * K = 16..24 had 400-1200 tasks of 0.2 us each. Tasks stay small enough that
 * every thread gets several (work stealing evens out the rest), and the
 * grouping only changes who computes a micro-tile, never how. */
enum {
  min_task_macs = 192 * 1024,
  min_tasks_per_thread = 6,
};

static void gemm_micro_tile(const gemm_context* ctx, size_t group, size_t m0, size_t n0, size_t mr,
                            size_t nc) {
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

static void igemm_micro_tile(const gemm_context* ctx, size_t group, size_t m0, size_t n0, size_t mr,
                             size_t nc) {
  const q8_gemm_job* job = ctx->job;
  const size_t tile_mr = job->config->mr;
  const uint8_t* const* a = job->indirection + m0 / tile_mr * job->ks * tile_mr;
  uint8_t* c = (uint8_t*)job->c + m0 * job->c_stride + group * job->nc + n0;
  job->config->igemm(mr, nc, job->kc, job->ks, a, packed_block(ctx, group, n0), c, job->c_stride,
                     group * job->kc, job->zero, &job->requant);
}

/* The epilogue over the task's region of the output, row by row unless
 * the rows are whole and contiguous. */
static void task_epilogue(const q8_gemm_job* job, size_t group, size_t m0, size_t n0, size_t rows,
                          size_t cols) {
  const size_t first = m0 * job->c_stride + group * job->nc + n0;
  if (cols == job->c_stride) {
    q8_binary_run_range(job->epilogue, first, rows * cols);
    return;
  }
  for (size_t m = 0; m < rows; m++) {
    q8_binary_run_range(job->epilogue, first + m * job->c_stride, cols);
  }
}

/* The micro-tiles of one task, rows [m0, m0 + rows) and columns
 * [n0, n0 + cols); M outer, so that a tile's rows of A stay in L1 while
 * they meet the task's weight blocks. Then the epilogue, if any, on the
 * region while it is in cache. */
static void task_tiles(const gemm_context* ctx, size_t group, size_t m0, size_t n0, size_t rows,
                       size_t cols) {
  const q8_gemm_config* cfg = ctx->job->config;
  const int indirect = ctx->job->indirection != NULL;
  for (size_t m = m0; m < m0 + rows; m += cfg->mr) {
    const size_t mr = m0 + rows - m < cfg->mr ? m0 + rows - m : cfg->mr;
    for (size_t n = n0; n < n0 + cols; n += cfg->nr) {
      const size_t nc = n0 + cols - n < cfg->nr ? n0 + cols - n : cfg->nr;
      if (indirect) {
        igemm_micro_tile(ctx, group, m, n, mr, nc);
      } else {
        gemm_micro_tile(ctx, group, m, n, mr, nc);
      }
    }
  }
  if (ctx->job->epilogue != NULL) task_epilogue(ctx->job, group, m0, n0, rows, cols);
}

static void m_outer_task(void* context, size_t group, size_t m0, size_t n0, size_t rows,
                         size_t cols) {
  task_tiles(context, group, m0, n0, rows, cols);
}

static void n_outer_task(void* context, size_t group, size_t n0, size_t m0, size_t cols,
                         size_t rows) {
  task_tiles(context, group, m0, n0, rows, cols);
}

/* How many micro-tiles of `tile_macs` each to put in a task, out of
 * `tiles` per group: enough for min_task_macs, but not so many that a
 * thread is left with fewer than min_tasks_per_thread. */
static size_t tiles_per_task(size_t tiles, size_t groups, size_t tile_macs, size_t threads) {
  size_t per_task = (min_task_macs + tile_macs - 1) / tile_macs;
  if (threads > 1) {
    const size_t most = tiles * groups / (threads * min_tasks_per_thread);
    if (per_task > most) per_task = most;
  }
  if (per_task > tiles) per_task = tiles;
  return per_task > 0 ? per_task : 1;
}

void q8_gemm_job_run(const q8_gemm_job* job, pthreadpool_t threadpool) {
  const q8_gemm_config* cfg = job->config;
  const gemm_context ctx = {
      .job = job,
      .block_stride = q8_gemm_packed_size(cfg->nr, job->kc, job->ks, cfg->nr, cfg->kr,
                                          job->dynamic ? 3 : 2)};
  const size_t blocks = (job->nc + cfg->nr - 1) / cfg->nr;
  const size_t m_tiles = (job->m + cfg->mr - 1) / cfg->mr;
  const size_t threads = pthreadpool_get_threads_count(threadpool);
  const size_t tile_macs = cfg->mr * cfg->nr * job->kc * job->ks;
  if (blocks > 1 && blocks * ctx.block_stride > weights_in_cache_bytes) {
    /* One weight block per task, several M tiles down it. */
    const size_t rows = cfg->mr * tiles_per_task(m_tiles, job->groups * blocks, tile_macs, threads);
    pthreadpool_parallelize_3d_tile_2d(threadpool, n_outer_task, (void*)&ctx, job->groups, job->nc,
                                       job->m, cfg->nr, rows, 0);
  } else {
    /* Every weight block of the group per task (they fit in cache), then
     * as many M tiles as it takes. */
    const size_t rows =
        cfg->mr * tiles_per_task(m_tiles, job->groups, tile_macs * blocks, threads);
    pthreadpool_parallelize_3d_tile_2d(threadpool, m_outer_task, (void*)&ctx, job->groups, job->m,
                                       job->nc, rows, job->nc, 0);
  }
}

/*
 * Running a (grouped, possibly indirect) GEMM over a pthreadpool: the tiling
 * shared by convolution, transposed convolution and fully connected.
 * Tiles are MR x NR; every tile is computed by exactly one task, so the
 * output does not depend on the thread count.
 */
#ifndef Q8_RUNTIME_OPS_GEMM_JOB_H
#define Q8_RUNTIME_OPS_GEMM_JOB_H

#include <pthreadpool.h>

#include "operator.h"

typedef struct q8_gemm_job {
  const q8_gemm_config* config;
  size_t groups, m, nc, kc, ks;
  /* Direct GEMM: rows of A at a + row * a_stride + group * kc.
   * Indirect GEMM (indirection != NULL): [m tiles][ks][MR] row pointers,
   * a group's channels at a_offset = group * kc. */
  const uint8_t* a;
  size_t a_stride;
  const uint8_t* const* indirection;
  const uint8_t* zero;
  /* Packed weights of group g at packed + g * packed_group_stride. */
  const void* packed;
  size_t packed_group_stride;
  /* Output rows at c + row * c_stride + group * nc (bytes; fp32 for dq). */
  void* c;
  size_t c_stride;
  q8_requant_params requant;
  q8_gemm_dq_params dq;  /* used when dynamic */
  int dynamic;
  /* An elementwise binary operator over the (dense, uint8) output, applied
   * in place to each task's region once computed (epilogue.h), or NULL. */
  const q8_operator* epilogue;
} q8_gemm_job;

void q8_gemm_job_run(const q8_gemm_job* job, pthreadpool_t threadpool);

#endif

#include "gemm-tile.h"

/* Dynamic-quantization GEMM with fp32 output, the reference for SIMD ones:
 *   acc = sum a*w - input_zp * colsum(w) - wzp * rowsum(a) + kc * input_zp * wzp
 *   c = (float)acc * (input_scale * weight_scale[n]) + bias[n]; relu. */
void q8_gemm_dq_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const uint8_t* a,
                                    size_t a_stride, const void* w, float* c, size_t c_stride,
                                    const q8_gemm_dq_params* params) {
  int32_t column_sum[Q8_SCALAR_GEMM_NR];
  memcpy(column_sum, w, sizeof(column_sum));
  w = (const int32_t*)w + Q8_SCALAR_GEMM_NR;

  const uint8_t* rows[Q8_SCALAR_GEMM_MR];
  for (size_t m = 0; m < Q8_SCALAR_GEMM_MR; m++) rows[m] = a + (m < mr ? m : 0) * a_stride;
  uint32_t acc[Q8_SCALAR_GEMM_MR][Q8_SCALAR_GEMM_NR] = {{0}};
  uint32_t row_sum[Q8_SCALAR_GEMM_MR] = {0};
  w = q8_scalar_gemm_accumulate(mr, kc, 1, rows, 0, NULL, w, acc, row_sum);

  int32_t weight_zero_point[Q8_SCALAR_GEMM_NR];
  float weight_scale[Q8_SCALAR_GEMM_NR], bias[Q8_SCALAR_GEMM_NR];
  const int32_t* tail = (const int32_t*)w;
  memcpy(weight_zero_point, tail, sizeof(weight_zero_point));
  memcpy(weight_scale, tail + Q8_SCALAR_GEMM_NR, sizeof(weight_scale));
  memcpy(bias, tail + 2 * Q8_SCALAR_GEMM_NR, sizeof(bias));

  const uint32_t izp = (uint32_t)params->input_zero_point;
  for (size_t m = 0; m < mr; m++) {
    float* row = (float*)((char*)c + m * c_stride);
    for (size_t n = 0; n < nc; n++) {
      const uint32_t wzp = (uint32_t)weight_zero_point[n];
      uint32_t total = acc[m][n] - izp * (uint32_t)column_sum[n];
      total += (uint32_t)kc * izp * wzp - wzp * row_sum[m];
      const float multiplier = params->input_scale * weight_scale[n];
      float y = (float)(int32_t)total * multiplier + bias[n];
      if (params->relu && y < 0.0f) y = 0.0f;
      row[n] = y;
    }
  }
}

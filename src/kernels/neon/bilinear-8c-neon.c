#include "neon-families.h"
#include "neon-kernels.h"

/* Codes of one corner as floats (exact), lanes 0-3 and 4-7. */
static inline void corner_floats(const uint8_t* p, size_t n, float32x4_t* lo, float32x4_t* hi) {
  const uint16x8_t x = vmovl_u8(q8_neon_load_u8x8(p, n));
  *lo = vcvtq_f32_u32(vmovl_u16(vget_low_u16(x)));
  *hi = vcvtq_f32_u32(vmovl_u16(vget_high_u16(x)));
}

typedef struct pixel_weights {
  float32x4_t hl0, hl1, wl0, wl1;
} pixel_weights;

/* bilinear-scalar.c's association, each operation rounded to fp32. */
static inline float32x4_t blend(float32x4_t tl, float32x4_t tr, float32x4_t bl, float32x4_t br,
                                const pixel_weights* w, float32x4_t zero_point) {
  const float32x4_t top = vaddq_f32(vmulq_f32(w->wl0, tl), vmulq_f32(w->wl1, tr));
  const float32x4_t bottom = vaddq_f32(vmulq_f32(w->wl0, bl), vmulq_f32(w->wl1, br));
  return vsubq_f32(vaddq_f32(vmulq_f32(w->hl0, top), vmulq_f32(w->hl1, bottom)), zero_point);
}

/* n <= 8 channels from c of one output pixel. */
static void interpolate8(const uint8_t* const* corners, size_t c, size_t n, const pixel_weights* w,
                         float32x4_t zero_point, const q8_neon_output_stage* stage, uint8_t* out) {
  float32x4_t tl[2], tr[2], bl[2], br[2];
  corner_floats(corners[0] + c, n, &tl[0], &tl[1]);
  corner_floats(corners[1] + c, n, &tr[0], &tr[1]);
  corner_floats(corners[2] + c, n, &bl[0], &bl[1]);
  corner_floats(corners[3] + c, n, &br[0], &br[1]);
  const int32x4_t lo = q8_neon_output(blend(tl[0], tr[0], bl[0], br[0], w, zero_point), stage);
  const int32x4_t hi = q8_neon_output(blend(tl[1], tr[1], bl[1], br[1], w, zero_point), stage);
  q8_neon_store_u8x8(out + c, q8_neon_narrow_u8x8(lo, hi), n);
}

void q8_bilinear_ukernel_8c__neon(size_t pixels, size_t channels, const uint8_t* const* corners,
                                  const float* lambdas, uint8_t* output, size_t output_stride,
                                  int32_t zero_point) {
  const float32x4_t zp = vdupq_n_f32((float)zero_point);
  /* clamping rne(v) + zp to [0, 255] equals clamping v to [-zp, 255 - zp] */
  const q8_neon_output_stage stage = q8_neon_output_stage_init(0, 255, zero_point);
  for (size_t p = 0; p < pixels; p++) {
    const float* l = lambdas + 4 * p;
    const pixel_weights w = {vdupq_n_f32(l[0]), vdupq_n_f32(l[1]), vdupq_n_f32(l[2]),
                             vdupq_n_f32(l[3])};
    for (size_t c = 0; c < channels; c += 8) {
      const size_t n = channels - c < 8 ? channels - c : 8;
      interpolate8(corners + 4 * p, c, n, &w, zp, &stage, output + p * output_stride);
    }
  }
}

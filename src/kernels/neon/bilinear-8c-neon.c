#include "neon-families.h"
#include "neon-kernels.h"

typedef struct pixel_weights {
  float32x4_t hl0, hl1, wl0, wl1;
} pixel_weights;

/* The codes of the four corners as floats (exact), lanes 0-3 or 4-7. */
typedef struct corner_values {
  float32x4_t tl, tr, bl, br;
} corner_values;

/* bilinear-scalar.c's association, each operation rounded to fp32. */
Q8_NEON_BODY float32x4_t blend(corner_values v, const pixel_weights* w, float32x4_t zero_point) {
  const float32x4_t top = vaddq_f32(vmulq_f32(w->wl0, v.tl), vmulq_f32(w->wl1, v.tr));
  const float32x4_t bottom = vaddq_f32(vmulq_f32(w->wl0, v.bl), vmulq_f32(w->wl1, v.br));
  return vsubq_f32(vaddq_f32(vmulq_f32(w->hl0, top), vmulq_f32(w->hl1, bottom)), zero_point);
}

static inline float32x4_t low_floats(uint16x8_t x) {
  return vcvtq_f32_u32(vmovl_u16(vget_low_u16(x)));
}
static inline float32x4_t high_floats(uint16x8_t x) {
  return vcvtq_f32_u32(vmovl_u16(vget_high_u16(x)));
}

/* n <= 8 channels from c of one output pixel. */
Q8_NEON_BODY uint8x8_t interpolate8(const uint8_t* const* corners, size_t c, size_t n,
                                    const pixel_weights* w, float32x4_t zero_point,
                                    const q8_neon_output_stage* stage) {
  const uint16x8_t tl = vmovl_u8(q8_neon_load_u8x8(corners[0] + c, n));
  const uint16x8_t tr = vmovl_u8(q8_neon_load_u8x8(corners[1] + c, n));
  const uint16x8_t bl = vmovl_u8(q8_neon_load_u8x8(corners[2] + c, n));
  const uint16x8_t br = vmovl_u8(q8_neon_load_u8x8(corners[3] + c, n));
  const corner_values lo = {low_floats(tl), low_floats(tr), low_floats(bl), low_floats(br)};
  const corner_values hi = {high_floats(tl), high_floats(tr), high_floats(bl), high_floats(br)};
  return q8_neon_narrow_u8x8(q8_neon_output(blend(lo, w, zero_point), stage),
                             q8_neon_output(blend(hi, w, zero_point), stage));
}

/* The last n < 8 channels, through partial loads and stores. */
Q8_NEON_TAIL void interpolate_tail(const uint8_t* const* corners, size_t c, size_t n,
                                   const pixel_weights* w, float32x4_t zero_point,
                                   const q8_neon_output_stage* stage, uint8_t* out) {
  q8_neon_store_u8x8(out + c, interpolate8(corners, c, n, w, zero_point, stage), n);
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
    const uint8_t* const* pixel_corners = corners + 4 * p;
    uint8_t* out = output + p * output_stride;
    size_t c = 0;
    for (; channels - c >= 8; c += 8) {
      vst1_u8(out + c, interpolate8(pixel_corners, c, 8, &w, zp, &stage));
    }
    if (c != channels) interpolate_tail(pixel_corners, c, channels - c, &w, zp, &stage, out);
  }
}

/*
 * Every kernel table's depthwise kernels against the scalar table's, bit for
 * bit, on real convolution geometry: NHWC input, indirection built as
 * src/runtime/ops/convolution.c builds it for depthwise ([output pixel][ks]
 * tap pointers, padding taps at the zero buffer of input zero points).
 * test-gemm-kernels feeds the kernels unrelated tap pointers; here the
 * windows of neighbouring output pixels overlap, so the 3x3 and 5x5 kernels
 * that reuse input columns along a run of pixels (stride 1 and 2) take
 * those paths: runs long and short, broken by padding and row ends, cut by
 * calls over whole images, single rows (as the operator calls) and parts of
 * rows. Tested per case: the table's kernel for ks (q8_dwconv_ukernel_for)
 * and its any-ks kernel. The input, zero buffer and output each end at a
 * PROT_NONE page; output bytes outside the pixels' channels (between pixels
 * and before the first) must keep their sentinel.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "quant/packing.h"
#include "test-util.h"

static const q8_kernel_table* table;
static const q8_kernel_table* const scalar = &q8_scalar_kernels;

/* --- guarded buffers: n bytes ending right at a PROT_NONE page ------------ */

/* --- one case ---------------------------------------------------------------- */

enum { SENTINEL = 0xA5, OUTPUT_LEAD = 64 };

/* How a case calls the kernel: one call over all pixels (every image, rows
 * and images run together), one call per output row (the operator), or rows
 * cut into random parts. */
enum { CALL_ALL, CALL_ROWS, CALL_PARTS, CALL_MODES };

typedef struct dw_case {
  size_t kh, kw, ks, channels;
  size_t batch, height, width, out_h, out_w, pixels;
  size_t pixel_stride;  /* input, bytes */
  size_t input_stride;  /* indirection, pointers */
  size_t output_stride; /* bytes */
  size_t a_offset;
  int call_mode;
} dw_case;

/* Calls fn over the case's pixels in its call mode; the parts come from
 * `seed` so that every kernel sees the same cuts. */
static void call_kernel(q8_dwconv_ukernel_fn fn, const dw_case* c, uint64_t seed,
                        const uint8_t* const* ind, const void* packed, uint8_t* out,
                        const uint8_t* zero, const q8_requant_params* params) {
  if (c->call_mode == CALL_ALL) {
    fn(c->channels, c->pixels, c->ks, ind, c->input_stride, packed, out, c->output_stride,
       c->a_offset, zero, params);
    return;
  }
  test_rng cuts = {seed};
  for (size_t row = 0; row < c->batch * c->out_h; row++) {
    for (size_t x = 0; x < c->out_w;) {
      size_t n = c->out_w - x;
      if (c->call_mode == CALL_PARTS && n > 1) n = (size_t)rng_int(&cuts, 1, (int64_t)n);
      const size_t p = row * c->out_w + x;
      fn(c->channels, n, c->ks, ind + p * c->input_stride, c->input_stride, packed,
         out + p * c->output_stride, c->output_stride, c->a_offset, zero, params);
      x += n;
    }
  }
}

/* Output bytes (past OUTPUT_LEAD sentinel bytes) not covered by a pixel's
 * channels must be untouched. */
static void check_gaps(const uint8_t* buffer, const dw_case* c, const char* what, size_t index) {
  for (size_t i = 0; i < OUTPUT_LEAD; i++) {
    if (buffer[i] != SENTINEL) {
      fail_msg("case %zu: %s wrote byte %zd before the first output pixel", index, what,
               (ptrdiff_t)i - OUTPUT_LEAD);
    }
  }
  const uint8_t* out = buffer + OUTPUT_LEAD;
  for (size_t p = 0; p + 1 < c->pixels; p++) {
    for (size_t i = c->channels; i < c->output_stride; i++) {
      if (out[p * c->output_stride + i] != SENTINEL) {
        fail_msg("case %zu: %s wrote byte %zu between pixels %zu and %zu (channels %zu, "
                 "output stride %zu)",
                 index, what, i, p, p + 1, c->channels, c->output_stride);
      }
    }
  }
}

static size_t pick_channels(test_rng* rng, size_t index, size_t cr) {
  switch (index / 2 % 5) { /* independent of index % 2 */
    case 0: return (size_t)rng_int(rng, 1, (int64_t)cr);
    case 1: return cr * (size_t)rng_int(rng, 1, 200 / (int64_t)cr > 1 ? 200 / (int64_t)cr : 1);
    case 2: { /* a multiple of CR, one off */
      const int64_t c = (int64_t)cr * rng_int(rng, 1, 4) + (rng_next(rng) % 2 ? 1 : -1);
      return c < 1 ? 1 : (size_t)c;
    }
    case 3: return (size_t)rng_int(rng, 1, 16);
    default: return (size_t)rng_int(rng, 1, 200);
  }
}

static void geometry_case(size_t index) {
  test_rng rng = {index * 2654435761u + 101};
  const q8_dwconv_config* d = &table->dwconv;
  dw_case c;
  memset(&c, 0, sizeof(c));
  /* 3x3 and 5x5 mostly; every 8th case another shape, for the any-ks kernel. */
  if (index % 8 == 7) {
    static const int64_t sides[] = {1, 2, 3, 5, 7};
    c.kh = (size_t)rng_pick(&rng, 5, sides);
    c.kw = (size_t)rng_pick(&rng, 5, sides);
  } else {
    c.kh = c.kw = index % 2 ? 5 : 3;
  }
  c.ks = c.kh * c.kw;
  static const int64_t strides[] = {1, 1, 1, 2, 2, 3};
  const size_t stride_h = (size_t)rng_pick(&rng, 6, strides);
  const size_t stride_w = rng_next(&rng) % 4 ? stride_h : (size_t)rng_pick(&rng, 6, strides);
  const size_t dil_h = rng_next(&rng) % 4 ? 1 : 2;
  const size_t dil_w = rng_next(&rng) % 4 ? dil_h : 3 - dil_h;
  const size_t pad_t = (size_t)rng_int(&rng, 0, 2), pad_l = (size_t)rng_int(&rng, 0, 2);
  const size_t pad_b = rng_next(&rng) % 2 ? pad_t : (size_t)rng_int(&rng, 0, 2);
  const size_t pad_r = rng_next(&rng) % 2 ? pad_l : (size_t)rng_int(&rng, 0, 2);
  const size_t eff_h = dil_h * (c.kh - 1) + 1, eff_w = dil_w * (c.kw - 1) + 1;
  /* Heights and widths the window fits in; some one-pixel outputs. */
  const size_t min_h = eff_h > pad_t + pad_b ? eff_h - pad_t - pad_b : 1;
  const size_t min_w = eff_w > pad_l + pad_r ? eff_w - pad_l - pad_r : 1;
  /* (eff_h, eff_w <= 13, the 7x7 dilated by 2) */
  c.height = (size_t)rng_int(&rng, (int64_t)min_h, 14);
  switch (rng_next(&rng) % 5) {
    case 0: c.width = min_w; break; /* one output column */
    case 1: c.width = (size_t)rng_int(&rng, (int64_t)min_w, (int64_t)min_w + 6); break;
    default: c.width = (size_t)rng_int(&rng, (int64_t)min_w, 40);
  }
  c.batch = rng_next(&rng) % 4 ? 1 : 2;
  c.out_h = (c.height + pad_t + pad_b - eff_h) / stride_h + 1;
  c.out_w = (c.width + pad_l + pad_r - eff_w) / stride_w + 1;
  c.pixels = c.batch * c.out_h * c.out_w;

  c.channels = pick_channels(&rng, index, d->cr);
  c.pixel_stride = c.channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 40) : 0);
  c.input_stride = c.ks + (rng_next(&rng) % 4 ? 0 : (size_t)rng_int(&rng, 1, 2));
  c.output_stride = c.channels + (rng_next(&rng) % 2 ? (size_t)rng_int(&rng, 1, 9) : 0);
  /* Weight zero points and a_offset send some specialized kernels to
   * their any-ks kernel: sometimes. */
  c.a_offset = rng_next(&rng) % 8 ? 0 : (size_t)rng_int(&rng, 1, 40);
  c.call_mode = (int)(rng_next(&rng) % CALL_MODES);

  /* Quantization: extreme zero points often, weight zero points on or off,
   * multipliers below 1 and, with small output scales, above 1. */
  const int32_t izp = rng_zero_point(&rng), ozp = rng_zero_point(&rng);
  const int zero_points = rng_next(&rng) % 4 == 0;
  const float in_scale = rng_scale(&rng, 0.005f, 1.0f);
  const float out_scale = rng_next(&rng) % 4 ? rng_scale(&rng, 0.005f, 1.0f)
                                             : rng_scale(&rng, 0.00001f, 0.001f);
  float* wscale = malloc(c.channels * sizeof(float));
  float* bias = malloc(c.channels * sizeof(float));
  int32_t* wzp = malloc(c.channels * sizeof(int32_t));
  int8_t* w = malloc(c.channels * c.ks);
  int any_wzp = 0;
  for (size_t ch = 0; ch < c.channels; ch++) {
    wscale[ch] = rng_scale(&rng, 0.0005f, 0.05f) / sqrtf((float)c.ks);
    bias[ch] = rng_float(&rng, -3.0f, 3.0f);
    wzp[ch] = zero_points ? (int32_t)rng_int(&rng, -128, 127) : 0;
    any_wzp |= wzp[ch] != 0;
  }
  rng_fill_s8(&rng, w, c.channels * c.ks);
  uint8_t qmin = 0, qmax = 255;
  if (rng_next(&rng) % 2) {
    qmin = (uint8_t)rng_int(&rng, 0, 100);
    qmax = (uint8_t)rng_int(&rng, 150, 255);
  }
  const q8_requant_params params = {ozp, qmin, qmax, (uint8_t)any_wzp};
  const q8_channel_quantization q = {wscale, wzp, 1};

  /* NHWC input, the last pixel's read (a_offset + channels) ending at the
   * guard page; zero buffer of channels bytes. */
  const size_t in_pixels = c.batch * c.height * c.width;
  const size_t in_bytes = (in_pixels - 1) * c.pixel_stride + c.a_offset + c.channels;
  guarded input = guarded_alloc(in_bytes);
  rng_fill_u8(&rng, input.p, in_bytes);
  guarded zero = guarded_alloc(c.channels);
  memset(zero.p, izp, c.channels);

  /* Indirection as the operator builds it: [pixel][ks], kernel rows in
   * order, padding taps at the zero buffer; input_stride pointers apart. */
  const uint8_t** ind = malloc(c.pixels * c.input_stride * sizeof(*ind));
  for (size_t i = 0; i < c.pixels * c.input_stride; i++) ind[i] = zero.p;
  for (size_t m = 0; m < c.pixels; m++) {
    const size_t ox = m % c.out_w, oy = m / c.out_w % c.out_h, n = m / (c.out_w * c.out_h);
    for (size_t ky = 0; ky < c.kh; ky++) {
      for (size_t kx = 0; kx < c.kw; kx++) {
        const ptrdiff_t iy = (ptrdiff_t)(oy * stride_h + ky * dil_h) - (ptrdiff_t)pad_t;
        const ptrdiff_t ix = (ptrdiff_t)(ox * stride_w + kx * dil_w) - (ptrdiff_t)pad_l;
        const int inside = iy >= 0 && ix >= 0 && (size_t)iy < c.height && (size_t)ix < c.width;
        ind[m * c.input_stride + ky * c.kw + kx] =
            inside ? input.p + ((n * c.height + (size_t)iy) * c.width + (size_t)ix) * c.pixel_stride
                   : zero.p;
      }
    }
  }

  void* packed = malloc(q8_dwconv_packed_size(c.channels, c.ks, d->cr));
  void* scalar_packed = malloc(q8_dwconv_packed_size(c.channels, c.ks, scalar->dwconv.cr));
  q8_pack_dwconv_static(c.channels, c.ks, d->cr, w, bias, &q, in_scale, izp, out_scale, packed);
  q8_pack_dwconv_static(c.channels, c.ks, scalar->dwconv.cr, w, bias, &q, in_scale, izp,
                        out_scale, scalar_packed);

  const size_t out_bytes = OUTPUT_LEAD + (c.pixels - 1) * c.output_stride + c.channels;
  guarded expected = guarded_alloc(out_bytes);
  memset(expected.p, SENTINEL, out_bytes);
  scalar->dwconv.dwconv(c.channels, c.pixels, c.ks, ind, c.input_stride, scalar_packed,
                        expected.p + OUTPUT_LEAD, c.output_stride, c.a_offset, zero.p, &params);

  const q8_dwconv_ukernel_fn kernels[2] = {q8_dwconv_ukernel_for(d, c.ks), d->dwconv};
  const char* const names[2] = {"kernel for ks", "any-ks kernel"};
  const uint64_t seed = rng_next(&rng);
  for (int k = 0; k < 2; k++) {
    if (k == 1 && kernels[1] == kernels[0]) break;
    guarded out = guarded_alloc(out_bytes);
    memset(out.p, SENTINEL, out_bytes);
    call_kernel(kernels[k], &c, seed, ind, packed, out.p + OUTPUT_LEAD, zero.p, &params);
    if (memcmp(expected.p, out.p, out_bytes) != 0) {
      print_message("%s case %zu, %s: %zux%zu stride %zux%zu dilation %zux%zu padding "
                    "t%zu l%zu b%zu r%zu, %zu x %zux%zu -> %zux%zu, channels %zu (cr %u), "
                    "pixel stride %zu, input stride %zu, output stride %zu, a_offset %zu, "
                    "zero points in %d out %d, weight zero points %d, scales %g/%g, "
                    "clamp %u..%u, calls %s\n",
                    table->name, index, names[k], c.kh, c.kw, stride_h, stride_w, dil_h, dil_w,
                    pad_t, pad_l, pad_b, pad_r, c.batch, c.height, c.width, c.out_h, c.out_w,
                    c.channels, d->cr, c.pixel_stride, c.input_stride, c.output_stride, c.a_offset,
                    izp, ozp, any_wzp, (double)in_scale, (double)out_scale, qmin, qmax,
                    c.call_mode == CALL_ALL ? "all pixels"
                    : c.call_mode == CALL_ROWS ? "per row" : "parts of rows");
      check_gaps(out.p, &c, names[k], index);
      for (size_t p = 0; p < c.pixels; p++) {
        const size_t at = OUTPUT_LEAD + p * c.output_stride;
        for (size_t ch = 0; ch < c.channels; ch++) {
          if (expected.p[at + ch] != out.p[at + ch]) {
            fail_msg("case %zu: %s: pixel %zu (image %zu, y %zu, x %zu) channel %zu: %u, "
                     "scalar %u",
                     index, names[k], p, p / (c.out_h * c.out_w), p / c.out_w % c.out_h,
                     p % c.out_w, ch, out.p[at + ch], expected.p[at + ch]);
          }
        }
      }
      fail_msg("case %zu: %s: outputs differ", index, names[k]);
    }
    guarded_free(&out);
  }
  guarded_free(&expected);
  guarded_free(&input);
  guarded_free(&zero);
  free(ind);
  free(packed);
  free(scalar_packed);
  free(wscale);
  free(bias);
  free(wzp);
  free(w);
}

int main(void) {
  /* Every table this build and CPU have, the scalar one included (its
   * any-ks kernel against itself under the geometry and call patterns). */
  int failed = 0;
  for (int isa = q8_isa_scalar; isa < q8_isa_count; isa++) {
    const char* name = q8_isa_name((q8_isa)isa);
    table = q8_kernel_table_get((q8_isa)isa);
    if (table == NULL) {
      printf("dwconv-geometry: %s: not supported by this build or CPU, skipped\n", name);
      continue;
    }
    printf("dwconv-geometry: %s, cr %u, 3x3 %s, 5x5 %s, against scalar\n", table->name,
           table->dwconv.cr, table->dwconv.dwconv9 ? "specialized" : "any-ks",
           table->dwconv.dwconv25 ? "specialized" : "any-ks");
    char group[64];
    snprintf(group, sizeof(group), "dwconv-geometry/%s", name);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    failed += test_run_cases(group, 1000, geometry_case); /* kernel vs scalar: never divided */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("dwconv-geometry: %s: %.2f s\n", name,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  }
  return failed != 0;
}

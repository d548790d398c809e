/* ARM64 only: vqtbl4q_u8 looks up 64 table bytes per instruction. ARMv7's
 * vtbl4_u8 covers 32 bytes and 8 lanes, so a 256-entry table costs eight
 * vtbx4 per 8 bytes, no faster than the scalar loop the ARMv7 build keeps
 * (neon-families.c). */
#if defined(__aarch64__)

#include "neon-families.h"
#include "neon-kernels.h"

typedef struct table_quarters {
  uint8x16x4_t q[4]; /* table[64 * i .. 64 * i + 63] */
} table_quarters;

/* Quarter i answers index - 64 * i; the others see an index >= 64, which
 * vqtbx4q leaves alone (index - 64 wraps mod 256 for small indices). */
static inline uint8x16_t lookup16(uint8x16_t x, const table_quarters* t) {
  const uint8x16_t step = vdupq_n_u8(64);
  uint8x16_t y = vqtbl4q_u8(t->q[0], x);
  x = vsubq_u8(x, step);
  y = vqtbx4q_u8(y, t->q[1], x);
  x = vsubq_u8(x, step);
  y = vqtbx4q_u8(y, t->q[2], x);
  x = vsubq_u8(x, step);
  return vqtbx4q_u8(y, t->q[3], x);
}

void q8_lut_ukernel_16__neon(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]) {
  table_quarters t;
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 4; j++) t.q[i].val[j] = vld1q_u8(table + 64 * i + 16 * j);
  }
  while (n != 0) {
    const size_t count = n < 16 ? n : 16;
    q8_neon_store_u8x16(y, lookup16(q8_neon_load_u8x16(x, count), &t), count);
    x += count, y += count, n -= count;
  }
}

#endif

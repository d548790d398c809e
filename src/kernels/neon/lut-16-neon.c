/* ARM64 only: vqtbl4q_u8 looks up 64 table bytes per instruction. ARMv7's
 * vtbl4_u8 covers 32 bytes and 8 lanes, so a 256-entry table costs eight
 * vtbx4 per 8 bytes, no faster than the scalar loop the ARMv7 build keeps
 * (neon-families.c). */
#if defined(__aarch64__)

#include "neon-families.h"
#include "neon-kernels.h"

typedef struct table_quarters {
  uint8x16x4_t q0, q1, q2, q3; /* qi: table[64 * i .. 64 * i + 63] */
} table_quarters;

static inline uint8x16x4_t load_quarter(const uint8_t* t) {
  const uint8x16x4_t q = {{vld1q_u8(t), vld1q_u8(t + 16), vld1q_u8(t + 32), vld1q_u8(t + 48)}};
  return q;
}

/* Quarter i answers index - 64 * i; the others see an index >= 64, which
 * vqtbx4q leaves alone (index - 64 wraps mod 256 for small indices). */
Q8_NEON_BODY uint8x16_t lookup16(uint8x16_t x, const table_quarters* t) {
  const uint8x16_t step = vdupq_n_u8(64);
  uint8x16_t y = vqtbl4q_u8(t->q0, x);
  x = vsubq_u8(x, step);
  y = vqtbx4q_u8(y, t->q1, x);
  x = vsubq_u8(x, step);
  y = vqtbx4q_u8(y, t->q2, x);
  x = vsubq_u8(x, step);
  return vqtbx4q_u8(y, t->q3, x);
}

static inline table_quarters load_table(const uint8_t table[256]) {
  const table_quarters t = {load_quarter(table), load_quarter(table + 64),
                            load_quarter(table + 128), load_quarter(table + 192)};
  return t;
}

/* The last n < 16 bytes, through partial loads and stores. It loads the
 * table again: passing the main loop's copy by address would keep that
 * copy in memory (gcc then reloads it every iteration). */
Q8_NEON_TAIL void lookup_tail(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]) {
  const table_quarters t = load_table(table);
  q8_neon_store_u8x16(y, lookup16(q8_neon_load_u8x16(x, n), &t), n);
}

void q8_lut_ukernel_16__neon(size_t n, const uint8_t* x, uint8_t* y, const uint8_t table[256]) {
  const table_quarters t = load_table(table);
  for (; n >= 16; n -= 16, x += 16, y += 16) vst1q_u8(y, lookup16(vld1q_u8(x), &t));
  if (n != 0) lookup_tail(n, x, y, table);
}

#endif

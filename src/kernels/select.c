/*
 * The one place that picks a kernel table: hardware detection through
 * cpuinfo, once, plus the Q8_ISA override. This is q8's only global state.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpuinfo.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "kernels.h"

#if defined(__aarch64__) && defined(__linux__)
/* Linux's AT_HWCAP2 bit for the int8 matrix multiply extension; older
 * headers lack it, and Debian 12's cpuinfo has no query for it. */
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
static int arm64_has_i8mm(void) { return (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0; }
#endif

static const char* const isa_names[q8_isa_count] = {
    [q8_isa_auto] = "auto",         [q8_isa_scalar] = "scalar",
    [q8_isa_avx2] = "avx2",         [q8_isa_avx512vnni] = "avx512vnni",
    [q8_isa_neon] = "neon",         [q8_isa_neon64] = "neon64",
    [q8_isa_neondot] = "neondot",   [q8_isa_neoni8mm] = "neoni8mm",
};

/* Written once under pthread_once, read-only afterwards. */
static struct {
  pthread_once_t once;
  q8_status status;
  q8_isa default_isa;
  char message[Q8_ERROR_MESSAGE_SIZE];
} hardware = {.once = PTHREAD_ONCE_INIT};

const char* q8_isa_name(q8_isa isa) {
  return (unsigned)isa < q8_isa_count ? isa_names[isa] : NULL;
}

/* The table compiled into this build for `isa`, whether or not it can run. */
static const q8_kernel_table* built_table(q8_isa isa) {
  switch (isa) {
    case q8_isa_scalar:
      return &q8_scalar_kernels;
#if defined(__x86_64__)
    case q8_isa_avx2:
      return &q8_avx2_kernels;
    case q8_isa_avx512vnni:
      return &q8_avx512vnni_kernels;
#endif
#if defined(__arm__) || defined(__aarch64__)
    case q8_isa_neon:
      return &q8_neon_kernels;
#endif
#if defined(__aarch64__)
    case q8_isa_neon64:
      return &q8_neon64_kernels;
    case q8_isa_neondot:
      return &q8_neondot_kernels;
    case q8_isa_neoni8mm:
      return &q8_neoni8mm_kernels;
#endif
    default:
      return NULL;
  }
}

static int cpu_can_run(q8_isa isa) {
  switch (isa) {
    case q8_isa_scalar:
      return 1;
#if defined(__x86_64__) || defined(__i386__)
    case q8_isa_avx2:
      return cpuinfo_has_x86_avx2();
    case q8_isa_avx512vnni:
      return cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() &&
             cpuinfo_has_x86_avx512vl() && cpuinfo_has_x86_avx512vnni();
#endif
#if defined(__arm__) || defined(__aarch64__)
    case q8_isa_neon:
      return cpuinfo_has_arm_neon();
#endif
#if defined(__aarch64__)
    case q8_isa_neon64:
      return cpuinfo_has_arm_neon();
    case q8_isa_neondot:
      return cpuinfo_has_arm_neon_dot();
    case q8_isa_neoni8mm:
      return cpuinfo_has_arm_neon_dot() && arm64_has_i8mm();
#endif
    default:
      return 0;
  }
}

static int supported(q8_isa isa) {
  return isa > q8_isa_auto && isa < q8_isa_count && built_table(isa) != NULL && cpu_can_run(isa);
}

static void detect_hardware(void) {
  hardware.status = q8_status_success;
  if (!cpuinfo_initialize()) {
    /* Without cpuinfo only the portable table is safe. */
    hardware.default_isa = q8_isa_scalar;
  } else {
    static const q8_isa preference[] = {q8_isa_avx512vnni, q8_isa_avx2, q8_isa_neoni8mm,
                                        q8_isa_neondot,    q8_isa_neon64, q8_isa_neon};
    hardware.default_isa = q8_isa_scalar;
    for (size_t i = 0; i < sizeof(preference) / sizeof(preference[0]); i++) {
      if (supported(preference[i])) {
        hardware.default_isa = preference[i];
        break;
      }
    }
  }
  const char* forced = getenv("Q8_ISA");
  if (forced == NULL || forced[0] == '\0' || strcmp(forced, "auto") == 0) return;
  for (int isa = q8_isa_scalar; isa < q8_isa_count; isa++) {
    if (strcmp(forced, isa_names[isa]) == 0) {
      if (supported((q8_isa)isa)) {
        hardware.default_isa = (q8_isa)isa;
      } else {
        hardware.status = q8_status_unsupported_hardware;
        snprintf(hardware.message, sizeof(hardware.message),
                 "Q8_ISA=%s: this CPU or build cannot run that kernel table", forced);
      }
      return;
    }
  }
  hardware.status = q8_status_invalid_parameter;
  snprintf(hardware.message, sizeof(hardware.message),
           "Q8_ISA=%s is not a known kernel table (scalar, avx2, avx512vnni, neon, neon64, "
           "neondot, neoni8mm)",
           forced);
}

q8_status q8_initialize(q8_error* error) {
  pthread_once(&hardware.once, detect_hardware);
  if (hardware.status != q8_status_success && error != NULL) {
    error->status = hardware.status;
    memcpy(error->message, hardware.message, sizeof(error->message));
  }
  return hardware.status;
}

int q8_isa_supported(q8_isa isa) {
  pthread_once(&hardware.once, detect_hardware);
  return supported(isa);
}

q8_isa q8_default_isa(void) {
  pthread_once(&hardware.once, detect_hardware);
  return hardware.default_isa;
}

const q8_kernel_table* q8_kernel_table_get(q8_isa isa) {
  pthread_once(&hardware.once, detect_hardware);
  if (isa == q8_isa_auto) isa = hardware.default_isa;
  return supported(isa) ? built_table(isa) : NULL;
}

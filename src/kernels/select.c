/*
 * The one place that picks a kernel table: hardware detection through
 * cpuinfo, once, plus the Q8_ISA override. This is q8's only global state.
 */
#define _DEFAULT_SOURCE /* syscall() */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpuinfo.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
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

#if defined(__x86_64__) && defined(__linux__)
/* AMX: Debian 12's cpuinfo has no query for it. CPUID leaf 7 EDX bits 24
 * (AMX-TILE) and 25 (AMX-INT8), and XCR0 bits 17-18 (the OS saves the tile
 * configuration and data). */
static int x86_has_amx_int8(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  if ((edx & (3u << 24)) != (3u << 24)) return 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || (ecx & (1u << 27)) == 0) return 0; /* OSXSAVE */
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & (3u << 17)) == (3u << 17);
}

/* Linux (5.16+) gives a process the 8 KB of tile data state only on
 * request: until then an AMX instruction raises SIGILL. The permission is
 * per process and covers threads created later (pthreadpool's workers), so
 * it is asked for once, here; if the kernel refuses, the amx table is not
 * offered. */
enum { arch_req_xcomp_perm = 0x1023, xfeature_xtiledata = 18 };
static int linux_grants_amx(void) {
  return syscall(SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) == 0;
}
#endif

static const char* const isa_names[q8_isa_count] = {
    [q8_isa_auto] = "auto",         [q8_isa_scalar] = "scalar",
    [q8_isa_avx2] = "avx2",         [q8_isa_avx512vnni] = "avx512vnni",
    [q8_isa_neon] = "neon",         [q8_isa_neon64] = "neon64",
    [q8_isa_neondot] = "neondot",   [q8_isa_neoni8mm] = "neoni8mm",
    [q8_isa_amx] = "amx",
};

/* Written once under pthread_once, read-only afterwards. */
static struct {
  pthread_once_t once;
  q8_status status;
  q8_isa default_isa;
  int amx_granted; /* the CPU has AMX int8 and Linux allowed its use */
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
    case q8_isa_amx:
      return &q8_amx_kernels;
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
    case q8_isa_amx: /* its other kernels are the avx512vnni ones */
      return hardware.amx_granted && cpu_can_run(q8_isa_avx512vnni);
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
#if defined(__x86_64__) && defined(__linux__)
    hardware.amx_granted = x86_has_amx_int8() && linux_grants_amx();
#endif
    static const q8_isa preference[] = {q8_isa_amx,      q8_isa_avx512vnni, q8_isa_avx2,
                                        q8_isa_neoni8mm, q8_isa_neondot,    q8_isa_neon64,
                                        q8_isa_neon};
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
           "Q8_ISA=%s is not a known kernel table (scalar, avx2, avx512vnni, amx, neon, "
           "neon64, neondot, neoni8mm)",
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

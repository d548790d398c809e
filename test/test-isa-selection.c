/*
 * Kernel table selection (src/kernels/select.c) on the CPU the test runs on.
 *
 * The automatic choice must be the most preferred table the CPU supports,
 * and a table the CPU lacks must be neither reported as supported nor
 * returned, nor selectable with Q8_ISA (running it would end in SIGILL).
 * With Q8_EXPECT_DEFAULT_ISA=<name> (the cross builds register this test
 * once per emulated CPU: cortex-a53 -> neon64, cortex-a76 -> neondot,
 * max -> neoni8mm; ARMv7 -> neon) the default must also be that table,
 * which checks the feature detection itself: every table preferred over it
 * is one the CPU lacks.
 *
 * Detection runs once per process, so each Q8_ISA case runs in a forked
 * child that has not called q8 yet; the forking test runs first.
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "test-util.h"

/* select.c's preference order, best first; scalar always runs. */
static const q8_isa preference[] = {q8_isa_amx,      q8_isa_avx512vnni, q8_isa_avx2,
                                    q8_isa_neoni8mm, q8_isa_neondot,    q8_isa_neon64,
                                    q8_isa_neon,     q8_isa_scalar};
#define PREFERENCE_COUNT (sizeof(preference) / sizeof(preference[0]))

static const char* expected_default_name(void) {
  const char* name = getenv("Q8_EXPECT_DEFAULT_ISA");
  return name != NULL && name[0] != '\0' ? name : NULL;
}

/* In a child process: the status of q8_initialize with Q8_ISA=name, and
 * whether the table it then uses is that one. Exit codes: the status, or
 * 100 when initialization succeeded with some other table. */
static int forced_selection_status(const char* name) {
  fflush(NULL);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    setenv("Q8_ISA", name, 1);
    q8_error error = {0};
    const q8_status status = q8_initialize(&error);
    if (status == q8_status_success && strcmp(q8_isa_name(q8_default_isa()), name) != 0) _exit(100);
    if (status != q8_status_success && error.status != status) _exit(101);
    _exit((int)status);
  }
  int wstatus = 0;
  assert_int_equal(waitpid(pid, &wstatus, 0), pid);
  if (!WIFEXITED(wstatus)) fail_msg("Q8_ISA=%s: the child did not exit normally", name);
  return WEXITSTATUS(wstatus);
}

/* What forcing each table with Q8_ISA gave, for test_supported_tables. */
static int forced_status[q8_isa_count];

/* Runs before any q8 call in this process (the children must detect afresh).
 * With an expectation, the tables preferred over the expected default are
 * the ones the CPU lacks. */
static void test_forcing_each_table(void** state) {
  (void)state;
  const char* expected = expected_default_name();
  int lacking = expected != NULL;
  for (size_t i = 0; i < PREFERENCE_COUNT; i++) {
    const char* name = q8_isa_name(preference[i]);
    if (expected != NULL && strcmp(name, expected) == 0) lacking = 0;
    const int status = forced_selection_status(name);
    printf("  Q8_ISA=%-10s -> status %d\n", name, status);
    if (lacking) assert_int_equal(status, q8_status_unsupported_hardware);
    if (status != q8_status_success) assert_int_equal(status, q8_status_unsupported_hardware);
    forced_status[preference[i]] = status;
  }
  assert_int_equal(forced_selection_status("scalar"), q8_status_success);
  assert_int_equal(forced_selection_status("no-such-table"), q8_status_invalid_parameter);
}

static void test_default_is_best_supported(void** state) {
  (void)state;
  q8_isa best = q8_isa_scalar;
  for (size_t i = 0; i < PREFERENCE_COUNT; i++) {
    if (q8_isa_supported(preference[i])) {
      best = preference[i];
      break;
    }
  }
  const q8_isa chosen = q8_default_isa();
  printf("  default table: %s\n", q8_isa_name(chosen));
  assert_string_equal(q8_isa_name(chosen), q8_isa_name(best));
  const char* expected = expected_default_name();
  if (expected != NULL) assert_string_equal(q8_isa_name(chosen), expected);
  const q8_kernel_table* table = q8_kernel_table_get(q8_isa_auto);
  assert_non_null(table);
  assert_int_equal(table->isa, chosen);
}

/* Every table: supported exactly when forcing it succeeded (in the first
 * test), and returned by q8_kernel_table_get exactly when supported. */
static void test_supported_tables(void** state) {
  (void)state;
  assert_true(q8_isa_supported(q8_isa_scalar));
  /* The list names every table (a new one must be added here too). */
  assert_int_equal(PREFERENCE_COUNT, q8_isa_count - 1);
  /* The amx table's other families are the avx512vnni kernels. */
  if (q8_isa_supported(q8_isa_amx)) assert_true(q8_isa_supported(q8_isa_avx512vnni));
  for (size_t i = 0; i < PREFERENCE_COUNT; i++) {
    const q8_isa isa = preference[i];
    const int supported = q8_isa_supported(isa);
    printf("  %-10s %s\n", q8_isa_name(isa), supported ? "supported" : "not supported");
    const q8_kernel_table* table = q8_kernel_table_get(isa);
    if (supported) {
      assert_non_null(table);
      assert_int_equal(table->isa, isa);
    } else {
      assert_null(table);
    }
    assert_int_equal(forced_status[isa],
                     supported ? q8_status_success : q8_status_unsupported_hardware);
  }
}

int main(void) {
  /* The environment's own choice would change what "default" means. */
  unsetenv("Q8_ISA");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forcing_each_table),
      cmocka_unit_test(test_default_is_best_supported),
      cmocka_unit_test(test_supported_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

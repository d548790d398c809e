#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "test-util.h"

#include <sys/mman.h>
#include <unistd.h>

guarded guarded_alloc(size_t n) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t data = (n + page - 1) / page * page;
  guarded g = {.map_size = data + page};
  g.map = mmap(NULL, g.map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(g.map != MAP_FAILED);
  assert_int_equal(mprotect((char*)g.map + data, page, PROT_NONE), 0);
  g.p = (uint8_t*)g.map + data - n;
  return g;
}

void guarded_free(guarded* g) {
  if (g->map != NULL) munmap(g->map, g->map_size);
  g->map = NULL;
}

void test_pools_create(pthreadpool_t pools[TEST_THREAD_COUNTS]) {
  for (size_t i = 0; i < TEST_THREAD_COUNTS; i++) {
    pools[i] = test_thread_counts[i] == 1 ? NULL : pthreadpool_create(test_thread_counts[i]);
  }
}

void test_pools_destroy(pthreadpool_t pools[TEST_THREAD_COUNTS]) {
  for (size_t i = 0; i < TEST_THREAD_COUNTS; i++) {
    if (pools[i] != NULL) pthreadpool_destroy(pools[i]);
  }
}

static test_case_fn current_fn;

static void run_one(void** state) { current_fn(*(size_t*)*state); }

int test_run_cases(const char* group, size_t count, test_case_fn fn) {
  current_fn = fn;
  struct CMUnitTest* tests = calloc(count, sizeof(*tests));
  size_t* indices = calloc(count, sizeof(*indices));
  char* names = calloc(count, 64);
  assert_non_null(tests);
  for (size_t i = 0; i < count; i++) {
    indices[i] = i;
    snprintf(names + 64 * i, 64, "%s/%zu", group, i);
    tests[i] = (struct CMUnitTest){.name = names + 64 * i, .test_func = run_one,
                                   .initial_state = &indices[i]};
  }
  const int failed = _cmocka_run_group_tests(group, tests, count, NULL, NULL);
  free(tests);
  free(indices);
  free(names);
  return failed;
}

void test_assert_bytes_equal(const uint8_t* expected, const uint8_t* actual, size_t n,
                             const char* what, size_t case_index) {
  for (size_t i = 0; i < n; i++) {
    if (expected[i] != actual[i]) {
      fail_msg("case %zu: %s differs at element %zu: expected %u, got %u", case_index, what, i,
               expected[i], actual[i]);
    }
  }
}

void test_expect_error(size_t index, q8_status got, const q8_error* err, q8_status status,
                       const char* needle) {
  if (got != status || err->status != got || strstr(err->message, needle) == NULL) {
    fail_msg("error case %zu: got status %d message '%s'; expected %d containing '%s'", index,
             (int)got, err->message, (int)status, needle);
  }
}

const char* test_isa_name(void) { return q8_isa_name(q8_default_isa()); }

int test_skip_unsupported_isa(const char* suite) {
  q8_error error = {0};
  const q8_status status = q8_initialize(&error);
  if (status == q8_status_unsupported_hardware) {
    printf("[  SKIPPED ] %s: %s\n", suite, error.message);
    return 1;
  }
  if (status != q8_status_success) {
    printf("%s: %s\n", suite, error.message);
    exit(1);
  }
  printf("%s: running with the %s kernel table\n", suite, test_isa_name());
  return 0;
}

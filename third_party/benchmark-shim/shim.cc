// The C++ side of q8-bench: adapts Google Benchmark's State to the C
// benchmark bodies in bench/ and registers them.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "bench.h"

struct q8_bench_state {
  benchmark::State* state;
};

extern "C" {

int q8_bench_keep_running(q8_bench_state* s) { return s->state->KeepRunning(); }

void q8_bench_counter(q8_bench_state* s, const char* name, double value) {
  s->state->counters[name] = benchmark::Counter(value);
}

void q8_bench_skip(q8_bench_state* s, const char* message) { s->state->SkipWithError(message); }

// Copies of the benchmarks' arguments, alive until the process exits.
static std::deque<std::vector<unsigned char>> registered_args;

void q8_bench_register(const char* name, q8_bench_fn fn, const void* arg, size_t arg_size) {
  const unsigned char* bytes = static_cast<const unsigned char*>(arg);
  registered_args.emplace_back(bytes, bytes + arg_size);
  const void* copy = registered_args.back().data();
  benchmark::RegisterBenchmark(std::string(name).c_str(), [fn, copy](benchmark::State& state) {
    q8_bench_state s{&state};
    fn(&s, copy);
  })->Unit(benchmark::kMicrosecond);
}

}  // extern "C"

// Removes --<flag>=value from argv and returns the value (NULL if absent).
static const char* take_flag(int* argc, char** argv, const char* flag) {
  const std::string prefix = std::string("--") + flag + "=";
  const char* value = nullptr;
  int kept = 1;
  for (int i = 1; i < *argc; i++) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) {
      value = argv[i] + prefix.size();
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return value;
}

int main(int argc, char** argv) {
  // q8's own flags: whole-model benchmarks (bench/models.c).
  const char* models = take_flag(&argc, argv, "q8_models");
  const char* threads = take_flag(&argc, argv, "q8_threads");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  q8_bench_register_peak();
  q8_bench_register_gemm();
  q8_bench_register_conv();
  q8_bench_register_peers();
  if (models != nullptr) {
    q8_bench_register_models(models, ',', threads);
  } else if (const char* env = std::getenv("Q8_BENCH_MODELS")) {
    q8_bench_register_models(env, ':', threads);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

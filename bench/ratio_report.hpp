// Benchmarks print ratios against a baseline measured in the same run: absolute numbers on a
// shared machine drift, ratios much less.
//
//   int main(int argc, char** argv) {
//     return stronghold::bench::run(argc, argv, {{"vault sign / raw sign", "BM_VaultSign", "BM_RawSign"}});
//   }
//
// or, for a small overhead on a noisy machine, `paired` (below) inside one benchmark.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

namespace stronghold::bench {

struct Ratio {
  std::string label;
  std::string measured;  // benchmark name with its arguments ("BM_Sign/8"), without time type or aggregate
  std::string baseline;
};

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Manually timed benchmarks report their own time; the others CPU time of the calling
  // thread, steadier than wall time on a shared machine. With --benchmark_repetitions the
  // median wins over single runs.
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto& id = run.run_name;
      const std::string name =
          id.function_name + (id.args.empty() ? "" : "/" + id.args) + (id.threads.empty() ? "" : "/" + id.threads);
      const bool wall = !id.time_type.empty();  // manual_time or real_time
      const double ns = (wall ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime()) * to_ns(run.time_unit);
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
        ns_per_op_[name] = ns;
      else if (run.run_type == Run::RT_Iteration && run.iterations > 0)
        ns_per_op_.emplace(name, ns);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  double find(const std::string& name) const {
    const auto found = ns_per_op_.find(name);
    return found == ns_per_op_.end() ? 0 : found->second;
  }

 private:
  static double to_ns(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kSecond: return 1e9;
      case benchmark::kMillisecond: return 1e6;
      case benchmark::kMicrosecond: return 1e3;
      default: return 1;
    }
  }
  std::map<std::string, double> ns_per_op_;
};

// Pairs measured in one loop: each iteration times the baseline and the measured call back to
// back, so both see the same machine state; the medians of the two are compared. Benchmarks
// run separately drift apart by up to 10% on a shared VM, which hides a 5% budget.
struct PairedResult {
  double measured_ns = 0;
  double baseline_ns = 0;
};
inline std::map<std::string, PairedResult>& paired_results() {
  static std::map<std::string, PairedResult> results;
  return results;
}

template <class Measured, class Baseline>
void paired(benchmark::State& state, const std::string& label, Measured measured, Baseline baseline) {
  std::vector<double> measured_ns, baseline_ns;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    baseline();
    const auto middle = std::chrono::steady_clock::now();
    measured();
    const auto end = std::chrono::steady_clock::now();
    baseline_ns.push_back(std::chrono::duration<double, std::nano>(middle - start).count());
    measured_ns.push_back(std::chrono::duration<double, std::nano>(end - middle).count());
  }
  auto median = [](std::vector<double>& samples) {
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2), samples.end());
    return samples[samples.size() / 2];
  };
  if (measured_ns.empty())
    return;
  const PairedResult result{median(measured_ns), median(baseline_ns)};
  paired_results()[label] = result;
  state.counters["measured_ns"] = result.measured_ns;
  state.counters["baseline_ns"] = result.baseline_ns;
  state.counters["ratio"] = result.measured_ns / result.baseline_ns;
}

inline int run(int argc, char** argv, const std::vector<Ratio>& ratios) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  fmt::print("\nratios (time per operation, same run):\n");
  for (const Ratio& ratio : ratios) {
    const double measured = reporter.find(ratio.measured);
    const double baseline = reporter.find(ratio.baseline);
    if (measured > 0 && baseline > 0)
      fmt::print("  {:<52} {:>10.1f} ns / {:>10.1f} ns = {:.3f}\n", ratio.label, measured, baseline,
                 measured / baseline);
  }
  for (const auto& [label, result] : paired_results())
    fmt::print("  {:<52} {:>10.1f} ns / {:>10.1f} ns = {:.3f}   (paired medians)\n", label, result.measured_ns,
               result.baseline_ns, result.measured_ns / result.baseline_ns);
  benchmark::Shutdown();
  return 0;
}

}  // namespace stronghold::bench

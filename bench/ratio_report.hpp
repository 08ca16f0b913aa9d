// Benchmarks print ratios against a baseline measured in the same run: absolute numbers on a
// shared machine drift, ratios much less.
//
//   int main(int argc, char** argv) {
//     return stronghold::bench::run(argc, argv, {{"vault sign / raw sign", "BM_VaultSign", "BM_RawSign"}});
//   }
#pragma once

#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

namespace stronghold::bench {

struct Ratio {
  std::string label;
  std::string measured;  // benchmark name (its first run with that prefix)
  std::string baseline;
};

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs)
      if (run.run_type == Run::RT_Iteration && run.iterations > 0)
        ns_per_op_.emplace(run.benchmark_name(), run.GetAdjustedRealTime() * to_ns(run.time_unit));
    ConsoleReporter::ReportRuns(runs);
  }

  double find(const std::string& prefix) const {
    for (const auto& [name, ns] : ns_per_op_)
      if (name.rfind(prefix, 0) == 0)
        return ns;
    return 0;
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
  benchmark::Shutdown();
  return 0;
}

}  // namespace stronghold::bench

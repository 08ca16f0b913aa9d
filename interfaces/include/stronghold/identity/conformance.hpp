// The Storage conformance suite: eleven checks any implementation can run against itself.
//
//   auto results = stronghold::identity::run_conformance([] { return std::make_unique<MyStorage>(); });
//   for (const auto& result : results)
//     if (!result.passed) std::cerr << result.name << ": " << result.failure << "\n";
//
// Each check gets fresh, empty storages from the factory (the encryption check takes two).
// Checks 1 to 10 exercise the operations of the contract in storage.hpp (check 8 with a DID
// document and chain state as IOTA Identity 0.6 writes them, and JSON of other shapes that must
// be refused); check 11 pins down what keys on a DID that was never created do (see storage.hpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stronghold/identity/storage.hpp"

namespace stronghold::identity {

struct ConformanceResult {
  std::string name;
  bool passed = false;
  std::string failure;  // the first expectation that failed
};

using StorageFactory = std::function<std::unique_ptr<Storage>()>;

std::vector<ConformanceResult> run_conformance(const StorageFactory& fresh_storage);

}  // namespace stronghold::identity

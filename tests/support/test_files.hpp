// The test data kept in the source tree: tests/vectors (published test vectors) and
// tests/fixtures (files written by other implementations). Each folder's README gives the
// source and licence of every file.
#pragma once

#include <filesystem>
#include <string>

namespace stronghold::test {

// The source tree's tests/ folder, fixed at configure time.
std::filesystem::path test_data_dir();
// The whole file at `relative_path` under tests/; fails the running test (and throws) when it
// is missing or unreadable, naming the path.
std::string read_test_file(const std::string& relative_path);

}  // namespace stronghold::test

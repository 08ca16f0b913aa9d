// The files beside the project in ../shared (test vectors, fixtures).
#pragma once

#include <filesystem>
#include <string>

namespace stronghold::test {

// $STRONGHOLD_SHARED, else ../shared from the project root.
std::filesystem::path shared_dir();
// The whole file; fails the running test (and throws) when it is missing.
std::string read_shared_file(const std::string& relative_path);

}  // namespace stronghold::test

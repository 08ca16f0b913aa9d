#include "support/test_files.hpp"

#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

namespace stronghold::test {

std::filesystem::path test_data_dir() { return STRONGHOLD_TEST_DATA_DIR; }

std::string read_test_file(const std::string& relative_path) {
  const auto path = test_data_dir() / relative_path;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing test data file: " << path.string());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace stronghold::test

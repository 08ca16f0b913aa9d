#include "support/shared_files.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

namespace stronghold::test {

std::filesystem::path shared_dir() {
  if (const char* dir = std::getenv("STRONGHOLD_SHARED"); dir != nullptr && *dir != '\0')
    return dir;
  return STRONGHOLD_DEFAULT_SHARED_DIR;
}

std::string read_shared_file(const std::string& relative_path) {
  const auto path = shared_dir() / relative_path;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing shared file: " << path.string());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace stronghold::test

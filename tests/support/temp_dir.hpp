// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
#pragma once

#include <filesystem>
#include <string>

namespace stronghold::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace stronghold::test

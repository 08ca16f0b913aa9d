#include "stronghold/snapshot/file_system.hpp"

#include <algorithm>
#include <utility>

namespace stronghold::snapshot {
namespace {

class ReadFileInMemory final : public ReadFile {
 public:
  explicit ReadFileInMemory(Bytes content) noexcept : content_(std::move(content)) {}

  std::uint64_t size() const noexcept override { return content_.size(); }

  Status read_at(std::uint64_t offset, std::span<std::uint8_t> out) override {
    if (offset > content_.size() || out.size() > content_.size() - offset)
      return error(Errc::io_error, "a read of {} bytes at {} passes the end of a {}-byte file", out.size(), offset,
                   content_.size());
    std::copy_n(content_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
    return {};
  }

 private:
  Bytes content_;
};

}  // namespace

Status FileSystem::link(const std::string& from, const std::string&) {
  return error(Errc::unsupported, "cannot link {}: this file system has no links", from);
}

Result<std::unique_ptr<ReadFile>> FileSystem::open_read(const std::string& path, std::uint64_t max_size) {
  SH_ASSIGN_OR_RETURN(Bytes content, read_file(path, max_size));
  return std::unique_ptr<ReadFile>(new ReadFileInMemory(std::move(content)));
}

}  // namespace stronghold::snapshot

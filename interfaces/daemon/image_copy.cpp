#include "image_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "remote/tunnel.hpp"
#include "stronghold/snapshot/format.hpp"
#include "wire/protocol.hpp"

namespace stronghold::daemon {
namespace {

// A peer's file replaced by a fold while it was copied: the copy starts again, at most so often.
constexpr int kCopiesPerNode = 3;
// For reaching a peer and for each piece it sends.
constexpr std::chrono::seconds kPeerTimeout{10};

struct Piece {
  Bytes file;  // the file it came from: device and inode
  std::uint64_t size = 0;
  Bytes bytes;
};

// A piece of the peer's file from `offset`, which must be as long as read_image_piece makes it.
Result<Piece> ask_piece(wire::Client& client, std::uint64_t offset, std::uint64_t max_size) {
  SH_ASSIGN_OR_RETURN(std::vector<Bytes> fields, client.call(wire::Op::image, {wire::u64_field(offset)}));
  if (fields.size() != 3 || fields[0].size() != 16)
    return Status(Errc::corrupted, "it answered something other than a piece of its file");
  SH_ASSIGN_OR_RETURN(const std::uint64_t size, wire::u64_from_field(fields[1]));
  if (size > max_size)
    return error(Errc::corrupted, "it says its file has {} bytes, more than the {} a snapshot may have", size,
                 max_size);
  if (offset > size || fields[2].size() != std::min<std::uint64_t>(kImagePiece, size - offset))
    return Status(Errc::corrupted, "it sent a piece that does not fit its file");
  return Piece{std::move(fields[0]), size, std::move(fields[2])};
}

// Copies the peer's file into `out`: the file of the first piece, up to its size then, which
// must begin with `header`.
Status copy_file(wire::Client& client, snapshot::AppendFile& out, ByteView header, std::uint64_t max_size) {
  SH_ASSIGN_OR_RETURN(Piece piece, ask_piece(client, 0, max_size));
  if (piece.bytes.size() < header.size() || !std::equal(header.begin(), header.end(), piece.bytes.begin()))
    return Status(Errc::invalid_argument, "its file is not a copy of this one (its header differs: another snapshot)");
  const Bytes file = piece.file;
  const std::uint64_t size = piece.size;
  std::uint64_t copied = 0;
  for (;;) {
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(piece.bytes.size(), size - copied));
    SH_RETURN_IF_ERROR(out.append(ByteView(piece.bytes).first(take)));
    copied += take;
    if (copied == size)
      return out.sync();
    SH_ASSIGN_OR_RETURN(piece, ask_piece(client, copied, max_size));
    if (piece.file != file || piece.size < size)
      return Status(Errc::conflict, "its file was replaced while it was copied");
  }
}

// Copies the file of the node at `address` to `temporary` (created, synced), trying again when a
// fold replaced it meanwhile; nothing is left at `temporary` on failure.
Status fetch_from(const ImageFetchOptions& options, const remote::Address& address, const std::string& temporary,
                  ByteView header) {
  SH_ASSIGN_OR_RETURN(wire::Client client, remote::connect({address, options.tls}, kPeerTimeout));
  Status copied;
  for (int attempt = 0; attempt < kCopiesPerNode; ++attempt) {
    (void)options.fs->remove(temporary);
    auto out = options.fs->open_append(temporary, true);
    if (!out.ok())
      return out.status();
    copied = copy_file(client, **out, header, options.max_size);
    if (copied.code() != Errc::conflict)
      break;
  }
  if (!copied.ok())
    (void)options.fs->remove(temporary);
  return copied;
}

Result<Bytes> read_header(snapshot::FileSystem& fs, const std::string& file) {
  SH_ASSIGN_OR_RETURN(auto reader, fs.open_read(file, std::uint64_t{1} << 62));
  if (reader->size() < snapshot::kHeaderSize)
    return error(Errc::corrupted, "{} is shorter than a snapshot's header", file);
  Bytes header(snapshot::kHeaderSize);
  SH_RETURN_IF_ERROR(reader->read_at(0, header));
  SH_RETURN_IF_ERROR(snapshot::decode_header(header).status());
  return header;
}

// Gives `file` a second name beside it that nothing has: FILE.behind-UNIXTIME, with a count after
// it when needed.
Result<std::string> keep_aside(snapshot::FileSystem& fs, const std::string& file) {
  const std::string stem = file + ".behind-" + std::to_string(std::time(nullptr));
  for (int count = 1; count <= 100; ++count) {
    std::string name = count == 1 ? stem : stem + "-" + std::to_string(count);
    const Status linked = fs.link(file, name);
    if (linked.ok())
      return name;
    if (linked.code() != Errc::already_exists)
      return linked;
  }
  return error(Errc::already_exists, "{}-2 to -100 are all taken", stem);
}

// Copies the file of the node at `address` and renames it over `file`, which stays at the name
// returned; the file's lock is held meanwhile. On failure `file` is as it was.
Result<std::string> copy_into_place(const ImageFetchOptions& options, const std::string& file,
                                    const remote::Address& address, ByteView header) {
  snapshot::FileSystem& fs = *options.fs;
  SH_ASSIGN_OR_RETURN(const auto lock, fs.lock(file + ".lock"));
  const std::string temporary = file + ".fetch";
  SH_RETURN_IF_ERROR(fetch_from(options, address, temporary, header));
  auto kept = keep_aside(fs, file);
  Status moved = kept.ok() ? fs.rename(temporary, file) : kept.status();
  if (moved.ok())
    moved = fs.sync_directory(file);
  if (!moved.ok()) {
    (void)fs.remove(temporary);
    if (kept.ok())
      (void)fs.rename(*kept, file);  // the file as it was, whether the rename happened or not
    return moved;
  }
  return kept;
}

// Puts the file kept at `kept` back in place of the copy.
Status put_back(snapshot::FileSystem& fs, const std::string& file, const std::string& kept) {
  SH_ASSIGN_OR_RETURN(const auto lock, fs.lock(file + ".lock"));
  SH_RETURN_IF_ERROR(fs.rename(kept, file));
  return fs.sync_directory(file);
}

// read_image_piece, from the open file `fd`.
Result<std::vector<Bytes>> read_piece(int fd, std::uint64_t offset) {
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    return error(Errc::io_error, "cannot read this node's file: {}", errno_text(errno));
  if (!S_ISREG(info.st_mode))
    return Status(Errc::io_error, "this node's file is not a regular file");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (offset > size)
    return error(Errc::invalid_argument, "this node's file has {} bytes: no piece starts at {}", size, offset);
  Bytes bytes(static_cast<std::size_t>(std::min<std::uint64_t>(kImagePiece, size - offset)));
  for (std::size_t got = 0; got < bytes.size();) {
    const ssize_t read = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(offset + got));
    if (read < 0 && errno == EINTR)
      continue;
    if (read < 0)
      return error(Errc::io_error, "cannot read this node's file: {}", errno_text(errno));
    if (read == 0)
      return Status(Errc::conflict, "this node's file shrank while it was read; ask again");
    got += static_cast<std::size_t>(read);
  }
  Bytes file = wire::u64_field(static_cast<std::uint64_t>(info.st_dev));
  const Bytes inode = wire::u64_field(static_cast<std::uint64_t>(info.st_ino));
  file.insert(file.end(), inode.begin(), inode.end());
  std::vector<Bytes> fields;
  fields.push_back(std::move(file));
  fields.push_back(wire::u64_field(size));
  fields.push_back(std::move(bytes));
  return fields;
}

}  // namespace

Result<std::vector<Bytes>> read_image_piece(const std::string& path, std::uint64_t offset) {
  // O_NONBLOCK: a FIFO put where the file belongs fails instead of holding a worker.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0)
    return error(Errc::io_error, "cannot read this node's file: {}", errno_text(errno));
  auto piece = read_piece(fd, offset);
  ::close(fd);
  return piece;
}

Result<FetchedImage> fetch_image(const ImageFetchOptions& options, const OpenCopy& open_copy) {
  snapshot::FileSystem& fs = *options.fs;
  SH_ASSIGN_OR_RETURN(const std::string file, fs.resolve(options.snapshot));
  SH_ASSIGN_OR_RETURN(const Bytes header, read_header(fs, file));
  SH_ASSIGN_OR_RETURN(const actors::ClusterState cluster, options.journal->view());
  std::string answers;
  for (const actors::ClusterNode& node : cluster.nodes) {
    if (node.name == cluster.node || node.address.empty())
      continue;
    auto address = remote::parse_address(node.address, false);
    auto kept = address.ok() ? copy_into_place(options, file, *address, header) : Result<std::string>(address.status());
    Status refused = kept.status();
    if (kept.ok()) {
      const Status opened = open_copy();
      if (opened.ok())
        return FetchedImage{node.name, std::move(*kept)};
      if (const Status restored = put_back(fs, file, *kept); !restored.ok())
        return error(opened.code(),
                     "node {}'s copy of the file does not open here ({}), and putting this node's file "
                     "back failed ({}): it is at {}",
                     node.name, opened.message(), restored.message(), *kept);
      refused = Status(opened.code(), "its copy does not open here: " + opened.message());
    }
    const std::string answer = "node " + node.name + " at " + node.address + " gave no copy: " + refused.message();
    (void)std::fprintf(stderr, "strongholdd: %s\n", answer.c_str());
    answers += "; " + answer;
  }
  return Status(Errc::unavailable,
                "no live node gave a copy of its file" +
                    (answers.empty() ? std::string(": etcd lists no other node with an address") : answers));
}

}  // namespace stronghold::daemon

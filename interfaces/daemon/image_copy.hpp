// Copying a node's snapshot file to another node of its cluster (wire::Op::image), so that a node
// whose file stands before the first entry etcd's journal still holds (it was away while more than
// --keep-entries entries were written, or it starts from an old copy) starts again by itself
// instead of waiting for an operator to copy a live node's file.
//
// Who gets a copy: a session of the snapshot's owner, which over the network is a peer whose
// certificate the cluster's CA signed (remote/tunnel.hpp) and which may already do everything the
// owner may; a client identity is refused, and so is everyone when the node is in no cluster. The
// file is sealed under the snapshot key: the copy shows nothing without the password.
//
// The serving node reads its file as it stands: commits append to it meanwhile and a fold
// replaces it by rename. Each piece names the file it came from (device and inode) and that
// file's size then; the fetching node copies up to the size the first piece gave, from one file,
// and starts again when the file changed under it. The entry an append was writing when the copy
// began may be torn, which the open drops (as for a copy an operator takes).
//
// The fetching node takes a copy only when its header is byte for byte its own file's (the same
// wrapped snapshot key, the same file id): a node of another cluster, or a peer that answers
// garbage, leaves its file as it was. Then its file is kept beside it (PATH.behind-UNIXTIME) and
// the copy takes its place; the engine's open then checks every entry, and the chain against
// etcd, and when that fails the file is put back (put_back).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "remote/tls_files.hpp"
#include "stronghold/actors/shared_journal.hpp"
#include "stronghold/snapshot/file_system.hpp"

namespace stronghold::daemon {

// The most bytes one answer of Op::image carries, well inside a frame.
inline constexpr std::size_t kImagePiece = std::size_t{512} << 10;
// The largest file a node copies from a peer: past it a peer's answer is not believed.
inline constexpr std::uint64_t kMaxImage = std::uint64_t{64} << 30;

// Op::image's answer for `path` (this node's file) from `offset`: [file identity (device, inode:
// u64 big-endian each)] [the file's size now (u64)] [its bytes from offset, at most kImagePiece].
// invalid_argument for an offset past the end; io_error when the file cannot be read.
Result<std::vector<Bytes>> read_image_piece(const std::string& path, std::uint64_t offset);

struct ImageFetchOptions {
  std::string snapshot;            // this node's file, as the command line names it
  remote::TlsFiles tls;            // this node's certificate and the cluster's CA
  actors::SharedJournal* journal;  // the cluster's: its live nodes and where they listen
  snapshot::FileSystem* fs;        // where the file is
};

struct FetchedImage {
  std::string node;  // whose copy this node's file now is
  std::string file;  // this node's file, symbolic links resolved
  std::string kept;  // where this node's file as it was is kept
};

// Replaces this node's file with the first copy that passes (see above) of a live node that
// etcd lists with an address, this node left out; the file is locked meanwhile. unavailable,
// naming what each node answered, when none gave one (the file is then as it was).
Result<FetchedImage> fetch_image(const ImageFetchOptions& options);
// Puts the file as it was back in place of the copy.
Status put_back(const ImageFetchOptions& options, const FetchedImage& fetched);

}  // namespace stronghold::daemon
